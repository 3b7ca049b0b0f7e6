"""Converts MediaPipe's face detector and face landmark models from TFLite to ONNX.

Usage (from the repository root, with Debian's python3-onnx, python3-numpy, python3-flatbuffers):
    /usr/bin/python3 src/training/face/convert_mediapipe.py \
        ../shared/models/mediapipe-face-landmarker/face_landmarker.task weights/face-landmarker

Both models use eleven TFLite builtins, each with a direct ONNX counterpart. The ONNX graphs keep
TFLite's NHWC input and output tensors (same names and shapes) and run NCHW inside: the input is
transposed once, and 4-D tensors are transposed back before a RESHAPE or at a graph output.
float16 weights behind DEQUANTIZE are folded into float32 initializers (exact: every float16 value
is a float32 value). The output is deterministic for a given input file.
"""
from __future__ import annotations

import hashlib
import sys
import zipfile
from pathlib import Path

import flatbuffers
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tflite_reader import Graph, read_model

I8, I32 = flatbuffers.number_types.Int8Flags, flatbuffers.number_types.Int32Flags
ACTIVATIONS = {0: None, 1: "Relu", 3: "Relu6"}  # TFLite ActivationFunctionType
SAME, VALID = 0, 1  # TFLite Padding
TO_NCHW, TO_NHWC = [0, 3, 1, 2], [0, 2, 3, 1]
MEMBERS = {"face_detector.tflite": "face_detector.onnx", "face_landmarks_detector.tflite": "face_landmarks_detector.onnx"}


def opt(op, slot: int, kind, default):
    t = op.options
    if t is None:
        return default
    o = t.Offset(4 + 2 * slot)
    return t.Get(kind, o + t.Pos) if o else default


def same_pads(size_hw: list[int], kernel: list[int], stride: list[int], dilation: list[int], padding: int) -> list[int]:
    """TensorFlow's SAME padding as explicit ONNX pads [top, left, bottom, right] (extra on the bottom/right)."""
    if padding == VALID:
        return [0, 0, 0, 0]
    before, after = [], []
    for n, k, s, d in zip(size_hw, kernel, stride, dilation):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        before.append(total // 2)
        after.append(total - total // 2)
    return before + after


class Converter:
    def __init__(self, g: Graph):
        self.g = g
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.consts: dict[int, np.ndarray] = {}
        self.names: dict[int, str] = {}  # tensor index -> ONNX name of its NCHW (4-D) or plain value
        self.counter = 0

    def fresh(self, hint: str) -> str:
        self.counter += 1
        return f"{hint}_{self.counter}"

    def const(self, name: str, value: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def value(self, i: int) -> np.ndarray:
        if i in self.consts:
            return self.consts[i]
        data = self.g.tensors[i].data
        if data is None:
            raise ValueError(f"tensor {self.g.tensors[i].name} is not constant")
        return data

    def activation(self, out: str, code: int) -> str:
        kind = ACTIVATIONS.get(code, "unsupported")
        if kind is None:
            return out
        if kind == "unsupported":
            raise ValueError(f"unsupported fused activation {code}")
        name = self.fresh("act")
        if kind == "Relu":
            self.nodes.append(helper.make_node("Relu", [out], [name]))
        else:
            lo, hi = self.const(self.fresh("zero"), np.array(0, np.float32)), self.const(self.fresh("six"), np.array(6, np.float32))
            self.nodes.append(helper.make_node("Clip", [out, lo, hi], [name]))
        return name

    def conv(self, op, depthwise: bool) -> None:
        x, w, b = op.inputs
        weight = self.value(w).astype(np.float32)
        in_shape = self.g.tensors[x].shape
        if depthwise:
            # [1, kh, kw, C*M] -> [C*M, 1, kh, kw], one group per input channel
            kernel = np.ascontiguousarray(weight.transpose(3, 0, 1, 2))
            group, slots = in_shape[3], (1, 2, 4, 5, 6)
        else:
            # [O, kh, kw, I] -> [O, I, kh, kw]
            kernel = np.ascontiguousarray(weight.transpose(0, 3, 1, 2))
            group, slots = 1, (1, 2, 3, 4, 5)
        stride = [opt(op, slots[1], I32, 1), opt(op, slots[0], I32, 1)]
        act = opt(op, slots[2], I8, 0)
        dilation = [opt(op, slots[4], I32, 1), opt(op, slots[3], I32, 1)]
        pads = same_pads(in_shape[1:3], list(kernel.shape[2:]), stride, dilation, opt(op, 0, I8, SAME))
        name = self.tensor_name(op.outputs[0]) + "_conv"
        inputs = [self.names[x], self.const(name + "_w", kernel), self.const(name + "_b", self.value(b).astype(np.float32))]
        self.nodes.append(helper.make_node("Conv", inputs, [name], kernel_shape=list(kernel.shape[2:]), strides=stride,
                                           dilations=dilation, pads=pads, group=group))
        self.names[op.outputs[0]] = self.activation(name, act)

    def tensor_name(self, i: int) -> str:
        return f"t{i}"

    def convert_op(self, op) -> None:
        t, out = self.g.tensors, op.outputs[0]
        if op.op == "DEQUANTIZE":
            self.consts[out] = self.value(op.inputs[0]).astype(np.float32)
        elif op.op in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            self.conv(op, op.op == "DEPTHWISE_CONV_2D")
        elif op.op in ("RELU", "LOGISTIC"):
            name = self.tensor_name(out)
            self.nodes.append(helper.make_node("Relu" if op.op == "RELU" else "Sigmoid", [self.names[op.inputs[0]]], [name]))
            self.names[out] = name
        elif op.op == "PRELU":
            alpha = self.value(op.inputs[1]).astype(np.float32)
            slope = alpha.reshape(-1, 1, 1) if len(t[op.inputs[0]].shape) == 4 else alpha
            name = self.tensor_name(out)
            self.nodes.append(helper.make_node("PRelu", [self.names[op.inputs[0]], self.const(name + "_slope", slope)], [name]))
            self.names[out] = name
        elif op.op == "ADD":
            name = self.tensor_name(out) + "_add"
            self.nodes.append(helper.make_node("Add", [self.names[i] for i in op.inputs], [name]))
            self.names[out] = self.activation(name, opt(op, 0, I8, 0))
        elif op.op == "MAX_POOL_2D":
            stride = [opt(op, 2, I32, 1), opt(op, 1, I32, 1)]
            kernel = [opt(op, 4, I32, 1), opt(op, 3, I32, 1)]
            pads = same_pads(t[op.inputs[0]].shape[1:3], kernel, stride, [1, 1], opt(op, 0, I8, SAME))
            name = self.tensor_name(out) + "_pool"
            self.nodes.append(helper.make_node("MaxPool", [self.names[op.inputs[0]]], [name], kernel_shape=kernel, strides=stride, pads=pads))
            self.names[out] = self.activation(name, opt(op, 5, I8, 0))
        elif op.op == "PAD":
            p = self.value(op.inputs[1]).astype(np.int64)  # [[before, after]] per NHWC axis
            if len(t[op.inputs[0]].shape) != 4:
                raise ValueError("PAD is only supported on 4-D tensors")
            nchw = p[TO_NCHW]
            name = self.tensor_name(out)
            pads = self.const(name + "_pads", np.concatenate([nchw[:, 0], nchw[:, 1]]))
            self.nodes.append(helper.make_node("Pad", [self.names[op.inputs[0]], pads], [name], mode="constant"))
            self.names[out] = name
        elif op.op == "RESHAPE":
            src = self.names[op.inputs[0]]
            if len(t[op.inputs[0]].shape) == 4:  # back to NHWC so the element order is TFLite's
                nhwc = self.fresh("nhwc")
                self.nodes.append(helper.make_node("Transpose", [src], [nhwc], perm=TO_NHWC))
                src = nhwc
            if len(t[out].shape) == 4:
                raise ValueError("RESHAPE to a 4-D tensor is not supported")
            name = self.tensor_name(out)
            shape = self.const(name + "_shape", np.array(t[out].shape, np.int64))
            self.nodes.append(helper.make_node("Reshape", [src, shape], [name]))
            self.names[out] = name
        elif op.op == "CONCATENATION":
            axis = opt(op, 0, I32, 0)
            rank = len(t[out].shape)
            if axis < 0:
                axis += rank
            if rank == 4:
                axis = TO_NCHW.index(axis)
            name = self.tensor_name(out) + "_cat"
            self.nodes.append(helper.make_node("Concat", [self.names[i] for i in op.inputs], [name], axis=axis))
            self.names[out] = self.activation(name, opt(op, 1, I8, 0))
        else:
            raise ValueError(f"no conversion for {op.op}")

    def convert(self, graph_name: str) -> onnx.ModelProto:
        t = self.g.tensors
        inputs, outputs = [], []
        for i in self.g.inputs:
            inputs.append(helper.make_tensor_value_info(t[i].name, TensorProto.FLOAT, t[i].shape))
            self.names[i] = self.tensor_name(i)
            self.nodes.append(helper.make_node("Transpose", [t[i].name], [self.names[i]], perm=TO_NCHW))
        for op in self.g.operators:
            self.convert_op(op)
        for i in self.g.outputs:
            perm = TO_NHWC if len(t[i].shape) == 4 else list(range(len(t[i].shape)))
            self.nodes.append(helper.make_node("Transpose", [self.names[i]], [t[i].name], perm=perm))
            outputs.append(helper.make_tensor_value_info(t[i].name, TensorProto.FLOAT, t[i].shape))
        graph = helper.make_graph(self.nodes, graph_name, inputs, outputs, self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="open-expression convert_mediapipe.py")
        model.ir_version = 7  # readable by every onnxruntime since 1.3
        onnx.checker.check_model(model)
        return model


def main(task: str, out_dir: str) -> None:
    data = Path(task).read_bytes()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    print(f"{Path(task).name}: sha256 {hashlib.sha256(data).hexdigest()}")
    with zipfile.ZipFile(task) as z:
        for member, target in MEMBERS.items():
            tflite = z.read(member)
            model = Converter(read_model(tflite)).convert(Path(member).stem)
            blob = model.SerializeToString()
            (out / target).write_bytes(blob)
            print(f"{member} (sha256 {hashlib.sha256(tflite).hexdigest()}) -> {target} "
                  f"({len(blob)} bytes, {len(model.graph.node)} nodes, sha256 {hashlib.sha256(blob).hexdigest()})")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
