// Package fastconv makes convolutions fast on GoMLX's pure-Go backend by
// lowering ConvGeneral to patch extraction (im2col) plus ONE DotGeneral.
//
// The Go backend (github.com/gomlx/compute/gobackend) multiplies matrices with
// SIMD kernels (tens of GFLOP/s with GOEXPERIMENT=simd) but its native
// ConvGeneral is a plain loop (about 1 GFLOP/s). Wrap returns a backend whose
// graph functions rewrite every ConvGeneral transparently, so that models,
// ONNX imports and the gradients of convolutions (which GoMLX builds as more
// ConvGeneral ops) all take the fast path; Backend.Stats counts the rewrites.
// The im2col formulation is from Chellapilla, Puri and Simard, "High
// Performance Convolutional Neural Networks for Document Processing" (2006).
//
// # Lowering
//
// For a channels-last 2-D convolution with strides s, kernel dilations d and
// zero padding, with xp the padded input:
//
//	output[b,y,x,o] = Σ_{i,j,c} xp[b, y·s_h + i·d_h, x·s_w + j·d_w, c] · k[i,j,c,o]
//
// which is the matrix product of the patch tensor
//
//	P[b,y,x,i,j,c] = xp[b, y·s_h + i·d_h, x·s_w + j·d_w, c]   (shape [B,Ho,Wo,KH,KW,Cin])
//
// with the kernel k[i,j,c,o] (shape [KH,KW,Cin,Cout]), contracting over
// (i,j,c). The lowering, for any number of spatial axes, is:
//
//  1. Transpose (and reshape, for groups) the input to [G, N, spatial…, Cg] and
//     the kernel to [G, kernel spatial…, Cg, Og]; the G axis exists only with
//     groups. Channels-last (NHWC/HWIO) tensors need no copy; channels-first
//     (NCHW/OIHW, as ONNX imports use) pay one copy of input and kernel.
//     Transposes drop size-1 axes and merge axes that stay adjacent, so that
//     they hit the Go backend's fast transpose kernels.
//  2. Pad with zeros: Start/End are the paddings (negative ones crop) and
//     Interior = inputDilation-1 inserts the zeros of input dilation.
//  3. Gather the patches [G, N, O…, K…, Cg]: the start indices enumerate the
//     output positions (o·s); each slice is a window [G, N, K…, Cg] copied in
//     contiguous runs. A kernel-dilated axis is first split by phase,
//     i ↦ (i mod d, i div d), which makes its taps o·s + k·d adjacent again.
//  4. ONE DotGeneral contracting (K…, Cg) of the patches with (K…, Cg) of the
//     kernel, with G as batch axis: [G, N, O…, Og]. Both operands are already
//     in the layout the Go backend's GEMM takes without copying. When the
//     patches exceed ChunkPatchBytes (4 MiB), steps 3-4 run on chunks of
//     output rows of at least ChunkMinRows product rows, and the results are
//     concatenated (smaller buffers are reused from the backend's pool, and
//     stay in cache until the product packs them). Products with at most
//     SmallProductMaxN output channels are cut into chunks small enough for
//     the Go backend's direct kernel, which needs no packing but runs a
//     batch-1 product on one core: by default (SmallProductsAuto) on machines
//     of at most two cores, where the CPU saved pays for the core lost.
//  5. Transpose to the output layout, merging (G, Og) into output channels.
//
// 3×3 stride-1 convolutions with at least WinogradMinChannels input and output
// channels take Winograd's minimal filtering algorithm F(2×2, 3×3) instead (Lavin
// and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016): 16
// multiply-adds per 2×2 output tile and channel pair instead of 36, as one
// Gather of the input tiles, three products (input transform, 16 batched
// channel products, output transform) and a transpose (winograd.go). A kernel
// that is a graph constant is transformed when the graph is built. The Winograd
// mode selects it (WinogradAuto: F(2×2), and F(4×4, 3×3) — 2.25 instead of 4,
// with ~20× the float32 round-off — inside a ScoreRegion), forces F(2×2) or
// F(4×4) everywhere, or turns it off; FASTCONV_WINOGRAD=auto|off|on|f2|f4 sets
// the mode at start-up.
//
// Two cases avoid multiplying zeros:
//
//   - 1x1 kernels need no patches: padding and strided sub-sampling are
//     applied to the input before the DotGeneral, or input dilation and
//     padding to its result (a 1x1 convolution commutes with them).
//   - Stride-1 convolutions with input dilation D (GoMLX's gradient w.r.t. the
//     input of a strided convolution is one) use the polyphase ("sub-pixel")
//     form: output y = D·q + r of phase r only meets the kernel taps k with
//     D | r + k·d - lo, reading input q + (r + k·d - lo)/D. The taps of all
//     phases are gathered into sub-kernels W'[j, c, r, o], the R = ∏D phases
//     become R·Og output channels of one convolution of the undilated input,
//     and its output [N, Q…, R…, Og] is interleaved to [N, (Q·D)…, Og] and
//     cropped (Shi et al., "Real-Time Single Image and Video Super-Resolution
//     Using an Efficient Sub-Pixel Convolutional Neural Network", 2016).
//
// Groups follow XLA's semantics (as the native op): with channelGroupCount G
// the input channels are split as (G, Cg) and the output channels as (G, Og),
// group g using input channels [g·Cg, (g+1)·Cg); with batchGroupCount G the
// input batch is split as (G, N) and output channel group g reads batch group g.
//
// # Coverage
//
// Lowered: float32 and float64, static shapes, any number (>= 1) of spatial
// axes, any axes layout, strides, paddings (asymmetric and negative), input
// dilations, kernel dilations, channel (feature) groups and batch groups:
// every configuration GoMLX's Convolve and its gradients produce (w.r.t.
// input: input dilation = forward strides, reversed kernel, swapped kernel
// channel axes; w.r.t. kernel: batch and channel axes swapped, kernel
// dilation = forward strides, stride = forward kernel dilation; groups are
// split by GoMLX into per-group convolutions).
//
// Left to the native ConvGeneral: other dtypes (half precision, integers),
// dynamic shapes, empty tensors, invalid configurations (the native op reports
// the error), and convolutions whose patch tensor would exceed MaxPatchBytes.
// Covered reports the decision and its reason.
//
// # Pooling
//
// The Go backend's ReduceWindow and SelectAndScatter (max pooling and its
// gradient) walk every window through a generic index iterator. The wrapper
// also lowers them (Function.ReduceWindow, Function.SelectAndScatterMax):
// max, min and sum windows of float32/float64 become one strided Slice per
// window tap and element-wise ops: max and min give the native op's values
// exactly (ties and NaN included), sums up to round-off. Stats counts them as
// PoolLowered and PoolFallback.
//
// # Constant folding
//
// The wrapped functions also fold constants (ConstFold, constfold.go): Reshape,
// Transpose, Reverse, BroadcastInDim, ConvertDType, Neg, Add, Sub, Mul, Div, Sqrt
// and Rsqrt of float constants are computed in Go when the graph is built, in the
// operands' dtype, so that ops on weights (an input gradient's reversed kernel,
// batch norm's scale folded into a kernel) do not run at every call and a
// convolution's kernel stays a constant for its lowering. Stats counts them as
// ConstFolded; FASTCONV_CONSTFOLD=off turns it off.
//
// # Speed
//
// BenchmarkConv and BenchmarkConvGrad in this package measure ResNet-18's
// layers against the native op; BenchmarkResNet18Layers times every
// convolution of ResNet-18's forward pass with a constant kernel (as camviz's
// explainers compile it) against its bare product; BenchmarkMatMul gives the
// DotGeneral alone;
// BenchmarkMaxPool the stem's 3×3/2 max-pool and its gradient;
// BenchmarkTransposeInner the [a,b,c] → [a,c,b] transposes of the lowering.
package fastconv
