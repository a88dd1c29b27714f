package metrics

import (
	"math"
	"math/rand/v2"
	"testing"
)

func impute(t *testing.T, img []float32, h, w, c int, keep []bool) []float32 {
	t.Helper()
	out, err := NoisyLinearImpute(img, h, w, c, keep, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func keepAllBut(n int, removed ...int) []bool {
	k := make([]bool, n)
	for i := range k {
		k[i] = true
	}
	for _, r := range removed {
		k[r] = false
	}
	return k
}

func TestImputerOnePixel(t *testing.T) {
	// Centre of 3×3: the weighted mean (1/6 edges, 1/12 diagonals) of its 8 neighbours.
	img := []float32{1, 2, 3, 4, 99, 6, 7, 8, 9}
	out := impute(t, img, 3, 3, 1, keepAllBut(9, 4))
	want := (2.0+4+6+8)/6 + (1.0+3+7+9)/12
	near(t, "centre", float64(out[4]), want, 1e-6)
	for i, v := range out {
		if i != 4 && v != img[i] {
			t.Errorf("kept pixel %d changed: %v → %v", i, img[i], v)
		}
	}
	// Corner (0,0): neighbours (1,0), (0,1) at 1/6 and (1,1) at 1/12, renormalised
	// by 5/12: (2·2 + 2·4 + 99)/5.
	out = impute(t, img, 3, 3, 1, keepAllBut(9, 0))
	near(t, "corner", float64(out[0]), (2*2+2*4+99)/5.0, 1e-5)
	// Two channels are solved independently.
	img2 := []float32{1, 10, 2, 20, 3, 30, 4, 40, 0, 0, 6, 60, 7, 70, 8, 80, 9, 90}
	out = impute(t, img2, 3, 3, 2, keepAllBut(9, 4))
	near(t, "channel 0", float64(out[8]), want, 1e-6)
	near(t, "channel 1", float64(out[9]), 10*want, 1e-5)
}

func TestImputerCoupledPixels(t *testing.T) {
	// Row [a ? ? d]: x1 = (a + x2)/2, x2 = (x1 + d)/2, so the gap is filled linearly.
	out := impute(t, []float32{3, 0, 0, 9}, 1, 4, 1, keepAllBut(4, 1, 2))
	near(t, "x1", float64(out[1]), 5, 1e-6)
	near(t, "x2", float64(out[2]), 7, 1e-6)
	// 3×3 [[q 2 0] [4 c 0] [0 0 0]] with q and c removed, solved by hand:
	// q = (2·2 + 2·4 + c)/5, c = (2 + 4)/6 + q/12  ⇒  c = 72/59, q = 156/59.
	img := []float32{9, 2, 0, 4, 5, 0, 0, 0, 0}
	out = impute(t, img, 3, 3, 1, keepAllBut(9, 0, 4))
	near(t, "q", float64(out[0]), 156.0/59, 1e-6)
	near(t, "c", float64(out[4]), 72.0/59, 1e-6)
}

// The stencil reproduces planes away from the border, so an interior hole in
// a plane is filled exactly (a 36-unknown system solved by CG).
func TestImputerPlane(t *testing.T) {
	const h, w = 12, 14
	img := make([]float32, h*w)
	var removed []int
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img[y*w+x] = float32(0.5 + 0.25*float64(x) - 0.125*float64(y))
			if y >= 3 && y < 9 && x >= 4 && x < 10 {
				removed = append(removed, y*w+x)
			}
		}
	}
	holed := append([]float32(nil), img...)
	for _, p := range removed {
		holed[p] = -100
	}
	out := impute(t, holed, h, w, 1, keepAllBut(h*w, removed...))
	for _, p := range removed {
		near(t, "plane", float64(out[p]), float64(img[p]), 1e-5)
	}
}

func TestImputerNoiseAndEdgeCases(t *testing.T) {
	const h, w = 40, 50
	img := make([]float32, h*w)
	var removed []int
	for i := range img {
		img[i] = float32(i%7) / 7
		if i%3 != 0 {
			removed = append(removed, i)
		}
	}
	keep := keepAllBut(h*w, removed...)
	clean := impute(t, img, h, w, 1, keep)
	noisy := func(seed uint64) []float32 {
		out, err := NoisyLinearImpute(img, h, w, 1, keep, 0.01, rand.New(rand.NewPCG(seed, 1)))
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	a, b, c := noisy(3), noisy(3), noisy(4)
	sum2, differs := 0.0, false
	for _, p := range removed {
		if a[p] != b[p] {
			t.Fatalf("same seed gave different noise at pixel %d", p)
		}
		differs = differs || a[p] != c[p]
		d := float64(a[p] - clean[p])
		sum2 += d * d
	}
	if !differs {
		t.Error("different seeds gave identical noise")
	}
	// 1333 draws of 0.01·N(0,1): the sample std is within a few percent of 0.01.
	near(t, "noise std", math.Sqrt(sum2/float64(len(removed))), 0.01, 0.001)
	for i := 0; i < len(img); i += 3 {
		if a[i] != img[i] {
			t.Fatalf("noise added to kept pixel %d", i)
		}
	}
	// Nothing kept: documented zero fill. Everything kept: a copy.
	zero := impute(t, img, h, w, 1, make([]bool, h*w))
	for i, v := range zero {
		if v != 0 {
			t.Fatalf("nothing kept: pixel %d = %v, want 0", i, v)
		}
	}
	same := impute(t, img, h, w, 1, keepAllBut(h*w))
	for i := range same {
		if same[i] != img[i] {
			t.Fatal("everything kept changed the image")
		}
	}
	if _, err := NoisyLinearImpute(img, h, w, 1, keep, 0.01, nil); err == nil {
		t.Error("noise without a random source accepted")
	}
	if _, err := NoisyLinearImpute(img, h, w, 2, keep, 0, nil); err == nil {
		t.Error("wrong image size accepted")
	}
	bad := append([]float32(nil), img...)
	bad[5] = float32(math.Inf(1))
	if _, err := NoisyLinearImpute(bad, h, w, 1, keep, 0, nil); err == nil {
		t.Error("infinite image value accepted")
	}
}

// Every imputed pixel must satisfy the defining equation: it equals the
// weighted mean of its in-image neighbours (kept and imputed), on a random
// mask with about 70% removed.
func TestImputerSatisfiesStencil(t *testing.T) {
	const h, w, c = 30, 37, 2
	r := lcg(9)
	img := make([]float32, h*w*c)
	for i := range img {
		img[i] = float32(r.next())
	}
	keep := make([]bool, h*w)
	for i := range keep {
		keep[i] = r.next() < 0.3
	}
	out := impute(t, img, h, w, c, keep)
	for p, k := range keep {
		y, x := p/w, p%w
		for ch := 0; ch < c; ch++ {
			if k {
				if out[p*c+ch] != img[p*c+ch] {
					t.Fatalf("kept pixel %d changed", p)
				}
				continue
			}
			sum, wsum := 0.0, 0.0
			for _, nb := range roadNeighbours {
				ny, nx := y+nb.dy, x+nb.dx
				if ny >= 0 && nx >= 0 && ny < h && nx < w {
					sum += nb.w * float64(out[(ny*w+nx)*c+ch])
					wsum += nb.w
				}
			}
			near(t, "stencil", float64(out[p*c+ch]), sum/wsum, 1e-6)
		}
	}
}

// The multigrid preconditioner keeps conjugate gradients at a few iterations
// (plain CG needs hundreds here): on a 96×96 grid, a disc of radius 44 is
// removed except for 2% of its pixels.
func TestImputerMultigridIterations(t *testing.T) {
	const n = 96
	keep := make([]bool, n*n)
	b := make([]float64, n*n)
	r := lcg(4)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			keep[y*n+x] = (x-40)*(x-40)+(y-50)*(y-50) > 44*44 || r.next() < 0.02
		}
	}
	for i, k := range keep {
		if !k {
			b[i] = r.next()
		}
	}
	mg := newMultigrid(imputeOp(keep, n, n))
	x := make([]float64, n*n)
	iters, err := mg.solvePCG(b, x, 1e-9)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d iterations", iters)
	if iters > 25 {
		t.Errorf("multigrid PCG took %d iterations, want ≤ 25", iters)
	}
	// Check the residual independently.
	ax := make([]float64, n*n)
	mg.ops[0].mul(x, ax)
	res := 0.0
	for i := range ax {
		res += (ax[i] - b[i]) * (ax[i] - b[i])
	}
	if math.Sqrt(res) > 1e-9*math.Sqrt(dot(b, b)) {
		t.Errorf("residual %g above 1e-9·‖b‖", math.Sqrt(res))
	}
}
