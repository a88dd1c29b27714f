#!/usr/bin/python3
"""Exports torchvision classifiers at OLD opsets (7 and 9) through Debian's torch 1.13,
as older exporters and converters wrote them, for camviz's legalization test
(camviz/models/legacy_torchvision_test.go): Clip with min/max attributes (mobilenet_v2,
opset 9), BatchNormalization and Pad of opset 7, Upsample-free opset-9 graphs of
googlenet/squeezenet/densenet/shufflenet/mnasnet/efficientnet, and initializers kept as
graph inputs (keep_initializers_as_inputs=True, as exporters before torch 1.5 did).

    /usr/bin/python3 scripts/gen_legacy_torchvision.py --out DIR

Weights are seeded random (torchvision 0.14 ships no pretrained weights here), with
non-trivial BatchNorm statistics; input [1, 3, 96, 96]. For each NAME_oOPSET it writes
NAME_oOPSET.onnx, .input.npy and .logits.npy (torch's own float32 eval logits), and
legacy.json listing them. The Go test generates into a cache folder keyed by this
script's hash; nothing is committed.
"""
import argparse
import json
import os

import numpy as np
import torch
import torchvision

MODELS = [("mobilenet_v2", 9), ("squeezenet1_1", 9), ("resnet18", 7), ("densenet121", 9),
          ("shufflenet_v2_x1_0", 9), ("googlenet", 9), ("mnasnet0_5", 9), ("efficientnet_b0", 9)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    out = ap.parse_args().out
    os.makedirs(out, exist_ok=True)
    done = []
    for name, opset in MODELS:
        torch.manual_seed(0)
        m = getattr(torchvision.models, name)(weights=None).eval()
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.uniform_(-0.2, 0.2)
                mod.running_var.uniform_(0.5, 1.5)
        x = torch.randn(1, 3, 96, 96)
        with torch.no_grad():
            y = m(x)
        base = f"{name}_o{opset}"
        torch.onnx.export(m, x, os.path.join(out, base + ".onnx"), opset_version=opset, input_names=["input"],
                          output_names=["logits"], keep_initializers_as_inputs=True)
        np.save(os.path.join(out, base + ".input.npy"), x.numpy())
        np.save(os.path.join(out, base + ".logits.npy"), y.numpy())
        done.append({"name": base, "arch": name, "opset": opset})
        print(base, "exported")
    with open(os.path.join(out, "legacy.json"), "w") as f:
        json.dump(done, f, indent=1)


if __name__ == "__main__":
    main()
