package models

import (
	"testing"

	"github.com/camviz/camviz/camviz/datasets"
)

func TestVGGShapes(t *testing.T) {
	m, err := New(VGGSpec(32, 32, 3, 5, []int{8, 16, 24}, []int{1, 2, 1}, true))
	if err != nil {
		t.Fatal(err)
	}
	checkTapShapes(t, m, map[string][]int{"conv1_1": {2, 32, 32, 8}, "conv2_1": {2, 16, 16, 16}, "conv2_2": {2, 16, 16, 16},
		"conv3_1": {2, 8, 8, 24}, "classifier/weights": {24, 5}})
	vgg11, err := New(VGG11Spec(1000, 224, false))
	if err != nil {
		t.Fatal(err)
	}
	checkTapShapes(t, vgg11, map[string][]int{"conv1_1": {2, 224, 224, 64}, "conv2_1": {2, 112, 112, 128},
		"conv3_1": {2, 56, 56, 256}, "conv3_2": {2, 56, 56, 256}, "conv4_1": {2, 28, 28, 512}, "conv4_2": {2, 28, 28, 512},
		"conv5_1": {2, 14, 14, 512}, "conv5_2": {2, 14, 14, 512}})
}

func TestArchSpecErrors(t *testing.T) {
	for _, spec := range []Spec{
		ResNetSpec(32, 32, 3, 4, []int{8, 16}, []int{1}),
		ResNetSpec(32, 32, 3, 4, []int{8, 0}, []int{1, 1}),
		{Arch: "resnet", Channels: []int{8}, Blocks: []int{1}, Stem: "huge", NumClasses: 3, InputSize: [3]int{8, 8, 3}},
		VGGSpec(32, 32, 3, 4, nil, nil, false),
	} {
		if _, err := New(spec); err == nil {
			t.Errorf("New(%+v) gave no error", spec)
		} else {
			t.Log(err)
		}
	}
}

// fashionCanvases pastes the Fashion-MNIST test subset's first n items (classes 0-3
// only) on 32×32 canvases.
func fashionCanvases(t *testing.T, n int) []datasets.Example {
	t.Helper()
	images, labels, err := datasets.LoadFashionMNIST("../../testdata/fashion-mnist", "t10k", 0)
	if err != nil {
		t.Fatal(err)
	}
	var keepI [][]uint8
	var keepL []uint8
	for i := range images {
		if labels[i] < 4 && len(keepI) < n {
			keepI, keepL = append(keepI, images[i]), append(keepL, labels[i])
		}
	}
	cfg := datasets.DefaultCanvasConfig()
	cfg.Size, cfg.MinScale, cfg.MaxScale = 32, 0.6, 0.9
	ex, err := datasets.FashionMNISTCanvas(cfg, keepI, keepL)
	if err != nil {
		t.Fatal(err)
	}
	return ex
}

// TestVGGTrainFashionCanvas trains a small VGG with batch norm on Fashion-MNIST canvases
// and explains every block in one call.
func TestVGGTrainFashionCanvas(t *testing.T) {
	m, err := New(VGGSpec(32, 32, 3, 4, []int{16, 32}, []int{1, 1}, true))
	if err != nil {
		t.Fatal(err)
	}
	examples := fashionCanvases(t, 64)
	trainReducesLoss(t, m, examples, 60)
	checkGradCAMEveryBlock(t, m, examples[:2])
}
