package models

import (
	"fmt"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// VGGSpec returns a vgg spec for h×w×c images: stage widths channels, 3×3 convolutions
// per stage convs, with batch norm after every convolution when batchNorm is set.
func VGGSpec(h, w, c, numClasses int, channels, convs []int, batchNorm bool) Spec {
	return Spec{Arch: "vgg", Channels: channels, Blocks: convs, BatchNorm: batchNorm, NumClasses: numClasses,
		InputSize: [3]int{h, w, c}, Seed: 1}
}

// VGG11Spec is the convolutional part of VGG-11 (configuration A of Simonyan & Zisserman):
// stages of 64, 128, 256, 512, 512 channels with 1, 1, 2, 2, 2 convolutions, with a
// GAP head (see buildVGG), for size×size RGB images.
func VGG11Spec(numClasses, size int, batchNorm bool) Spec {
	return VGGSpec(size, size, 3, numClasses, []int{64, 128, 256, 512, 512}, []int{1, 1, 2, 2, 2}, batchNorm)
}

func init() {
	RegisterArch("vgg", Arch{Build: buildVGG,
		Doc: "VGG-style stages of 3×3 conv (+BN) + ReLU, max-pool between stages, GAP → dense; taps conv<s>_<i>"})
}

// buildVGG is a VGG-style network (Simonyan & Zisserman, "Very Deep Convolutional
// Networks for Large-Scale Image Recognition", ICLR 2015) with the global-average-pool
// head of Zhou et al. (CVPR 2016, Sec. 2), so that CAM applies:
//
//	stage s:  Blocks[s-1] × (conv 3×3/1, pad 1, bias → [BN] → ReLU), Channels[s-1] channels
//	          then max-pool 2×2/2 after every stage but the last
//	head:     global average pool → dense
//
// The last stage keeps its resolution (VGG's fifth pooling and fully connected layers are
// dropped, as in Zhou et al.'s VGG-GAP). Each conv's ReLU output is tapped
// "conv<s>_<i>" (conv5_3 is the classic CAM layer of VGG-16); variables live in scopes
// "conv<s>_<i>" (weights [3, 3, in, out], biases) and "conv<s>_<i>/bn".
func buildVGG(spec Spec) (camviz.ModelFn, []string, string, error) {
	if err := checkStages(spec); err != nil {
		return nil, nil, "", err
	}
	var layers []string
	for s, n := range spec.Blocks {
		for i := range n {
			layers = append(layers, fmt.Sprintf("conv%d_%d", s+1, i+1))
		}
	}
	fn := func(scope *model.Scope, x *graph.Node) *graph.Node {
		l := 0
		for s, n := range spec.Blocks {
			for range n {
				cs := scope.At("%s", layers[l])
				if spec.BatchNorm {
					x = convBN(cs, cs.At("bn"), x, spec.Channels[s], 3, 1, true)
				} else {
					x = conv(cs, x, spec.Channels[s], 3, 1, true)
				}
				x = camviz.Tap(relu(x), layers[l])
				l++
			}
			if s < len(spec.Blocks)-1 {
				x = maxPoolTorch(x, 2, 2, 0)
			}
		}
		return gapDense(scope.At("fc"), x, spec.NumClasses)
	}
	return fn, layers, "classifier/weights", nil
}
