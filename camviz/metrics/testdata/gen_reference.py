"""Regenerates reference.json, the cross-check data for camviz/metrics tests.

Run with Debian's python3 (apt-get install python3-opencv python3-skimage
python3-scipy python3-numpy): /usr/bin/python3 gen_reference.py

Every reference value comes from the upstream libraries or from a direct
transcription of the upstream evaluation code's semantics:
  * boxes / MaxBoxAcc: clovaai/wsolevaluation evaluation.py
    (compute_bboxes_from_scoremaps with cv2.findContours, calculate_multiple_iou,
    BoxEvaluator), here with OpenCV 4.6;
  * PxAP: wsolevaluation MaskEvaluator (numpy.histogram over bin edges);
  * SSIM: skimage.metrics.structural_similarity(data_range=1) defaults;
  * Spearman: scipy.stats.spearmanr;
  * ROAD: pytorch-grad-cam metrics (np.percentile mask rule and
    NoisyLinearImputer's sparse system solved with scipy spsolve, noise 0);
  * RISE: gkern(11, 5) via scipy.ndimage.gaussian_filter and torch-style
    conv2d with zero padding 5.
"""
import json

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter
from scipy.sparse import lil_matrix, csc_matrix
from scipy.sparse.linalg import spsolve
from scipy.stats import spearmanr
from skimage.metrics import structural_similarity

rng = np.random.default_rng(20200614)


def f32list(a):
    """Shortest decimal of each float32 value (parses back to the same float32)."""
    return [float(str(v)) for v in np.asarray(a, dtype=np.float32).ravel()]


def g10(a):
    return [float("%.10g" % v) for v in np.asarray(a).ravel()]


def smooth_map(h, w, blobs):
    yy, xx = np.mgrid[0:h, 0:w]
    m = 0.15 * rng.random((h, w))
    for _ in range(blobs):
        cy, cx = rng.random() * h, rng.random() * w
        s = 1 + rng.random() * min(h, w) / 4
        m += rng.random() * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    m = (m - m.min()) / (m.max() - m.min())
    m = m.astype(np.float32)
    m[rng.random((h, w)) < 0.05] = 0  # some exact zeros, holes
    return m


# --- wsolevaluation boxes -------------------------------------------------
def wsol_boxes(scoremap, thresholds, multi):
    height, width = scoremap.shape
    img = np.expand_dims((scoremap * 255).astype(np.uint8), 2)
    out = []
    for t in thresholds:
        _, thr = cv2.threshold(src=img, thresh=int(t * np.max(img)), maxval=255, type=cv2.THRESH_BINARY)
        contours = cv2.findContours(image=thr, mode=cv2.RETR_TREE, method=cv2.CHAIN_APPROX_SIMPLE)[0]
        if len(contours) == 0:
            out.append([[0, 0, 0, 0]])
            continue
        if not multi:
            contours = [max(contours, key=cv2.contourArea)]
        boxes = []
        for c in contours:
            x, y, w, h = cv2.boundingRect(c)
            boxes.append([x, y, min(x + w, width - 1), min(y + h, height - 1)])
        out.append(boxes)
    return out


def iou_incl(a, b):
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]) + 1)
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]) + 1)
    inter = ix * iy
    area = lambda r: (r[2] - r[0] + 1) * (r[3] - r[1] + 1)
    den = area(a) + area(b) - inter
    return 0.0 if den <= 0 else inter / den


box_cases = []
step = 0.05
thresholds = list(np.arange(0, 1, step))
for i in range(14):
    h, w = int(rng.integers(8, 26)), int(rng.integers(8, 26))
    m = smooth_map(h, w, int(rng.integers(1, 4)))
    gts = []
    for _ in range(int(rng.integers(1, 3))):
        # Near a box of the map at some threshold, jittered, so accuracies vary.
        b = wsol_boxes(m.astype(np.float64), [0.2 + 0.5 * rng.random()], bool(rng.random() < 0.5))[0]
        x0, y0, x1, y1 = b[int(rng.integers(0, len(b)))]
        j = lambda v, hi: int(np.clip(v + rng.integers(-2, 3), 0, hi))
        x0, x1 = sorted((j(x0, w - 1), j(x1, w - 1)))
        y0, y1 = sorted((j(y0, h - 1), j(y1, h - 1)))
        gts.append([x0, y0, x1, y1])
    case = {"h": h, "w": w, "map": f32list(m), "gt": gts}
    sm = m.astype(np.float64)
    for multi in (False, True):
        per_t = wsol_boxes(sm, thresholds, multi)
        case["v2" if multi else "v1"] = per_t
        best = [max(iou_incl(b, g) for b in boxes for g in gts) for boxes in per_t]
        case["iou_v2" if multi else "iou_v1"] = best
    box_cases.append(case)

# MaxBoxAcc over the set, as BoxEvaluator.compute (percent), δ = 30/50/70.
maxboxacc = {}
for key in ("iou_v1", "iou_v2"):
    accs = []
    for d in (30, 50, 70):
        correct = np.zeros(len(thresholds))
        for c in box_cases:
            correct[np.asarray(c[key]) >= d / 100] += 1
        accs.append(float((correct * 100.0 / len(box_cases)).max()))
    maxboxacc[key] = accs

# --- PxAP -----------------------------------------------------------------
pxap_maps, pxap_masks = [], []
cam_thr = list(np.arange(0, 1, 0.01))
edges = np.append(cam_thr, [1.0, 2.0, 3.0])
true_hist = np.zeros(len(cam_thr) + 2)
false_hist = np.zeros(len(cam_thr) + 2)
for i in range(3):
    h, w = 16, 20
    m = smooth_map(h, w, 2)
    mask = (m + 0.4 * rng.random((h, w))) > 0.6
    pxap_maps.append(f32list(m))
    pxap_masks.append([bool(v) for v in mask.ravel()])
    sm = m.astype(np.float64)
    true_hist += np.histogram(sm[mask], bins=edges)[0]
    false_hist += np.histogram(sm[~mask], bins=edges)[0]
tp = true_hist[::-1].cumsum()
fn = true_hist.sum() - tp
fp = false_hist[::-1].cumsum()
nz = (tp + fp) != 0
with np.errstate(invalid="ignore", divide="ignore"):
    precision = tp / (tp + fp)
recall = tp / (tp + fn)
pxap = float((precision[1:] * np.diff(recall))[nz[1:]].sum() * 100)

# --- SSIM and Spearman ----------------------------------------------------
pairs = []
for i in range(4):
    h, w = int(rng.integers(7, 20)), int(rng.integers(7, 20))
    a = smooth_map(h, w, 2)
    b = np.clip(a + 0.2 * rng.standard_normal((h, w)).astype(np.float32), 0, 1).astype(np.float32)
    if i == 3:
        b = np.round(b * 4).astype(np.float32) / 4  # heavy ties
    ssim = structural_similarity(a.astype(np.float64), b.astype(np.float64), data_range=1)
    rho = spearmanr(a.ravel(), b.ravel()).correlation
    pairs.append({"h": h, "w": w, "a": f32list(a), "b": f32list(b), "ssim": float(ssim), "spearman": float(rho)})

# --- ROAD -----------------------------------------------------------------
weights = [((1, 1), 1 / 12), ((0, 1), 1 / 6), ((-1, 1), 1 / 12), ((1, -1), 1 / 12),
           ((0, -1), 1 / 6), ((-1, -1), 1 / 12), ((1, 0), 1 / 6), ((-1, 0), 1 / 6)]


def road_impute(img, mask):
    """img (C,H,W), mask (H,W) 1 = keep; pytorch-grad-cam's system, spsolve, no noise."""
    C, H, W = img.shape
    maskflt = mask.flatten()
    imgflat = img.reshape((C, -1))
    idx = np.argwhere(maskflt == 0).flatten()
    vidx = np.zeros(len(maskflt), dtype=int)
    vidx[idx] = np.arange(len(idx))
    n = len(idx)
    A = lil_matrix((n, n))
    b = np.zeros((n, C))
    sum_nb = np.ones(n)
    for off, wt in weights:
        c1 = idx % W + off[1]
        c0 = idx // W + off[0]
        valid = ~((c0 < 0) | (c1 < 0) | (c0 >= H) | (c1 >= W))
        newc = idx + off[0] * W + off[1]
        vc = newc[valid]
        vids = np.argwhere(valid).flatten()
        known = maskflt[vc] > 0.5
        b[vids[known], :] -= wt * imgflat[:, vc[known]].T
        A[vids[~known], vidx[vc[~known]]] = wt
        sum_nb[~valid] -= wt
    A[np.arange(n), np.arange(n)] = -sum_nb
    res = spsolve(csc_matrix(A), b)
    res = res.reshape(n, C) if C > 1 else res.reshape(n, 1)
    out = imgflat.copy().astype(np.float64)
    out[:, idx] = res.T
    return out.reshape(C, H, W)


road_cases = []
for i in range(2):
    H, W, C = 14, 17, 3
    cam = smooth_map(H, W, 2)
    img = rng.standard_normal((C, H, W)).astype(np.float32)
    for p, morf in ((80, True), (20, False), (50, True), (30, False)):
        m = cam if morf else (1 - cam)
        thr = np.percentile(m, p)
        keep = np.float32(m < thr)
        out = road_impute(img, keep)
        road_cases.append({"h": H, "w": W, "c": C, "cam": f32list(cam),
                           "img_hwc": f32list(img.transpose(1, 2, 0)), "p": p, "morf": morf,
                           "keep": [bool(v) for v in keep.ravel()],
                           "out_hwc": g10(out.transpose(1, 2, 0))})

# --- RISE blur ------------------------------------------------------------
inp = np.zeros((11, 11))
inp[5, 5] = 1
kern = gaussian_filter(inp, 5)
img = rng.random((13, 15)).astype(np.float32)
pad = np.pad(img.astype(np.float64), 5)
blur = np.zeros_like(img, dtype=np.float64)
for y in range(13):
    for x in range(15):
        blur[y, x] = (pad[y:y + 11, x:x + 11] * kern).sum()

json.dump({
    "box_step": step, "boxes": box_cases, "maxboxacc": maxboxacc,
    "pxap": {"maps": pxap_maps, "masks": pxap_masks, "h": 16, "w": 20, "value": pxap},
    "pairs": pairs, "road": road_cases,
    "rise": {"kernel": [float(v) for v in kern.ravel()], "img": f32list(img), "blur": g10(blur)},
}, open("reference.json", "w"))
print("boxes", len(box_cases), "maxboxacc", maxboxacc, "pxap", pxap)
