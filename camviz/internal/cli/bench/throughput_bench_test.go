package bench

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"testing"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
)

// throughputMap is a smooth 7×7 map (as Grad-CAM at layer4.1 gives) and the pipeline's
// post-processing of it to h×w.
func throughputMap(h, w int) (raw, final *heatmap.Map) {
	raw = heatmap.NewMap(7, 7)
	for y := range 7 {
		for x := range 7 {
			dy, dx := float64(y-2), float64(x-4)
			raw.Data[y*7+x] = float32(math.Exp(-(dx*dx + dy*dy) / 4))
		}
	}
	return raw, heatmap.PostProcess(raw, h, w)
}

// BenchmarkThroughputStages times the throughput pipeline's stages other than the
// model, one 256² PNG → 224² image at a time, each stage alone and the pipeline's two
// stages before and after the 2026-11-30 round: what they cost in CPU decides how
// much of the second core the model can keep
// (go test -run '^$' -bench ThroughputStages -benchtime 300x ./camviz/internal/cli/bench/).
func BenchmarkThroughputStages(b *testing.B) {
	const h, w = 224, 224
	sources, err := sourcePNGs(h, w)
	if err != nil {
		b.Fatal(err)
	}
	decodedImg, err := png.Decode(bytes.NewReader(sources[0]))
	if err != nil {
		b.Fatal(err)
	}
	pix, err := decodeResizeBefore(sources[0], h, w)
	if err != nil {
		b.Fatal(err)
	}
	reuse := make([]float32, h*w*3)
	raw, m := throughputMap(h, w)
	picture, err := heatmap.ImageFromHWC(h, w, 3, pix, 0, 1)
	if err != nil {
		b.Fatal(err)
	}
	overlay, err := heatmap.Overlay(picture, m, heatmap.Jet, 0.5)
	if err != nil {
		b.Fatal(err)
	}
	stages := []struct {
		name string
		fn   func(i int, buf *bytes.Buffer) error
	}{
		{"png.Decode 256²", func(i int, _ *bytes.Buffer) error {
			_, err := png.Decode(bytes.NewReader(sources[i%len(sources)]))
			return err
		}},
		{"FromImage 256²", func(int, *bytes.Buffer) error { datasets.FromImage(decodedImg); return nil }},
		{"FromImage+ResizeBilinear to 224²", func(int, *bytes.Buffer) error {
			p, ih, iw := datasets.FromImage(decodedImg)
			_, err := datasets.ResizeBilinear(p, ih, iw, 3, h, w)
			return err
		}},
		{"FromImageResized to 224²", func(int, *bytes.Buffer) error {
			_, err := datasets.FromImageResized(decodedImg, h, w, nil)
			return err
		}},
		{"FromImageResized to 224², reused buffer", func(int, *bytes.Buffer) error {
			_, err := datasets.FromImageResized(decodedImg, h, w, reuse)
			return err
		}},
		{"Final (PostProcess 7²→224²)", func(int, *bytes.Buffer) error { heatmap.PostProcess(raw, h, w); return nil }},
		{"ImageFromHWC 224²", func(int, *bytes.Buffer) error {
			_, err := heatmap.ImageFromHWC(h, w, 3, pix, 0, 1)
			return err
		}},
		{"Overlay Jet 224²", func(int, *bytes.Buffer) error {
			_, err := heatmap.Overlay(picture, m, heatmap.Jet, 0.5)
			return err
		}},
		{"EncodePNG (BestSpeed) 224²", func(_ int, buf *bytes.Buffer) error {
			buf.Reset()
			return heatmap.EncodePNG(buf, overlay)
		}},
		{"EncodePNGCompressed HuffmanOnly 224²", func(_ int, buf *bytes.Buffer) error {
			buf.Reset()
			return heatmap.EncodePNGCompressed(buf, overlay, heatmap.PNGHuffmanOnly)
		}},
		{"stage 1 before: decode+resize", func(i int, _ *bytes.Buffer) error {
			_, err := decodeResizeBefore(sources[i%len(sources)], h, w)
			return err
		}},
		{"stage 1 after: decode+resize", func(i int, _ *bytes.Buffer) error {
			p, err := decodeResize(sources[i%len(sources)], h, w)
			pixPool.Put(p)
			return err
		}},
		{"stage 3 before: overlay+encode", func(_ int, buf *bytes.Buffer) error {
			_, err := overlayEncodeBefore(buf, pix, m, h, w)
			return err
		}},
		{"stage 3 after: overlay+encode", func(_ int, buf *bytes.Buffer) error {
			_, err := overlayEncode(buf, pix, m, h, w)
			return err
		}},
	}
	for _, s := range stages {
		b.Run(s.name, func(b *testing.B) {
			var buf bytes.Buffer
			b.ReportAllocs()
			defer reportCPU(b)()
			for i := 0; b.Loop(); i++ {
				if err := s.fn(i, &buf); err != nil {
					b.Fatal(err)
				}
			}
			if buf.Len() > 0 {
				b.ReportMetric(float64(buf.Len()), "png-bytes")
			}
		})
	}
}

// TestThroughputStagesSameOutput: the pipeline's stages give what they gave before
// the 2026-11-30 round — the same float32 picture bit for bit (also when the buffer
// is recycled), and PNG files that decode to the same pixels (the bytes differ: the
// compression is Huffman-only instead of BestSpeed).
func TestThroughputStagesSameOutput(t *testing.T) {
	const h, w = 224, 224
	sources, err := sourcePNGs(h, w)
	if err != nil {
		t.Fatal(err)
	}
	var recycled []float32
	for i, src := range sources[:4] {
		want, err := decodeResizeBefore(src, h, w)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		got, err := datasets.FromImageResized(img, h, w, recycled)
		if err != nil {
			t.Fatal(err)
		}
		yieldStages = true
		viaStage, err := decodeResize(src, h, w) // through the yielding reader
		yieldStages = false
		if err != nil {
			t.Fatal(err)
		}
		for k := range want {
			if viaStage[k] != want[k] {
				t.Fatalf("source %d: decodeResize (yielding) value %d = %v, before: %v", i, k, viaStage[k], want[k])
			}
		}
		if i > 0 && &got[0] != &recycled[0] {
			t.Errorf("source %d: the recycled buffer was not used", i)
		}
		recycled = got
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("source %d: value %d = %v, before: %v", i, k, got[k], want[k])
			}
		}
		_, m := throughputMap(h, w)
		var before, after bytes.Buffer
		if _, err := overlayEncodeBefore(&before, want, m, h, w); err != nil {
			t.Fatal(err)
		}
		if _, err := overlayEncode(&after, got, m, h, w); err != nil {
			t.Fatal(err)
		}
		a, err := png.Decode(bytes.NewReader(before.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		b, err := png.Decode(bytes.NewReader(after.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if !samePixels(a, b) {
			t.Fatalf("source %d: the overlay PNG decodes to other pixels than before", i)
		}
		if bytes.Equal(before.Bytes(), after.Bytes()) {
			t.Errorf("source %d: same PNG bytes as before; the Huffman-only compression was not applied", i)
		}
		t.Logf("source %d: overlay PNG %d bytes (before: %d)", i, after.Len(), before.Len())
	}
}

// samePixels reports whether a and b have the same bounds and RGBA colours.
func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

// reportCPU starts counting the process's CPU time (all threads, the collector's
// included); the function it returns reports it per operation as "cpu-ms/op", which a
// shared machine inflates less than the wall time.
func reportCPU(b *testing.B) func() {
	c0 := cpuTime()
	return func() { b.ReportMetric(ms(cpuTime()-c0)/float64(b.N), "cpu-ms/op") }
}
