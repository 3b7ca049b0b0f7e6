"""Reads the parts of a TFLite flatbuffer that a plain feed-forward graph needs.

The flatbuffers runtime (Debian's python3-flatbuffers) decodes the wire format; the field slots
below are taken from TensorFlow Lite's public schema (tensorflow/lite/schema/schema.fbs). Only the
tables this converter touches are listed, which is why no generated schema package is needed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
from flatbuffers.table import Table

# TensorType enum (schema.fbs) -> numpy dtype, for the types these models use.
TENSOR_TYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}

# BuiltinOperator enum values (schema.fbs) for the ops MediaPipe's face models use.
BUILTIN_NAMES = {
    0: "ADD", 2: "CONCATENATION", 3: "CONV_2D", 4: "DEPTHWISE_CONV_2D", 6: "DEQUANTIZE",
    14: "LOGISTIC", 17: "MAX_POOL_2D", 19: "RELU", 22: "RESHAPE", 34: "PAD", 54: "PRELU",
}


def _root(buf: bytes) -> Table:
    return Table(buf, flatbuffers.encode.Get(flatbuffers.packer.uoffset, buf, 0))


def _slot(slot: int) -> int:
    """The vtable offset of field number `slot` (fields start at vtable byte 4)."""
    return 4 + 2 * slot


def _scalar(t: Table, slot: int, kind, default):
    o = t.Offset(_slot(slot))
    return t.Get(kind, o + t.Pos) if o else default


def _table(t: Table, slot: int) -> Table | None:
    o = t.Offset(_slot(slot))
    return Table(t.Bytes, t.Indirect(o + t.Pos)) if o else None


def _tables(t: Table, slot: int) -> list[Table]:
    o = t.Offset(_slot(slot))
    if not o:
        return []
    start, n = t.Vector(o), t.VectorLen(o)
    return [Table(t.Bytes, t.Indirect(start + 4 * i)) for i in range(n)]


def _ints(t: Table, slot: int, dtype=np.int32) -> np.ndarray:
    o = t.Offset(_slot(slot))
    if not o:
        return np.zeros(0, dtype)
    return t.GetVectorAsNumpy(flatbuffers.number_types.Int32Flags if dtype == np.int32 else flatbuffers.number_types.Uint8Flags, o)


def _string(t: Table, slot: int) -> str:
    o = t.Offset(_slot(slot))
    return t.String(o + t.Pos).decode() if o else ""


@dataclass
class Tensor:
    name: str
    shape: list[int]
    dtype: type
    data: np.ndarray | None  # constant contents, None for activations


@dataclass
class Operator:
    op: str
    inputs: list[int]
    outputs: list[int]
    options: Table | None
    version: int = 1


@dataclass
class Graph:
    tensors: list[Tensor]
    operators: list[Operator]
    inputs: list[int]
    outputs: list[int]
    extra: dict = field(default_factory=dict)


def read_model(buf: bytes) -> Graph:
    model = _root(buf)
    codes = []
    for c in _tables(model, 1):  # Model.operator_codes
        # builtin_code (slot 3) supersedes deprecated_builtin_code (slot 0, int8) since schema v3a.
        code = max(_scalar(c, 0, flatbuffers.number_types.Int8Flags, 0), _scalar(c, 3, flatbuffers.number_types.Int32Flags, 0))
        if code not in BUILTIN_NAMES:
            raise ValueError(f"unsupported TFLite builtin op {code}")
        codes.append(BUILTIN_NAMES[code])
    buffers = []
    for b in _tables(model, 4):  # Model.buffers -> Buffer.data (slot 0, [ubyte])
        o = b.Offset(_slot(0))
        buffers.append(b.GetVectorAsNumpy(flatbuffers.number_types.Uint8Flags, o).tobytes() if o else b"")
    subgraphs = _tables(model, 2)
    if len(subgraphs) != 1:
        raise ValueError(f"expected one subgraph, found {len(subgraphs)}")
    g = subgraphs[0]
    tensors = []
    for t in _tables(g, 0):  # SubGraph.tensors
        shape = [int(v) for v in _ints(t, 0)]
        dtype = TENSOR_TYPES[_scalar(t, 1, flatbuffers.number_types.Int8Flags, 0)]
        raw = buffers[_scalar(t, 2, flatbuffers.number_types.Uint32Flags, 0)]
        if _table(t, 4) is not None and _ints(_table(t, 4), 2).size:  # QuantizationParameters.scale
            raise ValueError(f"tensor {_string(t, 3)} is quantized; only float16 weights are supported")
        data = np.frombuffer(raw, dtype=dtype).reshape(shape) if raw else None
        tensors.append(Tensor(_string(t, 3), shape, dtype, data))
    ops = []
    for o in _tables(g, 3):  # SubGraph.operators
        ops.append(Operator(
            op=codes[_scalar(o, 0, flatbuffers.number_types.Uint32Flags, 0)],
            inputs=[int(v) for v in _ints(o, 1)],
            outputs=[int(v) for v in _ints(o, 2)],
            options=_table(o, 4),
        ))
    return Graph(tensors, ops, [int(v) for v in _ints(g, 1)], [int(v) for v in _ints(g, 2)])
