package fastconv

// winogradAlgo is one of Winograd's minimal filtering algorithms F(m×m, 3×3)
// (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR
// 2016), for the correlation CNNs compute (y[i] = Σ_k d[i+k]·g[k]): for an α×α
// input tile d (α = m+2) and a 3×3 filter g, the m×m output tile is
//
//	Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//
// F(2, 3) in one dimension: y0 = m1+m2+m3 and y1 = m2−m3−m4 with
// m1 = (d0−d2)g0, m2 = (d1+d2)(g0+g1+g2)/2, m3 = (d2−d1)(g0−g1+g2)/2,
// m4 = (d1−d3)g2: four multiplications for two outputs instead of six. In two
// dimensions each of the α² transformed positions ξ is one matrix product over
// the input channels, V_ξ [tiles, Cin] · U_ξ [Cin, Cout]: α²/m² multiply-adds
// per output and channel pair instead of 9 (F(2×2): 4, F(4×4): 2.25).
type winogradAlgo struct {
	m      int // output tile size
	bt, at [][]float64
	g      [][3]float64
}

// alpha is the input tile size m+2.
func (w *winogradAlgo) alpha() int { return w.m + 2 }

var (
	// winogradF2 is F(2×2, 3×3), interpolation points 0, 1, −1 and ∞.
	winogradF2 = &winogradAlgo{m: 2,
		bt: [][]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}},
		g:  [][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}},
		at: [][]float64{{1, 1, 1, 0}, {0, 1, -1, -1}},
	}
	// winogradF4 is F(4×4, 3×3), interpolation points 0, ±1, ±2 and ∞.
	winogradF4 = &winogradAlgo{m: 4,
		bt: [][]float64{
			{4, 0, -5, 0, 1, 0},
			{0, -4, -4, 1, 1, 0},
			{0, 4, -4, -1, 1, 0},
			{0, -2, -1, 2, 1, 0},
			{0, 2, -1, -2, 1, 0},
			{0, 4, 0, -5, 0, 1},
		},
		g: [][3]float64{
			{1. / 4, 0, 0},
			{-1. / 6, -1. / 6, -1. / 6},
			{-1. / 6, 1. / 6, -1. / 6},
			{1. / 24, 1. / 12, 1. / 6},
			{1. / 24, -1. / 12, 1. / 6},
			{0, 0, 1},
		},
		at: [][]float64{
			{1, 1, 1, 1, 1, 0},
			{0, 1, -1, 2, -2, 0},
			{0, 1, 1, 4, 4, 0},
			{0, 1, -1, 8, -8, 1},
		},
	}
)

// inputMatrix returns Bᵀ⊗Bᵀ as [α² (ξ,ν), α² (i,j)]: V[ξν] = Σ_ij BT[ξ,i]·BT[ν,j]·d[i,j].
func (w *winogradAlgo) inputMatrix() []float64 {
	a := w.alpha()
	m := make([]float64, 0, a*a*a*a)
	for xi := range a {
		for nu := range a {
			for i := range a {
				for j := range a {
					m = append(m, w.bt[xi][i]*w.bt[nu][j])
				}
			}
		}
	}
	return m
}

// kernelMatrix returns G⊗G as [α² (ξ,ν), 9 (i,j)]: U[ξν] = Σ_ij G[ξ,i]·G[ν,j]·g[i,j].
func (w *winogradAlgo) kernelMatrix() []float64 {
	a := w.alpha()
	m := make([]float64, 0, a*a*9)
	for xi := range a {
		for nu := range a {
			for i := range 3 {
				for j := range 3 {
					m = append(m, w.g[xi][i]*w.g[nu][j])
				}
			}
		}
	}
	return m
}

// outputMatrix returns Aᵀ⊗Aᵀ as [m² (a,b), α² (ξ,ν)]: Y[ab] = Σ_ξν AT[a,ξ]·AT[b,ν]·M[ξν].
func (w *winogradAlgo) outputMatrix() []float64 {
	al := w.alpha()
	m := make([]float64, 0, w.m*w.m*al*al)
	for a := range w.m {
		for b := range w.m {
			for xi := range al {
				for nu := range al {
					m = append(m, w.at[a][xi]*w.at[b][nu])
				}
			}
		}
	}
	return m
}
