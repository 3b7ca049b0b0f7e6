"""
Trains the prosody sequence model: a small 1-D CNN with attentive statistics pooling (~48k
parameters) over the frame sequence that the TypeScript featuriser produces
(audio-analysis/features/voice.ts `sequenceInput`; dumped by `npm run train -- prosody sequences`).

Augmentation, applied to those frames (the featuriser itself is not re-run per epoch):
  - random crops of 1.2-2.0 s (shorter clips are taken whole);
  - speed +-10 %: linear resampling of the frame axis (tempo only, not pitch);
  - microphone colouring: random 2nd-order high-pass (50-400 Hz) and / or low-pass (2.5-8 kHz)
    applied to the mel band powers, then re-levelled as the server's level normalisation would;
  - additive white or pink noise at 10-30 dB SNR in the mel power domain;
  - +-3 dB level error (what remains after the server's per-segment level normalisation).
Gain itself needs no augmentation: every segment is level-normalised before featurisation.

Hyper-parameters are fixed a priori (below) and were not tuned on any test fold. The model is
not served: six-fold UA 45.7 %, below the feature classifier (see the prosody model card).

  /usr/bin/python3 src/training/prosody/net/train.py cv      # six speaker-independent folds
  /usr/bin/python3 src/training/prosody/net/train.py final   # all folds -> artifacts/prosody-net/final.onnx

Deterministic for a given torch build: seeded, one thread. Checkpoints after every epoch under
artifacts/prosody-net/ (a rerun resumes from them).
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
OUT = os.path.join(ROOT, "artifacts", "prosody-net")

SETTINGS = dict(epochs=60, batch=32, lr=3e-3, weight_decay=1e-3, label_smoothing=0.1, dropout=0.3,
                channels=64, crop_min=120, crop_max=200, seed=1)
N_MEL, MEL_LO, MEL_HI, SR = 40, 100.0, 8000.0, 16000


def load(condition="clean"):
    with open(os.path.join(ROOT, "artifacts", "cache", f"ravdess-seq-v{version()}-{condition}.json")) as f:
        meta = json.load(f)
    c = meta["channels"]
    data = np.fromfile(os.path.join(ROOT, "artifacts", "cache", f"ravdess-seq-v{version()}-{condition}.f32"), dtype=np.float32).reshape(-1, c)
    clips = meta["clips"]
    xs = [data[k["offset"]:k["offset"] + k["frames"]] for k in clips]
    return xs, clips


def version():
    names = [n for n in os.listdir(os.path.join(ROOT, "artifacts", "cache")) if n.startswith("ravdess-seq-v") and n.endswith("-clean.json")]
    return max(int(n.split("-")[2][1:]) for n in names)


def mel_centres():
    hz2mel = lambda f: 2595 * math.log10(1 + f / 700)
    mel2hz = lambda m: 700 * (10 ** (m / 2595) - 1)
    lo, hi = hz2mel(MEL_LO), hz2mel(MEL_HI)
    edges = [mel2hz(lo + (hi - lo) * i / (N_MEL + 1)) for i in range(N_MEL + 2)]
    centres = np.array(edges[1:-1])
    widths = np.array([edges[j + 2] - edges[j] for j in range(N_MEL)]) / 2  # area of a triangle in Hz
    return centres, widths


CENTRES, WIDTHS = mel_centres()


def augment(x, rng):
    """x: frames x channels (numpy, float32), one clip. Returns an augmented crop."""
    t = x.shape[0]
    # speed: resample the frame axis
    speed = rng.uniform(0.9, 1.1)
    n = max(8, int(round(t / speed)))
    src = np.linspace(0, t - 1, n)
    i0 = np.floor(src).astype(int); i1 = np.minimum(i0 + 1, t - 1); a = (src - i0)[:, None]
    y = x[i0] * (1 - a) + x[i1] * a
    y[:, N_MEL + 1] = np.round(y[:, N_MEL + 1])  # voiced flag stays binary
    y[:, N_MEL][y[:, N_MEL + 1] == 0] = 0
    # crop
    L = int(rng.integers(SETTINGS["crop_min"], SETTINGS["crop_max"] + 1))
    if y.shape[0] > L:
        s = int(rng.integers(0, y.shape[0] - L + 1)); y = y[s:s + L]
    mel = 10 ** (y[:, :N_MEL] / 10)  # band powers
    level0 = np.quantile(mel.sum(1), 0.95)
    # colouring
    h = np.ones(N_MEL)
    if rng.random() < 0.5:
        fc = rng.uniform(50, 400); r = (CENTRES / fc) ** 4; h *= r / (1 + r)
    if rng.random() < 0.5:
        fc = rng.uniform(2500, 8000); h *= 1 / (1 + (CENTRES / fc) ** 4)
    mel = mel * h
    # noise
    if rng.random() < 0.5:
        snr = rng.uniform(10, 30)
        p_speech = mel.sum(1).mean()
        shape = WIDTHS if rng.random() < 0.5 else WIDTHS / CENTRES * 1000  # white / pink
        p = p_speech * 10 ** (-snr / 10) * shape / shape.sum()
        mel = mel + p * rng.chisquare(8, size=mel.shape) / 8
    # re-level as the server would, plus a small residual error
    level1 = np.quantile(mel.sum(1), 0.95)
    gain = level0 / max(level1, 1e-20) * 10 ** (rng.uniform(-3, 3) / 10)
    y = y.copy()
    y[:, :N_MEL] = 10 * np.log10(mel * gain + 1e-10)
    return y.astype(np.float32)


class AttentiveStatsPool(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.att = nn.Conv1d(c, 1, 1)

    def forward(self, h):  # h: B x C x T
        w = torch.softmax(self.att(h), dim=2)
        mu = (h * w).sum(2)
        var = (h * h * w).sum(2) - mu * mu
        return torch.cat([mu, torch.sqrt(var.clamp(min=1e-5))], 1)


class ProsodyNet(nn.Module):
    def __init__(self, c_in, mean, std, c=64, k=8, dropout=0.3):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32))
        def block(i, o, ks, dil=1):
            return nn.Sequential(nn.Conv1d(i, o, ks, padding=dil * (ks // 2), dilation=dil), nn.BatchNorm1d(o), nn.ReLU())
        self.b1, self.b2, self.b3 = block(c_in, c, 5), block(c, c, 5), block(c, c, 3, 2)
        self.pool = AttentiveStatsPool(c)
        self.drop = nn.Dropout(dropout)
        self.out = nn.Linear(2 * c, k)

    def forward(self, frames):  # B x T x C raw features -> B x K logits
        x = ((frames - self.mean) / self.std).transpose(1, 2)
        x = F.max_pool1d(self.b1(x), 2, ceil_mode=True)
        x = F.max_pool1d(self.b2(x), 2, ceil_mode=True)
        x = self.b3(x)
        return self.out(self.drop(self.pool(x)))


def stats(xs):
    allx = np.concatenate(xs, 0)
    return allx.mean(0), allx.std(0) + 1e-3


def train(xs, ys, tag, log):
    """Trains one model on clips xs (list of frames x C) with labels ys; checkpoints per epoch."""
    os.makedirs(OUT, exist_ok=True)
    ck = os.path.join(OUT, f"{tag}.pt")
    s = SETTINGS
    torch.manual_seed(s["seed"])
    rng = np.random.default_rng(s["seed"])
    mean, std = stats(xs)
    model = ProsodyNet(xs[0].shape[1], mean, std, s["channels"], 8, s["dropout"])
    opt = torch.optim.AdamW(model.parameters(), lr=s["lr"], weight_decay=s["weight_decay"])
    steps_per_epoch = math.ceil(len(xs) / s["batch"])
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=s["lr"], total_steps=s["epochs"] * steps_per_epoch)
    counts = np.bincount(ys, minlength=8)
    cw = torch.tensor(len(ys) / (8 * np.maximum(counts, 1)), dtype=torch.float32)
    start = 0
    if os.path.exists(ck):
        st = torch.load(ck)
        model.load_state_dict(st["model"]); opt.load_state_dict(st["opt"]); sched.load_state_dict(st["sched"])
        rng.bit_generator.state = st["rng"]; torch.set_rng_state(st["torch_rng"]); start = st["epoch"]
    for ep in range(start, s["epochs"]):
        t0 = time.time(); model.train(); order = rng.permutation(len(xs)); tot = 0.0
        for b in range(steps_per_epoch):
            idx = order[b * s["batch"]:(b + 1) * s["batch"]]
            crops = [augment(xs[i], rng) for i in idx]
            L = min(c.shape[0] for c in crops)
            batch = np.stack([c[:L] for c in crops])
            logits = model(torch.from_numpy(batch))
            loss = F.cross_entropy(logits, torch.tensor(ys[idx]), weight=cw, label_smoothing=s["label_smoothing"])
            opt.zero_grad(); loss.backward(); opt.step(); sched.step(); tot += loss.item()
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(), "rng": rng.bit_generator.state,
                    "torch_rng": torch.get_rng_state(), "epoch": ep + 1}, ck)
        log(f"{tag} epoch {ep + 1}/{s['epochs']} loss {tot / steps_per_epoch:.3f} ({time.time() - t0:.1f}s)")
    model.eval()
    return model


def predict(model, xs):
    with torch.no_grad():
        return np.stack([torch.softmax(model(torch.from_numpy(x[None])), 1)[0].numpy() for x in xs])


def ua(y, p):
    pred = p.argmax(1)
    return float(np.mean([np.mean(pred[y == k] == k) for k in range(8) if np.any(y == k)]))


def export(model, path):
    model.eval()
    dummy = torch.zeros(1, 150, model.mean.shape[0])
    torch.onnx.export(model, dummy, path, opset_version=13, input_names=["frames"], output_names=["logits"],
                      dynamic_axes={"frames": {0: "batch", 1: "time"}, "logits": {0: "batch"}})


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "cv"
    log = lambda m: print(f"[{time.strftime('%H:%M:%S')}] {m}", flush=True)
    xs, clips = load("clean")
    y = np.array([c["label"] for c in clips]); fold = np.array([c["fold"] for c in clips])
    if mode == "cv":
        folds = [int(a) for a in sys.argv[2].split(",")] if len(sys.argv) > 2 else sorted(set(fold.tolist()))
        for f in folds:
            tr = np.where(fold != f)[0]; te = np.where(fold == f)[0]
            model = train([xs[i] for i in tr], y[tr], f"fold{f}", log)
            export(model, os.path.join(OUT, f"fold{f}.onnx"))
            log(f"fold {f}: net UA {100 * ua(y[te], predict(model, [xs[i] for i in te])):.1f}% (clean, held-out actors)")
    elif mode == "final":
        model = train(xs, y, "final", log)
        # Not shipped: it measured below the feature classifier (see the prosody model card).
        dst = os.path.join(OUT, "final.onnx")
        export(model, dst)
        log(f"wrote {dst}; parameters: {sum(p.numel() for p in model.parameters())}")


if __name__ == "__main__":
    main()
