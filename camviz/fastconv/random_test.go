package fastconv

import (
	"math/rand/v2"

	"github.com/gomlx/compute"
)

// randomCase draws a valid ConvGeneral configuration: 1 to 3 spatial axes,
// random sizes, strides, paddings, dilations, groups and axes layouts. With
// forGrad it draws only what GoMLX's gradient of ConvGeneral supports (no
// input dilation, no negative padding).
func randomCase(rng *rand.Rand, forGrad bool) convCase {
	for {
		s := []int{1, 2, 2, 2, 3}[rng.IntN(5)]
		if forGrad && s == 3 {
			s = 2
		}
		rank := s + 2
		c := convCase{name: "random", strides: make([]int, s), pads: make([][2]int, s),
			inDil: make([]int, s), kDil: make([]int, s)}
		groups := 1 + rng.IntN(3)
		n, cg, og := 1+rng.IntN(3), 1+rng.IntN(4), 1+rng.IntN(4)
		inBatch, inCh, outCh := n, cg, og
		switch rng.IntN(3) {
		case 1:
			c.channelGroups = groups
			inCh, outCh = cg*groups, og*groups
		case 2:
			c.batchGroups = groups
			inBatch, outCh = n*groups, og*groups
		}
		// Random layouts: a permutation of the axes of each tensor. GoMLX's
		// gradient only handles its own two layouts correctly.
		inPerm, kPerm, outPerm := rng.Perm(rank), rng.Perm(rank), rng.Perm(rank)
		c.axes = compute.ConvolveAxesConfig{
			InputBatch: inPerm[0], InputChannels: inPerm[1], InputSpatial: inPerm[2:],
			KernelInputChannels: kPerm[0], KernelOutputChannels: kPerm[1], KernelSpatial: kPerm[2:],
			OutputBatch: outPerm[0], OutputChannels: outPerm[1], OutputSpatial: outPerm[2:],
		}
		if forGrad {
			c.axes = channelsLast(s)
			if rng.IntN(2) == 0 {
				c.axes = channelsFirst(s)
			}
		} else if c.batchGroups > 0 {
			// The native op reads the output batch size at the input's batch
			// axis (gen_convgeneral_exec_full.go): keep them equal so that it
			// can serve as the reference.
			c.axes.OutputBatch = c.axes.InputBatch
			for i, ax := range c.axes.OutputSpatial {
				if ax == c.axes.InputBatch {
					c.axes.OutputSpatial[i] = outPerm[0]
				}
			}
			if c.axes.OutputChannels == c.axes.InputBatch {
				c.axes.OutputChannels = outPerm[0]
			}
		}
		c.inDims, c.kDims = make([]int, rank), make([]int, rank)
		c.inDims[c.axes.InputBatch], c.inDims[c.axes.InputChannels] = inBatch, inCh
		c.kDims[c.axes.KernelInputChannels], c.kDims[c.axes.KernelOutputChannels] = cg, outCh
		maxSize := []int{0, 12, 9, 5}[s]
		for a := range s {
			c.inDims[c.axes.InputSpatial[a]] = 1 + rng.IntN(maxSize)
			c.kDims[c.axes.KernelSpatial[a]] = 1 + rng.IntN(4)
			c.strides[a] = 1 + rng.IntN(3)
			c.kDil[a], c.inDil[a] = 1, 1
			if rng.IntN(3) == 0 {
				c.kDil[a] = 2 + rng.IntN(2)
			}
			if !forGrad && rng.IntN(4) == 0 {
				c.inDil[a] = 2 + rng.IntN(2)
			}
			lo, hi := rng.IntN(4), rng.IntN(4)
			if !forGrad && rng.IntN(5) == 0 {
				lo, hi = -rng.IntN(2), -rng.IntN(2)
			}
			c.pads[a] = [2]int{lo, hi}
		}
		if out, err := c.outShape(); err == nil && out.Size() > 0 {
			return c
		}
	}
}
