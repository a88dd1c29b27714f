package evaluate

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

func TestModelBlocksGAPCNNAndResNet(t *testing.T) {
	b := testBackend(t)
	gap := tinyModel(t, models.GAPCNNSpec(16, 16, 3, 3))
	blocks, err := ModelBlocks(b, gap)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, bl := range blocks {
		names = append(names, bl.Name)
	}
	if !slices.Equal(names, []string{"block1", "block2", "block3", LogitsBlock}) {
		t.Fatalf("GAP-CNN blocks %v", names)
	}
	if !slices.Equal(blocks[3].Variables, []string{"/classifier/weights", "/classifier/biases"}) {
		t.Errorf("logits variables %v", blocks[3].Variables)
	}
	for _, v := range blocks[1].Variables {
		if !strings.HasPrefix(v, "/block2/") {
			t.Errorf("block2 holds %s", v)
		}
	}

	res := tinyModel(t, models.ResNetSpec(16, 16, 3, 3, []int{4, 8}, []int{1, 1}))
	blocks, err = ModelBlocks(b, res)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"stem": "/conv1/", "layer1.0": "/layer1/0/", "layer2.0": "/layer2/0/", LogitsBlock: "/fc/"}
	total := 0
	for _, bl := range blocks {
		for _, v := range bl.Variables {
			if !strings.HasPrefix(v, want[bl.Name]) && !(bl.Name == "stem" && strings.HasPrefix(v, "/bn1/")) {
				t.Errorf("ResNet block %s holds %s", bl.Name, v)
			}
		}
		total += len(bl.Variables)
	}
	// Every variable but the store's RNG state ("/#rngState", which the graph does not use).
	if len(blocks) != 4 || total != res.Store.NumVariables()-1 {
		t.Errorf("ResNet: %d blocks with %d variables; want 4 blocks and all %d model variables", len(blocks), total, res.Store.NumVariables()-1)
	}
	// layer2.0 has a downsampling shortcut: two convolutions and the 1×1 conv, three BNs.
	if n := len(blocks[2].Variables); n != 3+3*4 {
		t.Errorf("layer2.0 has %d variables, want 15: %v", n, blocks[2].Variables)
	}
}

func TestRandomizeVariables(t *testing.T) {
	store := model.NewStore()
	vals := make([]float32, 20000)
	for i := range vals {
		vals[i] = float32(i%7) - 3 // RMS = sqrt(4) = 2
	}
	big, _ := store.CreateVariable("/a/kernel", tensors.FromFlatDataAndDimensions(vals, 100, 200))
	zero, _ := store.CreateVariable("/a/bias", tensors.FromFlatDataAndDimensions(make([]float32, 5), 5))
	stat, _ := store.CreateVariable("/a/running_mean", tensors.FromFlatDataAndDimensions([]float32{1, 2}, 2))
	stat.Trainable = false
	if err := RandomizeVariables(store, []string{"/a/kernel", "/a/bias", "/a/running_mean"}, 7); err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](big.MustValue())
	var s, mean float64
	for _, v := range got {
		s += float64(v) * float64(v)
		mean += float64(v) / float64(len(got))
	}
	rms := math.Sqrt(s / float64(len(got)))
	// 20000 draws of N(0, 4): the sample RMS is within 3 % of 2 and the mean within 0.05.
	if math.Abs(rms-2) > 0.06 || math.Abs(mean) > 0.05 {
		t.Errorf("randomized kernel: RMS %v (want ≈ 2), mean %v (want ≈ 0)", rms, mean)
	}
	if !slices.Equal(tensors.MustCopyFlatData[float32](zero.MustValue()), make([]float32, 5)) {
		t.Error("an all-zero bias did not stay zero")
	}
	if !slices.Equal(tensors.MustCopyFlatData[float32](stat.MustValue()), []float32{1, 2}) {
		t.Error("a non-trainable variable was changed")
	}
	// The same seed and path give the same draws.
	other := model.NewStore()
	v2, _ := other.CreateVariable("/a/kernel", tensors.FromFlatDataAndDimensions(vals, 100, 200))
	if err := RandomizeVariables(other, []string{"/a/kernel"}, 7); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(tensors.MustCopyFlatData[float32](v2.MustValue()), got) {
		t.Error("same seed, different draws")
	}
	if err := RandomizeVariables(store, []string{"/nope"}, 1); err == nil || !strings.Contains(err.Error(), "/nope") {
		t.Errorf("unknown variable: err = %v", err)
	}
}

func TestCascadingRandomization(t *testing.T) {
	b := testBackend(t)
	m := tinyModel(t, models.GAPCNNSpec(16, 16, 3, 3))
	before := tensors.MustCopyFlatData[float32](m.Store.GetVariable("/block3/weights").MustValue())
	ex := tinySynthetic(t, 5)
	res, err := CascadingRandomization(b, m, ex, SanityConfig{Methods: []camviz.Method{camviz.MethodGradCAM, "EigenCAM"}, BatchSize: 3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Steps, []string{LogitsBlock, "block3", "block2", "block1"}) || res.Images != 5 || len(res.Rows) != 2 {
		t.Fatalf("steps %v, %d images, %d rows", res.Steps, res.Images, len(res.Rows))
	}
	// Eigen-CAM is the first principal component of block3's activations: randomizing
	// the classifier cannot change it, so both similarities are exactly 1 at that step.
	eig := res.Rows[1]
	if eig.Method != "EigenCAM" || math.Abs(eig.Spearman[0]-1) > 1e-12 || math.Abs(eig.SSIM[0]-1) > 1e-12 {
		t.Errorf("EigenCAM after randomizing the logits: Spearman %v, SSIM %v; want 1, 1", eig.Spearman[0], eig.SSIM[0])
	}
	// Once block3 is random, its activations (so every map) change.
	for _, row := range res.Rows {
		for k := 1; k < 4; k++ {
			if row.Spearman[k] > 0.999 || row.SSIM[k] > 0.999 || row.Spearman[k] < -1 || row.SSIM[k] < -1 {
				t.Errorf("%s at step %s: Spearman %v, SSIM %v; want changed maps", row.Method, res.Steps[k], row.Spearman[k], row.SSIM[k])
			}
		}
	}
	after := tensors.MustCopyFlatData[float32](m.Store.GetVariable("/block3/weights").MustValue())
	if !slices.Equal(before, after) {
		t.Error("the model's own weights were changed; the randomization must work on a clone")
	}
	if s := res.String(); !strings.Contains(s, "Spearman") || !strings.Contains(s, "block3/EigenCAM") {
		t.Errorf("String():\n%s", s)
	}
	for _, ssim := range []bool{false, true} {
		img, err := SanityChart(res, ssim)
		if err != nil || img.Bounds().Dx() != 770 {
			t.Errorf("SanityChart(ssim=%v): %v", ssim, err)
		}
	}
	if _, err := SanityChart(&SanityResult{}, false); err == nil {
		t.Error("SanityChart of an empty result: no error")
	}
}
