#!/usr/bin/python3
"""References for the real pretrained models of testdata/pretrained: mnist-8 and
squeezenet1.1-fp16 (see squeezenet() below for the latter).

testdata/pretrained/mnist-8: the ONNX model zoo's pretrained MNIST
classifier (CNTK 2.5.1 export, opset 8: Conv with auto_pad SAME_UPPER, MaxPool, a
Reshape of a weight, MatMul), shipped unmodified as mnist.onnx.

Run with Debian's python3 (python3-onnx, python3-numpy, python3-torch, python3-opencv):

    /usr/bin/python3 scripts/gen_pretrained_refs.py [mnist8] [squeezenet]

(no argument: both). For mnist-8 it renders the digits 7 and 3 (OpenCV's Hershey simplex font, white on black, 28×28,
pixel values in [0, 1] as the model card of onnx/models says) and writes, per digit D:

  digitD.npy                 float32 [1, 1, 28, 28], the input
  digitD_logits.npy          float64 [1, 10], the logits
  digitD_<Method>_raw.npy    float64 [1, 14, 14], raw maps at ReLU114_Output_0 for the
                             predicted class: GradCAM, HiResCAM, LayerCAM, XGradCAM
  digitD_GradCAM_weights.npy float64 [1, 16], Grad-CAM's channel weights

The logits are computed twice, independently, and must agree to 1e-10: by the float64
NumPy/torch evaluator of scripts/gen_legacy_onnx.py walking the ONNX graph as stated
(auto_pad included), and by a float64 torch re-implementation of the network written from
the graph (SAME_UPPER 5×5 is symmetric padding 2). The maps come from torch autograd on
the latter, with pytorch-grad-cam's formulas (v1.5.5):
  GradCAM:  α_k = mean_ij ∂y_c/∂A_kij,  raw = Σ_k α_k A_k
  HiResCAM: raw = Σ_k (∂y_c/∂A_k) ⊙ A_k
  LayerCAM: raw = Σ_k relu(∂y_c/∂A_k) ⊙ A_k
  XGradCAM: α_k = Σ_ij (∂y_c/∂A_kij · A_kij) / (Σ_ij A_kij + 1e-7),  raw = Σ_k α_k A_k
"""
import os
import sys

import cv2
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

from gen_legacy_onnx import evaluate

PRETRAINED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "pretrained")
DIR = os.path.join(PRETRAINED, "mnist-8")


def mnist8():
    model = onnx.load(os.path.join(DIR, "mnist.onnx"))
    W = {t.name: torch.tensor(numpy_helper.to_array(t).astype(np.float64)) for t in model.graph.initializer}
    for digit in "73":
        img = np.zeros((28, 28), np.uint8)
        cv2.putText(img, digit, (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 255, 2)
        x = (img.astype(np.float32) / 255).reshape(1, 1, 28, 28)  # [0, 1], as the model card says
        np.save(os.path.join(DIR, f"digit{digit}.npy"), x)

        ref = evaluate(model, {"Input3": x}, "Plus214_Output_0")
        a1 = F.relu(F.conv2d(torch.tensor(x, dtype=torch.float64), W["Parameter5"], padding=2) + W["Parameter6"])
        a2 = F.relu(F.conv2d(F.max_pool2d(a1, 2, 2), W["Parameter87"], padding=2) + W["Parameter88"])
        a2 = a2.detach().requires_grad_()
        logits = F.max_pool2d(a2, 3, 3).reshape(1, 256) @ W["Parameter193"].reshape(256, 10) + W["Parameter194"]
        assert np.abs(logits.detach().numpy() - ref).max() < 1e-10 * np.abs(ref).max(), "the two evaluations disagree"
        c = int(logits.argmax())
        assert str(c) == digit, f"the model reads {digit} as {c}"
        np.save(os.path.join(DIR, f"digit{digit}_logits.npy"), ref)
        logits[0, c].backward()
        g, a = a2.grad.detach(), a2.detach()
        alpha = g.mean(dim=(2, 3))
        maps = {
            "GradCAM": (alpha[:, :, None, None] * a).sum(1),
            "HiResCAM": (g * a).sum(1),
            "LayerCAM": (F.relu(g) * a).sum(1),
            "XGradCAM": ((g * a).sum(dim=(2, 3)) / (a.sum(dim=(2, 3)) + 1e-7))[:, :, None, None].mul(a).sum(1),
        }
        for name, mp in maps.items():
            np.save(os.path.join(DIR, f"digit{digit}_{name}_raw.npy"), mp.numpy())
        np.save(os.path.join(DIR, f"digit{digit}_GradCAM_weights.npy"), alpha.numpy())
        print(f"digit {digit}: class {c}, logits {np.round(ref[0], 2)}")


from gen_pretrained_squeezenet import squeezenet  # noqa: E402  (after the shared helpers above)


def main():
    which = sys.argv[1:] or ["mnist8", "squeezenet"]
    for name in which:
        {"mnist8": mnist8, "squeezenet": squeezenet}[name]()


if __name__ == "__main__":
    main()
