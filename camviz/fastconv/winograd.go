package fastconv

import (
	"fmt"
	"os"
	"strings"
)

// WinogradMode says when a 3×3 stride-1 convolution is computed with one of
// Winograd's minimal filtering algorithms, F(2×2, 3×3) or F(4×4, 3×3), instead of
// patches + one product.
type WinogradMode int

const (
	// WinogradAuto uses it for the convolutions where it measured faster
	// (see WinogradMinTiles).
	WinogradAuto WinogradMode = 0
	// WinogradOn uses F(2×2, 3×3) for every eligible convolution (as WinogradF2).
	WinogradOn WinogradMode = 1
	// WinogradOff never uses it.
	WinogradOff WinogradMode = 2
	// WinogradF2 uses F(2×2, 3×3) for every eligible convolution.
	WinogradF2 WinogradMode = 3
	// WinogradF4 uses F(4×4, 3×3) for every eligible convolution.
	WinogradF4 WinogradMode = 4
)

// Winograd is the mode the lowering uses, read when a graph is built.
var Winograd = WinogradAuto

// WinogradAuto takes F(2×2, 3×3) for convolutions with at least
// WinogradMinChannels input and output channels (with fewer, the 16 products
// [tiles, Cin]·[Cin, Cout] are too thin for the Go backend's packed kernel:
// ResNet-18's 3×3 convolutions at 56×56×64 took 2.2 ms against 1.7 with patches,
// at batch 1) and enough output tiles (batch × ⌈Ho/2⌉ × ⌈Wo/2⌉):
//
//   - WinogradMinTiles when the kernel is computed in the graph (a parameter, or
//     the reversed kernel of an input gradient): its transform then costs
//     144·Cin·Cout multiply-adds per call, against 16·tiles·Cin·Cout for the
//     products themselves;
//   - WinogradMinConstTiles when it is a graph constant, transformed once: below
//     it, the products have too few rows to pay for streaming the transformed
//     kernel, 16/9 of the original's size.
//
// F(4×4, 3×3) needs 2.25 multiply-adds per output and channel pair instead of 4,
// but its float32 round-off is about 20 times larger (TestWinogradAccuracyResNet),
// which ill-conditioned methods amplify (FullGrad on pytorch-grad-cam's model A:
// 0.6% instead of 4e-7). WinogradAuto takes it only inside a ScoreRegion (the
// re-runs of perturbation methods, which keep only the score of each pass), for the
// convolutions where it would take F(2×2) (the thresholds count F(2×2)'s tiles);
// WinogradF4 selects it everywhere.
var (
	WinogradMinChannels   = 128
	WinogradMinTiles      = 64
	WinogradMinConstTiles = 16
)

// winogradEligible reports whether the convolution is one F(m×m, 3×3)
// computes: 2-D, 3×3 kernel, unit strides and dilations, no groups.
func (p *plan) winogradEligible() bool {
	if p.spatial != 2 || p.groups != 1 {
		return false
	}
	for a := range 2 {
		if p.kSize[a] != 3 || p.strides[a] != 1 || p.inDil[a] != 1 || p.kDil[a] != 1 {
			return false
		}
	}
	return true
}

// tiles returns the output tile grid of w for p: ⌈Ho/m⌉, ⌈Wo/m⌉.
func (w *winogradAlgo) tiles(p *plan) (th, tw int) {
	return (p.outSize[0] + w.m - 1) / w.m, (p.outSize[1] + w.m - 1) / w.m
}

// winogradChoice returns the algorithm the Winograd mode lowers an eligible
// convolution with, or nil for the patch product; constKernel says whether the
// kernel's transform can be computed once when the graph is built.
func (p *plan) winogradChoice(constKernel bool) *winogradAlgo {
	if !p.winogradEligible() {
		return nil
	}
	switch Winograd {
	case WinogradOff:
		return nil
	case WinogradOn, WinogradF2:
		return winogradF2
	case WinogradF4:
		return winogradF4
	}
	if p.cg < WinogradMinChannels || p.og < WinogradMinChannels {
		return nil
	}
	th, tw := winogradF2.tiles(p)
	if tiles := p.n * th * tw; tiles < WinogradMinTiles && (!constKernel || tiles < WinogradMinConstTiles) {
		return nil
	}
	// Where F(2×2) pays, F(4×4) pays more: 2.25 multiply-adds per output and channel
	// pair instead of 4 (2.94 against 4 at 7×7 and 14×14 outputs, which F(4×4) pads to
	// a multiple of 4), for a kernel transform of 162·Cin·Cout instead of 144. (Counting
	// F(4×4)'s own tiles against the thresholds kept ResNet-18's 7×7 layers on F(2×2) in
	// Score-CAM's lanes of 8 images: 32 tiles.)
	if p.scoreRegion {
		return winogradF4
	}
	return winogradF2
}

func init() {
	modes := map[string]WinogradMode{"": Winograd, "auto": WinogradAuto, "off": WinogradOff,
		"on": WinogradOn, "f2": WinogradF2, "f4": WinogradF4}
	env := os.Getenv("FASTCONV_WINOGRAD")
	m, ok := modes[strings.ToLower(env)]
	if !ok {
		fmt.Fprintf(os.Stderr, "fastconv: FASTCONV_WINOGRAD=%q is not one of auto, off, on, f2, f4: using auto\n", env)
		m = WinogradAuto
	}
	Winograd = m
}
