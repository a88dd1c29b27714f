package camviz

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// MethodKPCACAM is KPCA-CAM; see [KPCACAM].
const MethodKPCACAM Method = "KPCA_CAM"

// KPCAKernel is a kernel of kernel PCA, named as scikit-learn names them.
type KPCAKernel string

// The kernels KPCA-CAM supports, with scikit-learn's defaults (d = number of channels,
// γ = 1/d unless set, c₀ = 1, degree 3).
const (
	KPCASigmoid KPCAKernel = "sigmoid" // tanh(γ·⟨x, y⟩ + c₀), pytorch-grad-cam's default
	KPCARBF     KPCAKernel = "rbf"     // exp(−γ·‖x − y‖²)
	KPCAPoly    KPCAKernel = "poly"    // (γ·⟨x, y⟩ + c₀)³
	KPCALinear  KPCAKernel = "linear"  // ⟨x, y⟩ (Eigen-CAM up to scale)
	KPCACosine  KPCAKernel = "cosine"  // ⟨x, y⟩ / (‖x‖·‖y‖)
)

// KPCAOptions configure KPCA-CAM: the kernel ("" is sigmoid) and γ (0 is 1/channels).
type KPCAOptions struct {
	Kernel KPCAKernel
	Gamma  float64
}

// KPCACAM is KPCA-CAM (Karmani, Sheth, Mahmoud & Ahmad, "KPCA-CAM: Visual Explainability
// of Deep Computer Vision Models using Kernel PCA", MMSP 2024): Eigen-CAM with the linear
// principal component replaced by the first kernel principal component, computed as
// pytorch-grad-cam HEAD computes it with scikit-learn's KernelPCA(n_components=1):
//
//	X   = A as (h·w) × K, centred per channel (X ← X − mean over positions)
//	Kᵢⱼ = k(xᵢ, xⱼ)                               the kernel matrix, (h·w) × (h·w)
//	K̃   = K − 1ₙK − K1ₙ + 1ₙK1ₙ                   centred in feature space (1ₙ = 1/n)
//	v   = eigenvector of K̃'s largest eigenvalue λ, unit length, its largest |entry| > 0
//	raw = √λ · v   reshaped to h × w               (zero when λ ≤ 1e-12·n·max|K|)
//
// The sign is scikit-learn's (svd_flip), so the map is deterministic and comparable with
// the library. scikit-learn finds v with ARPACK in float32; camviz in float64 by power
// iteration on K̃ + s·I (s = ‖K̃‖_F makes every eigenvalue non-negative without changing
// the eigenvectors), so the two agree to float32 rounding. It needs no class and no
// gradient, and costs O((h·w)³) per example: meant for late layers (7×7 … 32×32).
func KPCACAM(acts *graph.Node, opts KPCAOptions) (*graph.Node, error) {
	d := acts.Shape().Dimensions
	if len(d) != 4 {
		return nil, fmt.Errorf("camviz.KPCACAM: activations %v: want [batch, h, w, K]", d)
	}
	b, h, w, k := d[0], d[1], d[2], d[3]
	n := h * w
	gamma := opts.Gamma
	if gamma == 0 {
		gamma = 1 / float64(k)
	}
	x := graph.ConvertDType(graph.Reshape(acts, b, n, k), dtypes.Float64)
	x = graph.Where(graph.IsNaN(x), graph.ZerosLike(x), x)
	x = graph.Sub(x, graph.ReduceAndKeep(x, graph.ReduceMean, 1))
	dot := graph.Einsum("bnk,bmk->bnm", x, x)
	var km *graph.Node
	switch opts.Kernel {
	case "", KPCASigmoid:
		km = graph.Tanh(graph.AddScalar(graph.MulScalar(dot, gamma), 1))
	case KPCAPoly:
		p := graph.AddScalar(graph.MulScalar(dot, gamma), 1)
		km = graph.Mul(graph.Mul(p, p), p)
	case KPCALinear:
		km = dot
	case KPCARBF:
		sq := graph.ReduceSum(graph.Mul(x, x), 2) // [b, n]
		dist := graph.Sub(graph.Add(graph.InsertAxes(sq, 2), graph.InsertAxes(sq, 1)), graph.MulScalar(dot, 2))
		km = graph.Exp(graph.MulScalar(graph.Max(dist, graph.ZerosLike(dist)), -gamma))
	case KPCACosine:
		norm := graph.Sqrt(graph.ReduceSum(graph.Mul(x, x), 2))
		norm = graph.Where(graph.GreaterThan(norm, graph.ZerosLike(norm)), norm, graph.OnesLike(norm))
		km = graph.Div(dot, graph.Mul(graph.InsertAxes(norm, 2), graph.InsertAxes(norm, 1)))
	default:
		return nil, fmt.Errorf("camviz.KPCACAM: unknown kernel %q: use sigmoid, rbf, poly, linear or cosine", opts.Kernel)
	}
	// Centre in feature space.
	rows := graph.ReduceAndKeep(km, graph.ReduceMean, 2)
	cols := graph.ReduceAndKeep(km, graph.ReduceMean, 1)
	all := graph.ReduceAndKeep(km, graph.ReduceMean, 1, 2)
	kc := graph.Add(graph.Sub(graph.Sub(km, rows), cols), all)
	// Shift so the largest algebraic eigenvalue is the largest in magnitude.
	frob := graph.Sqrt(graph.ReduceAndKeep(graph.Mul(kc, kc), graph.ReduceSum, 1, 2))
	sq := shapes.Make(dtypes.Int32, n, n)
	eye := graph.ConvertDType(graph.Equal(graph.Iota(acts.Graph(), sq, 0), graph.Iota(acts.Graph(), sq, 1)), dtypes.Float64)
	v := principalAxis(graph.Add(kc, graph.Mul(frob, graph.InsertAxes(eye, 0)))) // [b, n]
	lambda := graph.Einsum("bn,bn->b", v, graph.Einsum("bnm,bm->bn", kc, v))
	// λ at rounding level of the kernel's entries (a constant layer: K̃ = 0 but for the
	// last bits of the centring) counts as 0, so such a layer maps to 0, never noise.
	scale := graph.ReduceMax(graph.Abs(km), 1, 2)
	tiny := graph.MulScalar(graph.MulScalar(scale, float64(n)), 1e-12)
	lambda = graph.Where(graph.GreaterThan(lambda, tiny), lambda, graph.ZerosLike(lambda))
	root := graph.Sqrt(lambda)
	proj := graph.Mul(v, graph.InsertAxes(root, 1))
	return graph.ConvertDType(graph.Reshape(proj, b, h, w), acts.DType()), nil
}

var kpcaCAMMethod = mustRegister(MethodDef{
	Name: MethodKPCACAM,
	Compute: func(in *Inputs) (Outputs, error) {
		raw, err := KPCACAM(in.Acts, in.ctx.cfg.KPCA)
		if err != nil {
			return Outputs{}, err
		}
		return Outputs{Raw: raw}, nil
	},
})
