package fastconv

import (
	"math/rand/v2"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
)

// TestScoreRegion: under WinogradAuto a wide 3×3 convolution takes F(4×4, 3×3) only
// when built in a graph whose name has an open ScoreRegion, F(2×2) otherwise —
// also in a graph built while another graph's region is open — and the results
// agree with the native op.
func TestScoreRegion(t *testing.T) {
	withWinograd(t, WinogradAuto)
	rng := rand.New(rand.NewPCG(28, 28))
	c := convCase{inDims: []int{4, 16, 16, 128}, kDims: []int{3, 3, 128, 128}, axes: channelsLast(2), pads: [][2]int{{1, 1}, {1, 1}}}
	x, k := randTensor(rng, c.inDims), randTensor(rng, c.kDims)
	want := flat32(t, run(t, native(), func(in []*graph.Node) []*graph.Node {
		return []*graph.Node{c.conv(in[0], in[1])}
	}, must(x.LocalClone()), must(k.LocalClone()))[0])
	b := Wrap(native()).(*Backend)
	// build compiles the convolution in a graph of the given name, inside a
	// ScoreRegion of that graph if region, and inside one of another graph's if other.
	build := func(name string, region, other bool) (f2, f4 int64) {
		before := b.Stats()
		e := graph.MustNewExec(b, func(in []*graph.Node) []*graph.Node {
			if region {
				defer b.ScoreRegion(in[0].Graph().Name())()
			}
			if other {
				defer b.ScoreRegion(in[0].Graph().Name() + "-not-this-one")()
			}
			return []*graph.Node{c.conv(in[0], in[1])}
		}).WithName(name)
		defer e.Finalize()
		out, err := e.Exec(must(x.LocalClone()), must(k.LocalClone()))
		if err != nil {
			t.Fatal(err)
		}
		if e := relErr(flat32(t, out[0]), want); e > 1e-4 {
			t.Errorf("graph %q: relative error %.3g against the native op", name, e)
		}
		after := b.Stats()
		f4 = after.WinogradF4 - before.WinogradF4
		return after.Winograd - before.Winograd - f4, f4
	}
	if f2, f4 := build("scores", true, false); f4 != 1 || f2 != 0 {
		t.Errorf("inside the region: %d F(2×2), %d F(4×4); want the convolution on F(4×4)", f2, f4)
	}
	if f2, f4 := build("other", false, true); f4 != 0 || f2 != 1 {
		t.Errorf("another graph's region open: %d F(2×2), %d F(4×4); want F(2×2)", f2, f4)
	}
	if f2, f4 := build("scores", false, false); f4 != 0 || f2 != 1 {
		t.Errorf("no region: %d F(2×2), %d F(4×4); want F(2×2)", f2, f4)
	}
	if len(b.scoreRegions) != 0 {
		t.Errorf("regions left open: %v", b.scoreRegions)
	}
	done := b.ScoreRegion("x")
	done()
	done() // a second call does nothing
	if n := b.scoreRegions["x"]; n != 0 {
		t.Errorf("region count %d after done, twice", n)
	}
}
