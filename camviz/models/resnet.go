package models

import (
	"fmt"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// Stems of a resnet (Spec.Stem).
const (
	StemSmall    = "small"
	StemImageNet = "imagenet"
)

// ResNetSpec returns a resnet spec for h×w×c images: stage widths channels and
// BasicBlocks per stage blocks, with the small stem (3×3/1 conv), suited to the 32-128
// pixel images of camviz's synthetic and Fashion-MNIST canvas sets.
func ResNetSpec(h, w, c, numClasses int, channels, blocks []int) Spec {
	return Spec{Arch: "resnet", Channels: channels, Blocks: blocks, Stem: StemSmall, NumClasses: numClasses,
		InputSize: [3]int{h, w, c}, Seed: 1}
}

// ResNet18Spec is torchvision's ResNet-18 (He et al. 2016): stages of 64, 128, 256 and 512
// channels with 2 BasicBlocks each, the ImageNet stem, size×size RGB images (224 for
// ImageNet) and numClasses outputs (1000 for ImageNet).
func ResNet18Spec(numClasses, size int) Spec {
	return Spec{Arch: "resnet", Channels: []int{64, 128, 256, 512}, Blocks: []int{2, 2, 2, 2}, Stem: StemImageNet,
		NumClasses: numClasses, InputSize: [3]int{size, size, 3}, Seed: 1}
}

func init() {
	RegisterArch("resnet", Arch{Build: buildResNet,
		Doc: "ResNet with BasicBlocks (He et al. 2016), batch norm, torch-style padding; taps stem, layer<s>.<b>"})
}

// buildResNet is a torchvision-style ResNet with BasicBlocks (He, Zhang, Ren & Sun, "Deep
// Residual Learning for Image Recognition", CVPR 2016), channels last:
//
//	stem:      conv 7×7/2 (pad 3) → BN → ReLU → max-pool 3×3/2 (pad 1)      ("imagenet")
//	           conv 3×3/1 (pad 1) → BN → ReLU                                ("small")
//	layer<s>:  Blocks[s-1] BasicBlocks of Channels[s-1] channels, the first with stride 2
//	           (except in layer1)
//	head:      global average pool → dense (CAM applies at the last block)
//
// BasicBlock(x) = ReLU(BN(conv3×3(ReLU(BN(conv3×3/stride(x))))) + shortcut(x)), with
// shortcut = BN(conv1×1/stride(x)) when the stride or width changes, else x. Convolutions
// have no bias and torch's symmetric padding; BN is [batchNorm], folded into the
// convolution at inference (convBN). Variables follow torch's
// module names ("/layer1/0/conv1/weights", "/layer1/0/bn1/running_mean",
// "/layer2/0/downsample/0/weights"; conv kernels are [kh, kw, in, out]). Taps: "stem" (the
// stem's ReLU) and "layer<s>.<b>" (each block's output), as torch names the modules.
func buildResNet(spec Spec) (camviz.ModelFn, []string, string, error) {
	if err := checkStages(spec); err != nil {
		return nil, nil, "", err
	}
	if spec.Stem != "" && spec.Stem != StemSmall && spec.Stem != StemImageNet {
		return nil, nil, "", fmt.Errorf("Stem %q is unknown: use %q or %q", spec.Stem, StemSmall, StemImageNet)
	}
	layers := []string{"stem"}
	for s, n := range spec.Blocks {
		for b := range n {
			layers = append(layers, fmt.Sprintf("layer%d.%d", s+1, b))
		}
	}
	fn := func(scope *model.Scope, x *graph.Node) *graph.Node {
		k, stride := 3, 1
		if spec.Stem == StemImageNet {
			k, stride = 7, 2
		}
		x = convBN(scope.At("conv1"), scope.At("bn1"), x, spec.Channels[0], k, stride, false)
		x = camviz.Tap(relu(x), "stem")
		if spec.Stem == StemImageNet {
			x = maxPoolTorch(x, 3, 2, 1)
		}
		for s, n := range spec.Blocks {
			for b := range n {
				stride := 1
				if s > 0 && b == 0 {
					stride = 2
				}
				x = basicBlock(scope.At("layer%d", s+1).At("%d", b), x, spec.Channels[s], stride)
				x = camviz.Tap(x, fmt.Sprintf("layer%d.%d", s+1, b))
			}
		}
		return gapDense(scope.At("fc"), x, spec.NumClasses)
	}
	return fn, layers, "classifier/weights", nil
}

// basicBlock is ResNet's BasicBlock (see buildResNet).
func basicBlock(scope *model.Scope, x *graph.Node, channels, stride int) *graph.Node {
	in := x.Shape().Dimensions[x.Rank()-1]
	y := relu(convBN(scope.At("conv1"), scope.At("bn1"), x, channels, 3, stride, false))
	y = convBN(scope.At("conv2"), scope.At("bn2"), y, channels, 3, 1, false)
	shortcut := x
	if stride != 1 || in != channels {
		ds := scope.At("downsample")
		shortcut = convBN(ds.At("0"), ds.At("1"), x, channels, 1, stride, false)
	}
	return relu(graph.Add(y, shortcut))
}

// maxPoolTorch is torch's MaxPool2d(k, stride, padding) on [batch, h, w, C]: symmetric
// padding p on both sides of each spatial axis, padded positions never win (the
// reduction pads with −∞), output size ⌊(n + 2p − k)/stride⌋ + 1.
func maxPoolTorch(x *graph.Node, k, stride, p int) *graph.Node {
	return graph.MaxPool(x).Window(k).Strides(stride).PaddingPerDim([][2]int{{p, p}, {p, p}}).Done()
}

// checkStages validates the Channels and Blocks of a staged architecture.
func checkStages(spec Spec) error {
	if len(spec.Channels) == 0 || len(spec.Channels) != len(spec.Blocks) {
		return fmt.Errorf("Channels %v and Blocks %v must be non-empty and of the same length (one entry per stage)",
			spec.Channels, spec.Blocks)
	}
	for i := range spec.Channels {
		if spec.Channels[i] <= 0 || spec.Blocks[i] <= 0 {
			return fmt.Errorf("stage %d has %d channels and %d blocks; both must be positive", i+1, spec.Channels[i], spec.Blocks[i])
		}
	}
	return nil
}
