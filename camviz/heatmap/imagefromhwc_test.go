package heatmap

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// imageFromHWCReference is ImageFromHWC's level formula written out per value:
// round(255·(v − lo)/(hi − lo)) in float64, clamped to [0, 255], NaN → 0, opaque.
func imageFromHWCReference(h, w, c int, data []float32, lo, hi float32) []uint8 {
	scale := 255 / (float64(hi) - float64(lo))
	out := make([]uint8, 4*h*w)
	for i := 0; i < h*w; i++ {
		for ch := 0; ch < 3; ch++ {
			v := data[i*c+min(ch, c-1)]
			f := (float64(v)-float64(lo))*scale + 0.5
			switch {
			case !(f > 0):
				out[4*i+ch] = 0
			case f >= 255:
				out[4*i+ch] = 255
			default:
				out[4*i+ch] = uint8(f)
			}
		}
		out[4*i+3] = 255
	}
	return out
}

// TestImageFromHWCMatchesFormula: gray and RGB pictures of random values in and
// around the range, the half-level boundaries k/255 ± ½/255 of [0, 1], ±Inf and NaN,
// for [0, 1] and an offset range, give exactly the formula's levels.
func TestImageFromHWCMatchesFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const h, w = 9, 31
	for _, r := range [][2]float32{{0, 1}, {-3, 5.5}} {
		for _, c := range []int{1, 3} {
			data := make([]float32, h*w*c)
			for i := range data {
				switch i % 5 {
				case 0:
					k := float32(rng.IntN(256))
					data[i] = r[0] + (r[1]-r[0])*(k+0.5)/255 // a rounding boundary
				case 1:
					data[i] = r[0] + (r[1]-r[0])*(rng.Float32()*1.4-0.2)
				default:
					data[i] = r[0] + (r[1]-r[0])*rng.Float32()
				}
			}
			data[0], data[1], data[2] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))
			img, err := ImageFromHWC(h, w, c, data, r[0], r[1])
			if err != nil {
				t.Fatal(err)
			}
			if want := imageFromHWCReference(h, w, c, data, r[0], r[1]); !bytes.Equal(img.Pix, want) {
				t.Errorf("range %v, %d channels: levels differ from the formula", r, c)
			}
		}
	}
}
