package camviz

import (
	"fmt"
	"math"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/gomlx/core/graph"
)

// MethodFinerCAM is Finer-CAM; see [FinerScore].
const MethodFinerCAM Method = "FinerCAM"

// FinerOptions configure Finer-CAM: Alpha is α, the strength of the comparison (0 means
// pytorch-grad-cam's default 1), and Comparisons the ranks of the compared classes in
// the order of closeness of their logit to the main class's (nil means [1, 2, 3], the
// three most similar classes, fewer when the model has fewer than 4 classes; rank 0 is
// the main class itself).
type FinerOptions struct {
	Alpha       float64
	Comparisons []int
}

func (o FinerOptions) alpha() float64 {
	if o.Alpha == 0 {
		return 1
	}
	return o.Alpha
}

func (o FinerOptions) comparisons() []int {
	if len(o.Comparisons) == 0 {
		return []int{1, 2, 3}
	}
	return o.Comparisons
}

// finerEps is pytorch-grad-cam's guard in FinerWeightedTarget's denominator.
const finerEps = 1e-9

// FinerScore is the target of Finer-CAM (Zhang et al., "Finer-CAM: Spotting the
// Difference Reveals Finer Details for Visual Explanation", CVPR 2025): instead of the
// main class's logit y_m, explain how it beats the classes the model finds most similar,
//
//	order the classes by |y_c − y_t| ascending (t = the explained class); m = the first,
//	S = the classes at the ranks opts.Comparisons (default 1, 2, 3), p = softmax(y)
//	score = Σ_{j∈S} p_j · (y_m − α·y_j) / (Σ_{j∈S} p_j + 1e-9)
//
// as pytorch-grad-cam HEAD's FinerCAM and FinerWeightedTarget compute it (the
// probabilities are part of the differentiated score). logits are [batch, numClasses] and
// classes [batch] the explained class t (the argmax, or a requested class: the
// library's target_idx). Finer-CAM is then Grad-CAM of this score ([GradCAMFromGradients]).
func FinerScore(logits, classes *graph.Node, opts FinerOptions) (*graph.Node, error) {
	d := logits.Shape().Dimensions
	if len(d) != 2 {
		return nil, fmt.Errorf("camviz.FinerScore: logits %v: want [batch, numClasses]", d)
	}
	ranks := opts.comparisons()
	if len(opts.Comparisons) == 0 {
		// The default ranks 1, 2, 3 shrink for models with fewer than 4 classes.
		ranks = slices.DeleteFunc(slices.Clone(ranks), func(r int) bool { return r >= d[1] })
		if len(ranks) == 0 {
			return nil, fmt.Errorf("camviz.FinerScore: the model has %d class: Finer-CAM needs at least 2 to compare", d[1])
		}
	}
	last := slices.Max(ranks)
	if slices.Min(ranks) < 1 || last >= d[1] {
		return nil, fmt.Errorf("camviz.FinerScore: comparison ranks %v: want ranks 1 … %d (rank 0 is the main class; "+
			"the model has %d classes)", ranks, d[1]-1, d[1])
	}
	g := logits.Graph()
	dt := logits.DType()
	target := graph.ReduceSum(graph.Mul(logits, graph.OneHot(int32Classes(classes), d[1], dt)), 1)
	dist := graph.StopGradient(graph.Abs(graph.Sub(logits, graph.InsertAxes(target, 1))))
	inf := graph.BroadcastToShape(graph.Scalar(g, dt, math.Inf(1)), dist.Shape())
	taken := graph.ZerosLike(dist)
	byRank := make([]*graph.Node, last+1) // one-hot [batch, numClasses] of each rank's class
	for r := 0; r <= last; r++ {
		idx := graph.ArgMin(graph.Where(graph.GreaterThan(taken, graph.ZerosLike(taken)), inf, dist), 1, dtypes.Int32)
		byRank[r] = graph.OneHot(idx, d[1], dt)
		taken = graph.Add(taken, byRank[r])
	}
	pick := func(x, oneHot *graph.Node) *graph.Node { return graph.ReduceSum(graph.Mul(x, oneHot), 1) }
	main := pick(logits, byRank[0])
	prob := graph.Softmax(logits, -1)
	num, den := graph.ZerosLike(main), graph.ZerosLike(main)
	for _, r := range ranks {
		p := pick(prob, byRank[r])
		num = graph.Add(num, graph.Mul(p, graph.Sub(main, graph.MulScalar(pick(logits, byRank[r]), opts.alpha()))))
		den = graph.Add(den, p)
	}
	return graph.Div(num, graph.AddScalar(den, finerEps)), nil
}

var finerCAMMethod = mustRegister(MethodDef{
	Name:  MethodFinerCAM,
	Needs: Needs{Classes: true, OwnScores: true},
	Compute: func(in *Inputs) (Outputs, error) {
		score, err := FinerScore(in.Logits, in.Classes, in.ctx.cfg.Finer)
		if err != nil {
			return Outputs{}, err
		}
		grads, err := in.GradientAt(score)
		if err != nil {
			return Outputs{}, err
		}
		_, w := GradCAMFromGradients(in.Acts, grads)
		return Outputs{Raw: in.WeightedMap(w), Weights: w}, nil
	},
})
