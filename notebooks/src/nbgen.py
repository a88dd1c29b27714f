"""Tiny helper to write GoNB notebooks from a list of (kind, text) cells.

Used by the per-notebook scripts in this folder; the notebooks are then executed (and their
outputs saved) by `go run ./kernels/run -inplace notebooks/NAME.ipynb`.
"""
import json


def write(path, cells, min_png_outputs=1):
    nb = {
        "cells": [],
        "metadata": {
            "camviz": {"min_png_outputs": min_png_outputs},
            "kernelspec": {"display_name": "Go (camviz)", "language": "go", "name": "camviz"},
            "language_info": {"codemirror_mode": "", "file_extension": ".go", "mimetype": "text/x-go",
                              "name": "go", "nbconvert_exporter": "", "pygments_lexer": "",
                              "version": "go1.27.3-X:simd"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for i, (kind, text) in enumerate(cells):
        text = text.strip("\n")
        lines = [l + "\n" for l in text.split("\n")]
        lines[-1] = lines[-1].rstrip("\n")
        cell = {"cell_type": kind, "id": f"c{i:02d}", "metadata": {}, "source": lines}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        nb["cells"].append(cell)
    with open(path, "w") as f:
        json.dump(nb, f, indent=1, ensure_ascii=False)
        f.write("\n")
