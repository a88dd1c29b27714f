package camviz

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// Eigen methods.
const (
	MethodEigenCAM     Method = "EigenCAM"
	MethodEigenGradCAM Method = "EigenGradCAM"
)

// EigenSign chooses the sign of a principal-component projection, which the mathematics
// leaves free (v and −v are both first principal axes).
type EigenSign int

const (
	// EigenSignMaxPositive (the default) flips the projection so that its value of
	// largest magnitude is positive: max(p) ≥ −min(p). This is the sign correction
	// pytorch-grad-cam applies in SegEigenCAM (flip when |min| > |max|), and it makes the
	// map deterministic and independent of the solver.
	EigenSignMaxPositive EigenSign = iota
	// EigenSignRaw applies no correction, like pytorch-grad-cam's EigenCAM, EigenGradCAM and
	// eigen_smooth, whose sign is whatever LAPACK's SVD returns. camviz's sign is then the
	// power iteration's: the principal axis v is oriented so that its component of largest
	// magnitude is positive. It is deterministic, but it need not agree with LAPACK, so
	// compare such maps with the reference up to sign.
	EigenSignRaw
)

// String names the convention.
func (s EigenSign) String() string {
	switch s {
	case EigenSignMaxPositive:
		return "max-positive"
	case EigenSignRaw:
		return "raw"
	}
	return fmt.Sprintf("EigenSign(%d)", int(s))
}

// powerSquarings is the number of repeated squarings of the Gram matrix: the other
// eigen-directions are damped by (λ₂/λ₁)^(2^30), negligible for any gap above 1e-8.
const powerSquarings = 30

// EigenCAM is Eigen-CAM (Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using
// Principal Components", IJCNN 2020): the projection of every position's activation
// vector on the first principal component of the layer,
//
//	M = A reshaped to (h·w) × K, centred per channel (M ← M − mean_positions M)
//	raw = M·v₁ reshaped to h × w,   v₁ = first right singular vector of M
//
// It needs no class and no gradient. The sign follows sign (see [EigenSign]).
func EigenCAM(acts *graph.Node, sign EigenSign) *graph.Node {
	return FirstPrincipalProjection(acts, sign)
}

// EigenGradCAM is pytorch-grad-cam's EigenGradCAM: Eigen-CAM's projection applied to the
// class-specific product of gradients and activations, raw = PCA₁(G ⊙ A).
func EigenGradCAM(acts, grads *graph.Node, sign EigenSign) *graph.Node {
	return FirstPrincipalProjection(graph.Mul(grads, acts), sign)
}

// FirstPrincipalProjection returns, for x [batch, h, w, K], each example's projection on
// its first principal component, [batch, h, w]: pytorch-grad-cam's get_2d_projection.
// NaNs are set to 0 first (as there); M = x as (h·w) × K, centred per channel; the
// principal axis v₁ is the top eigenvector of the smaller Gram matrix (MᵀM, K × K, or
// MMᵀ, hw × hw, with v₁ = normalise(Mᵀu₁)), found in float64 by 30 repeated squarings of
// the normalised Gram matrix (power iteration on C^(2^30)) followed by reading the column
// of largest diagonal entry; the result is M·v₁ in x's dtype. An example whose centred
// matrix is all zero (a constant layer) projects to 0, never NaN.
func FirstPrincipalProjection(x *graph.Node, sign EigenSign) *graph.Node {
	d := x.Shape().Dimensions
	b, h, w, k := d[0], d[1], d[2], d[3]
	n := h * w
	m := graph.ConvertDType(graph.Reshape(x, b, n, k), dtypes.Float64)
	m = graph.Where(graph.IsNaN(m), graph.ZerosLike(m), m)
	m = graph.Sub(m, graph.ReduceAndKeep(m, graph.ReduceMean, 1))
	var v *graph.Node // [b, k]
	if k <= n {
		v = principalAxis(graph.Einsum("bnk,bnl->bkl", m, m))
	} else {
		u := principalAxis(graph.Einsum("bnk,bmk->bnm", m, m))
		v = normalizeRows(graph.Einsum("bnk,bn->bk", m, u))
	}
	proj := graph.Einsum("bnk,bk->bn", m, v)
	if sign == EigenSignMaxPositive {
		hi := graph.ReduceAndKeep(proj, graph.ReduceMax, 1)
		lo := graph.ReduceAndKeep(proj, graph.ReduceMin, 1)
		flip := graph.GreaterThan(graph.Neg(lo), hi)
		proj = graph.Where(flip, graph.Neg(proj), proj)
	}
	return graph.ConvertDType(graph.Reshape(proj, b, h, w), x.DType())
}

// principalAxis returns the unit top eigenvector [b, k] of symmetric positive
// semi-definite matrices c [b, k, k], oriented so its largest-magnitude component is
// positive (zero for a zero matrix).
func principalAxis(c *graph.Node) *graph.Node {
	p := normalizeMax(c)
	for range powerSquarings {
		p = normalizeMax(graph.Einsum("bij,bjk->bik", p, p))
	}
	// p ≈ v·vᵀ (scaled): its diagonal is largest at v's largest component j, and column j
	// is v_j·v, i.e. v with that component made positive.
	k := c.Shape().Dimensions[1]
	sq := shapes.Make(dtypes.Int32, k, k)
	eye := graph.ConvertDType(graph.Equal(graph.Iota(c.Graph(), sq, 0), graph.Iota(c.Graph(), sq, 1)), c.DType())
	diag := graph.ReduceSum(graph.Mul(p, graph.InsertAxes(eye, 0)), 2)
	j := graph.ArgMax(diag, 1)
	col := graph.Einsum("bij,bj->bi", p, graph.OneHot(j, k, c.DType()))
	return normalizeRows(col)
}

// normalizeMax divides each matrix of p [b, k, k] by its largest |entry| (0 stays 0).
func normalizeMax(p *graph.Node) *graph.Node {
	scale := graph.ReduceAndKeep(graph.Abs(p), graph.ReduceMax, 1, 2)
	ok := graph.GreaterThan(scale, graph.ZerosLike(scale))
	safe := graph.Where(ok, scale, graph.OnesLike(scale))
	return graph.Div(p, safe)
}

// normalizeRows scales each row of v [b, k] to unit length (0 stays 0).
func normalizeRows(v *graph.Node) *graph.Node {
	norm := graph.Sqrt(graph.ReduceAndKeep(graph.Mul(v, v), graph.ReduceSum, 1))
	ok := graph.GreaterThan(norm, graph.ZerosLike(norm))
	return graph.Div(v, graph.Where(ok, norm, graph.OnesLike(norm)))
}

var (
	eigenCAMMethod = mustRegister(MethodDef{Name: MethodEigenCAM, Compute: func(in *Inputs) (Outputs, error) {
		return Outputs{Raw: EigenCAM(in.Acts, in.EigenSign())}, nil
	}})
	eigenGradCAMMethod = mustRegister(MethodDef{Name: MethodEigenGradCAM, Needs: Needs{TapGradients: true},
		Compute: func(in *Inputs) (Outputs, error) {
			return Outputs{Raw: EigenGradCAM(in.Acts, in.Grads, in.EigenSign())}, nil
		}})
)
