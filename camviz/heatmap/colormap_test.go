package heatmap

import (
	"image/color"
	"math"
	"strings"
	"testing"
)

// TestColormapPublishedValues checks entries 0, 127 (v = 0.5 → ⌊127.5⌋) and 255
// against the published tables, rounded half-up to 8 bits:
//   - viridis (matplotlib _viridis_data): [0.267004, 0.004874, 0.329415],
//     [0.128729, 0.563265, 0.551229], [0.993248, 0.906157, 0.143936];
//   - inferno (matplotlib _inferno_data): [0.001462, 0.000466, 0.013866], …,
//     [0.988362, 0.998364, 0.644924];
//   - turbo (Google): [0.18995, 0.07176, 0.23217], …, [0.47960, 0.01583, 0.01055];
//   - jet: OpenCV COLORMAP_JET, blue 128 → red 128, with (126, 255, 130) at 127.
func TestColormapPublishedValues(t *testing.T) {
	rgb := func(r, g, b uint8) color.RGBA { return color.RGBA{r, g, b, 255} }
	for _, c := range []struct {
		cm   *Colormap
		v    float32
		want color.RGBA
	}{
		{Viridis, 0, rgb(68, 1, 84)},
		{Viridis, 0.5, rgb(33, 144, 141)},
		{Viridis, 1, rgb(253, 231, 37)},
		{Inferno, 0, rgb(0, 0, 4)},
		{Inferno, 0.5, rgb(186, 54, 85)},
		{Inferno, 1, rgb(252, 255, 164)},
		{Turbo, 0, rgb(48, 18, 59)},
		{Turbo, 0.5, rgb(161, 253, 61)},
		{Turbo, 1, rgb(122, 4, 3)},
		{Jet, 0, rgb(0, 0, 128)},
		{Jet, 0.5, rgb(126, 255, 130)},
		{Jet, 1, rgb(128, 0, 0)},
		{Jet, 32.0 / 255, rgb(0, 0, 255)},
		{Gray, 0.5, rgb(127, 127, 127)},
		{Gray, 1, rgb(255, 255, 255)},
		// Clamping and NaN.
		{Viridis, -3, rgb(68, 1, 84)},
		{Viridis, 7, rgb(253, 231, 37)},
		{Viridis, float32(math.NaN()), rgb(0, 0, 0)},
		{Jet, float32(math.Inf(1)), rgb(128, 0, 0)},
		// Quantisation is ⌊255·v⌋: just below 1 is entry 254.
		{Gray, 0.999, rgb(254, 254, 254)},
	} {
		if got := c.cm.Color(c.v); got != c.want {
			t.Errorf("%s.Color(%v) = %v, want %v", c.cm.Name, c.v, got, c.want)
		}
	}
}

func TestColormapByName(t *testing.T) {
	for _, n := range []string{"viridis", "VIRIDIS", " Jet ", "turbo", "Inferno", "gray"} {
		c, err := ColormapByName(n)
		if err != nil || c.Name != strings.ToLower(strings.TrimSpace(n)) {
			t.Errorf("ColormapByName(%q) = %v, %v", n, c, err)
		}
	}
	_, err := ColormapByName("rainbow")
	if err == nil || !strings.Contains(err.Error(), "gray, inferno, jet, turbo, viridis") {
		t.Errorf("unknown name: error %v does not list the known names", err)
	}
	if got := strings.Join(ColormapNames(), ","); got != "gray,inferno,jet,turbo,viridis" {
		t.Errorf("ColormapNames() = %s", got)
	}
}

func TestColorize(t *testing.T) {
	m := mustMap(t, [][]float32{{0, 0.5, 1}, {float32(math.NaN()), -1, 2}})
	img := Colorize(m, Viridis)
	if b := img.Bounds(); b.Dx() != 3 || b.Dy() != 2 || b.Min.X != 0 {
		t.Fatalf("bounds %v", b)
	}
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			if got, want := img.RGBAAt(x, y), Viridis.Color(m.At(y, x)); got != want {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}
}
