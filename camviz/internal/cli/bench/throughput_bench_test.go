package bench

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
)

// BenchmarkThroughputStages times the throughput pipeline's stages other than the
// model, one 256² PNG → 224² image at a time: what they cost in CPU decides how much of
// the second core the model can keep (go test -run '^$' -bench ThroughputStages).
func BenchmarkThroughputStages(b *testing.B) {
	const h, w = 224, 224
	sources, err := sourcePNGs(h, w)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("decode+resize", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			if _, err := decodeResize(sources[i%len(sources)], h, w); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same with the pixels read through img.At, as datasets.FromImage did before its
	// direct path for *image.RGBA (one boxed colour per pixel): the A/B of that change.
	b.Run("decode+resize via img.At", func(b *testing.B) {
		defer reportCPU(b)()
		for i := 0; b.Loop(); i++ {
			img, err := png.Decode(bytes.NewReader(sources[i%len(sources)]))
			if err != nil {
				b.Fatal(err)
			}
			r := img.Bounds()
			pix := make([]float32, 0, 3*r.Dx()*r.Dy())
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					cr, cg, cb, _ := img.At(x, y).RGBA()
					pix = append(pix, float32(cr)/65535, float32(cg)/65535, float32(cb)/65535)
				}
			}
			if _, err := datasets.ResizeBilinear(pix, r.Dy(), r.Dx(), 3, h, w); err != nil {
				b.Fatal(err)
			}
		}
	})
	pix, err := decodeResize(sources[0], h, w)
	if err != nil {
		b.Fatal(err)
	}
	m := heatmap.NewMap(h, w)
	for i := range m.Data {
		m.Data[i] = float32(i%w) / w
	}
	b.Run("overlay+encode", func(b *testing.B) {
		var buf bytes.Buffer
		defer reportCPU(b)()
		for b.Loop() {
			if _, err := overlayEncode(&buf, pix, m, h, w); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// reportCPU starts counting the process's CPU time (all threads, the collector's
// included); the function it returns reports it per operation as "cpu-ms/op", which a
// shared machine inflates less than the wall time.
func reportCPU(b *testing.B) func() {
	c0 := cpuTime()
	return func() { b.ReportMetric(ms(cpuTime()-c0)/float64(b.N), "cpu-ms/op") }
}
