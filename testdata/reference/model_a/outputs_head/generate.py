"""Reference outputs of pytorch-grad-cam HEAD (commit 084273b) on model A, for the
methods camviz added after v1.5.5. Run with Debian's python3 (torch 1.13, sklearn,
opencv) and the library and ttach on PYTHONPATH, from this folder:

    PYTHONPATH=/tmp/pgc:/tmp/ttach /usr/bin/python3 generate.py

where /tmp/pgc holds pytorch_grad_cam at 084273b and /tmp/ttach holds qubvel/ttach
(neither is part of camviz). It writes <layer>/<Method>_<tag>_<kind>.npy (see README.md).
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn

import pytorch_grad_cam as pgc
from pytorch_grad_cam.sobel_cam import sobel_cam
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget, ClassifierOutputSoftmaxTarget

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.dirname(HERE)
torch.use_deterministic_algorithms(True)


class CamNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.relu2 = nn.ReLU()
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(32, 64, 3, padding=1)
        self.relu3 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        x = self.relu3(self.conv3(self.pool(x)))
        return self.fc(torch.flatten(self.gap(x), 1))


def load_model():
    m = CamNet().eval()
    sd = {k: torch.from_numpy(np.load(os.path.join(MODEL, "weights", k + ".npy")))
          for k in m.state_dict().keys()}
    m.load_state_dict(sd)
    return m


def record(cam, name):
    """Wraps the instance's method name so that every return value is kept."""
    kept = []
    orig = getattr(cam, name)

    def wrapped(*a, **k):
        r = orig(*a, **k)
        kept.append(np.array(r.detach().numpy() if torch.is_tensor(r) else r, dtype=np.float32))
        return r
    setattr(cam, name, wrapped)
    return kept


def save(layer_dir, name, arr):
    d = os.path.join(HERE, layer_dir)
    os.makedirs(d, exist_ok=True)
    np.save(os.path.join(d, name + ".npy"), np.ascontiguousarray(np.float32(arr)))


def targets_for(tag):
    return {"cls3": [ClassifierOutputTarget(3)],
            "argmax": None,
            "softmax3": [ClassifierOutputSoftmaxTarget(3)],
            "cls3_cls5": [ClassifierOutputTarget(3), ClassifierOutputTarget(5)]}[tag]


def main():
    model = load_model()
    x1 = torch.from_numpy(np.load(os.path.join(MODEL, "input_nchw.npy")))
    x2 = torch.from_numpy(np.load(os.path.join(MODEL, "input_b2_nchw.npy")))
    runs = [("relu3", "relu3", x1, ["cls3", "argmax", "softmax3"]),
            ("relu2", "relu2", x1, ["cls3", "softmax3"]),
            ("relu3_batch2", "relu3", x2, ["cls3_cls5"])]
    index = {"pytorch_grad_cam_commit": "084273b", "torch": torch.__version__}
    layer_methods = {
        "FEM": lambda l: pgc.FEM(model, [l]),
        "SegEigenCAM": lambda l: pgc.SegEigenCAM(model, [l]),
        "ShapleyCAM": lambda l: pgc.ShapleyCAM(model, [l]),
        "KPCA_CAM": lambda l: pgc.KPCA_CAM(model, [l]),
    }
    for out_dir, layer_name, x, tags in runs:
        layer = getattr(model, layer_name)
        for mname, make in layer_methods.items():
            for tag in tags:
                cam = make(layer)
                raws = record(cam, "get_cam_image")
                weights = record(cam, "get_cam_weights") if mname == "ShapleyCAM" else []
                final = cam(x.clone(), targets_for(tag))
                save(out_dir, f"{mname}_{tag}_raw", raws[0])
                if weights:
                    save(out_dir, f"{mname}_{tag}_weights", weights[0])
                save(out_dir, f"{mname}_{tag}_final", final)
        # FullGrad ignores target_layers; it is stored with each run for symmetry.
        for tag in tags:
            cam = pgc.FullGrad(model, [])
            raws = record(cam, "compute_cam_per_layer")
            final = cam(x.clone(), targets_for(tag))
            save(out_dir, f"FullGrad_{tag}_raw", raws[0][:, 0])
            save(out_dir, f"FullGrad_{tag}_final", final)
    # Sobel baseline on a uint8 RGB rendering of the input: v = clip(round(127.5·(x+1)), 0, 255).
    img = np.uint8(np.clip(np.round(127.5 * (x1[0].numpy().transpose(1, 2, 0) + 1)), 0, 255))
    save("sobel", "image_uint8_as_float", img)
    save("sobel", "Sobel_final", sobel_cam(img))
    with open(os.path.join(HERE, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
