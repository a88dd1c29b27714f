package camviz

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// Task targets: pytorch-grad-cam's targets beyond a class logit, for classifiers scored
// differently and for models whose output is not logits (segmentation, detection,
// embeddings).

// ReSTTarget is pytorch-grad-cam's ClassifierOutputReST (Cai et al., arXiv:2501.06261),
// which mixes the pre- and post-softmax views of class c: the logit minus the
// cross-entropy loss of c,
//
//	score = y_c − CE(y, c) = y_c − (log Σ_j exp(y_j) − y_c) = 2·y_c − log Σ_j exp(y_j)
//
// (one class for the batch, or one per example).
func ReSTTarget(classes ...int) Target {
	return Target{kind: targetReST, classes: classes, name: fmt.Sprintf("rest %v", classes)}
}

// BinaryTarget is pytorch-grad-cam's BinaryClassifierOutputTarget for a model with one
// output logit y ([batch, 1] or [batch]): score = y for category 1 and −y for any other
// category (explaining the negative class).
func BinaryTarget(category int) Target {
	sign := -1.0
	if category == 1 {
		sign = 1
	}
	return Target{kind: targetFunc, anyOutput: true, name: fmt.Sprintf("binary %d", category),
		fn: func(out *graph.Node) *graph.Node {
			d := out.Shape().Dimensions
			if !(len(d) == 1 || (len(d) == 2 && d[1] == 1)) {
				panic(fmt.Errorf("camviz: binary target: the model returned %v; want one logit per example, [batch, 1]", d))
			}
			return graph.MulScalar(graph.Reshape(out, d[0]), sign)
		}}
}

// SegmentationTarget is pytorch-grad-cam's SemanticSegmentationTarget for a model whose
// output is a class score map, [batch, H, W, C] (or [batch, C, H, W] with channelsFirst):
// the sum of class c's scores over a mask,
//
//	score = Σ_ij mask(i,j) · out_c(i,j)
//
// mask holds H·W values (one mask for the batch) or batch·H·W (one per example),
// row-major; a binary mask sums the class over a region.
func SegmentationTarget(class int, mask []float32, maskDims []int, channelsFirst bool) Target {
	name := fmt.Sprintf("seg %d %v", class, maskDims)
	return Target{kind: targetFunc, anyOutput: true, name: name, fn: func(out *graph.Node) *graph.Node {
		d := out.Shape().Dimensions
		if len(d) != 4 {
			panic(fmt.Errorf("camviz: segmentation target: the model returned %v; want score maps [batch, H, W, C] "+
				"(or [batch, C, H, W] for channels-first models)", d))
		}
		if channelsFirst {
			out = graph.TransposeAllAxes(out, 0, 2, 3, 1)
			d = out.Shape().Dimensions
		}
		b, h, w, c := d[0], d[1], d[2], d[3]
		if class < 0 || class >= c {
			panic(fmt.Errorf("camviz: segmentation target: class %d outside the model's %d classes", class, c))
		}
		var m *graph.Node
		switch len(mask) {
		case h * w:
			m = graph.BroadcastToDims(graph.InsertAxes(graph.Const(out.Graph(), mask), 0), b, h*w)
		case b * h * w:
			m = graph.Const(out.Graph(), mask)
		default:
			panic(fmt.Errorf("camviz: segmentation target: mask of %d values (dims %v) for outputs %v: want H·W = %d or "+
				"batch·H·W = %d values", len(mask), maskDims, d, h*w, b*h*w))
		}
		m = graph.Reshape(graph.ConvertDType(m, out.DType()), b, h, w)
		scores := graph.Reshape(graph.SliceAxis(out, 3, graph.AxisRange(class, class+1)), b, h, w)
		return graph.ReduceSum(graph.Mul(scores, m), 1, 2)
	}}
}

// SimilarityTarget scores the cosine similarity of the model's output vector (an
// embedding, [batch, D]) with a concept embedding e [D] (pytorch-grad-cam's tutorial
// SimilarityToConceptTarget, torch.nn.CosineSimilarity):
//
//	score = ⟨f, e⟩ / max(‖f‖·‖e‖, 1e-8)
func SimilarityTarget(embedding []float32) Target {
	e := append([]float32(nil), embedding...)
	return Target{kind: targetFunc, anyOutput: true, name: fmt.Sprintf("similarity (%d-d)", len(e)),
		fn: func(out *graph.Node) *graph.Node {
			d := out.Shape().Dimensions
			if len(d) != 2 || d[1] != len(e) {
				panic(fmt.Errorf("camviz: similarity target: the model returned %v; want embeddings [batch, %d]", d, len(e)))
			}
			ev := graph.ConvertDType(graph.Const(out.Graph(), e), out.DType())
			dot := graph.Einsum("bd,d->b", out, ev)
			norms := graph.Mul(graph.Sqrt(graph.ReduceSum(graph.Mul(out, out), 1)), graph.Sqrt(graph.ReduceAllSum(graph.Mul(ev, ev))))
			return graph.Div(dot, graph.Max(norms, graph.Scalar(out.Graph(), out.DType(), 1e-8)))
		}}
}

// Box is an axis-aligned box (x1, y1) – (x2, y2) with x2 > x1 and y2 > y1, and a label.
type Box struct {
	X1, Y1, X2, Y2 float32
	Label          int
}

// BoxScoreTarget is pytorch-grad-cam's FasterRCNNBoxScoreTarget for a detector whose
// output is its detections, [batch, P, 6] with rows (x1, y1, x2, y2, score, label): for
// every reference box r, take the detection d with the largest IoU(r, d); when that IoU
// exceeds iouThreshold (0.5 in the library) and d has r's label, add IoU(r, d) + score_d:
//
//	score = Σ_r [IoU(r, d*) > t ∧ label(d*) = label(r)] · (IoU(r, d*) + score(d*)),
//	d* = argmax_d IoU(r, d)
//
// so explaining it shows what keeps the detections in place and confident. The IoU is
// differentiated through the predicted coordinates, as in the library.
func BoxScoreTarget(refs []Box, iouThreshold float64) Target {
	boxes := append([]Box(nil), refs...)
	return Target{kind: targetFunc, anyOutput: true, name: fmt.Sprintf("box %d refs", len(boxes)),
		fn: func(out *graph.Node) *graph.Node {
			d := out.Shape().Dimensions
			if len(d) != 3 || d[2] != 6 {
				panic(fmt.Errorf("camviz: box-score target: the model returned %v; want detections [batch, P, 6] "+
					"(x1, y1, x2, y2, score, label)", d))
			}
			g, dt := out.Graph(), out.DType()
			col := func(i int) *graph.Node {
				return graph.Reshape(graph.SliceAxis(out, 2, graph.AxisRange(i, i+1)), d[0], d[1])
			}
			x1, y1, x2, y2, score, label := col(0), col(1), col(2), col(3), col(4), col(5)
			areaD := graph.Mul(graph.Sub(x2, x1), graph.Sub(y2, y1))
			total := graph.ReduceSum(graph.ZerosLike(x1), 1)
			zero := graph.ZerosLike(x1)
			for _, r := range boxes {
				c := func(v float32) *graph.Node { return graph.Scalar(g, dt, float64(v)) }
				w := graph.Max(graph.Sub(graph.Min(x2, c(r.X2)), graph.Max(x1, c(r.X1))), zero)
				h := graph.Max(graph.Sub(graph.Min(y2, c(r.Y2)), graph.Max(y1, c(r.Y1))), zero)
				inter := graph.Mul(w, h)
				union := graph.Sub(graph.AddScalar(areaD, float64((r.X2-r.X1)*(r.Y2-r.Y1))), inter)
				iou := graph.Div(inter, union) // [batch, P]
				best := graph.ArgMax(graph.StopGradient(iou), 1, dtypes.Int32)
				pick := graph.OneHot(best, d[1], dt)
				bestIoU := graph.ReduceSum(graph.Mul(iou, pick), 1)
				bestScore := graph.ReduceSum(graph.Mul(score, pick), 1)
				bestLabel := graph.ReduceSum(graph.Mul(label, pick), 1)
				ok := graph.LogicalAnd(graph.GreaterThan(bestIoU, graph.Scalar(g, dt, iouThreshold)),
					graph.Equal(bestLabel, graph.Scalar(g, dt, float64(r.Label))))
				total = graph.Add(total, graph.Where(ok, graph.Add(bestIoU, bestScore), graph.ZerosLike(bestIoU)))
			}
			return total
		}}
}
