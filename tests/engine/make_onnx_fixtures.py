#!/usr/bin/python3
"""Builds ONNX fixtures the way a user's exporter would (python3-onnx's helper API), with
a NumPy reference of their outputs, for tests/engine/onnx_user_model_test.cc.

Usage: make_onnx_fixtures.py OUT_DIR
Writes, in OUT_DIR:
  user_cnn.onnx     Conv, BatchNormalization (standalone and after Conv), Clip, depthwise
                    Conv, Relu, AveragePool, Concat, Mul, GlobalAveragePool, Reshape,
                    MatMul, Add, Softmax; input [N, 3, 8, 8], output [N, 5]
  input.bin         float32 [4, 3, 8, 8], little-endian
  expected.bin      float32 [4, 5]: the NumPy reference output
  unsupported.onnx  a graph with an Einsum node
  unary_<op>.onnx   one element-wise function on [N, 3, 4, 4], flattened to [N, 48]
                    (Sigmoid, Tanh,
                    LeakyRelu, HardSwish, HardSigmoid, Erf, Gelu at opset 20 exact and
                    tanh-approximated, and Gelu as PyTorch exports it below opset 20:
                    x * 0.5 * (1 + Erf(x / sqrt 2))), with unary_input.bin (float32
                    [3, 3, 4, 4]) and unary_<op>.bin, the NumPy reference
  dynamic_view.onnx a flatten with a dynamic batch as PyTorch exports x.view(x.size(0),
                    -1), and a Slice/Cast variant; dynamic_view.bin its reference [3, 5]
                    on unary_input.bin
  pad_pool.onnx, mean_norm.onnx (and .bin references): Pad + AveragePool, and
                    ReduceMean + LayerNormalization (pad_and_norm below)
  relayout.onnx     Transpose, Reshape, Unsqueeze and Squeeze of tensors (relayout below)
  resize.onnx       nearest upsampling by 2 (resize below)
Each model passes onnx.checker with full shape inference, but for the opset-20 Gelu
models: Debian's python3-onnx (1.12) knows opsets up to 17.
"""
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(7)


def conv(x, w, b, stride=1, pad=1, group=1):
    n, c, h, width = x.shape
    m, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh = (h + 2 * pad - kh) // stride + 1
    ow = (width + 2 * pad - kw) // stride + 1
    out = np.zeros((n, m, oh, ow), dtype=np.float64)
    per_group = m // group
    for o in range(m):
        g = o // per_group
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride:i * stride + kh, j * stride:j * stride + kw]
                out[:, o, i, j] = np.tensordot(patch, w[o], axes=([1, 2, 3], [0, 1, 2]))
        out[:, o] += b[o]
    return out


def batchnorm(x, gamma, beta, mean, var, eps=1e-5):
    shape = (1, -1, 1, 1)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def user_cnn(out_dir):
    p = {
        "w1": rng.normal(0, 0.3, (4, 3, 3, 3)), "b1": rng.normal(0, 0.1, 4),
        "g1": rng.uniform(0.5, 1.5, 4), "be1": rng.normal(0, 0.1, 4),
        "m1": rng.normal(0, 0.1, 4), "v1": rng.uniform(0.5, 2, 4),
        "w2": rng.normal(0, 0.3, (4, 1, 3, 3)), "b2": rng.normal(0, 0.1, 4),
        "g3": rng.uniform(0.5, 1.5, 8), "be3": rng.normal(0, 0.1, 8),
        "m3": rng.normal(0, 0.1, 8), "v3": rng.uniform(0.5, 2, 8),
        "scale": np.array([1.5]), "fc": rng.normal(0, 0.5, (8, 5)), "fcb": rng.normal(0, 0.1, 5),
        "clip_lo": np.array(0.0), "clip_hi": np.array(6.0),
    }
    p = {k: np.asarray(v, dtype=np.float32) for k, v in p.items()}
    nodes = [
        helper.make_node("Conv", ["input", "w1", "b1"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "g1", "be1", "m1", "v1"], ["n1"]),
        helper.make_node("Clip", ["n1", "clip_lo", "clip_hi"], ["a1"]),
        helper.make_node("Conv", ["a1", "w2", "b2"], ["c2"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[2, 2], group=4),
        helper.make_node("Relu", ["c2"], ["a2"]),
        helper.make_node("AveragePool", ["a1"], ["p1"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Concat", ["a2", "p1"], ["cat"], axis=1),
        helper.make_node("BatchNormalization", ["cat", "g3", "be3", "m3", "v3"], ["n3"]),
        helper.make_node("Mul", ["n3", "scale"], ["s3"]),
        helper.make_node("GlobalAveragePool", ["s3"], ["gap"]),
        helper.make_node("Reshape", ["gap", "flat_shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "fc"], ["mm"]),
        helper.make_node("Add", ["mm", "fcb"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1),
    ]
    inits = [const(k, v) for k, v in p.items()]
    inits.append(numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "flat_shape"))
    graph = helper.make_graph(
        nodes, "user_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 5])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="a user's exporter")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "user_cnn.onnx"))

    x = rng.uniform(0, 1, (4, 3, 8, 8)).astype(np.float32)
    f = {k: v.astype(np.float64) for k, v in p.items()}
    a1 = np.clip(batchnorm(conv(x, f["w1"], f["b1"]), f["g1"], f["be1"], f["m1"], f["v1"]), 0, 6)
    a2 = np.maximum(conv(a1, f["w2"], f["b2"], stride=2, group=4), 0)
    p1 = a1.reshape(4, 4, 4, 2, 4, 2).mean(axis=(3, 5))
    s3 = batchnorm(np.concatenate([a2, p1], axis=1), f["g3"], f["be3"], f["m3"], f["v3"]) * 1.5
    logits = s3.mean(axis=(2, 3)) @ f["fc"] + f["fcb"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected = e / e.sum(axis=1, keepdims=True)
    x.astype("<f4").tofile(os.path.join(out_dir, "input.bin"))
    expected.astype("<f4").tofile(os.path.join(out_dir, "expected.bin"))


def unsupported(out_dir):
    graph = helper.make_graph(
        [helper.make_node("Flatten", ["input"], ["flat"], axis=1),
         helper.make_node("Einsum", ["flat"], ["logits"], name="squash", equation="ij->ij")],
        "unsupported",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, 2, 2])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "unsupported.onnx"))


def erf(x):
    return np.vectorize(math.erf)(x)


# name -> (nodes from "input" to "output", opset, NumPy reference)
UNARY = {
    "Sigmoid": ([helper.make_node("Sigmoid", ["input"], ["output"])], 13,
                lambda x: 1 / (1 + np.exp(-x))),
    "Tanh": ([helper.make_node("Tanh", ["input"], ["output"])], 13, np.tanh),
    "LeakyRelu": ([helper.make_node("LeakyRelu", ["input"], ["output"], alpha=0.1)], 13,
                  lambda x: np.where(x >= 0, x, 0.1 * x)),
    "HardSwish": ([helper.make_node("HardSwish", ["input"], ["output"])], 14,
                  lambda x: x * np.clip(x / 6 + 0.5, 0, 1)),
    "HardSigmoid": ([helper.make_node("HardSigmoid", ["input"], ["output"], alpha=0.25,
                                      beta=0.4)], 13, lambda x: np.clip(0.25 * x + 0.4, 0, 1)),
    "Erf": ([helper.make_node("Erf", ["input"], ["output"])], 13, erf),
    "Gelu": ([helper.make_node("Gelu", ["input"], ["output"])], 20,
             lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2)))),
    "GeluTanh": ([helper.make_node("Gelu", ["input"], ["output"], approximate="tanh")], 20,
                 lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                                  (x + 0.044715 * x ** 3)))),
    "GeluErf": ([helper.make_node("Div", ["input", "sqrt2"], ["scaled"]),
                 helper.make_node("Erf", ["scaled"], ["erf"]),
                 helper.make_node("Add", ["erf", "one"], ["shifted"]),
                 helper.make_node("Mul", ["input", "shifted"], ["product"]),
                 helper.make_node("Mul", ["product", "half"], ["output"])], 13,
                lambda x: 0.5 * x * (1 + erf(x / math.sqrt(2)))),
}


def unary(out_dir):
    x = rng.normal(0, 2.5, (3, 3, 4, 4))
    x.astype("<f4").tofile(os.path.join(out_dir, "unary_input.bin"))
    constants = [const("sqrt2", [math.sqrt(2)]), const("one", [1.0]), const("half", [0.5])]
    for name, (nodes, opset, reference) in UNARY.items():
        used = {i for node in nodes for i in node.input}
        graph = helper.make_graph(
            nodes + [helper.make_node("Flatten", ["output"], ["logits"], axis=1)],
            "unary_" + name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 4, 4])],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 48])],
            [c for c in constants if c.name in used])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        model.ir_version = 8
        if opset <= onnx.defs.onnx_opset_version():
            onnx.checker.check_model(model, full_check=True)
        onnx.save(model, os.path.join(out_dir, "unary_" + name + ".onnx"))
        reference(x.astype(np.float32).astype(np.float64)).astype("<f4").tofile(
            os.path.join(out_dir, "unary_" + name + ".bin"))


def int64(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.int64), name)


def dynamic_view(out_dir):
    """Flatten with a dynamic batch, computed as exporters do: PyTorch's
    x.view(x.size(0), -1) (Shape, Gather, Unsqueeze, Concat, Reshape) and a Slice/Cast
    variant (Shape, Slice, Cast, Concat, Reshape), each into a Gemm, summed."""
    w1, b1 = rng.normal(0, 0.3, (48, 5)), rng.normal(0, 0.1, 5)
    w2, b2 = rng.normal(0, 0.3, (48, 5)), rng.normal(0, 0.1, 5)
    nodes = [
        helper.make_node("Relu", ["input"], ["r"]),
        helper.make_node("Shape", ["r"], ["s"]),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
        helper.make_node("Unsqueeze", ["n", "axes0"], ["n1"]),
        helper.make_node("Concat", ["n1", "minus_one"], ["view_shape"], axis=0),
        helper.make_node("Reshape", ["r", "view_shape"], ["flat1"]),
        helper.make_node("Gemm", ["flat1", "w1", "b1"], ["y1"]),
        helper.make_node("Shape", ["r"], ["s2"]),
        helper.make_node("Slice", ["s2", "zeros", "ones"], ["n2"]),
        helper.make_node("Cast", ["n2"], ["n2c"], to=TensorProto.INT64),
        helper.make_node("Concat", ["n2c", "features"], ["view_shape2"], axis=0),
        helper.make_node("Reshape", ["r", "view_shape2"], ["flat2"]),
        helper.make_node("Gemm", ["flat2", "w2", "b2"], ["y2"]),
        helper.make_node("Add", ["y1", "y2"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "dynamic_view",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 4, 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])],
        [int64("zero", 0), int64("axes0", [0]), int64("minus_one", [-1]), int64("zeros", [0]),
         int64("ones", [1]), int64("features", [48]), const("w1", w1), const("b1", b1),
         const("w2", w2), const("b2", b2)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "dynamic_view.onnx"))
    x = np.fromfile(os.path.join(out_dir, "unary_input.bin"), dtype="<f4").reshape(3, 48)
    r = np.maximum(x.astype(np.float64), 0)
    f = lambda a: a.astype(np.float32).astype(np.float64)
    expected = r @ f(w1) + f(b1) + r @ f(w2) + f(b2)
    expected.astype("<f4").tofile(os.path.join(out_dir, "dynamic_view.bin"))


def pad_and_norm(out_dir):
    """pad_pool.onnx: Pad (constant 0.5 around H and W) then a 3x3 AveragePool, flattened
    to [N, 48]; mean_norm.onnx: ReduceMean over H and W (keepdims 0) then
    LayerNormalization over the 3 channels (opset 17). References on unary_input.bin."""
    x = np.fromfile(os.path.join(out_dir, "unary_input.bin"), dtype="<f4").reshape(3, 3, 4, 4)
    x = x.astype(np.float64)
    graph = helper.make_graph(
        [helper.make_node("Pad", ["input", "pads", "fill"], ["padded"], mode="constant"),
         helper.make_node("AveragePool", ["padded"], ["pooled"], kernel_shape=[3, 3]),
         helper.make_node("Flatten", ["pooled"], ["logits"], axis=1)],
        "pad_pool",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 4, 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 48])],
        [int64("pads", [0, 0, 1, 1, 0, 0, 1, 1]), const("fill", 0.5)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "pad_pool.onnx"))
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=0.5)
    pooled = np.zeros((3, 3, 4, 4))
    for i in range(4):
        for j in range(4):
            pooled[:, :, i, j] = padded[:, :, i:i + 3, j:j + 3].mean(axis=(2, 3))
    pooled.reshape(3, 48).astype("<f4").tofile(os.path.join(out_dir, "pad_pool.bin"))

    gamma, beta = rng.uniform(0.5, 1.5, 3), rng.normal(0, 0.1, 3)
    graph = helper.make_graph(
        [helper.make_node("ReduceMean", ["input"], ["mean"], axes=[2, 3], keepdims=0),
         helper.make_node("LayerNormalization", ["mean", "gamma", "beta"], ["logits"],
                          axis=-1, epsilon=1e-5)],
        "mean_norm",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 4, 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 3])],
        [const("gamma", gamma), const("beta", beta)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "mean_norm.onnx"))
    m = x.mean(axis=(2, 3))
    g, b = gamma.astype(np.float32).astype(np.float64), beta.astype(np.float32).astype(np.float64)
    normed = (m - m.mean(axis=1, keepdims=True)) / np.sqrt(m.var(axis=1, keepdims=True) + 1e-5)
    (normed * g + b).astype("<f4").tofile(os.path.join(out_dir, "mean_norm.bin"))


def relayout(out_dir):
    """relayout.onnx: a Keras-style NHWC input [N, 4, 4, 3] transposed to NCHW, a 1x1
    Conv, transposed back to NHWC, reshaped to [N, 16, 2], unsqueezed to [N, 1, 16, 2]
    and squeezed back, flattened into a Gemm: [N, 5]. relayout_input.bin [3, 4, 4, 3] and
    relayout.bin the reference."""
    x = rng.normal(0, 1, (3, 4, 4, 3))
    w, b = rng.normal(0, 0.5, (2, 3, 1, 1)), rng.normal(0, 0.1, 2)
    fc, fcb = rng.normal(0, 0.3, (32, 5)), rng.normal(0, 0.1, 5)
    nodes = [
        helper.make_node("Transpose", ["input"], ["nchw"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["nchw", "w", "b"], ["conv"]),
        helper.make_node("Transpose", ["conv"], ["nhwc"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["nhwc", "rows"], ["rows16"]),
        helper.make_node("Unsqueeze", ["rows16", "axis1"], ["wide"]),
        helper.make_node("Squeeze", ["wide", "axis1"], ["narrow"]),
        helper.make_node("Reshape", ["narrow", "flat"], ["features"]),
        helper.make_node("Gemm", ["features", "fc", "fcb"], ["logits"]),
    ]
    graph = helper.make_graph(
        nodes, "relayout",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 4, 4, 3])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 5])],
        [const("w", w), const("b", b), const("fc", fc), const("fcb", fcb),
         int64("rows", [0, 16, 2]), int64("axis1", [1]), int64("flat", [0, -1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "relayout.onnx"))
    f = lambda a: a.astype(np.float32).astype(np.float64)
    x = f(x)
    nchw = x.transpose(0, 3, 1, 2)
    conv = np.einsum("nchw,oc->nohw", nchw, f(w)[:, :, 0, 0]) + f(b).reshape(1, 2, 1, 1)
    features = conv.transpose(0, 2, 3, 1).reshape(3, 32)
    x.astype("<f4").tofile(os.path.join(out_dir, "relayout_input.bin"))
    (features @ f(fc) + f(fcb)).astype("<f4").tofile(os.path.join(out_dir, "relayout.bin"))


def resize(out_dir):
    """resize.onnx: nearest upsampling by 2 (asymmetric, floor: PyTorch's export of
    F.interpolate(scale_factor=2)) of [N, 3, 4, 4], flattened to [N, 192]; resize.bin
    its reference on unary_input.bin."""
    graph = helper.make_graph(
        [helper.make_node("Resize", ["input", "", "scales"], ["up"], mode="nearest",
                          coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
         helper.make_node("Flatten", ["up"], ["logits"], axis=1)],
        "resize",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 4, 4])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 192])],
        [const("scales", [1, 1, 2, 2])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "resize.onnx"))
    x = np.fromfile(os.path.join(out_dir, "unary_input.bin"), dtype="<f4").reshape(3, 3, 4, 4)
    up = x.repeat(2, axis=2).repeat(2, axis=3)
    up.reshape(3, 192).astype("<f4").tofile(os.path.join(out_dir, "resize.bin"))


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    user_cnn(out)
    unsupported(out)
    unary(out)
    dynamic_view(out)
    pad_and_norm(out)
    relayout(out)
    resize(out)
    print("fixtures written to", out)
