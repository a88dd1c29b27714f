package metrics

import (
	"errors"
	"math"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

func TestSpearman(t *testing.T) {
	row := func(v ...float32) *heatmap.Map { return &heatmap.Map{H: 1, W: len(v), Data: v} }
	a := row(1, 2, 3, 4, 5)
	// b = 5 6 7 8 7 has ranks 1 2 3.5 5 3.5 (ties averaged). Deviations from 3:
	// a: −2 −1 0 1 2, b: −2 −1 .5 2 .5; Σ = 8, Σa² = 10, Σb² = 9.5: ρ = 8/√95.
	got, err := Spearman(a, row(5, 6, 7, 8, 7))
	if err != nil {
		t.Fatal(err)
	}
	near(t, "ties", got, 8/math.Sqrt(95), 1e-15)
	// Monotone transforms do not change ranks: ρ = 1; reversal: −1.
	got, _ = Spearman(a, row(1, 4, 9, 16, 1000))
	near(t, "monotone", got, 1, 1e-15)
	got, _ = Spearman(a, row(5, 4, 3, 2, 1))
	near(t, "reversed", got, -1, 1e-15)
	if _, err := Spearman(a, row(0, 0, 0, 0, 0)); !errors.Is(err, ErrConstantMap) {
		t.Errorf("constant map: error %v, want ErrConstantMap", err)
	}
	if _, err := Spearman(a, row(1, 2, 3)); err == nil {
		t.Error("maps of different sizes accepted")
	}
	if _, err := Spearman(a, row(1, 2, float32(math.NaN()), 4, 5)); err == nil {
		t.Error("NaN accepted")
	}
}

func constMap(h, w int, v float32) *heatmap.Map {
	m := heatmap.NewMap(h, w)
	for i := range m.Data {
		m.Data[i] = v
	}
	return m
}

func TestSSIM(t *testing.T) {
	// Constant 7×7 maps 0.5 and 0.25 (one window, no variance), L = 1:
	// (2·.5·.25 + 1e-4)(0 + 9e-4) / ((.25 + .0625 + 1e-4)(0 + 9e-4)) = .2501/.3126.
	got, err := SSIM(constMap(7, 7, 0.5), constMap(7, 7, 0.25), 1)
	if err != nil {
		t.Fatal(err)
	}
	near(t, "constants", got, 0.2501/0.3126, 1e-12)
	// Larger maps average over window positions; every window is the same here.
	got, _ = SSIM(constMap(9, 12, 0.5), constMap(9, 12, 0.25), 1)
	near(t, "constants 9x12", got, 0.2501/0.3126, 1e-12)
	// a: 24 ones then 25 zeros in one 7×7 window; b = 1 − a. μa = 24/49,
	// μb = 25/49, sample variances σ² = (49/48)·(24/49)(25/49) each, σab = −σ².
	a := heatmap.NewMap(7, 7)
	b := constMap(7, 7, 1)
	for i := 0; i < 24; i++ {
		a.Data[i], b.Data[i] = 1, 0
	}
	ma, mb := 24.0/49, 25.0/49
	v := 49.0 / 48 * ma * mb
	c1, c2 := 1e-4, 9e-4
	want := (2*ma*mb + c1) * (-2*v + c2) / ((ma*ma + mb*mb + c1) * (2*v + c2))
	got, _ = SSIM(a, b, 1)
	near(t, "complement", got, want, 1e-12)
	// Identical maps: exactly 1, for any data range.
	r := lcg(3)
	m := heatmap.NewMap(10, 11)
	for i := range m.Data {
		m.Data[i] = float32(r.next())
	}
	for _, L := range []float64{1, 255} {
		got, _ = SSIM(m, m.Clone(), L)
		if got != 1 {
			t.Errorf("identical maps, L=%v: SSIM = %.17g, want 1", L, got)
		}
	}
	for _, c := range []struct {
		a, b *heatmap.Map
		L    float64
	}{{constMap(6, 7, 0), constMap(6, 7, 0), 1}, {m, constMap(10, 10, 0), 1}, {m, m, 0}, {m, m, math.Inf(1)}} {
		if _, err := SSIM(c.a, c.b, c.L); err == nil {
			t.Errorf("SSIM(%dx%d, %dx%d, %v) returned no error", c.a.H, c.a.W, c.b.H, c.b.W, c.L)
		}
	}
}
