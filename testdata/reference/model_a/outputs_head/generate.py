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
    np.random.seed(0)  # ARPACK's start vector (KernelPCA, random_state=None) comes from here
    model = load_model()
    model64 = load_model().double()
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
            # The same library code on the model and input in float64 (see README.md: the
            # float32 run is ill-conditioned where a bias term's channel has one live position).
            cam = pgc.FullGrad(model64, [])
            raws = record(cam, "compute_cam_per_layer")
            final = cam(x.clone().double(), targets_for(tag))
            save(out_dir, f"FullGrad_{tag}_raw64", raws[0][:, 0])
            save(out_dir, f"FullGrad_{tag}_final64", final)
    # FinerCAM over Grad-CAM (its default base): main class = argmax or target_idx, compared
    # with the classes of ranks 1, 2, 3 by |logit − main logit|, α = 1; and ranks [1, 2], α = 0.5.
    finer_runs = [("relu3", x1, "argmax", {}), ("relu3", x1, "idx3", {"target_idx": 3}),
                  ("relu3", x1, "idx3_r12_a05", {"target_idx": 3, "comparison_categories": [1, 2], "alpha": 0.5}),
                  ("relu2", x1, "argmax", {}), ("relu3_batch2", x2, "argmax", {})]
    for out_dir, x, tag, kwargs in finer_runs:
        layer = getattr(model, "relu2" if out_dir == "relu2" else "relu3")
        cam = pgc.FinerCAM(model, [layer])
        raws = record(cam.base_cam, "get_cam_image")
        weights = record(cam.base_cam, "get_cam_weights")
        final = cam(x.clone(), None, **kwargs)
        save(out_dir, f"FinerCAM_{tag}_raw", raws[0])
        save(out_dir, f"FinerCAM_{tag}_weights", weights[0])
        save(out_dir, f"FinerCAM_{tag}_final", final)
    # RefineCAM: the product of the base method's per-layer finals, min-max scaled.
    for tag in ["cls3", "argmax"]:
        for base_name, base in [("GradCAMPlusPlus", pgc.GradCAMPlusPlus), ("GradCAM", pgc.GradCAM)]:
            cam = pgc.RefineCAM(model, [model.relu2, model.relu3], base_method=base)
            save("relu2+relu3", f"RefineCAM_{base_name}_{tag}_final", cam(x1.clone(), targets_for(tag)))
    cam = pgc.RefineCAM(model, [model.relu2, model.relu3])
    save("relu2+relu3_batch2", "RefineCAM_GradCAMPlusPlus_cls3_cls5_final", cam(x2.clone(), targets_for("cls3_cls5")))
    # Targets: ReST (class 3) and cosine similarity of the logits with a fixed 10-d
    # "concept" e_j = sin(j + 1), explained with Grad-CAM at relu3.
    from pytorch_grad_cam.utils.model_targets import ClassifierOutputReST

    class Similarity:
        def __init__(self, e):
            self.e = e

        def __call__(self, out):
            return torch.nn.CosineSimilarity(dim=0)(out, self.e)
    concept = torch.sin(torch.arange(10, dtype=torch.float32) + 1)
    for tag, tgt, x in [("rest3", [ClassifierOutputReST(3)], x1), ("similarity", [Similarity(concept)], x1),
                        ("rest3_rest5", [ClassifierOutputReST(3), ClassifierOutputReST(5)], x2)]:
        cam = pgc.GradCAM(model, [model.relu3])
        raws = record(cam, "get_cam_image")
        weights = record(cam, "get_cam_weights")
        final = cam(x.clone(), tgt)
        out_dir = "relu3_batch2" if x is x2 else "relu3"
        save(out_dir, f"GradCAM_{tag}_raw", raws[0])
        save(out_dir, f"GradCAM_{tag}_weights", weights[0])
        save(out_dir, f"GradCAM_{tag}_final", final)
    # Deep Feature Factorization at relu3 (NMF, init='random', random_state=0): the library's
    # concepts, raw and processed explanations and concept scores (the fc head), and the
    # NMF's reconstruction error ‖X − WH‖_F, the part another solver can be held to.
    from pytorch_grad_cam.feature_factorization.deep_feature_factorization import dff as pgc_dff
    acts = torch.relu(model.conv3(model.pool(torch.relu(model.conv2(torch.relu(model.conv1(x2)))))))
    acts = acts.detach().numpy()
    save("dff", "activations_relu3_b2_nchw", acts)
    for k in (2, 4):
        concepts, expl = pgc_dff(acts.copy(), n_components=k)
        X = acts.transpose(1, 0, 2, 3).reshape(acts.shape[1], -1)
        offset = X.min(axis=-1)
        W = concepts - offset[:, None]
        H = expl.transpose(1, 0, 2, 3).reshape(k, -1)
        index[f"dff_k{k}_reconstruction_error"] = float(np.linalg.norm((X - offset[:, None]) - W @ H))
        index[f"dff_k{k}_data_norm"] = float(np.linalg.norm(X - offset[:, None]))
        d = pgc.DeepFeatureFactorization(model, model.relu3, computation_on_concepts=model.fc)
        c2, processed, scores = d(x2.clone(), n_components=k)
        save("dff", f"DFF_k{k}_concepts", c2)
        save("dff", f"DFF_k{k}_explanations_raw", expl)
        save("dff", f"DFF_k{k}_explanations", np.stack(processed))
        save("dff", f"DFF_k{k}_scores", scores)
    # Sobel baseline on a uint8 RGB rendering of the input: v = clip(round(127.5·(x+1)), 0, 255).
    img = np.uint8(np.clip(np.round(127.5 * (x1[0].numpy().transpose(1, 2, 0) + 1)), 0, 255))
    save("sobel", "image_uint8_as_float", img)
    save("sobel", "Sobel_final", sobel_cam(img))
    # DFF's coloured overlay (show_factorization_on_image, no legend) of the k = 4 concept
    # maps of example 0 over the Sobel test image, image_weight 0.3, uint8 RGB.
    from pytorch_grad_cam.utils.image import show_factorization_on_image
    expl = np.load(os.path.join(HERE, "dff", "DFF_k4_explanations.npy"))[0]
    save("dff", "overlay_k4", show_factorization_on_image(img / 255.0, expl.copy(), image_weight=0.3))
    with open(os.path.join(HERE, "index.json"), "w") as f:
        json.dump(index, f, indent=1)


if __name__ == "__main__":
    main()
