package heatmap

import (
	"bytes"
	"image"
	"image/png"
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user+system CPU time. The benchmarks report it per
// operation ("cpu-ns/op") next to the wall time, because this machine is shared
// and wall time includes waiting for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// texturedImage is testImage with deterministic noise of ±5 levels, so that the
// PNG encoder sees about a photograph's entropy (a flat gradient compresses far
// better than real pictures do).
func texturedImage(w, h int) *image.RGBA {
	img := testImage(w, h)
	s := uint32(12345)
	for i := range img.Pix {
		if i%4 == 3 {
			continue
		}
		s ^= s << 13
		s ^= s >> 17
		s ^= s << 5
		img.Pix[i] = uint8(min(max(int(img.Pix[i])+int(s%11)-5, 0), 255))
	}
	return img
}

// BenchmarkOverlayPNG224 is the per-image cost of showing a CAM inline: a 7×7 map
// (ResNet's last layer) resized to 224×224, blended over a textured 224×224 image
// with Jet and encoded as PNG.
func BenchmarkOverlayPNG224(b *testing.B) {
	img, m := texturedImage(224, 224), testMap()
	var buf bytes.Buffer
	b.ReportAllocs()
	start := cpuTime()
	for b.Loop() {
		out, err := Overlay(img, m, Jet, 0.5)
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		if err := EncodePNG(&buf, out); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
	b.ReportMetric(float64(buf.Len()), "png-bytes")
}

// BenchmarkPostProcess16to224 is PostProcess of a 16×16 raw map to 224×224.
func BenchmarkPostProcess16to224(b *testing.B) {
	raw := ResizeBilinear(testMap(), 16, 16)
	start := cpuTime()
	for b.Loop() {
		PostProcess(raw, 224, 224)
	}
	reportCPU(b, start)
}

// BenchmarkOverlayPNG224Stdlib is BenchmarkOverlayPNG224 with image/png's
// BestSpeed encoder instead of the fast RGB path: the baseline for the ratio.
func BenchmarkOverlayPNG224Stdlib(b *testing.B) {
	img, m := texturedImage(224, 224), testMap()
	enc := &png.Encoder{CompressionLevel: png.BestSpeed}
	var buf bytes.Buffer
	start := cpuTime()
	for b.Loop() {
		out, err := Overlay(img, m, Jet, 0.5)
		if err != nil {
			b.Fatal(err)
		}
		buf.Reset()
		if err := enc.Encode(&buf, out); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, start)
	b.ReportMetric(float64(buf.Len()), "png-bytes")
}
