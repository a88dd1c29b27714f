#!/usr/bin/python3
"""Writes ../testdata/cv2_resize_*.npy: cv2.resize INTER_LINEAR outputs on seeded
random float32 maps (OpenCV 4.6.0, Debian python3-opencv), for sizes that the
pytorch-grad-cam reference data does not cover: non-integer and non-square scales,
upsampling and downsampling.

Run: cd camviz/heatmap && /usr/bin/python3 tools/gen_resize_ref.py
"""
import os

import cv2
import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata")
rng = np.random.default_rng(7)
for name, (h, w), (oh, ow) in [("up", (7, 5), (20, 13)), ("down", (13, 9), (5, 4))]:
    x = rng.standard_normal((h, w)).astype(np.float32)
    y = cv2.resize(x, (ow, oh), interpolation=cv2.INTER_LINEAR)
    assert y.shape == (oh, ow) and y.dtype == np.float32
    np.save(os.path.join(here, "cv2_resize_%s_in.npy" % name), x)
    np.save(os.path.join(here, "cv2_resize_%s_out.npy" % name), y)
