"""Exports torchvision architectures (seeded random weights, eval mode) to ONNX for
camviz/models' default-layer test: python3 torchvision_default_layer.py OUT NAME...

Each NAME (a torchvision.models constructor) becomes OUT/NAME.onnx, exported as the README's
"Your own model" section shows: opset 17, input "input" [batch, 3, 224, 224] with a dynamic
batch axis, output "logits". Needs Debian's python3-torch and python3-torchvision.
"""
import sys

import torch
import torchvision

out = sys.argv[1]
for name in sys.argv[2:]:
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(weights=None).eval()
    torch.onnx.export(model, torch.randn(1, 3, 224, 224), f"{out}/{name}.onnx", opset_version=17,
                      input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
