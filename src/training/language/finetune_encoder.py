#!/usr/bin/python3
"""
Fine-tunes the sentence encoder (USE-lite, use_lite.py) together with a linear head on the same
corpora and losses as train_head.py: GoEmotions train (emotions, sentiment groups), EmoBank train
(valence), the Davidson subsample (toxicity). MELD and XED stay out: they are the cross-corpus
tests. The head starts from the shipped one (weights/language/head.f32), the encoder from the
original weights; the encoder learns with a small learning rate, the head with a larger one.

After each epoch (and each --eval-every steps) it scores GoEmotions dev the way variants are
chosen in train_head.py: the held-out estimate of head + TF-IDF fusion + thresholds
(cv_fusion_f1), plus the head alone; and checks EmoBank dev valence r and Davidson dev toxicity
F1 so that sentiment and toxicity are seen not to regress. Test splits are never read. Each
evaluation's encoder and head are saved under .cache/language/finetune/ with its scores.

Inputs: .cache/language/<corpus>.jsonl (embed-corpora.ts), .ids.jsonl (token-ids.ts) and
.tfidf.f32 (tfidf-logits.ts). Seeded; one thread.
  /usr/bin/python3 src/training/language/finetune_encoder.py [--epochs 1] [--lr-encoder 3e-5]
Then export the chosen checkpoint (export_encoder.py --state), re-embed the corpora and rerun
train_head.py: the served head, fusion and thresholds are fitted on the new embeddings.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_head as th  # noqa: E402  (sets one thread, reads the label list)
from use_lite import MAX_TOKENS, UseLite, pad_batch  # noqa: E402

torch.set_num_threads(1)
OUT = os.path.join(th.CACHE, "finetune")


def load_rows(name):
    rows = [json.loads(l) for l in open(os.path.join(th.CACHE, name + ".jsonl"), encoding="utf-8")]
    ids = [json.loads(l) for l in open(os.path.join(th.CACHE, name + ".ids.jsonl"), encoding="utf-8")]
    assert len(ids) == len(rows), f"{name}: ids.jsonl is stale (run token-ids.ts)"
    tf = np.fromfile(os.path.join(th.CACHE, name + ".tfidf.f32"), dtype="<f4").reshape(len(rows), th.L)
    return rows, ids, tf


def shipped_head():
    """The shipped linear head as a torch Linear over the unit-length embedding (the training
    input scale is already folded into head.f32)."""
    meta = json.load(open(os.path.join(th.WEIGHTS, "head.json")))
    assert meta["hidden"] == 0, "fine-tuning starts from a linear head"
    w = np.fromfile(os.path.join(th.WEIGHTS, meta["weightsFile"]), dtype="<f4")
    W = w[: th.DIM * th.NOUT].reshape(th.DIM, th.NOUT)
    head = torch.nn.Linear(th.DIM, th.NOUT)
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(W.T.copy()))
        head.bias.copy_(torch.from_numpy(w[th.DIM * th.NOUT:].copy()))
    return head


def batches(lengths, size, rng):
    """Shuffled batches of rows of similar length (little padding): shuffle, sort within pools of
    50 batches by length, cut, shuffle the batches."""
    order = rng.permutation(len(lengths))
    out = []
    pool = size * 50
    for s in range(0, len(order), pool):
        chunk = sorted(order[s:s + pool], key=lambda i: lengths[i])
        out += [chunk[k:k + size] for k in range(0, len(chunk), size)]
    rng.shuffle(out)
    return out


@torch.no_grad()
def embed(encoder, ids, size=128):
    encoder.eval()
    order = np.argsort([len(x) for x in ids])
    out = np.zeros((len(ids), th.DIM), "f4")
    for s in range(0, len(order), size):
        b = order[s:s + size]
        out[b] = encoder(pad_batch([ids[i] for i in b])).numpy()
    return out


def evaluate(encoder, head, data):
    """Dev figures: GoEmotions fused held-out estimate and head alone, EmoBank valence r,
    Davidson toxic F1."""
    res = {}
    rows, ids, tf = data["goemotions"]
    dev = [i for i, r in enumerate(rows) if r["split"] == "dev"]
    with torch.no_grad():
        z = head(torch.from_numpy(embed(encoder, [ids[i] for i in dev]))).numpy().astype("f8")
    Y = np.array([[rows[i]["emotions"][l] for l in th.LABELS] for i in dev])
    zh, zt = z[:, : th.L], tf[dev].astype("f8")
    res["devHeadMacroF1"] = round(float(th.f1_best_threshold(th.sigmoid(zh), Y)[1].mean()), 4)
    res["devFusedHeldOutMacroF1"] = round(th.cv_fusion_f1(zh, zt, Y, 1e-2, "label"), 4)
    rows, ids, _ = data["emobank"]
    dev = [i for i, r in enumerate(rows) if r["split"] == "dev"]
    with torch.no_grad():
        zs = head(torch.from_numpy(embed(encoder, [ids[i] for i in dev])))[:, th.L:th.L + 9]
    expected = (torch.softmax(zs, 1) * torch.arange(1, 10)).sum(1).numpy()
    res["devEmoBankValenceR"] = round(float(np.corrcoef(expected, [rows[i]["valence"] for i in dev])[0, 1]), 4)
    rows, ids, _ = data["davidson"]
    dev = [i for i, r in enumerate(rows) if r["split"] == "dev"]
    with torch.no_grad():
        pt = torch.sigmoid(head(torch.from_numpy(embed(encoder, [ids[i] for i in dev])))[:, th.L + 9:]).numpy()
    gold = np.array([[rows[i]["toxicity"][0] > 0.5, rows[i]["toxicity"][1] > 0.5] for i in dev]).astype(int)
    res["devToxicF1"] = round(float(th.f1_best_threshold(pt, gold)[1][0]), 4)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=float, default=1.0, help="passes over the training rows (fractions allowed)")
    ap.add_argument("--lr-encoder", type=float, default=3e-5)
    ap.add_argument("--lr-head", type=float, default=1e-3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--eval-every", type=int, default=0, help="also evaluate every N steps (0: per epoch only)")
    ap.add_argument("--max-steps", type=int, default=0, help="stop after N steps (timing runs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tag", default="run")
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    data = {c: load_rows(c) for c in th.SHIPPED_CORPORA}
    ids, T = [], []
    for name, (rows, rid, _) in data.items():
        keep = [i for i, r in enumerate(rows) if r["split"] == "train"]
        ids += [rid[i] for i in keep]
        T.append(th.targets([rows[i] for i in keep]))
        print(f"{name}: {len(keep)} train rows")
    T = [torch.cat([t[j] for t in T]) for j in range(8)]
    encoder, head = UseLite.from_tfjs(), shipped_head()
    opt = torch.optim.AdamW([
        {"params": encoder.parameters(), "lr": args.lr_encoder, "weight_decay": 0.01},
        {"params": head.parameters(), "lr": args.lr_head, "weight_decay": 1e-4},
    ])
    lengths = [len(x) for x in ids]
    steps_per_epoch = -(-len(ids) // args.batch)
    total = int(round(args.epochs * steps_per_epoch))
    if args.max_steps: total = min(total, args.max_steps)
    warmup = max(1, total // 20)
    # Linear warm-up, then linear decay to 0.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup))))
    os.makedirs(OUT, exist_ok=True)
    log = open(os.path.join(OUT, f"{args.tag}.log.jsonl"), "a")
    base = evaluate(encoder, head, data) if not args.max_steps else {}
    print("before:", base)
    log.write(json.dumps({"step": 0, **base, "args": vars(args)}) + "\n"); log.flush()
    step, t0, run_loss = 0, time.time(), 0.0
    epoch = 0
    while step < total:
        for b in batches(lengths, args.batch, rng):
            if step >= total: break
            encoder.train(); head.train()
            x = pad_batch([ids[i] for i in b])
            assert x.shape[1] <= MAX_TOKENS
            loss = th.loss_fn(head(encoder(x)), [t[b] for t in T])
            opt.zero_grad(); loss.backward()
            torch.nn.utils.clip_grad_norm_(list(encoder.parameters()) + list(head.parameters()), 1.0)
            opt.step(); sched.step(); step += 1
            run_loss = 0.98 * run_loss + 0.02 * float(loss) if step > 1 else float(loss)
            if step % 50 == 0 or step == total:
                el = time.time() - t0
                print(f"step {step}/{total} loss {run_loss:.4f} {el / step * 1000:.0f} ms/step, eta {el / step * (total - step) / 60:.1f} min", flush=True)
            end_of_epoch = step % steps_per_epoch == 0 or step == total
            if not args.max_steps and (end_of_epoch or (args.eval_every and step % args.eval_every == 0)):
                res = evaluate(encoder, head, data)
                name = f"{args.tag}-step{step}.pt"
                torch.save({"encoder": encoder.state_dict(), "head": head.state_dict()}, os.path.join(OUT, name))
                print(f"step {step}: {res} -> {name}", flush=True)
                log.write(json.dumps({"step": step, "checkpoint": name, **res}) + "\n"); log.flush()
        epoch += 1


if __name__ == "__main__":
    main()
