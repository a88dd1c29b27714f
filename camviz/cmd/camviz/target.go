package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
)

// targetUsage lists the --target forms.
const targetUsage = "class:C (the logit of class C, as --class C), softmax:C (its softmax probability), " +
	"rest:C (ReST: 2·y_C − log Σ exp y), binary:C (a one-logit model: y for C = 1, −y otherwise), " +
	"seg:C:MASK.npy (Σ mask·score of class C over a [H,W] or [N,H,W] mask, for segmentation models), " +
	"box:BOXES.npy[:IOU] (FasterRCNNBoxScoreTarget over reference boxes [R,5] = x1,y1,x2,y2,label, for " +
	"detectors returning [N,P,6]; IOU defaults to 0.5), similarity:EMB.npy (cosine with an embedding [D])"

// parseTarget reads a --target KIND:ARGS value; channelsFirst is the model's layout (for
// segmentation score maps).
func parseTarget(spec string, channelsFirst bool) (camviz.Target, error) {
	kind, args, _ := strings.Cut(spec, ":")
	parts := strings.Split(args, ":")
	class := func() (int, error) {
		c, err := strconv.Atoi(parts[0])
		if err != nil || c < 0 {
			return 0, fmt.Errorf("--target %s: %q is not a class index ≥ 0", spec, parts[0])
		}
		return c, nil
	}
	need := func(n int) error {
		if args == "" || len(parts) < n {
			return fmt.Errorf("--target %s: %s needs %d argument(s); forms: %s", spec, kind, n, targetUsage)
		}
		return nil
	}
	switch strings.ToLower(kind) {
	case "class", "softmax", "rest", "binary":
		if err := need(1); err != nil {
			return camviz.Target{}, err
		}
		c, err := class()
		if err != nil {
			return camviz.Target{}, err
		}
		switch strings.ToLower(kind) {
		case "class":
			return camviz.ClassTarget(c), nil
		case "softmax":
			return camviz.SoftmaxTarget(c), nil
		case "rest":
			return camviz.ReSTTarget(c), nil
		}
		return camviz.BinaryTarget(c), nil
	case "seg":
		if err := need(2); err != nil {
			return camviz.Target{}, err
		}
		c, err := class()
		if err != nil {
			return camviz.Target{}, err
		}
		mask, err := npy.ReadFile(strings.Join(parts[1:], ":"))
		if err != nil {
			return camviz.Target{}, fmt.Errorf("--target %s: reading the mask: %w", spec, err)
		}
		if len(mask.Shape) != 2 && len(mask.Shape) != 3 {
			return camviz.Target{}, fmt.Errorf("--target %s: the mask has shape %v; want [H,W] or [N,H,W]", spec, mask.Shape)
		}
		return camviz.SegmentationTarget(c, mask.Data, mask.Shape, channelsFirst), nil
	case "similarity":
		if err := need(1); err != nil {
			return camviz.Target{}, err
		}
		emb, err := npy.ReadFile(args)
		if err != nil {
			return camviz.Target{}, fmt.Errorf("--target %s: reading the embedding: %w", spec, err)
		}
		if len(emb.Shape) != 1 && !(len(emb.Shape) == 2 && emb.Shape[0] == 1) {
			return camviz.Target{}, fmt.Errorf("--target %s: the embedding has shape %v; want [D]", spec, emb.Shape)
		}
		return camviz.SimilarityTarget(emb.Data), nil
	case "box":
		if err := need(1); err != nil {
			return camviz.Target{}, err
		}
		path, iou := args, 0.5
		if i := strings.LastIndex(args, ":"); i >= 0 {
			if v, err := strconv.ParseFloat(args[i+1:], 64); err == nil {
				path, iou = args[:i], v
			}
		}
		a, err := npy.ReadFile(path)
		if err != nil {
			return camviz.Target{}, fmt.Errorf("--target %s: reading the boxes: %w", spec, err)
		}
		if len(a.Shape) != 2 || a.Shape[1] != 5 || a.Shape[0] == 0 {
			return camviz.Target{}, fmt.Errorf("--target %s: the boxes have shape %v; want [R,5] rows x1,y1,x2,y2,label", spec, a.Shape)
		}
		boxes := make([]camviz.Box, a.Shape[0])
		for i := range boxes {
			r := a.Data[5*i : 5*i+5]
			boxes[i] = camviz.Box{X1: r[0], Y1: r[1], X2: r[2], Y2: r[3], Label: int(r[4])}
		}
		return camviz.BoxScoreTarget(boxes, iou), nil
	}
	return camviz.Target{}, fmt.Errorf("--target %q: unknown kind %q; forms: %s", spec, kind, targetUsage)
}

// parseRanks reads --finer-ranks "1,2,3".
func parseRanks(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, f := range strings.Split(s, ",") {
		r, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || r < 1 {
			return nil, fmt.Errorf("--finer-ranks %q: want ranks ≥ 1 separated by commas (1 is the most similar class)", s)
		}
		out = append(out, r)
	}
	return out, nil
}
