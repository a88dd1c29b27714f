package fastconv

// ScoreRegion marks the convolutions added to the graph named graphName (the name
// GoMLX gives the backend's Builder) until done is called as parts of passes whose
// only use is a score: a perturbation method's re-runs of the model on masked or
// ablated inputs (Score-CAM, Ablation-CAM), each reduced to the target's score. There
// WinogradAuto may take F(4×4, 3×3) (about 40% fewer multiply-adds than F(2×2), about
// 20 times its float32 round-off: ~1e-5 of a score, where the method's own
// sensitivity to the mask is orders of magnitude larger), while the explained pass
// and every gradient in the same graph keep F(2×2) or patches.
//
// Regions are keyed by graph name, so they do not leak into other graphs built at the
// same time on this backend, provided those have other names (camviz names each
// Explainer's graphs uniquely). Calls nest.
func (b *Backend) ScoreRegion(graphName string) (done func()) {
	b.regionsMu.Lock()
	if b.scoreRegions == nil {
		b.scoreRegions = make(map[string]int)
	}
	b.scoreRegions[graphName]++
	b.regionsMu.Unlock()
	var once bool
	return func() {
		if once {
			return
		}
		once = true
		b.regionsMu.Lock()
		defer b.regionsMu.Unlock()
		if b.scoreRegions[graphName]--; b.scoreRegions[graphName] <= 0 {
			delete(b.scoreRegions, graphName)
		}
	}
}

// inScoreRegion reports whether a ScoreRegion is open for the graph named graphName.
func (b *Backend) inScoreRegion(graphName string) bool {
	b.regionsMu.Lock()
	defer b.regionsMu.Unlock()
	return b.scoreRegions[graphName] > 0
}
