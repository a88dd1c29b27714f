#!/usr/bin/python3
"""Export the architecture sweep: seeded random-weight torchvision classifiers (and a small
hand-built ViT) as ONNX files, with torch's own references, for camviz's Go tests
(camviz/models/archsweep_test.go).

Run with Debian's Python (apt-get install -y python3-torch python3-torchvision python3-onnx):

    /usr/bin/python3 scripts/gen_arch_sweep.py --out DIR [--only resnet50,vit] [--resume]

For every architecture it writes DIR/<arch>/:
  model.onnx     opset 17, input "input" [batch, 3, H, W] (dynamic batch), two outputs:
                 "logits" [batch, classes] and "target" (the output of pytorch-grad-cam's
                 recommended target layer, in the model's own layout: NCHW feature maps,
                 ViT tokens [batch, T, D], Swin's channels-last [batch, h, w, C]).
                 BatchNormalization nodes are kept (training=PRESERVE on an eval model).
  input.npy      [2, 3, H, W] float32, seeded N(0, 1)
  logits.npy     [2, classes]: torch's logits, computed in float64, stored float32
  raw.npy        [2, h, w]: Grad-CAM before ReLU, sum_k w_k A_k with w_k the spatial mean
                 of dscore/dA_k (float64 autograd through the float64 model)
  gradcam.npy    [2, H, W]: pytorch-grad-cam's post-processing of raw: ReLU, per-image
                 min-max (x - min) / (1e-7 + max), bilinear resize (align_corners=False,
                 what cv2.resize does when enlarging), then min-max again (the multi-layer
                 aggregation step, applied to one layer)
  meta.json      arch, torch target layer, layout, image size, classes, token grid
The target score is logits[b, classes[b]] (pytorch-grad-cam's ClassifierOutputTarget), with
classes (in meta.json) chosen from image 0's top class and image 1's second class down, the
first whose map is well-conditioned (see choose_classes).

Activations are mapped to [batch, K, h, w] as pytorch-grad-cam's reshape_transform does
before Grad-CAM: ViT tokens drop the class token and are reshaped to h x w (channels
last, then transposed), Swin's channels-last blocks are permuted to channels first.

Weights are torchvision's own initialisation under torch.manual_seed; every BatchNorm's
running statistics are then calibrated on random images (see calibrate_batchnorm) and
perturbed (mean + N(0, 0.1)·std, var · U(0.7, 1.4)), with random affine parameters
(weight U(0.8, 1.2), bias N(0, 0.1)), and every LayerNorm gets a random affine (weight
U(0.8, 1.2), bias N(0, 0.05)), so that the statistics are far from 0/1 and folding or
layout mistakes show, while the deep layers' maps still depend on the image.
Models are small enough for CI: 128-pixel inputs except Inception v3 (160, for a 3x3 map at
Mixed_7c) and Swin (224, so that its last stage is the 7x7 window) and VGG11-BN (whose 4096-wide classifier would be 500 MB: its features
are torchvision's, its classifier a 256-wide one of the same form on the 4x4 map).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

SEED = 20261130


class ViT(nn.Module):
    """A small Vision Transformer (Dosovitskiy et al. 2021) with plain matmul attention
    (no fused kernels, so torch 1.13 exports it): patch embedding conv, class token,
    learned position embedding, pre-norm blocks, final LayerNorm, linear head on the
    class token. camviz/models/vit_test.go builds the same network in GoMLX."""

    def __init__(self, image=128, patch=16, dim=64, depth=2, heads=4, mlp=128, classes=10):
        super().__init__()
        self.patch, self.heads = patch, heads
        self.grid = image // patch
        self.patch_embed = nn.Conv2d(3, dim, patch, stride=patch)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.5)
        self.pos_embed = nn.Parameter(torch.randn(1, self.grid * self.grid + 1, dim) * 0.5)
        self.blocks = nn.ModuleList([Block(dim, heads, mlp) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        x = self.patch_embed(x)  # [N, D, g, g]
        n, d = x.shape[0], x.shape[1]
        x = x.flatten(2).transpose(1, 2)  # [N, g*g, D], row-major patches
        x = torch.cat([self.cls_token.expand(n, -1, -1), x], dim=1) + self.pos_embed
        for b in self.blocks:
            x = b(x)
        return self.head(self.norm(x)[:, 0])


class Block(nn.Module):
    def __init__(self, dim, heads, mlp):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.fc1 = nn.Linear(dim, mlp)
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x):
        n, t, d = x.shape
        h = self.heads
        qkv = self.qkv(self.norm1(x)).reshape(n, t, 3, h, d // h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [N, heads, T, d/h]
        attn = torch.softmax(q @ k.transpose(-2, -1) * (d // h) ** -0.5, dim=-1)
        a = (attn @ v).transpose(1, 2).reshape(n, t, d)
        x = x + self.proj(a)
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


def vgg11_bn_small():
    m = torchvision.models.vgg11_bn(weights=None)
    m.avgpool = nn.Identity()
    m.classifier = nn.Sequential(
        nn.Linear(512 * 4 * 4, 256), nn.ReLU(True), nn.Dropout(),
        nn.Linear(256, 256), nn.ReLU(True), nn.Dropout(),
        nn.Linear(256, 1000))
    return m


tv = torchvision.models
# name: (constructor, target layer (pytorch-grad-cam's README choice where it lists one), image size, layout)
ARCHS = {
    "resnet50": (lambda: tv.resnet50(weights=None), lambda m: m.layer4[-1], 128, "nchw"),
    "densenet121": (lambda: tv.densenet121(weights=None), lambda m: m.features[-1], 128, "nchw"),
    "mobilenet_v2": (lambda: tv.mobilenet_v2(weights=None), lambda m: m.features[-1], 128, "nchw"),
    "mobilenet_v3_large": (lambda: tv.mobilenet_v3_large(weights=None), lambda m: m.features[-1], 128, "nchw"),
    "efficientnet_b0": (lambda: tv.efficientnet_b0(weights=None), lambda m: m.features[-1], 128, "nchw"),
    "convnext_tiny": (lambda: tv.convnext_tiny(weights=None), lambda m: m.features[-1], 128, "nchw"),
    # The same ConvNeXt explained inside its last block, after the block's permute to
    # channels-last: the LayerNorm output [N, h, w, C] (ConvNeXt in NHWC).
    "convnext_tiny_nhwc": (lambda: tv.convnext_tiny(weights=None), lambda m: m.features[-1][-1].block[2], 128, "nhwc"),
    "regnet_y_400mf": (lambda: tv.regnet_y_400mf(weights=None), lambda m: m.trunk_output[-1], 128, "nchw"),
    "googlenet": (lambda: tv.googlenet(weights=None, aux_logits=False, init_weights=True),
                  lambda m: m.inception5b, 128, "nchw"),
    "inception_v3": (lambda: tv.inception_v3(weights=None, aux_logits=False, init_weights=True),
                     lambda m: m.Mixed_7c, 160, "nchw"),
    "shufflenet_v2_x1_0": (lambda: tv.shufflenet_v2_x1_0(weights=None), lambda m: m.conv5, 128, "nchw"),
    "squeezenet1_1": (lambda: tv.squeezenet1_1(weights=None), lambda m: m.features[-1], 128, "nchw"),
    "mnasnet1_0": (lambda: tv.mnasnet1_0(weights=None), lambda m: m.layers[-1], 128, "nchw"),
    "vgg11_bn": (vgg11_bn_small, lambda m: m.features[-1], 128, "nchw"),
    "swin_t": (lambda: tv.swin_t(weights=None), lambda m: m.features[-1][-1].norm1, 224, "nhwc"),
    "vit": (lambda: ViT(), lambda m: m.blocks[-1].norm1, 128, "tokens"),
}


def calibrate_batchnorm(model, size, gen, batches=4):
    """Sets every BatchNorm's running statistics to those of the layer's input on a few
    batches of N(0, 1) images (train-mode forward passes, cumulative averages), as training
    would; with random weights and the default statistics (mean 0, var 1), or random ones,
    the signal fades with depth until the deep layers' maps are flat and the same for
    every image, which would make the Grad-CAM comparison vacuous. The layers' momentum
    attributes are restored afterwards (they are exported, and the loader must cope)."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn(8, 3, size, size, generator=gen))
    model.eval()
    for m, mom in zip(bns, momenta):
        m.momentum = mom


def randomize_norms(model, gen):
    def u(t, lo, hi):
        return (torch.rand(t.shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo).to(t.dtype)

    def n(t, s):
        return (torch.randn(t.shape, generator=gen, dtype=torch.float64) * s).to(t.dtype)

    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                std = m.running_var.sqrt()
                m.running_mean.add_(n(m.running_mean, 0.1) * std)
                m.running_var.mul_(u(m.running_var, 0.7, 1.4))
                if m.affine:
                    m.weight.copy_(u(m.weight, 0.8, 1.2))
                    m.bias.copy_(n(m.bias, 0.1))
            elif isinstance(m, nn.LayerNorm) and m.elementwise_affine:
                m.weight.copy_(u(m.weight, 0.8, 1.2))
                m.bias.copy_(n(m.bias, 0.05))


class WithTarget(nn.Module):
    """Returns (logits, the target layer's output), captured by a forward hook while the
    model runs (used for the export and for the references; nothing is modified)."""

    def __init__(self, model, layer):
        super().__init__()
        self.model = model
        self.captured = None
        layer.register_forward_hook(lambda mod, inp, out: setattr(self, "captured", out))

    def forward(self, x):
        logits = self.model(x)
        return logits, self.captured


def to_maps(a, layout):
    """pytorch-grad-cam's reshape_transform: activations (or gradients) → [N, K, h, w]."""
    if layout == "tokens":
        n, t, d = a.shape
        g = int(round((t - 1) ** 0.5))
        return a[:, 1:, :].reshape(n, g, g, d).permute(0, 3, 1, 2)
    if layout == "nhwc":
        return a.permute(0, 3, 1, 2)
    return a


def choose_classes(logits, acts, layout, tries=20, min_spread=0.05):
    """The class explained in each image: image 0 from its top class down, image 1 from
    its second, the first whose Grad-CAM map is well-conditioned, i.e. whose relu(raw)
    spans (max - min) at least min_spread of max |raw|. The final map is min-max normalised
    relu(raw), so a float32 error e·max|raw| in raw becomes e / (that fraction) in the
    final: a map with only a sliver above zero, or all positive and nearly flat, would test
    float32 rounding, not camviz. (A fixed class is worse: behind SqueezeNet's final ReLU
    its logit, and so its map, can be 0.) Returns the classes and each map's amplification
    max|raw| / (max relu(raw) - min relu(raw))."""
    order = logits.detach().argsort(dim=1, descending=True)
    classes, condition = [], []
    for b in range(logits.shape[0]):
        best = None
        for rank in range(b, min(b + tries, logits.shape[1])):
            c = int(order[b, rank])
            (g,) = torch.autograd.grad(logits[b, c], acts, retain_graph=True)
            a, g = to_maps(acts.detach()[b:b + 1], layout), to_maps(g[b:b + 1], layout)
            raw = (g.mean(dim=(2, 3), keepdim=True) * a).sum(dim=1)
            r = torch.relu(raw)
            spread, scale = float(r.max() - r.min()), float(raw.abs().max())
            amp = scale / spread if spread > 0 else float("inf")
            if best is None or amp < best[1]:
                best = (c, amp)
            if spread >= min_spread * scale:
                break
        classes.append(best[0])
        condition.append(round(best[1], 2))
    return classes, condition


def minmax(x):
    lo = x.amin(dim=(1, 2), keepdim=True)
    x = x - lo
    return x / (1e-7 + x.amax(dim=(1, 2), keepdim=True))


def export(name, out):
    ctor, layer_of, size, layout = ARCHS[name]
    torch.manual_seed(SEED)
    model = ctor().eval()
    calibrate_batchnorm(model, size, torch.Generator().manual_seed(SEED + 3))
    randomize_norms(model, torch.Generator().manual_seed(SEED + 1))
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    gen = torch.Generator().manual_seed(SEED + 2)
    x = torch.randn(2, 3, size, size, generator=gen)
    wrapped = WithTarget(model, layer_of(model)).eval()
    t0 = time.time()
    with torch.no_grad():
        torch.onnx.export(wrapped, x, os.path.join(d, "model.onnx"), opset_version=17,
                          input_names=["input"], output_names=["logits", "target"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}, "target": {0: "batch"}},
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    export_s = time.time() - t0

    # References in float64: hook-free Grad-CAM (the layer output from the forward pass,
    # torch.autograd.grad of the summed target scores with respect to it).
    model64 = wrapped.double()
    x64 = x.double()
    logits, acts = model64(x64)
    classes, condition = choose_classes(logits, acts, layout)
    score = logits[torch.arange(2), torch.tensor(classes)].sum()
    (grads,) = torch.autograd.grad(score, acts)
    a, g = to_maps(acts.detach(), layout), to_maps(grads, layout)
    w = g.mean(dim=(2, 3), keepdim=True)
    raw = (w * a).sum(dim=1)  # [N, h, w]
    cam = minmax(torch.relu(raw))
    cam = F.interpolate(cam[:, None], size=(size, size), mode="bilinear", align_corners=False)[:, 0]
    final = minmax(torch.relu(cam))

    np.save(os.path.join(d, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(d, "logits.npy"), logits.detach().numpy().astype(np.float32))
    np.save(os.path.join(d, "raw.npy"), raw.detach().numpy().astype(np.float32))
    np.save(os.path.join(d, "gradcam.npy"), final.detach().numpy().astype(np.float32))
    meta = {"arch": name, "layer": layer_path(model, layer_of(model)), "layout": layout, "size": size,
            "classes": classes, "amplification": condition, "acts_shape": list(acts.shape), "map_shape": list(raw.shape),
            "export_seconds": round(export_s, 2), "torch": torch.__version__, "torchvision": torchvision.__version__}
    if name == "vit":
        save_vit_weights(model, os.path.join(d, "weights"))
    with open(os.path.join(d, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def layer_path(model, layer):
    for n, m in model.named_modules():
        if m is layer:
            return n
    return "?"


def save_vit_weights(model, d):
    """The ViT's parameters, one float32 .npy per state_dict key, in torch layouts."""
    os.makedirs(d, exist_ok=True)
    for k, v in model.state_dict().items():
        np.save(os.path.join(d, k + ".npy"), v.detach().float().numpy())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True)
    p.add_argument("--only", default="", help="comma-separated architectures (default: all)")
    p.add_argument("--resume", action="store_true",
                   help="keep architectures already exported in --out (their meta.json is written last)")
    args = p.parse_args()
    names = [n for n in args.only.split(",") if n] or list(ARCHS)
    for n in names:
        if n not in ARCHS:
            sys.exit(f"gen_arch_sweep.py: unknown architecture {n!r}; known: {', '.join(ARCHS)}")
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    done = []
    for n in names:
        done_meta = os.path.join(args.out, n, "meta.json")
        if args.resume and os.path.exists(done_meta):
            with open(done_meta) as f:
                done.append(json.load(f))
            print(f"{n}: kept", flush=True)
            continue
        t0 = time.time()
        meta = export(n, args.out)
        meta["seconds"] = round(time.time() - t0, 2)
        print(f"{n}: target {meta['layer']} {meta['acts_shape']} map {meta['map_shape']} ({meta['seconds']} s)", flush=True)
        done.append(meta)
    # sweep.json, written last, marks a complete sweep.
    with open(os.path.join(args.out, "sweep.json.tmp"), "w") as f:
        json.dump(done, f, indent=1)
    os.replace(os.path.join(args.out, "sweep.json.tmp"), os.path.join(args.out, "sweep.json"))


if __name__ == "__main__":
    main()
