package metrics

import (
	"fmt"
	"image"

	"github.com/camviz/camviz/camviz/heatmap"
)

// PointingResult summarises a PointingGame.
type PointingResult struct {
	Accuracy float64 // 100·Hits/(Hits+Misses), percent
	Hits     int
	Misses   int
	Skipped  int // images without a ground-truth box, not scored
}

// PointingGame scores the pointing game of Zhang et al., "Top-down Neural
// Attention by Excitation Backprop" (ECCV 2016): the map's maximum is a hit when
// it falls on the object, with a tolerance,
//
//	hit ⇔ ∃ pixel q in a ground-truth box with ‖q − p‖² < Tolerance²
//
// where p is the first maximum in raster order (numpy.argmax; a constant map
// points at (0, 0)). This is
// TorchRay's rule (strict <; Zhang et al. used 15 pixels). Tolerance 0 means p
// itself must lie in a box. Images with no ground-truth box are skipped, as in
// TorchRay, and counted in Skipped.
type PointingGame struct {
	tolerance             int
	hits, misses, skipped int
}

// NewPointingGame returns an empty pointing game with the given tolerance in
// pixels (≥ 0; Zhang et al. 2016 used 15).
func NewPointingGame(tolerance int) (*PointingGame, error) {
	if tolerance < 0 {
		return nil, fmt.Errorf("metrics.NewPointingGame: tolerance %d is negative; use 0 (the maximum must be inside a box) or a radius in pixels such as 15", tolerance)
	}
	return &PointingGame{tolerance: tolerance}, nil
}

// PointingHit reports whether m's maximum hits one of boxes within tolerance
// pixels (see PointingGame). m must be finite; boxes must be non-empty.
func PointingHit(m *heatmap.Map, boxes []image.Rectangle, tolerance int) (bool, error) {
	if err := checkMap(0, m); err != nil {
		return false, fmt.Errorf("metrics.PointingHit: %w", err)
	}
	if err := checkBoxes(0, boxes, m.H, m.W); err != nil {
		return false, fmt.Errorf("metrics.PointingHit: %w", err)
	}
	if tolerance < 0 {
		return false, fmt.Errorf("metrics.PointingHit: tolerance %d is negative", tolerance)
	}
	return pointingHit(m, boxes, tolerance), nil
}

func pointingHit(m *heatmap.Map, boxes []image.Rectangle, tolerance int) bool {
	best := 0
	for i, v := range m.Data {
		if v > m.Data[best] {
			best = i
		}
	}
	px, py := best%m.W, best/m.W
	for _, b := range boxes {
		// Squared distance from p to the nearest pixel of b.
		dx := max(b.Min.X-px, px-(b.Max.X-1), 0)
		dy := max(b.Min.Y-py, py-(b.Max.Y-1), 0)
		d2 := dx*dx + dy*dy
		if (tolerance == 0 && d2 == 0) || d2 < tolerance*tolerance {
			return true
		}
	}
	return false
}

// Update scores a batch: maps[i] against gtBoxes[i] (image pixels, half-open).
// An empty gtBoxes[i] skips image i. On error nothing is accumulated.
func (g *PointingGame) Update(maps []*heatmap.Map, gtBoxes [][]image.Rectangle) error {
	if len(gtBoxes) != len(maps) {
		return fmt.Errorf("metrics.PointingGame.Update: %d maps but %d ground-truth box lists; pass one list per map", len(maps), len(gtBoxes))
	}
	for i, m := range maps {
		if err := checkMap(i, m); err != nil {
			return fmt.Errorf("metrics.PointingGame.Update: %w", err)
		}
		if len(gtBoxes[i]) > 0 {
			if err := checkBoxes(i, gtBoxes[i], m.H, m.W); err != nil {
				return fmt.Errorf("metrics.PointingGame.Update: %w", err)
			}
		}
	}
	for i, m := range maps {
		switch {
		case len(gtBoxes[i]) == 0:
			g.skipped++
		case pointingHit(m, gtBoxes[i], g.tolerance):
			g.hits++
		default:
			g.misses++
		}
	}
	return nil
}

// Summary returns the accuracy. It is an error when no image has been scored.
func (g *PointingGame) Summary() (PointingResult, error) {
	r := PointingResult{Hits: g.hits, Misses: g.misses, Skipped: g.skipped}
	if g.hits+g.misses == 0 {
		return r, fmt.Errorf("metrics.PointingGame.Summary: no image scored (%d skipped for lack of a ground-truth box); call Update with boxes", g.skipped)
	}
	r.Accuracy = 100 * float64(g.hits) / float64(g.hits+g.misses)
	return r, nil
}
