package fastconv

import (
	"errors"
	"fmt"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapeinference"
	"github.com/gomlx/compute/shapes"
)

// ErrNotCovered is wrapped by the errors of Covered for configurations that
// are left to the native ConvGeneral.
var ErrNotCovered = errors.New("fastconv: configuration not covered, native ConvGeneral is used")

// MaxPatchBytes bounds the size of the patch tensor built by the lowering;
// larger convolutions fall back to the native op, which needs no extra memory.
var MaxPatchBytes int64 = 4 << 30

// plan is a ConvGeneral configuration normalized for the lowering: every
// per-axis parameter has one value per spatial axis, and the groups (channel
// or batch) are described by one count and the axes they split.
type plan struct {
	// winograd is set by lower to the Winograd algorithm it used, if any.
	winograd *winogradAlgo
	// scoreRegion says the convolution is built inside a ScoreRegion.
	scoreRegion bool

	dtype    dtypes.DType
	axes     compute.ConvolveAxesConfig
	inDims   []int // input dimensions, in the input's own axis order
	kDims    []int // kernel dimensions, in the kernel's own axis order
	outDims  []int // output dimensions, in the output's own axis order
	spatial  int   // number of spatial axes S
	inSize   []int // input spatial sizes I_a
	kSize    []int // kernel spatial sizes K_a
	outSize  []int // output spatial sizes O_a
	strides  []int
	pads     [][2]int
	inDil    []int
	kDil     []int
	groups   int  // G: channelGroupCount or batchGroupCount (1 if none)
	batchGrp bool // groups split the batch (true) or the channels (false)
	n        int  // N: batch size per group (= output batch)
	cg       int  // Cg: input channels per group
	og       int  // Og: output channels per group
}

// Covered reports whether fastconv lowers a ConvGeneral with these arguments
// (same meaning as compute.StandardOps.ConvGeneral): it returns nil if it
// does, and an error wrapping ErrNotCovered that says why not otherwise.
func Covered(input, kernel shapes.Shape, axes compute.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) error {
	_, err := newPlan(input, kernel, axes, strides, paddings, inputDilations, kernelDilations,
		channelGroupCount, batchGroupCount)
	return err
}

func notCovered(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNotCovered, fmt.Sprintf(format, args...))
}

func perAxis(values []int, n, def int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = def
		if len(values) > 0 {
			out[i] = values[i]
		}
	}
	return out
}

func newPlan(input, kernel shapes.Shape, axes compute.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (*plan, error) {
	if input.DType != dtypes.Float32 && input.DType != dtypes.Float64 {
		return nil, notCovered("dtype %s (only float32 and float64 are lowered)", input.DType)
	}
	if kernel.DType != input.DType {
		return nil, notCovered("kernel dtype %s differs from input dtype %s", kernel.DType, input.DType)
	}
	if input.IsDynamic() || kernel.IsDynamic() {
		return nil, notCovered("dynamic shapes (input %s, kernel %s)", input, kernel)
	}
	channelGroupCount = max(channelGroupCount, 1)
	batchGroupCount = max(batchGroupCount, 1)
	out, err := shapeinference.ConvGeneral(input, kernel, axes, strides, paddings, inputDilations,
		kernelDilations, channelGroupCount, batchGroupCount)
	if err != nil {
		return nil, notCovered("invalid configuration, left to the native op to report: %v", err)
	}
	s := input.Rank() - 2
	if s < 1 {
		return nil, notCovered("no spatial axes")
	}
	if out.Size() == 0 || input.Size() == 0 || kernel.Size() == 0 {
		return nil, notCovered("empty tensor (input %s, kernel %s, output %s)", input, kernel, out)
	}
	p := &plan{
		dtype:   input.DType,
		axes:    axes.Clone(),
		inDims:  input.Dimensions,
		kDims:   kernel.Dimensions,
		outDims: out.Dimensions,
		spatial: s,
		strides: perAxis(strides, s, 1),
		inDil:   perAxis(inputDilations, s, 1),
		kDil:    perAxis(kernelDilations, s, 1),
		pads:    make([][2]int, s),
		groups:  1,
		n:       out.Dimensions[axes.OutputBatch],
		cg:      kernel.Dimensions[axes.KernelInputChannels],
	}
	if len(paddings) > 0 {
		copy(p.pads, paddings)
	}
	for a := range s {
		if p.strides[a] < 1 {
			return nil, notCovered("stride %d on spatial axis %d", p.strides[a], a)
		}
		p.inSize = append(p.inSize, input.Dimensions[axes.InputSpatial[a]])
		p.kSize = append(p.kSize, kernel.Dimensions[axes.KernelSpatial[a]])
		p.outSize = append(p.outSize, out.Dimensions[axes.OutputSpatial[a]])
	}
	switch {
	case channelGroupCount > 1:
		p.groups = channelGroupCount
	case batchGroupCount > 1:
		p.groups, p.batchGrp = batchGroupCount, true
	}
	p.og = kernel.Dimensions[axes.KernelOutputChannels] / p.groups
	if bytes := p.patchElements() * int64(input.DType.Size()); bytes > MaxPatchBytes {
		return nil, notCovered("patch tensor of %d bytes exceeds MaxPatchBytes=%d", bytes, MaxPatchBytes)
	}
	return p, nil
}

// patchElements is the number of elements of the patch tensor the lowering
// builds: [G, N, O_1..O_S, K_1..K_S, Cg], or [G, N, Q_1..Q_S, Kp_1..Kp_S, Cg]
// for the polyphase lowering; 1x1 kernels need none.
func (p *plan) patchElements() int64 {
	if p.pointwise() && (allOnes(p.inDil) || allOnes(p.strides)) {
		return 0
	}
	n := int64(p.groups) * int64(p.n) * int64(p.cg)
	if phases, ok := p.polyphase(); ok {
		for _, pa := range phases {
			n *= int64(pa.q) * int64(pa.taps)
		}
		return n
	}
	for a := range p.spatial {
		n *= int64(p.outSize[a]) * int64(p.kSize[a])
	}
	return n
}
