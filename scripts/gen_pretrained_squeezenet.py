#!/usr/bin/python3
"""References for testdata/pretrained/squeezenet1.1-fp16: WinML's SqueezeNet_fp16.onnx, the
Caffe2-exported SqueezeNet v1.1 pretrained on ImageNet (onnx-caffe2, ir_version 3, opset 7,
every tensor float16), shipped unmodified. Run through scripts/gen_pretrained_refs.py:

    /usr/bin/python3 scripts/gen_pretrained_refs.py squeezenet

Optionally, with pytorch-grad-cam and ttach checked out somewhere (never vendored):

    PYTORCH_GRAD_CAM=/tmp/pgc TTACH=/tmp/ttach /usr/bin/python3 scripts/gen_pretrained_refs.py squeezenet

the maps are also computed by pytorch-grad-cam's classes on the same float64 network and
must agree with the formulas below to 1e-9 (relative to the map's largest value).

Pictures: scikit-image's chelsea.png (a cat) and coffee.png (an espresso cup), from
Debian's python3-skimage (/usr/lib/python3/dist-packages/skimage/data/; CC0, see
SOURCE.md), resized to 224×224 with OpenCV's INTER_AREA and stored as NAME_224.png.

For each picture NAME it writes:

  NAME_224.png                 the 224×224 picture (RGB, 8 bits)
  NAME_logits.npy              float64 [1, 1000]: pool10_1 squeezed, the input of the
                               final Softmax (the score camviz picks by default)
  NAME_<L>_<Method>_raw.npy    float64 [1, h, w] raw maps for the predicted class at layer
                               L (conv10_2, fire9_concat_1, fire5_concat_1: ONNX names with
                               "/" → "_"), Method in GradCAM, HiResCAM, LayerCAM, XGradCAM,
                               GradCAMPlusPlus
  NAME_<L>_GradCAM_weights.npy float64 [1, K] Grad-CAM's channel weights
  NAME_<L>_ShapleyCAM_softmax_raw.npy  float64 [1, h, w] ShapleyCAM's raw map for the
                               softmax probability of the predicted class (pytorch-grad-cam's
                               ClassifierOutputSoftmaxTarget): a target whose Hessian is not
                               0, so its Hessian-vector product runs back through the ReLUs
                               and the overlapping 3×3 stride-2 max poolings

The input is the picture as camviz's --preset caffe makes it, in float32 exactly as
camviz computes it (datasets.LoadImage's level·257/65535, then ·255 − mean, channels
B, G, R): x[k] = fl(fl(fl(257·level/65535)·255) − mean[k]), mean (B, G, R) = (104, 117, 123).

The network is evaluated in float64 from the model's own float16 weights (exactly
representable in float64) twice, independently, and the two must agree to 1e-10:
the float64 evaluator of scripts/gen_legacy_onnx.py walking the ONNX graph, and a torch
float64 network built from the graph (each node output passed through an nn.Identity
named after it, so that autograd and pytorch-grad-cam can tap any layer). Float16
rounding of the intermediate values, which a float16 runtime would do, is not modelled:
camviz computes the model in float32 (legalize_float16.go), so its deviation from these
references is float32 rounding only. The maps use pytorch-grad-cam's formulas (v1.5.5):
  GradCAM:  α_k = mean_ij ∂y_c/∂A_kij,  raw = Σ_k α_k A_k
  HiResCAM: raw = Σ_k (∂y_c/∂A_k) ⊙ A_k
  LayerCAM: raw = Σ_k relu(∂y_c/∂A_k) ⊙ A_k
  XGradCAM: α_k = Σ_ij (∂y_c/∂A_kij · A_kij) / (Σ_ij A_kij + 1e-7),  raw = Σ_k α_k A_k
  GradCAM++: a = g² / (2g² + Σ_ij A_k · g³ + 1e-6) where g ≠ 0 (else 0),
            α_k = Σ_ij relu(g_kij) · a_kij,  raw = Σ_k α_k A_k
  ShapleyCAM (pytorch-grad-cam HEAD): g = ∂y/∂A for y = softmax(logits)_c, H·A =
            autograd.grad(g, A, grad_outputs=A), α_k = mean_ij (g − ½·H·A)_kij,
            raw = Σ_k α_k A_k
"""
import os
import sys

import cv2
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

from gen_legacy_onnx import evaluate

DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "pretrained", "squeezenet1.1-fp16")
SKIMAGE = "/usr/lib/python3/dist-packages/skimage/data"
MODEL = "SqueezeNet_fp16.onnx"
CAFFE_MEAN_BGR = np.array([104, 117, 123], np.float32)
LAYERS = ["conv10_2", "fire9/concat_1", "fire5/concat_1"]
# The pictures and the ImageNet classes the model must rank in its top 5 for each.
PICTURES = {"chelsea": {281, 282, 285}, "coffee": {967, 968}}  # tabby, tiger cat, Egyptian cat; espresso, cup


class OnnxNet(torch.nn.Module):
    """The ONNX graph in torch float64, node by node; every node output goes through an
    nn.Identity (self.taps[name]) so that hooks can read it."""

    def __init__(self, model):
        super().__init__()
        self.g = model.graph
        # Weights as parameters (so that activations require gradients, as pytorch-grad-cam's
        # hooks need), float16 values widened exactly to float64.
        self.w = torch.nn.ParameterDict({self.key(t.name): torch.nn.Parameter(
            torch.tensor(numpy_helper.to_array(t).astype(np.float64))) for t in self.g.initializer})
        self.taps = torch.nn.ModuleDict()
        for n in self.g.node:
            for o in n.output:
                self.taps[self.key(o)] = torch.nn.Identity()

    @staticmethod
    def key(name):
        return name.replace("/", "_").replace(".", "_")

    def forward(self, x):
        v = {"data_0": x}
        v.update({t.name: self.w[self.key(t.name)] for t in self.g.initializer})
        for n in self.g.node:
            a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
            ins = [v[i] for i in n.input]
            if n.op_type == "Conv":
                p = a.get("pads", [0, 0, 0, 0])
                assert p[0] == p[2] and p[1] == p[3]
                out = F.conv2d(ins[0], ins[1], ins[2], stride=a["strides"], padding=p[:2])
            elif n.op_type == "Relu":
                out = F.relu(ins[0])
            elif n.op_type == "MaxPool":
                p = a.get("pads", [0, 0, 0, 0])
                assert p[0] == p[2] and p[1] == p[3]
                out = F.max_pool2d(ins[0], a["kernel_shape"], a["strides"], p[:2])
            elif n.op_type == "Concat":
                out = torch.cat(ins, dim=a["axis"])
            elif n.op_type == "Dropout":
                out = ins[0]  # inference
            elif n.op_type == "GlobalAveragePool":
                out = ins[0].mean(dim=(2, 3), keepdim=True)
            elif n.op_type == "Softmax":
                return v[n.input[0]].reshape(x.shape[0], -1)  # the logits: the Softmax's input
            else:
                raise SystemExit(f"OnnxNet: op {n.op_type} not implemented")
            v[n.output[0]] = self.taps[self.key(n.output[0])](out)
        raise SystemExit("OnnxNet: no Softmax")


def caffe_input(rgb8):
    """camviz's --preset caffe on an 8-bit RGB picture, in float32 as camviz computes it."""
    unit = (rgb8.astype(np.float32) * np.float32(257)) / np.float32(65535)  # datasets.FromImage
    bgr = unit[:, :, ::-1] * np.float32(255)
    x = (bgr - CAFFE_MEAN_BGR).astype(np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def formulas(a, g):
    """Raw maps and Grad-CAM weights from activations a and gradients g [1, K, h, w]."""
    alpha = g.mean(dim=(2, 3))
    g2, g3 = g ** 2, g ** 3
    aij = torch.where(g != 0, g2 / (2 * g2 + a.sum(dim=(2, 3))[:, :, None, None] * g3 + 1e-6), torch.zeros_like(g))
    pp = (F.relu(g) * aij).sum(dim=(2, 3))
    return {
        "GradCAM": (alpha[:, :, None, None] * a).sum(1),
        "HiResCAM": (g * a).sum(1),
        "LayerCAM": (F.relu(g) * a).sum(1),
        "XGradCAM": ((g * a).sum(dim=(2, 3)) / (a.sum(dim=(2, 3)) + 1e-7))[:, :, None, None].mul(a).sum(1),
        "GradCAMPlusPlus": (pp[:, :, None, None] * a).sum(1),
    }, alpha


def pytorch_grad_cam_maps(net, x, layer, c):
    """The raw maps by pytorch-grad-cam's own classes (their get_cam_image, before ReLU)."""
    sys.path.insert(0, os.environ["TTACH"])
    sys.path.insert(0, os.environ["PYTORCH_GRAD_CAM"])
    from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, HiResCAM, LayerCAM, XGradCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    out = {}
    for name, cls in {"GradCAM": GradCAM, "HiResCAM": HiResCAM, "LayerCAM": LayerCAM, "XGradCAM": XGradCAM,
                      "GradCAMPlusPlus": GradCAMPlusPlus}.items():
        with cls(model=net, target_layers=[net.taps[OnnxNet.key(layer)]]) as cam:
            orig = cam.get_cam_image
            got = {}

            def record(*args, **kw):
                got["raw"] = orig(*args, **kw)
                return got["raw"]

            cam.get_cam_image = record
            cam(input_tensor=x.clone(), targets=[ClassifierOutputTarget(c)])
            out[name] = np.asarray(got["raw"], np.float64)
    return out


def shapley_softmax(net, xt, c, pic):
    """ShapleyCAM for the softmax probability of class c at every layer of LAYERS."""
    acts = {}

    def keep(layer):
        def hook(module, inputs, output):
            acts[layer] = output
        return hook

    hooks = [net.taps[OnnxNet.key(layer)].register_forward_hook(keep(layer)) for layer in LAYERS]
    y = torch.softmax(net(xt), dim=-1)[0, c]
    for h in hooks:
        h.remove()
    grads = torch.autograd.grad(y, [acts[layer] for layer in LAYERS], create_graph=True)
    for layer, g in zip(LAYERS, grads):
        a = acts[layer]
        hvp = torch.autograd.grad(g, a, grad_outputs=a, retain_graph=True)[0]
        w = (g - 0.5 * hvp).mean(dim=(2, 3))
        raw = (w[:, :, None, None] * a).sum(1).detach().numpy()
        assert np.abs(hvp.detach().numpy()).max() > 0, f"{pic} {layer}: H·A is 0, the check would be void"
        if os.environ.get("PYTORCH_GRAD_CAM"):
            theirs = pytorch_grad_cam_shapley(net, xt, layer, c)
            dd = np.abs(theirs - raw).max() / np.abs(raw).max()
            assert dd < 1e-9, f"{pic} {layer} ShapleyCAM (softmax): pytorch-grad-cam differs by {dd:.3g} (relative)"
            print(f"  {pic} {layer} ShapleyCAM (softmax target): pytorch-grad-cam agrees to {dd:.2g} (relative to the largest value)")
        np.save(os.path.join(DIR, f"{pic}_{layer.replace('/', '_')}_ShapleyCAM_softmax_raw.npy"), raw)


def pytorch_grad_cam_shapley(net, x, layer, c):
    """pytorch-grad-cam's ShapleyCAM raw map (get_cam_image, before ReLU) for the softmax target."""
    sys.path.insert(0, os.environ["TTACH"])
    sys.path.insert(0, os.environ["PYTORCH_GRAD_CAM"])
    from pytorch_grad_cam import ShapleyCAM
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget
    with ShapleyCAM(model=net, target_layers=[net.taps[OnnxNet.key(layer)]]) as cam:
        orig = cam.get_cam_image
        got = {}

        def record(*args, **kw):
            got["raw"] = orig(*args, **kw)
            return got["raw"]

        cam.get_cam_image = record
        cam(input_tensor=x.clone(), targets=[ClassifierOutputSoftmaxTarget(c)])
    return np.asarray(got["raw"], np.float64)


def squeezenet():
    model = onnx.load(os.path.join(DIR, MODEL))
    net = OnnxNet(model).double().eval()
    names = None
    try:
        from torchvision.models._meta import _IMAGENET_CATEGORIES as names
    except ImportError:
        pass
    for pic, want in PICTURES.items():
        rgb8 = cv2.cvtColor(cv2.imread(os.path.join(SKIMAGE, pic + ".png"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        rgb8 = cv2.resize(rgb8, (224, 224), interpolation=cv2.INTER_AREA)
        cv2.imwrite(os.path.join(DIR, f"{pic}_224.png"), cv2.cvtColor(rgb8, cv2.COLOR_RGB2BGR))
        back = cv2.cvtColor(cv2.imread(os.path.join(DIR, f"{pic}_224.png")), cv2.COLOR_BGR2RGB)
        assert (back == rgb8).all()
        x = caffe_input(rgb8)

        ref = evaluate(model, {"data_0": x}, "pool10_1").reshape(1, -1)
        xt = torch.tensor(x, dtype=torch.float64)
        acts = {}

        def keep(layer):
            def hook(module, inputs, output):
                output.retain_grad()
                acts[layer] = output  # returns None: the output is not replaced
            return hook

        hooks = [net.taps[OnnxNet.key(layer)].register_forward_hook(keep(layer)) for layer in LAYERS]
        logits = net(xt)
        for h in hooks:
            h.remove()
        d = np.abs(logits.detach().numpy() - ref).max()
        assert d < 1e-10 * np.abs(ref).max(), f"the two float64 evaluations disagree by {d}"
        top5 = np.argsort(-ref[0])[:5]
        assert want & set(top5.tolist()), f"{pic}: top-5 {top5} lacks {want}"
        c = int(top5[0])
        np.save(os.path.join(DIR, f"{pic}_logits.npy"), ref)
        logits[0, c].backward()
        for layer in LAYERS:
            a, g = acts[layer].detach(), acts[layer].grad.detach()
            maps, alpha = formulas(a, g)
            key = layer.replace("/", "_")
            if os.environ.get("PYTORCH_GRAD_CAM"):
                theirs = pytorch_grad_cam_maps(net, xt, layer, c)
                for name, mp in maps.items():
                    dd = np.abs(theirs[name] - mp.numpy()).max() / np.abs(mp.numpy()).max()
                    assert dd < 1e-9, f"{pic} {layer} {name}: pytorch-grad-cam differs by {dd:.3g} (relative)"
                    print(f"  {pic} {layer} {name}: pytorch-grad-cam agrees to {dd:.2g} (relative to the largest value)")
            for name, mp in maps.items():
                np.save(os.path.join(DIR, f"{pic}_{key}_{name}_raw.npy"), mp.numpy())
            np.save(os.path.join(DIR, f"{pic}_{key}_GradCAM_weights.npy"), alpha.numpy())
        shapley_softmax(net, xt, c, pic)
        p = np.exp(ref[0] - ref[0].max())
        p /= p.sum()
        label = (lambda i: names[i]) if names else str
        print(f"{pic}: top-5 " + " | ".join(f"{p[i]:.4g} {label(i)} ({i})" for i in top5))
