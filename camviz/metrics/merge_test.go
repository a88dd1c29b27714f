package metrics

import (
	"image"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// mergeData is a random evaluation set: n images (h×w, c channels), maps in [0, 1],
// one or two boxes per image, masks with some ignored pixels, class flags.
type mergeData struct {
	n, h, w, c int
	pixels     []float32
	maps       []*heatmap.Map
	boxes      [][]image.Rectangle
	masks      [][]bool
	ignore     [][]bool
	correct    []bool
}

func newMergeData(seed uint64, n int) *mergeData {
	r := rand.New(rand.NewPCG(seed, 7))
	d := &mergeData{n: n, h: 12, w: 10, c: 2}
	d.pixels = make([]float32, n*d.h*d.w*d.c)
	for i := range d.pixels {
		d.pixels[i] = r.Float32()
	}
	for i := 0; i < n; i++ {
		m := heatmap.NewMap(d.h, d.w)
		// A blob plus noise, quantised to a few levels so that ties occur.
		cx, cy := r.IntN(d.w), r.IntN(d.h)
		for y := 0; y < d.h; y++ {
			for x := 0; x < d.w; x++ {
				v := math.Exp(-float64((x-cx)*(x-cx)+(y-cy)*(y-cy))/8) + 0.3*r.Float64()
				m.Data[y*d.w+x] = float32(math.Round(v*8) / 8 / 1.3)
			}
		}
		d.maps = append(d.maps, m)
		var bs []image.Rectangle
		mask := make([]bool, d.h*d.w)
		ign := make([]bool, d.h*d.w)
		for k := 0; k < 1+r.IntN(2); k++ {
			x0, y0 := r.IntN(d.w-2), r.IntN(d.h-2)
			b := image.Rect(x0, y0, x0+2+r.IntN(d.w-x0-1), y0+2+r.IntN(d.h-y0-1))
			bs = append(bs, b)
			for y := b.Min.Y; y < b.Max.Y; y++ {
				for x := b.Min.X; x < b.Max.X; x++ {
					mask[y*d.w+x] = true
				}
			}
		}
		for p := range ign {
			ign[p] = !mask[p] && r.IntN(5) == 0
		}
		d.boxes, d.masks, d.ignore = append(d.boxes, bs), append(d.masks, mask), append(d.ignore, ign)
		d.correct = append(d.correct, r.IntN(3) > 0)
	}
	return d
}

// batch returns images [lo, hi) as a Batch with their dataset positions as Index.
func (d *mergeData) batch(lo, hi int) Batch {
	size := d.h * d.w * d.c
	idx := make([]int, hi-lo)
	for i := range idx {
		idx[i] = lo + i
	}
	return Batch{Pixels: d.pixels[lo*size : hi*size], N: hi - lo, H: d.h, W: d.w, C: d.c, Index: idx}
}

// mergeable is what every accumulator implements; T is its own pointer type.
type mergeable[T any] interface {
	Merge(T) error
	MarshalBinary() ([]byte, error)
	UnmarshalBinary([]byte) error
}

// randomSplit cuts [0, n) into 1–5 random contiguous shards.
func randomSplit(r *rand.Rand, n int) [][2]int {
	k := 1 + r.IntN(5)
	cuts := []int{0, n}
	for i := 1; i < k; i++ {
		cuts = append(cuts, r.IntN(n+1))
	}
	for i := range cuts { // insertion sort
		for j := i; j > 0 && cuts[j] < cuts[j-1]; j-- {
			cuts[j], cuts[j-1] = cuts[j-1], cuts[j]
		}
	}
	var out [][2]int
	for i := 0; i+1 < len(cuts); i++ {
		out = append(out, [2]int{cuts[i], cuts[i+1]})
	}
	return out
}

// checkMerge runs one accumulator kind on the whole set in one pass, then on random
// splits into shards (each sent through MarshalBinary/UnmarshalBinary, as a runner
// would) merged in a random order and a random tree shape, and asks for identical
// summaries: counts and histograms are integers and sums are exact, so there is no
// tolerance at all (stronger than the 1e-12 the issue asks for).
func checkMerge[A mergeable[A], R any](t *testing.T, name string, d *mergeData, fresh func() A,
	update func(a A, lo, hi int) error, summary func(A) (R, error), clean func(*R)) {
	t.Helper()
	whole := fresh()
	if err := update(whole, 0, d.n); err != nil {
		t.Fatalf("%s: single pass: %v", name, err)
	}
	want, err := summary(whole)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	clean(&want)
	r := rand.New(rand.NewPCG(99, 1))
	for trial := 0; trial < 6; trial++ {
		var parts []A
		for _, s := range randomSplit(r, d.n) {
			p := fresh()
			if err := update(p, s[0], s[1]); err != nil {
				t.Fatalf("%s: shard %v: %v", name, s, err)
			}
			data, err := p.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			q := fresh()
			if err := q.UnmarshalBinary(data); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			parts = append(parts, q)
		}
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		// Merge pairs picked at random until one is left: every tree shape and order.
		for len(parts) > 1 {
			i := r.IntN(len(parts) - 1)
			if err := parts[i].Merge(parts[i+1]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			parts = append(parts[:i+1], parts[i+2:]...)
		}
		got, err := summary(parts[0])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		clean(&got)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s, trial %d: merged shards differ from one pass:\n got %+v\nwant %+v", name, trial, got, want)
		}
	}
}

func noClean[R any](*R) {}

func TestMergeEqualsSinglePass(t *testing.T) {
	d := newMergeData(3, 23)
	coef := make([]float32, d.h*d.w*d.c)
	for i := range coef {
		coef[i] = float32(i%7) / 50
	}
	score := linearScore(0.1, coef)
	t.Run("box", func(t *testing.T) {
		for _, multi := range []bool{false, true} {
			checkMerge(t, "BoxAccumulator", d,
				func() *BoxAccumulator {
					a, err := NewBoxAccumulator(BoxConfig{TauStep: 0.05, MultiContour: multi})
					if err != nil {
						t.Fatal(err)
					}
					return a
				},
				func(a *BoxAccumulator, lo, hi int) error {
					return a.Update(d.maps[lo:hi], d.boxes[lo:hi], d.correct[lo:hi])
				},
				(*BoxAccumulator).Summary, noClean)
		}
	})
	t.Run("pxap", func(t *testing.T) {
		checkMerge(t, "PxAPAccumulator", d,
			func() *PxAPAccumulator { a, _ := NewPxAPAccumulator(PxAPConfig{TauStep: 0.02}); return a },
			func(a *PxAPAccumulator, lo, hi int) error {
				return a.UpdateWithIgnore(d.maps[lo:hi], d.masks[lo:hi], d.ignore[lo:hi])
			},
			(*PxAPAccumulator).Summary, noClean)
	})
	t.Run("pointing", func(t *testing.T) {
		checkMerge(t, "PointingGame", d,
			func() *PointingGame { g, _ := NewPointingGame(2); return g },
			func(g *PointingGame, lo, hi int) error { return g.Update(d.maps[lo:hi], d.boxes[lo:hi]) },
			(*PointingGame).Summary, noClean)
	})
	t.Run("confidence", func(t *testing.T) {
		checkMerge(t, "ConfidenceAccumulator", d,
			func() *ConfidenceAccumulator { return mustConf(score) },
			func(a *ConfidenceAccumulator, lo, hi int) error { return a.Update(d.batch(lo, hi), d.maps[lo:hi]) },
			(*ConfidenceAccumulator).Summary, noClean)
	})
	for _, mode := range []CausalMode{Deletion, Insertion} {
		t.Run(mode.String(), func(t *testing.T) {
			checkMerge(t, "CausalAccumulator", d,
				func() *CausalAccumulator {
					a, _ := NewCausalAccumulator(score, CausalConfig{Mode: mode, Steps: 12, BatchSize: 5})
					return a
				},
				func(a *CausalAccumulator, lo, hi int) error { return a.Update(d.batch(lo, hi), d.maps[lo:hi]) },
				(*CausalAccumulator).Summary,
				// The per-image AUC list comes in merge order; compare it as a multiset.
				func(r *CausalResult) { slicesSort(r.AUCs) })
		})
	}
	t.Run("road", func(t *testing.T) {
		checkMerge(t, "ROADAccumulator", d,
			func() *ROADAccumulator {
				a, _ := NewROADAccumulator(score, ROADConfig{Percentiles: []float64{20, 60}, Seed: 4, BatchSize: 7})
				return a
			},
			func(a *ROADAccumulator, lo, hi int) error { return a.Update(d.batch(lo, hi), d.maps[lo:hi]) },
			(*ROADAccumulator).Summary, noClean)
	})
}

// The exact sum is order-independent where float64 addition is not.
func TestExactSumOrderIndependent(t *testing.T) {
	vals := []float64{1e16, 1, -1e16, 1e-3, 3.5, -2.25e-10, 7e15}
	var naive1, naive2 float64
	var s1, s2 ExactSum
	for i := range vals {
		naive1 += vals[i]
		s1.Add(vals[i])
		naive2 += vals[len(vals)-1-i]
		s2.Add(vals[len(vals)-1-i])
	}
	if naive1 == naive2 {
		t.Fatalf("test data too easy: naive sums agree (%v)", naive1)
	}
	// Exact: 7e15 + 1 + 1e-3 + 3.5 − 2.25e-10, rounded once.
	want := 7e15 + 4.5010000 // the small terms vanish below 7e15's ulp (1)
	if s1.Float64() != s2.Float64() || s1.Float64() != want {
		t.Errorf("exact sums %v, %v, want %v (naive: %v, %v)", s1.Float64(), s2.Float64(), want, naive1, naive2)
	}
	var a, b ExactSum
	a.Add(0.1)
	b.Add(0.2)
	a.Merge(b)
	data, _ := a.GobEncode()
	var c ExactSum
	if err := c.GobDecode(data); err != nil || c.Float64() != 0.30000000000000004 {
		t.Errorf("round trip of 0.1+0.2: %v, %v (want the correctly rounded 0.30000000000000004)", c.Float64(), err)
	}
}

func TestMergeRefusesOtherConfigs(t *testing.T) {
	a, _ := NewBoxAccumulator(BoxConfig{TauStep: 0.1})
	b, _ := NewBoxAccumulator(BoxConfig{TauStep: 0.05})
	if err := a.Merge(b); err == nil {
		t.Error("BoxAccumulator.Merge accepted another τ grid")
	}
	data, _ := b.MarshalBinary()
	if err := a.UnmarshalBinary(data); err == nil {
		t.Error("BoxAccumulator.UnmarshalBinary accepted another τ grid")
	}
	p, _ := NewPxAPAccumulator(PxAPConfig{TauStep: 0.1})
	q, _ := NewPxAPAccumulator(PxAPConfig{})
	if err := p.Merge(q); err == nil {
		t.Error("PxAPAccumulator.Merge accepted other thresholds")
	}
	g1, _ := NewPointingGame(0)
	g2, _ := NewPointingGame(15)
	if err := g1.Merge(g2); err == nil {
		t.Error("PointingGame.Merge accepted another tolerance")
	}
	s := linearScore(0, []float32{1})
	c1, _ := NewCausalAccumulator(s, CausalConfig{Steps: 4})
	c2, _ := NewCausalAccumulator(s, CausalConfig{Steps: 8})
	if err := c1.Merge(c2); err == nil {
		t.Error("CausalAccumulator.Merge accepted other Steps")
	}
	r1, _ := NewROADAccumulator(s, ROADConfig{Seed: 1})
	r2, _ := NewROADAccumulator(s, ROADConfig{Seed: 2})
	if err := r1.Merge(r2); err == nil {
		t.Error("ROADAccumulator.Merge accepted another Seed")
	}
	if err := r1.UnmarshalBinary([]byte("not gob")); err == nil {
		t.Error("UnmarshalBinary accepted garbage")
	}
}

func slicesSort(v []float64) {
	for i := range v {
		for j := i; j > 0 && v[j] < v[j-1]; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}
