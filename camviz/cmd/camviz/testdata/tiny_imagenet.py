"""Reference numbers for camviz's CLI tests (camviz/cmd/camviz/realworld_test.go).

Writes into OUT (argv[1]):
  tiny1000.onnx   a small seeded random CNN with 1000 outputs (an "ImageNet" head), input
                  [batch, 3, 64, 64], exported with torch.onnx.export at opset 17 with a
                  dynamic batch axis -- the call the README's "Your own model" shows.
  tiny1000_softmax.onnx  the same network ending in Softmax (output "prob"): camviz takes
                  the Softmax's input as the scores.
  chelsea64.png   scikit-image's chelsea.png (CC0, Stefan van der Walt) resized to 64x64
                  with PIL's bilinear filter, so that camviz feeds it without resizing.
  expected.json   for each preprocessing the test runs, torch's logits of the picture
                  preprocessed in float64 NumPy, their softmax (float64) and the top-5.

Needs Debian's python3-torch, python3-numpy, python3-pil and python3-skimage.
"""
import json
import os
import sys

import numpy as np
import skimage
import torch
from PIL import Image

out = sys.argv[1]
torch.manual_seed(20261130)
net = torch.nn.Sequential(
    torch.nn.Conv2d(3, 8, 3, stride=2, padding=1),
    torch.nn.BatchNorm2d(8),
    torch.nn.ReLU(),
    torch.nn.Conv2d(8, 16, 3, stride=2, padding=1),
    torch.nn.ReLU(),
    torch.nn.AdaptiveAvgPool2d(1),
    torch.nn.Flatten(),
    torch.nn.Linear(16, 1000),
)
with torch.no_grad():
    bn = net[1]
    bn.running_mean.uniform_(-0.2, 0.2)
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.uniform_(0.5, 1.5)
    bn.bias.uniform_(-0.1, 0.1)
    net[7].weight.mul_(8.0)  # spread the logits: a clear top-5
net.eval()
x0 = torch.zeros(1, 3, 64, 64)
torch.onnx.export(net, x0, os.path.join(out, "tiny1000.onnx"), opset_version=17,
                  input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
torch.onnx.export(torch.nn.Sequential(net, torch.nn.Softmax(dim=1)).eval(), x0, os.path.join(out, "tiny1000_softmax.onnx"),
                  opset_version=17, input_names=["input"], output_names=["prob"],
                  dynamic_axes={"input": {0: "batch"}, "prob": {0: "batch"}})

src = os.path.join(os.path.dirname(skimage.__file__), "data", "chelsea.png")
pic = Image.open(src).convert("RGB").resize((64, 64), Image.BILINEAR)
pic.save(os.path.join(out, "chelsea64.png"))
rgb = np.asarray(pic, dtype=np.float64)  # [64, 64, 3], 0..255

variants = {
    # --preset imagenet: RGB, /255, torchvision's mean and std.
    "imagenet": ((rgb / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]),
    # --bgr --range 0-255 --mean 104,117,123 --std 58,57,57 (model channel order: B, G, R).
    "bgr": ((rgb[:, :, ::-1] - [104, 117, 123]) / [58, 57, 57]),
}
expected = {}
for name, x in variants.items():
    t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None]).astype(np.float32))
    with torch.no_grad():
        logits = net(t)[0].double().numpy()
    p = np.exp(logits - logits.max())
    p /= p.sum()
    order = np.argsort(-logits, kind="stable")
    gaps = -np.diff(logits[order[:6]])
    if gaps.min() < 1e-3:
        sys.exit(f"{name}: top-6 logits closer than 1e-3 ({gaps}); change the seed")
    expected[name] = {"top5": order[:5].tolist(), "probs": p[order[:5]].tolist(), "logits": logits.tolist()}
with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f)
