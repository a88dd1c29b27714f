package camviz_test

import (
	"math"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// TestTaskTargetsReference compares Grad-CAM at relu3 under ReSTTarget (one class, and one
// per example) and SimilarityTarget (the logits against e_j = sin(j+1)) with
// pytorch-grad-cam HEAD's ClassifierOutputReST and a CosineSimilarity target.
func TestTaskTargetsReference(t *testing.T) {
	concept := make([]float32, 10)
	for j := range concept {
		concept[j] = float32(math.Sin(float64(j + 1)))
	}
	cases := []struct {
		dir, tag, input string
		target          camviz.Target
	}{
		{"relu3", "rest3", "input_nchw.npy", camviz.ReSTTarget(3)},
		{"relu3", "similarity", "input_nchw.npy", camviz.SimilarityTarget(concept)},
		{"relu3_batch2", "rest3_rest5", "input_b2_nchw.npy", camviz.ReSTTarget(3, 5)},
	}
	m := camviz.MethodGradCAM
	for _, c := range cases {
		res := explainWith(t, c.input, camviz.Config{Layers: []string{"relu3"}, Methods: []camviz.Method{m}}, c.target)
		raw, _ := res.Raw("relu3", m)
		w, _ := res.Weights("relu3", m)
		final, _ := res.Final("relu3", m)
		prefix := "GradCAM_" + c.tag
		for _, chk := range []struct {
			kind      string
			e, within float64
		}{
			{"raw", maxRelErr(flatten(raw), readHead(t, c.dir, prefix+"_raw.npy").Data), headTolerance},
			{"weights", maxRelErr(flatWeights(w), readHead(t, c.dir, prefix+"_weights.npy").Data), headTolerance},
			{"final", maxAbsErr(flatten(final), readHead(t, c.dir, prefix+"_final.npy").Data), headTolerance},
		} {
			recordHeadErr(camviz.Method("target:"+c.tag), chk.kind, chk.e)
			t.Logf("%s/%s %s: max error %.3g", c.dir, prefix, chk.kind, chk.e)
			if chk.e > chk.within {
				t.Errorf("%s/%s %s: max error %.3g", c.dir, prefix, chk.kind, chk.e)
			}
		}
	}
}

// segNet is a tiny segmentation network: conv 3×3 (2→3 channels) → ReLU (tapped "feat")
// → 1×1 conv to 2 classes, output [batch, H, W, 2].
var segKernel = [][]float32{{0.5, -1}, {2, 0.25}, {-0.75, 1.5}} // [3 features, 2 classes]

func segNet(_ *model.Scope, images *graph.Node) *graph.Node {
	g := images.Graph()
	w := make([]float32, 3*3*2*3)
	for i := range w {
		w[i] = float32(math.Sin(float64(i)*0.7)) * 0.5
	}
	k := graph.Reshape(graph.Const(g, w), 3, 3, 2, 3)
	feat := camviz.Tap(graph.Max(graph.Convolve(images, k).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done(),
		graph.ScalarZero(g, images.DType())), "feat")
	return graph.Einsum("bhwk,kc->bhwc", feat, graph.Const(g, segKernel))
}

// TestSegmentationTarget checks the segmentation target on segNet: score = Σ mask·out_c,
// so ∂score/∂feat_ijk = mask_ij·W[k, c] and Grad-CAM's weight is α_k = W[k, c]·mean(mask).
func TestSegmentationTarget(t *testing.T) {
	h, w := 4, 5
	mask := make([]float32, h*w)
	var maskMean float64
	for i := range mask {
		if i%3 == 0 {
			mask[i] = 1
			maskMean += 1.0 / float64(h*w)
		}
	}
	img := make([]float32, h*w*2)
	for i := range img {
		img[i] = float32(math.Cos(float64(i) * 1.3))
	}
	for _, class := range []int{0, 1} {
		ex, err := camviz.NewExplainer(testBackend, nil, segNet, camviz.Config{Layers: []string{"feat"},
			Methods: []camviz.Method{camviz.MethodGradCAM}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := ex.ExplainFloats(img, []int{1, h, w, 2}, camviz.SegmentationTarget(class, mask, []int{h, w}, false))
		if err != nil {
			t.Fatal(err)
		}
		wts, _ := res.Weights("feat", camviz.MethodGradCAM)
		for k := range 3 {
			want := float64(segKernel[k][class]) * maskMean
			if math.Abs(float64(wts[0][k])-want) > 1e-6 {
				t.Errorf("class %d: α_%d = %g, want W·mean(mask) = %g", class, k, wts[0][k], want)
			}
		}
		// The score is Σ mask · out_c, from the returned outputs.
		var want float64
		for i, m := range mask {
			want += float64(m) * float64(res.Logits[0][i*2+class])
		}
		if math.Abs(float64(res.Scores[0])-want) > 1e-5 {
			t.Errorf("class %d: score %g, want Σ mask·out = %g", class, res.Scores[0], want)
		}
	}
	ex, _ := camviz.NewExplainer(testBackend, nil, segNet, camviz.Config{Layers: []string{"feat"},
		Methods: []camviz.Method{camviz.MethodGradCAM}})
	_, err := ex.ExplainFloats(img, []int{1, h, w, 2}, camviz.SegmentationTarget(0, mask[:7], []int{7}, false))
	wantErr(t, err, "mask of 7 values")
	_, err = ex.ExplainFloats(img, []int{1, h, w, 2}, camviz.ArgmaxTarget())
	wantErr(t, err, "SegmentationTarget")
}

// TestBinaryTarget: for a one-logit model, category 1 explains y and category 0 explains
// −y, so their Grad-CAM weights are opposite and equal to a FuncTarget's.
func TestBinaryTarget(t *testing.T) {
	fn := func(scope *model.Scope, images *graph.Node) *graph.Node {
		logits := segNet(scope, images)
		return graph.ReduceMean(graph.SliceAxis(logits, 3, graph.AxisRange(1, 2)), 1, 2) // [batch, 1]
	}
	ex, err := camviz.NewExplainer(testBackend, nil, fn, camviz.Config{Layers: []string{"feat"},
		Methods: []camviz.Method{camviz.MethodGradCAM}})
	if err != nil {
		t.Fatal(err)
	}
	img := make([]float32, 2*4*4*2)
	for i := range img {
		img[i] = float32(math.Sin(float64(i) * 0.9))
	}
	weights := func(target camviz.Target) ([][]float32, []float32) {
		res, err := ex.ExplainFloats(img, []int{2, 4, 4, 2}, target)
		if err != nil {
			t.Fatal(err)
		}
		w, _ := res.Weights("feat", camviz.MethodGradCAM)
		return w, res.Scores
	}
	pos, sPos := weights(camviz.BinaryTarget(1))
	neg, sNeg := weights(camviz.BinaryTarget(0))
	ref, sRef := weights(camviz.FuncTarget("y", func(l *graph.Node) *graph.Node { return graph.Reshape(l, 2) }))
	for b := range 2 {
		if sPos[b] != sRef[b] || sNeg[b] != -sRef[b] {
			t.Errorf("example %d: scores %g, %g; want y = %g and −y", b, sPos[b], sNeg[b], sRef[b])
		}
		for k := range pos[b] {
			if pos[b][k] != ref[b][k] || neg[b][k] != -ref[b][k] {
				t.Errorf("example %d channel %d: weights %g, %g, want %g and its negative", b, k, pos[b][k], neg[b][k], ref[b][k])
			}
		}
	}
}

// TestBoxScoreTarget checks FasterRCNNBoxScoreTarget's rule on fixed detections: for each
// reference box the best-IoU detection counts (IoU + score) only above the threshold and
// with the same label.
func TestBoxScoreTarget(t *testing.T) {
	dets := []float32{
		0, 0, 10, 10, 0.9, 1, // d0
		5, 5, 15, 15, 0.8, 2, // d1
		20, 20, 30, 30, 0.7, 1, // d2
	}
	fn := func(_ *model.Scope, images *graph.Node) *graph.Node {
		g := images.Graph()
		d := graph.Reshape(graph.Const(g, dets), 1, 3, 6)
		// 0·images keeps the detections a function of the input.
		return graph.Add(d, graph.MulScalar(graph.ReduceSum(images), 0))
	}
	ex, err := camviz.NewExplainer(testBackend, nil, fn, camviz.Config{
		Methods: []camviz.Method{camviz.MethodFullGrad}})
	if err != nil {
		t.Fatal(err)
	}
	refs := []camviz.Box{
		{X1: 0, Y1: 0, X2: 10, Y2: 8, Label: 1},    // best d0, IoU 80/100 = 0.8 → 0.8 + 0.9
		{X1: 6, Y1: 6, X2: 15, Y2: 15, Label: 1},   // best d1 (IoU 81/100) but label 2 → 0
		{X1: 22, Y1: 20, X2: 32, Y2: 30, Label: 1}, // best d2, IoU 80/120 = 0.667 → 0.667 + 0.7
		{X1: 28, Y1: 28, X2: 40, Y2: 40, Label: 1}, // best d2, IoU 4/240 below 0.5 → 0
	}
	res, err := ex.ExplainFloats(make([]float32, 2*2*1), []int{1, 2, 2, 1}, camviz.BoxScoreTarget(refs, 0.5))
	if err != nil {
		t.Fatal(err)
	}
	want := 0.8 + 0.9 + 80.0/120 + 0.7
	if math.Abs(float64(res.Scores[0])-want) > 1e-5 {
		t.Errorf("box score %g, want %g", res.Scores[0], want)
	}
}
