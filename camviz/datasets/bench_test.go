package datasets

import "testing"

// BenchmarkSynthetic measures generating one default 64×64 example (b.N examples).
func BenchmarkSynthetic(b *testing.B) {
	cfg := DefaultSyntheticConfig()
	for i := 0; b.Loop(); i++ {
		syntheticExample(cfg, i)
	}
}

// BenchmarkCanvas measures pasting one Fashion-MNIST item on a default 64×64 canvas.
func BenchmarkCanvas(b *testing.B) {
	images, _, err := LoadFashionMNIST(fashionTestdata, "t10k", 0)
	if err != nil {
		b.Fatal(err)
	}
	cfg := DefaultCanvasConfig()
	for i := 0; b.Loop(); i++ {
		canvasExample(cfg, i, images[i%len(images)], 0)
	}
}
