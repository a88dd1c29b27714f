# ResNet-18 forward and Grad-CAM with plain torch autograd, for camviz's bench
# (camviz bench -torch). Prints one JSON line with the medians in ms.
# torchvision is not needed: the network is torchvision's resnet18 layout
# (BasicBlocks [2,2,2,2], 7x7/2 stem, 3x3/2 max-pool), random weights, eval mode.
import json, os, statistics, sys, time

import torch
import torch.nn as nn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.downsample is None else self.downsample(x)
        return self.relu(y + s)


class ResNet18(nn.Module):
    def __init__(self, classes=1000):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, 2, 1))
        layers, cin = [], 64
        for i, c in enumerate([64, 128, 256, 512]):
            stride = 1 if i == 0 else 2
            layers.append(nn.Sequential(BasicBlock(cin, c, stride), BasicBlock(c, c, 1)))
            cin = c
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(512, classes)

    def features(self, x):
        return self.layers(self.stem(x))

    def head(self, a):
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(a, 1), 1))

    def forward(self, x):
        return self.head(self.features(x))


def median_ms(fn, warmup, reps):
    """Median wall time and median process CPU time (all threads) of fn, in ms."""
    for _ in range(warmup):
        fn()
    times, cpus = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
        cpus.append((time.process_time() - c0) * 1e3)
    return statistics.median(times), statistics.median(cpus)


def main():
    size, batch, warmup, reps, threads = (int(a) for a in sys.argv[1:6])
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = ResNet18().eval()
    for p in model.parameters():
        p.requires_grad_(False)  # Grad-CAM needs no parameter gradients (camviz builds none)
    x = torch.randn(batch, 3, size, size)

    def forward():
        with torch.no_grad():
            model.head(model.features(x))

    def gradcam():
        with torch.no_grad():  # the features need no graph: the gradient stops at layer4.1
            a = model.features(x)
        a.requires_grad_(True)
        logits = model.head(a)
        score = logits.gather(1, logits.argmax(1, keepdim=True)).sum()
        (g,) = torch.autograd.grad(score, a)
        w = g.mean(dim=(2, 3), keepdim=True)
        return (w * a).sum(1).detach()

    fwd, fwd_cpu = median_ms(forward, warmup, reps)
    gc, gc_cpu = median_ms(gradcam, warmup, reps)
    out = {"forward_ms": fwd, "forward_cpu_ms": fwd_cpu, "gradcam_ms": gc, "gradcam_cpu_ms": gc_cpu,
           "threads": torch.get_num_threads(), "torch": torch.__version__,
           "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "")}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
