package bench

import (
	"bytes"
	"testing"

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
		for i := 0; b.Loop(); i++ {
			if _, err := decodeResize(sources[i%len(sources)], h, w); err != nil {
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
		for b.Loop() {
			if _, err := overlayEncode(&buf, explained{pix, m}, h, w); err != nil {
				b.Fatal(err)
			}
		}
	})
}
