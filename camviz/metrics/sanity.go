package metrics

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/camviz/camviz/camviz/heatmap"
)

// ErrConstantMap is returned (wrapped) by Spearman when a map is constant: its
// ranks have no spread, so the correlation is undefined. Randomised models
// often give all-zero maps; callers can test errors.Is(err, ErrConstantMap)
// and decide how to count them.
var ErrConstantMap = errors.New("map is constant, so its rank correlation is undefined")

// checkPair validates two finite maps of the same size.
func checkPair(fn string, a, b *heatmap.Map) error {
	if err := checkMap(0, a); err != nil {
		return fmt.Errorf("%s: first map: %w", fn, err)
	}
	if err := checkMap(1, b); err != nil {
		return fmt.Errorf("%s: second map: %w", fn, err)
	}
	if a.H != b.H || a.W != b.W {
		return fmt.Errorf("%s: maps are %dx%d and %dx%d; resize one to the other's size (heatmap.ResizeBilinear)", fn, a.H, a.W, b.H, b.W)
	}
	return nil
}

// averageRanks returns the 1-based ranks of v, ties sharing the mean of their
// ranks (scipy.stats.rankdata "average").
func averageRanks(v []float32) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		switch {
		case v[a] < v[b]:
			return -1
		case v[a] > v[b]:
			return 1
		}
		return 0
	})
	ranks := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		r := float64(i+j)/2 + 1 // mean of ranks i+1 … j+1
		for k := i; k <= j; k++ {
			ranks[idx[k]] = r
		}
		i = j + 1
	}
	return ranks
}

// Spearman returns the Spearman rank correlation of two maps of the same size:
// the Pearson correlation of their pixel ranks, ties given average ranks
// (scipy.stats.spearmanr), as used by Adebayo et al., "Sanity Checks for
// Saliency Maps" (NeurIPS 2018):
//
//	ρ = Σ (r_i − r̄)(s_i − s̄) / sqrt(Σ (r_i − r̄)² · Σ (s_i − s̄)²)
//
// It returns an error wrapping ErrConstantMap if either map is constant.
func Spearman(a, b *heatmap.Map) (float64, error) {
	if err := checkPair("metrics.Spearman", a, b); err != nil {
		return 0, err
	}
	ra, rb := averageRanks(a.Data), averageRanks(b.Data)
	mean := float64(len(ra)+1) / 2 // mean of any average-rank vector
	var sab, saa, sbb float64
	for i := range ra {
		da, db := ra[i]-mean, rb[i]-mean
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0, fmt.Errorf("metrics.Spearman: %w", ErrConstantMap)
	}
	return sab / math.Sqrt(saa*sbb), nil
}

// SSIM returns the mean structural similarity of two maps (Wang et al., "Image
// Quality Assessment: From Error Visibility to Structural Similarity", IEEE
// TIP 2004) with scikit-image's defaults (structural_similarity): a uniform 7×7
// window, sample covariances (normalised by 48, not 49), K1 = 0.01, K2 = 0.03,
// and the mean over the window positions that lie wholly inside the map
// (skimage's crop of (7−1)/2 pixels per side):
//
//	SSIM = ((2·μa·μb + C1)(2·σab + C2)) / ((μa² + μb² + C1)(σa² + σb² + C2)),
//	C1 = (0.01·L)², C2 = (0.03·L)², L = dataRange
//
// dataRange is the span of possible values (1 for [0, 1] maps). Both maps must
// be at least 7×7. Sums are in float64 (skimage keeps float32 inputs in float32).
// Identical maps give exactly 1.
func SSIM(a, b *heatmap.Map, dataRange float64) (float64, error) {
	if err := checkPair("metrics.SSIM", a, b); err != nil {
		return 0, err
	}
	if !(dataRange > 0) || math.IsInf(dataRange, 0) {
		return 0, fmt.Errorf("metrics.SSIM: dataRange %v must be positive and finite (1 for maps in [0, 1])", dataRange)
	}
	const win = 7
	if a.H < win || a.W < win {
		return 0, fmt.Errorf("metrics.SSIM: maps are %dx%d, smaller than the 7x7 window; use maps of at least 7x7", a.H, a.W)
	}
	const np = win * win
	c1, c2 := math.Pow(0.01*dataRange, 2), math.Pow(0.03*dataRange, 2)
	total, count := 0.0, 0
	for y0 := 0; y0+win <= a.H; y0++ {
		for x0 := 0; x0+win <= a.W; x0++ {
			var sa, sb, saa, sbb, sab float64
			for y := y0; y < y0+win; y++ {
				for x := x0; x < x0+win; x++ {
					va, vb := float64(a.Data[y*a.W+x]), float64(b.Data[y*a.W+x])
					sa += va
					sb += vb
					saa += va * va
					sbb += vb * vb
					sab += va * vb
				}
			}
			ua, ub := sa/np, sb/np
			norm := float64(np) / (np - 1)
			va := norm * (saa/np - ua*ua)
			vb := norm * (sbb/np - ub*ub)
			vab := norm * (sab/np - ua*ub)
			total += ((2*ua*ub + c1) * (2*vab + c2)) / ((ua*ua + ub*ub + c1) * (va + vb + c2))
			count++
		}
	}
	return total / float64(count), nil
}
