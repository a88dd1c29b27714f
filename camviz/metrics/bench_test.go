package metrics

import (
	"image"
	"math"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// blobMap is a 224×224 CAM-like map: two Gaussian blobs plus a little noise.
func blobMap(seed uint64) *heatmap.Map {
	const n = 224
	m := heatmap.NewMap(n, n)
	r := lcg(seed)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			d1 := math.Hypot(float64(x-80), float64(y-90)) / 30
			d2 := math.Hypot(float64(x-160), float64(y-150)) / 20
			m.Data[y*n+x] = float32(math.Exp(-d1*d1) + 0.6*math.Exp(-d2*d2) + 0.05*r.next())
		}
	}
	return heatmap.MinMax(m)
}

// One 224² image per op, for each protocol; compare the exact protocol's
// 1000 thresholds with 100 (the incremental sweep makes them cost about the same).
func BenchmarkBoxAccumulator(b *testing.B) {
	m := blobMap(1)
	gt := [][]image.Rectangle{{image.Rect(50, 60, 110, 120)}}
	for _, c := range []struct {
		name string
		cfg  BoxConfig
	}{
		{"tau0.01", BoxConfig{}},
		{"tau0.001", BoxConfig{TauStep: 0.001}},
		{"tau0.001-multi", BoxConfig{TauStep: 0.001, MultiContour: true}},
		{"wsol-tau0.001", BoxConfig{TauStep: 0.001, WSOLCompat: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			acc, _ := NewBoxAccumulator(c.cfg)
			for b.Loop() {
				if err := acc.Update([]*heatmap.Map{m}, gt, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// One 224²×3 imputation with the top half of the map's pixels removed.
func BenchmarkNoisyLinearImpute(b *testing.B) {
	const n, c = 224, 3
	m := blobMap(2)
	img := make([]float32, n*n*c)
	r := lcg(5)
	for i := range img {
		img[i] = float32(r.next())
	}
	for _, p := range []float64{50, 10} {
		keep := roadKeep(m, p, true)
		b.Run("MoRF"+map[float64]string{50: "50", 10: "10"}[p], func(b *testing.B) {
			for b.Loop() {
				if _, err := NoisyLinearImpute(img, n, n, c, keep, 0, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
