#!/usr/bin/python3
"""Checks the PyTorch port (use_lite.py, original weights) against vectors the tfjs graph model
wrote on tfjs-wasm before the port (test/fixtures/use-lite-tfjs-reference.json), for every text of
at most 128 tokens there. Exits non-zero beyond 1e-5.

  /usr/bin/python3 src/training/language/check_port.py
"""
import base64
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from use_lite import MAX_TOKENS, UseLite, pad_batch  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")


def main() -> None:
    torch.set_num_threads(1)
    with open(os.path.join(ROOT, "test", "fixtures", "use-lite-tfjs-reference.json"), encoding="utf8") as f:
        ref = json.load(f)
    want = np.frombuffer(base64.b64decode(ref["vectors"]), "<f4").reshape(-1, 512)
    model = UseLite.from_tfjs().eval()
    worst = 0.0
    with torch.no_grad():
        for i, ids in enumerate(ref["ids"]):
            if len(ids) > MAX_TOKENS:
                continue  # chunked by the server; the port reads one chunk
            worst = max(worst, float(np.abs(model(pad_batch([ids]))[0].numpy() - want[i]).max()))
    print(f"largest difference from tfjs: {worst:.2e}")
    sys.exit(0 if worst < 1e-5 else 1)


if __name__ == "__main__":
    main()
