#!/usr/bin/python3
"""Generates testdata/onnx-legacy: small ONNX graphs that use the legacy and converter
forms camviz's ONNX legalization rewrites (camviz/models/legalize*.go), at the opsets
where those forms exist, with a float64 reference of each original graph.

Run with Debian's python3 (python3-onnx 1.12, python3-numpy, python3-torch):

    /usr/bin/python3 scripts/gen_legacy_onnx.py

For each fixture NAME it writes NAME.onnx, NAME.input.npy (float32 [1, 3, H, W]) and,
for graphs that must load, NAME.ref.npy: the float64 value of the graph's score tensor,
computed by the small evaluator below on the ORIGINAL graph (legacy semantics, from the
ONNX operator specifications), never on camviz's rewritten one. Convolutions and pooling
use torch.nn.functional in float64 (an independent implementation of the same
definitions, PyTorch's ceil_mode rule included); the rest is NumPy. The weights are
float32 values from a seeded generator; the evaluator casts them to float64.

The Go test (camviz/models/legalize_test.go) loads each file with models.LoadONNX and
compares the score with NAME.ref.npy (relative 1e-5), checks labels, input hints and
the error messages of the fixtures that must not load.
"""
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "onnx-legacy")
rng = np.random.RandomState(20261130)


def w(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# ---------------------------------------------------------------- reference evaluator
def conv(x, wt, b, strides, pads, dil, group):
    r = len(strides)
    # ONNX pads [b1, b2, e1, e2] -> F.pad wants (e.g. 2-D) (left, right, top, bottom)
    fp = []
    for i in reversed(range(r)):
        fp += [pads[i], pads[i + r]]
    xt = F.pad(torch.from_numpy(x), fp)
    y = F.conv2d(xt, torch.from_numpy(wt), None if b is None else torch.from_numpy(b),
                 stride=strides, dilation=dil, groups=group)
    return y.numpy()


def same_pads(in_dims, k, s, d, mode):
    pads_b, pads_e = [], []
    for i, n in enumerate(in_dims):
        out = -(-n // s[i])
        total = max((out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - n, 0)
        small, big = total // 2, total - total // 2
        if mode == "SAME_UPPER":
            pads_b.append(small), pads_e.append(big)
        else:
            pads_b.append(big), pads_e.append(small)
    return pads_b + pads_e


def window_attrs(node, x, wt=None):
    a = {at.name: helper.get_attribute_value(at) for at in node.attribute}
    r = x.ndim - 2
    k = list(a.get("kernel_shape", wt.shape[2:] if wt is not None else []))
    s = list(a.get("strides", [1] * r))
    d = list(a.get("dilations", [1] * r))
    pads = list(a.get("pads", [0] * (2 * r)))
    ap = a.get("auto_pad", b"NOTSET")
    ap = ap.decode() if isinstance(ap, bytes) else ap
    if ap in ("SAME_UPPER", "SAME_LOWER"):
        pads = same_pads(x.shape[2:], k, s, d, ap)
    elif ap == "VALID":
        pads = [0] * (2 * r)
    return a, k, s, d, pads


def pool(node, x):
    """MaxPool/AveragePool through torch: with its own (symmetric) padding, so that its
    ceil_mode rule (the last window starts inside the input or its begin padding) and
    its count_include_pad divisor (the window clipped to the padded input) apply; an
    asymmetric padding (auto_pad SAME) is applied first, with -inf or uncounted zeros."""
    a, k, s, d, pads = window_attrs(node, x)
    ceil = bool(a.get("ceil_mode", 0))
    include = bool(a.get("count_include_pad", 0))
    t = torch.from_numpy(x)
    r = len(k)
    if pads[:r] == pads[r:]:
        if node.op_type == "MaxPool":
            return F.max_pool2d(t, k, s, pads[:r], ceil_mode=ceil).numpy()
        return F.avg_pool2d(t, k, s, pads[:r], ceil_mode=ceil, count_include_pad=include).numpy()
    assert not ceil and not include, "asymmetric pads with ceil_mode/count_include_pad: not in the fixtures"
    fp = []
    for i in reversed(range(r)):
        fp += [pads[i], pads[i + r]]
    if node.op_type == "MaxPool":
        return F.max_pool2d(F.pad(t, fp, value=-np.inf), k, s).numpy()
    sums = F.avg_pool2d(F.pad(t, fp), k, s, divisor_override=1)
    counts = F.avg_pool2d(F.pad(torch.ones_like(t), fp), k, s, divisor_override=1)
    return (sums / counts).numpy()


def softmax_legacy(x, axis, log):
    axis = axis % x.ndim
    m = x.reshape(int(np.prod(x.shape[:axis])), -1)
    e = np.exp(m - m.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    if log:
        p = np.log(p)
    return p.reshape(x.shape)


def upsample(x, scales, mode):
    out_shape = [int(np.floor(n * s)) for n, s in zip(x.shape, scales)]
    y = x
    for ax, (n_in, n_out, s) in enumerate(zip(x.shape, out_shape, scales)):
        if n_in == n_out:
            continue
        xo = np.arange(n_out) / s  # asymmetric: x_in = x_out / scale
        if mode == "nearest":
            idx = np.minimum(np.floor(xo).astype(int), n_in - 1)
            y = np.take(y, idx, axis=ax)
        else:
            lo = np.minimum(np.floor(xo).astype(int), n_in - 1)
            hi = np.minimum(lo + 1, n_in - 1)
            f = (xo - lo).reshape([-1 if i == ax else 1 for i in range(y.ndim)])
            y = np.take(y, lo, axis=ax) * (1 - f) + np.take(y, hi, axis=ax) * f
    return y


def evaluate(model, inputs, want):
    """Evaluates the graph in float64 and returns the value named want."""
    g = model.graph
    opset = [o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0]
    v = {t.name: numpy_helper.to_array(t).astype(np.float64) if numpy_helper.to_array(t).dtype.kind == "f"
         else numpy_helper.to_array(t) for t in g.initializer}
    v.update({k: a.astype(np.float64) for k, a in inputs.items()})
    for n in g.node:
        op = n.op_type
        if op in ("ArgMax", "ZipMap", "ArrayFeatureExtractor", "LabelEncoder", "ConvTranspose"):
            continue  # label branches and the unsupported fixture: not part of the score
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        ins = [v[i] if i else None for i in n.input]
        if op == "Conv":
            wt = ins[1]
            _, k, s, d, pads = window_attrs(n, ins[0], wt)
            out = conv(ins[0], wt, ins[2] if len(ins) > 2 else None, s, pads, d, a.get("group", 1))
        elif op in ("MaxPool", "AveragePool"):
            out = pool(n, ins[0])
        elif op == "ImageScaler":
            out = ins[0] * a.get("scale", 1.0) + np.array(a["bias"]).reshape(1, -1, 1, 1)
        elif op == "BatchNormalization":
            x, sc, b, m, var = ins
            sh = (1, -1) + (1,) * (x.ndim - 2)
            out = sc.reshape(sh) * (x - m.reshape(sh)) / np.sqrt(var.reshape(sh) + a.get("epsilon", 1e-5)) + b.reshape(sh)
        elif op == "Relu":
            out = np.maximum(ins[0], 0)
        elif op == "Sigmoid":
            out = 1 / (1 + np.exp(-ins[0]))
        elif op in ("Softmax", "LogSoftmax"):
            if opset < 13:
                out = softmax_legacy(ins[0], a.get("axis", 1), op == "LogSoftmax")
            else:
                ax = a.get("axis", -1)
                e = np.exp(ins[0] - ins[0].max(axis=ax, keepdims=True))
                out = e / e.sum(axis=ax, keepdims=True)
                out = np.log(out) if op == "LogSoftmax" else out
        elif op == "GlobalAveragePool":
            out = ins[0].mean(axis=(2, 3), keepdims=True)
        elif op == "GlobalMaxPool":
            out = ins[0].max(axis=(2, 3), keepdims=True)
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            A = A.T if a.get("transA", 0) else A
            B = B.T if a.get("transB", 0) else B
            out = a.get("alpha", 1.0) * A @ B
            if len(ins) > 2:
                out = out + a.get("beta", 1.0) * ins[2]
        elif op == "Pad":
            if opset < 11:
                pads, val, mode = a.get("pads", a.get("paddings")), a.get("value", 0.0), a.get("mode", b"constant")
            else:
                pads, mode = list(ins[1]), a.get("mode", b"constant")
                val = ins[2].item() if len(ins) > 2 and ins[2] is not None else 0.0
            mode = mode.decode() if isinstance(mode, bytes) else mode
            r = ins[0].ndim
            pw = [(pads[i], pads[i + r]) for i in range(r)]
            out = np.pad(ins[0], pw, mode="constant", constant_values=val) if mode == "constant" else np.pad(ins[0], pw, mode=mode)
        elif op == "Reshape":
            shape = list(a["shape"]) if opset < 5 else list(ins[1])
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            out = ins[0].reshape(shape)
        elif op == "Slice":
            if opset < 10:
                starts, ends, axes = a["starts"], a["ends"], a.get("axes", range(len(a["starts"])))
            else:
                starts, ends = list(ins[1]), list(ins[2])
                axes = list(ins[3]) if len(ins) > 3 else range(len(starts))
            sl = [slice(None)] * ins[0].ndim
            for st, en, ax in zip(starts, ends, axes):
                sl[ax] = slice(st, en)
            out = ins[0][tuple(sl)]
        elif op == "Clip":
            if opset < 11:
                lo, hi = a.get("min", -np.inf), a.get("max", np.inf)
            else:
                lo = ins[1] if len(ins) > 1 and ins[1] is not None else -np.inf
                hi = ins[2] if len(ins) > 2 and ins[2] is not None else np.inf
            out = np.minimum(np.maximum(ins[0], lo), hi)
        elif op == "Unsqueeze":
            out = ins[0]
            for ax in sorted(a["axes"] if opset < 13 else list(ins[1])):
                out = np.expand_dims(out, ax)
        elif op == "Squeeze":
            out = np.squeeze(ins[0], axis=tuple(a["axes"] if opset < 13 else list(ins[1])))
        elif op == "Split":
            split = a.get("split") if opset < 13 else (list(ins[1]) if len(ins) > 1 else None)
            ax = a.get("axis", 0)
            if split is None:
                parts = np.split(ins[0], len(n.output), axis=ax)
            else:
                parts = np.split(ins[0], np.cumsum(split)[:-1], axis=ax)
            for name, p in zip(n.output, parts):
                v[name] = p
            continue
        elif op == "Concat":
            out = np.concatenate(ins, axis=a["axis"])
        elif op == "Sum":
            out = sum(ins)
        elif op == "LRN":
            # ONNX LRN: square_sum[c] = sum of x[c']^2 for c' in [c - floor((size-1)/2), c + ceil((size-1)/2)]
            size, x = a["size"], ins[0]
            lo, hi = (size - 1) // 2, size - 1 - (size - 1) // 2
            sq = np.zeros_like(x)
            for c in range(x.shape[1]):
                sq[:, c] = (x[:, max(0, c - lo):min(x.shape[1], c + hi + 1)] ** 2).sum(axis=1)
            out = x / (a.get("bias", 1.0) + a.get("alpha", 1e-4) / size * sq) ** a.get("beta", 0.75)
        elif op == "LpPool":
            # ONNX LpPool: (sum over the window of |x|^p)^(1/p), padding counted as zeros
            _, k, st, _, pads = window_attrs(n, ins[0])
            pv = a.get("p", 2)
            xp = np.pad(np.abs(ins[0]) ** pv, [(0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])])
            oh, ow = (xp.shape[2] - k[0]) // st[0] + 1, (xp.shape[3] - k[1]) // st[1] + 1
            out = np.zeros(ins[0].shape[:2] + (oh, ow))
            for i in range(oh):
                for j in range(ow):
                    out[:, :, i, j] = xp[:, :, i * st[0]:i * st[0] + k[0], j * st[1]:j * st[1] + k[1]].sum(axis=(2, 3))
            out = out ** (1.0 / pv)
        elif op == "PRelu":
            out = np.where(ins[0] >= 0, ins[0], ins[1] * ins[0])
        elif op == "MatMul":
            out = ins[0] @ ins[1]
        elif op in ("Add", "Mul", "Sub"):
            out = {"Add": np.add, "Mul": np.multiply, "Sub": np.subtract}[op](ins[0], ins[1])
        elif op == "Upsample":
            scales = a["scales"] if opset < 9 else list(ins[1])
            mode = a.get("mode", b"nearest").decode()
            out = upsample(ins[0], scales, "nearest" if mode == "nearest" else "linear")
        elif op == "Resize":
            mode = a.get("mode", b"nearest").decode()
            assert a.get("coordinate_transformation_mode", b"").decode() == "asymmetric"
            out = upsample(ins[0], list(ins[2]), mode)
        elif op == "Cast":
            # Float casts are the identity in this float64 evaluation (a float16 graph is
            # evaluated in float64 from its exact float16 weights and inputs: the function
            # the model computes, without float16 rounding of the intermediates).
            assert a["to"] in (TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.DOUBLE)
            out = ins[0]
        elif op in ("Dropout", "Identity"):
            out = ins[0]
            if len(n.output) > 1 and n.output[1]:
                v[n.output[1]] = np.ones(ins[0].shape, dtype=bool)
        elif op == "Constant":
            out = numpy_helper.to_array(a["value"])
            out = out.astype(np.float64) if out.dtype.kind == "f" else out
        else:
            raise SystemExit(f"evaluator: op {op} not implemented")
        v[n.output[0]] = out
    return v[want]


# ---------------------------------------------------------------- fixtures
def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def map_type():
    """map(string, float), ZipMap's element type (onnx 1.12's helper has no maker for it)."""
    t = onnx.TypeProto()
    t.map_type.key_type = TensorProto.STRING
    t.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    return t


def init(name, a):
    return numpy_helper.from_array(a, name)


def save(name, nodes, inits, opset, outputs, score, hw=(8, 8), ml=False, check=True, props=None, doc="",
         ref=True, raw_outputs=None, elem=TensorProto.FLOAT, ir=None, weights_as_inputs=False):
    inputs = [vi("image", [1, 3, hw[0], hw[1]], elem)]
    if weights_as_inputs:  # ir_version 3 style: every initializer is also a graph input
        inputs += [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in inits]
    g = helper.make_graph(nodes, name, inputs, raw_outputs if raw_outputs is not None else outputs, inits)
    imports = [helper.make_opsetid("", opset)]
    if ml:
        imports.append(helper.make_opsetid("ai.onnx.ml", 1))
    m = helper.make_model(g, opset_imports=imports, producer_name="camviz gen_legacy_onnx.py", doc_string=doc)
    m.ir_version = ir or (4 if opset < 9 else 6)
    for k, val in (props or {}).items():
        e = m.metadata_props.add()
        e.key, e.value = k, val
    if check:
        onnx.checker.check_model(m)
    x = (rng.standard_normal((1, 3) + tuple(hw))).astype(np.float32)
    if elem == TensorProto.FLOAT16:
        x = x.astype(np.float16).astype(np.float32)  # the float16 picture, fed as float32
    onnx.save(m, os.path.join(OUT, name + ".onnx"))
    np.save(os.path.join(OUT, name + ".input.npy"), x)
    if ref:
        y = evaluate(m, {"image": x}, score)
        np.save(os.path.join(OUT, name + ".ref.npy"), y.astype(np.float64))
        print(f"{name}: opset {opset}, score {score} {list(y.shape)}")
    else:
        print(f"{name}: opset {opset} (must not load)")


def head(prefix, x, c_in, classes, nodes, inits):
    """Appends GlobalAveragePool → Flatten → Gemm(transB=1) and returns the Gemm output."""
    nodes += [helper.make_node("GlobalAveragePool", [x], [prefix + "gap"], name=prefix + "gap"),
              helper.make_node("Flatten", [prefix + "gap"], [prefix + "flat"], name=prefix + "flatten", axis=1),
              helper.make_node("Gemm", [prefix + "flat", prefix + "fc.w", prefix + "fc.b"], [prefix + "logits"],
                               name=prefix + "fc", transB=1)]
    inits += [init(prefix + "fc.w", w(classes, c_in)), init(prefix + "fc.b", w(classes))]
    return prefix + "logits"


def bn_inits(p, c):
    return [init(p + ".scale", w(c) + 1), init(p + ".bias", w(c)), init(p + ".mean", w(c)),
            init(p + ".var", np.abs(w(c)) + 0.5)]


def main():
    os.makedirs(OUT, exist_ok=True)

    # 1. ImageScaler, BatchNormalization with momentum/spatial (opset 7), auto_pad on Conv
    #    and MaxPool, a Sum of three branches, GlobalMaxPool.
    nodes = [
        helper.make_node("ImageScaler", ["image"], ["scaled"], name="scaler", scale=0.5, bias=[-0.3, 0.2, 0.1]),
        helper.make_node("Conv", ["scaled", "c1.w", "c1.b"], ["c1"], name="conv_same_upper", kernel_shape=[3, 3],
                         strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["bn"], name="bn",
                         momentum=0.99, spatial=1, epsilon=1e-3),
        helper.make_node("Relu", ["bn"], ["r1"], name="relu"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="pool_same_lower", kernel_shape=[2, 2], strides=[1, 1],
                         auto_pad="SAME_LOWER"),
        helper.make_node("Conv", ["r1", "c2.w"], ["c2"], name="conv_valid", kernel_shape=[1, 1], auto_pad="VALID"),
        helper.make_node("Sum", ["p1", "c2", "r1"], ["sum"], name="sum3"),
        helper.make_node("Conv", ["sum", "c3.w"], ["c3"], name="conv_same_lower", kernel_shape=[2, 2], auto_pad="SAME_LOWER"),
    ]
    inits = [init("c1.w", w(4, 3, 3, 3)), init("c1.b", w(4)), init("c2.w", w(4, 4, 1, 1)), init("c3.w", w(4, 4, 2, 2))]
    inits += bn_inits("bn", 4)
    logits = head("", "c3", 4, 5, nodes, inits)
    save("scaler_bn_autopad_opset7", nodes, inits, 7, [vi(logits, [1, 5])], logits, hw=(9, 9), check=False)

    # 2. Opset-2 Pad (pads, value, mode as attributes; constant and reflect), BatchNormalization
    #    with is_test and consumed_inputs (opset 5), Reshape with its shape attribute (opset
    #    < 5 is checked by fixture 3).
    nodes = [
        helper.make_node("Pad", ["image"], ["pad_c"], name="pad_constant", pads=[0, 0, 1, 2, 0, 0, 2, 1], value=0.75),
        helper.make_node("Pad", ["pad_c"], ["pad_r"], name="pad_reflect", pads=[0, 0, 1, 1, 0, 0, 1, 1], mode="reflect"),
        helper.make_node("Conv", ["pad_r", "c1.w", "c1.b"], ["c1"], name="conv", kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c1", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["bn"], name="bn",
                         is_test=1, consumed_inputs=[0, 0, 0, 1, 1], epsilon=1e-5, momentum=0.9997),
    ]
    inits = [init("c1.w", w(4, 3, 3, 3)), init("c1.b", w(4))] + bn_inits("bn", 4)
    logits = head("", "bn", 4, 6, nodes, inits)
    save("pad_bn_opset2", nodes, inits, 2, [vi(logits, [1, 6])], logits, check=False)

    # 3. Attribute forms (opset 4): Slice, Clip, Unsqueeze/Squeeze, Split, Reshape; Softmax
    #    and LogSoftmax with the coerce-to-2-D axis semantics; the score is a Softmax's
    #    output chosen by name (ONNXOptions.Score).
    nodes = [
        helper.make_node("Slice", ["image"], ["sl"], name="slice", starts=[1, 0], ends=[7, 8], axes=[2, 3]),
        helper.make_node("Clip", ["sl"], ["cl"], name="clip", min=-0.5, max=0.8),
        helper.make_node("Unsqueeze", ["cl"], ["un"], name="unsqueeze", axes=[0]),
        helper.make_node("Squeeze", ["un"], ["sq"], name="squeeze", axes=[0]),
        helper.make_node("Split", ["sq"], ["s1", "s2"], name="split", axis=1, split=[1, 2]),
        helper.make_node("LogSoftmax", ["s2"], ["ls"], name="logsoftmax_axis2", axis=2),
        helper.make_node("Concat", ["ls", "s1"], ["cat"], name="concat", axis=1),
        helper.make_node("Reshape", ["cat"], ["flat"], name="reshape", shape=[1, -1]),
        helper.make_node("Softmax", ["flat"], ["prob"], name="softmax"),
    ]
    save("attr_forms_opset4", nodes, [], 4, [vi("prob", [1, 144])], "prob")

    # 4. ceil_mode (opset 10) on MaxPool and AveragePool, count_include_pad 0 and 1, with
    #    declared pads; Upsample (opset 9, scales input, nearest).
    nodes = [
        helper.make_node("Conv", ["image", "c1.w"], ["c1"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("MaxPool", ["c1"], ["mp"], name="maxpool_ceil", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1),
        helper.make_node("AveragePool", ["c1"], ["ap0"], name="avgpool_ceil_excl", kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 0, 1, 0], ceil_mode=1),
        helper.make_node("AveragePool", ["c1"], ["ap1"], name="avgpool_ceil_incl", kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1, 1, 1, 1], ceil_mode=1, count_include_pad=1),
        helper.make_node("AveragePool", ["c1"], ["ap2"], name="avgpool_incl", kernel_shape=[2, 2], strides=[2, 2],
                         pads=[1, 1, 1, 1], count_include_pad=1),
        helper.make_node("Upsample", ["ap2", "scales"], ["up"], name="upsample_nearest", mode="nearest"),
        helper.make_node("Flatten", ["mp"], ["f1"], name="f1"),
        helper.make_node("Flatten", ["ap0"], ["f2"], name="f2"),
        helper.make_node("Flatten", ["ap1"], ["f3"], name="f3"),
        helper.make_node("Flatten", ["up"], ["f4"], name="f4"),
        helper.make_node("Concat", ["f1", "f2", "f3", "f4"], ["scores"], name="concat", axis=1),
    ]
    inits = [init("c1.w", w(2, 3, 3, 3)), init("scales", np.array([1, 1, 2, 2], np.float32))]
    save("ceil_pools_upsample_opset10", nodes, inits, 10, [vi("scores", [1, None])], "scores", hw=(9, 10), check=False)

    # 5. Upsample with the scales attribute (opset 7), linear; Dropout (opset 7, ratio
    #    attribute and a mask output nobody reads); an Identity chain ending at the graph
    #    output.
    nodes = [
        helper.make_node("Upsample", ["image"], ["up"], name="upsample_linear", mode="linear", scales=[1.0, 1.0, 2.0, 2.0]),
        helper.make_node("Conv", ["up", "c1.w"], ["c1"], name="conv", kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("Dropout", ["c1"], ["d1", "mask"], name="dropout", ratio=0.3),
        helper.make_node("Identity", ["d1"], ["i1"], name="identity1"),
        helper.make_node("Flatten", ["i1"], ["flat"], name="flatten"),
        helper.make_node("Identity", ["flat"], ["i2"], name="identity2"),
        helper.make_node("Identity", ["i2"], ["logits"], name="identity3"),
    ]
    save("upsample_dropout_identity_opset7", nodes, [init("c1.w", w(2, 3, 3, 3))], 7, [vi("logits", [1, None])], "logits")

    # 6. Opset 13: Dropout with ratio and training_mode inputs, empty optional inputs (Pad's
    #    constant_value, Clip's min, Resize's roi), LogSoftmax at opset 13, a Softmax head
    #    (default score: its input) and a graph output without a type.
    nodes = [
        helper.make_node("Constant", [], ["ratio"], name="ratio", value=numpy_helper.from_array(np.array(0.2, np.float32))),
        helper.make_node("Constant", [], ["train"], name="train", value=numpy_helper.from_array(np.array(False))),
        helper.make_node("Dropout", ["image", "ratio", "train"], ["d0"], name="dropout13"),
        helper.make_node("Pad", ["d0", "pads", ""], ["pad"], name="pad_empty_value"),
        helper.make_node("Clip", ["pad", "", "hi"], ["clip"], name="clip_no_min"),
        helper.make_node("Resize", ["clip", "", "scales"], ["rs"], name="resize_no_roi", mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor"),
        helper.make_node("Conv", ["rs", "c1.w", "c1.b"], ["c1"], name="conv", kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("LogSoftmax", ["c1"], ["lsm"], name="logsoftmax13", axis=1),
    ]
    inits = [init("pads", np.array([0, 0, 1, 0, 0, 0, 0, 1], np.int64)), init("hi", np.array(0.6, np.float32)),
             init("scales", np.array([1, 1, 2, 2], np.float32)), init("c1.w", w(4, 3, 3, 3)), init("c1.b", w(4))]
    logits = head("", "lsm", 4, 7, nodes, inits)
    nodes.append(helper.make_node("Softmax", [logits], ["prob"], name="softmax13", axis=-1))
    untyped = onnx.ValueInfoProto()
    untyped.name = "prob"
    save("empty_inputs_opset13", nodes, inits, 13, None, logits, raw_outputs=[untyped], check=False)

    # 7. A WinML-style converted classifier (opset 8, OnnxMLTools): BGR 0-255 metadata,
    #    ImageScaler, Gemm → Sigmoid, ZipMap with string labels (output "loss") and
    #    ArgMax → ArrayFeatureExtractor over a string constant (output "classLabel").
    labels = ["tench", "goldfish", "great white shark", "tiger shark"]
    nodes = [
        helper.make_node("ImageScaler", ["image"], ["scaled"], name="scaler", scale=1.0 / 255, bias=[-0.4, -0.45, -0.5]),
        helper.make_node("Conv", ["scaled", "c1.w", "c1.b"], ["c1"], name="conv", kernel_shape=[3, 3], auto_pad="SAME_UPPER"),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu"),
    ]
    inits = [init("c1.w", w(3, 3, 3, 3)), init("c1.b", w(3))]
    logits = head("", "r1", 3, 4, nodes, inits)
    nodes += [
        helper.make_node("Sigmoid", [logits], ["prob"], name="sigmoid"),
        helper.make_node("ZipMap", ["prob"], ["loss"], name="zipmap", domain="ai.onnx.ml", classlabels_strings=labels),
        helper.make_node("ArgMax", ["prob"], ["best"], name="argmax", axis=1, keepdims=1),
        helper.make_node("ArrayFeatureExtractor", ["labels", "best"], ["classLabel"], name="label", domain="ai.onnx.ml"),
    ]
    inits.append(helper.make_tensor("labels", TensorProto.STRING, [4], [s.encode() for s in labels]))
    outs = [helper.make_tensor_value_info("classLabel", TensorProto.STRING, [1, 1]),
            helper.make_value_info("loss", helper.make_sequence_type_proto(map_type()))]
    save("zipmap_labels_opset8", nodes, inits, 8, None, logits, ml=True, check=False, raw_outputs=outs,
         props={"Image.BitmapPixelFormat": "Bgr8", "Image.NominalPixelRange": "NominalRange_0_255"}, hw=(6, 6))

    # 8. ArgMax → LabelEncoder (ai.onnx.ml v1, classes_strings): the labels and the scores
    #    behind ArgMax; no ZipMap.
    nodes = [helper.make_node("Conv", ["image", "c1.w"], ["c1"], name="conv", kernel_shape=[1, 1])]
    inits = [init("c1.w", w(3, 3, 1, 1))]
    logits = head("", "c1", 3, 3, nodes, inits)
    nodes += [helper.make_node("ArgMax", [logits], ["best"], name="argmax", axis=1, keepdims=0),
              helper.make_node("LabelEncoder", ["best"], ["label"], name="encoder", domain="ai.onnx.ml",
                               classes_strings=["cat", "dog", "bird"], default_string="?")]
    save("labelencoder_opset9", nodes, inits, 9, None, logits, ml=True, check=False,
         raw_outputs=[helper.make_tensor_value_info("label", TensorProto.STRING, [1])], doc="Expects BGR images.")

    # 9. An op onnx-gomlx does not implement (ConvTranspose): one error naming it.
    nodes = [helper.make_node("ConvTranspose", ["image", "ct.w"], ["ct"], name="upconv", kernel_shape=[2, 2],
                              strides=[2, 2], auto_pad="SAME_UPPER"),
             helper.make_node("GlobalAveragePool", ["ct"], ["gap"], name="gap"),
             helper.make_node("Flatten", ["gap"], ["logits"], name="flatten")]
    save("unsupported_convtranspose_opset9", nodes, [init("ct.w", w(3, 2, 2, 2))], 9, [vi("logits", [1, 2])], "logits",
         ref=False)

    # 10. A malformed node onnx-gomlx panics on (Conv pads of the wrong length): the error
    #     names the node.
    nodes = [helper.make_node("Conv", ["image", "c1.w"], ["c1"], name="bad_conv", kernel_shape=[3, 3], pads=[1, 1]),
             helper.make_node("GlobalAveragePool", ["c1"], ["gap"], name="gap"),
             helper.make_node("Flatten", ["gap"], ["logits"], name="flatten")]
    save("malformed_conv_pads", nodes, [init("c1.w", w(2, 3, 3, 3))], 13, [vi("logits", [1, 2])], "logits",
         check=False, ref=False)

    # 11. Ops onnx-gomlx lacks that Caffe-era classifiers use, lowered by camviz: LRN
    #     (odd and even window sizes, 6 channels so the window meets both ends), PRelu,
    #     GlobalMaxPool.
    nodes = [
        helper.make_node("Conv", ["image", "c1.w", "c1.b"], ["c1"], name="conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("LRN", ["c1"], ["lrn5"], name="lrn5", size=5, alpha=0.02, beta=0.75, bias=1.5),
        helper.make_node("LRN", ["lrn5"], ["lrn4"], name="lrn4", size=4, alpha=0.5, beta=0.6),
        helper.make_node("PRelu", ["lrn4", "slope"], ["pr"], name="prelu"),
        helper.make_node("GlobalMaxPool", ["pr"], ["gmp"], name="gmp"),
        helper.make_node("Flatten", ["gmp"], ["scores"], name="flatten"),
    ]
    inits = [init("c1.w", w(6, 3, 3, 3, scale=1.0)), init("c1.b", w(6)), init("slope", w(6, 1, 1))]
    save("lrn_prelu_gmp_opset9", nodes, inits, 9, [vi("scores", [1, 6])], "scores")

    # 12. The ONNX zoo's SqueezeNet head (opset 8): GlobalAveragePool → Softmax(axis=1) on
    #     [1, C, 1, 1], the graph output. The default score is the Softmax's input, squeezed
    #     to [1, C].
    nodes = [
        helper.make_node("Conv", ["image", "c1.w", "c1.b"], ["c1"], name="conv10", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu_conv10"),
        helper.make_node("GlobalAveragePool", ["r1"], ["pool10"], name="pool10"),
        helper.make_node("Softmax", ["pool10"], ["softmaxout_1"], name="softmax"),
        helper.make_node("Flatten", ["pool10"], ["pool10_flat"], name="reference_only"),
    ]
    inits = [init("c1.w", w(5, 3, 1, 1)), init("c1.b", w(5))]
    save("squeezenet_head_opset8", nodes, inits, 8, [vi("softmaxout_1", [1, 5, 1, 1])], "pool10_flat")

    # 13. An input fixed to a batch of one, a Reshape to [1, -1] (freed: camviz batches) and
    #     a Concat with a [1, …] constant, which binds the batch to one: a batch of two must
    #     fail with an error naming that node.
    nodes = [
        helper.make_node("Concat", ["image", "extra"], ["cat"], name="concat_const", axis=1),
        helper.make_node("Conv", ["cat", "c1.w"], ["c1"], name="conv", kernel_shape=[3, 3]),
        helper.make_node("Reshape", ["c1", "shape"], ["scores"], name="reshape_batch1"),
    ]
    inits = [init("extra", w(1, 1, 8, 8)), init("c1.w", w(2, 4, 3, 3)), init("shape", np.array([1, -1], np.int64))]
    save("batch_bound_opset13", nodes, inits, 13, [vi("scores", [1, 72])], "scores")

    # 14. LpPool (not in onnx-gomlx; camviz lowers it): p = 2 with auto_pad SAME_UPPER and
    #     stride 2, p = 3 with explicit pads.
    nodes = [
        helper.make_node("LpPool", ["image"], ["lp2"], name="lppool2", kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"),
        helper.make_node("LpPool", ["lp2"], ["lp3"], name="lppool3", kernel_shape=[2, 2], pads=[1, 0, 0, 1], p=3),
        helper.make_node("Flatten", ["lp3"], ["scores"], name="flatten"),
    ]
    save("lppool_opset11", nodes, [], 11, [vi("scores", [1, None])], "scores", hw=(9, 8))

    # 15. MaxPool and AveragePool without a strides attribute: ONNX's default is 1 (GoMLX's
    #     pools default to the window size).
    nodes = [
        helper.make_node("MaxPool", ["image"], ["mp"], name="maxpool_no_strides", kernel_shape=[2, 2]),
        helper.make_node("AveragePool", ["mp"], ["ap"], name="avgpool_no_strides", kernel_shape=[3, 2]),
        helper.make_node("Flatten", ["ap"], ["scores"], name="flatten"),
    ]
    save("pool_default_strides_opset7", nodes, [], 7, [vi("scores", [1, None])], "scores", hw=(7, 6))

    # 16. Upsample nearest by 3 and by 1.5 (opset 9): floor(x_out / scale) picks the source
    #     pixel, which rounding would not.
    nodes = [
        helper.make_node("Upsample", ["image", "s3"], ["up3"], name="upsample_x3", mode="nearest"),
        helper.make_node("Upsample", ["up3", "s15"], ["up15"], name="upsample_x1_5", mode="nearest"),
        helper.make_node("Flatten", ["up15"], ["scores"], name="flatten"),
    ]
    inits = [init("s3", np.array([1, 1, 3, 3], np.float32)), init("s15", np.array([1, 1, 1.5, 1.5], np.float32))]
    save("upsample_nearest_x3_opset9", nodes, inits, 9, [vi("scores", [1, None])], "scores", hw=(3, 2))

    # 17. A float16 model in the old Caffe2 → ONNX style (ir_version 3, opset 7, like
    #     WinML's SqueezeNet_fp16.onnx): a float16 image input; float16 weights stored both
    #     as raw_data and as int32_data, listed also as graph inputs; a weight with
    #     subnormal, negative-zero and large (65504) float16 values; a float16 Constant;
    #     Cast(to=FLOAT16); Dropout with a mask; Conv1x1 → Relu → GlobalAveragePool →
    #     Softmax head. camviz computes it in float32 (legalize_float16.go).
    f16 = lambda a: a.astype(np.float16)
    c1w = f16(w(4, 3, 3, 3))
    c1w[0, 0, 0, :3] = np.array([6e-8, -3e-5, -0.0], np.float16)  # subnormals and -0
    c2w = f16(w(5, 4, 1, 1))
    c2w[0, 0, 0, 0] = np.float16(65504) / np.float16(8192)  # 7.996: the largest float16 scaled by 2^-13
    c1b = numpy_helper.from_array(f16(w(4)), "c1.b")
    c1b_int32 = onnx.TensorProto(name="c1.b", data_type=TensorProto.FLOAT16, dims=[4])
    c1b_int32.int32_data.extend(int(b) for b in f16(numpy_helper.to_array(c1b)).view(np.uint16))
    nodes = [
        helper.make_node("Conv", ["image", "c1.w", "c1.b"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
        helper.make_node("Constant", [], ["half"], name="half",
                         value=numpy_helper.from_array(np.array([1.5], np.float16), "half")),
        helper.make_node("Mul", ["r1", "half"], ["m1"], name="scale"),
        helper.make_node("Cast", ["m1"], ["m1h"], name="cast_fp16", to=TensorProto.FLOAT16),
        helper.make_node("Dropout", ["m1h"], ["d1", "d1_mask"], name="dropout", ratio=0.5),
        helper.make_node("Conv", ["d1", "c2.w", "c2.b"], ["c2"], name="conv10", kernel_shape=[1, 1]),
        helper.make_node("Relu", ["c2"], ["r2"], name="relu10"),
        helper.make_node("GlobalAveragePool", ["r2"], ["pool10"], name="pool10"),
        helper.make_node("Softmax", ["pool10"], ["softmaxout"], name="softmax"),
        helper.make_node("Flatten", ["pool10"], ["pool10_flat"], name="reference_only"),
    ]
    inits = [init("c1.w", c1w), c1b_int32, init("c2.w", c2w), init("c2.b", f16(w(5)))]
    save("float16_caffe2_opset7", nodes, inits, 7, [vi("softmaxout", [1, 5, 1, 1], TensorProto.FLOAT16)], "pool10_flat",
         elem=TensorProto.FLOAT16, ir=3, weights_as_inputs=True)

    # Conv → BatchNormalization pairs as tf2onnx, Caffe2 and keras2onnx export them (PyTorch
    # folds them itself): a Conv with bias, a grouped Conv without bias (epsilon 1e-3), and a
    # Conv whose output is also read by an Add, which camviz must not fold.
    nodes = [
        helper.make_node("Conv", ["image", "c1.w", "c1.b"], ["c1"], name="conv1", kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["c1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"], ["bn1"], name="bn1"),
        helper.make_node("Relu", ["bn1"], ["r1"], name="relu1"),
        helper.make_node("Conv", ["r1", "c2.w"], ["c2"], name="conv2", kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                         strides=[2, 2], group=2),
        helper.make_node("BatchNormalization", ["c2", "bn2.scale", "bn2.bias", "bn2.mean", "bn2.var"], ["bn2"], name="bn2",
                         epsilon=1e-3),
        helper.make_node("Relu", ["bn2"], ["r2"], name="relu2"),
        helper.make_node("Conv", ["r2", "c3.w", "c3.b"], ["c3"], name="conv3", kernel_shape=[1, 1]),
        helper.make_node("BatchNormalization", ["c3", "bn3.scale", "bn3.bias", "bn3.mean", "bn3.var"], ["bn3"], name="bn3"),
        helper.make_node("Add", ["bn3", "c3"], ["res"], name="residual"),
        helper.make_node("Relu", ["res"], ["r3"], name="relu3"),
    ]
    inits = [init("c1.w", w(4, 3, 3, 3)), init("c1.b", w(4)), init("c2.w", w(6, 2, 3, 3)),
             init("c3.w", w(6, 6, 1, 1)), init("c3.b", w(6))]
    inits += bn_inits("bn1", 4) + bn_inits("bn2", 6) + bn_inits("bn3", 6)
    logits = head("", "r3", 6, 3, nodes, inits)
    save("conv_bn_fold_opset9", nodes, inits, 9, [vi(logits, [1, 3])], logits, hw=(10, 10))


if __name__ == "__main__":
    sys.exit(main())
