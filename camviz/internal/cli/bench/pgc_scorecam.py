# pytorch-grad-cam's own Score-CAM on the bench's ResNet-18 (camviz bench -pgc DIR), for the
# same-run ratio "camviz Score-CAM / PGC Score-CAM". pytorch-grad-cam is not part of camviz:
# it is imported from the folders given (a checkout of jacobgil/pytorch-grad-cam, and ttach's
# if it is not installed). Prints one JSON line.
#
#   python3 pgc_scorecam.py PATHS SIZE THREADS REPS
#
# The network is torch_resnet.py's (torchvision's resnet18 layout, random weights, eval
# mode), ScoreCAM(model, target_layers=[layer4[-1]]) with the library's default batch size
# (16), one 224² image, ClassifierOutputTarget of the argmax class, tqdm silenced.
import json, os, statistics, sys, time

paths, size, threads, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sys.path[:0] = [p for p in paths.split(os.pathsep) if p]

import torch
import tqdm

tqdm.tqdm = lambda it, *a, **k: it  # the library wraps its batch loop in tqdm.tqdm: no progress bars

from pytorch_grad_cam import ScoreCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget

from torch_resnet import ResNet18


def main():
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = ResNet18().eval()
    x = torch.randn(1, 3, size, size)
    with torch.no_grad():
        cls = int(model(x).argmax(1))
        for _ in range(2):  # warm-up: the allocator and oneDNN's primitives for batch 16
            model(torch.randn(16, 3, size, size))
    cam = ScoreCAM(model=model, target_layers=[model.layers[3][-1]])
    targets = [ClassifierOutputTarget(cls)]
    times, cpus = [], []
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        out = cam(input_tensor=x, targets=targets)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    assert out.shape == (1, size, size), out.shape
    print(json.dumps({"scorecam_s": statistics.median(times), "scorecam_cpu_s": statistics.median(cpus),
                      "batch_size": getattr(cam, "batch_size", 16), "reps": reps, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", ""),
                      "pgc": os.path.dirname(os.path.dirname(sys.modules["pytorch_grad_cam"].__file__))}))


if __name__ == "__main__":
    main()
