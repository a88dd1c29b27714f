package camviz

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
)

// perturbationBuild returns a function to call when the graph of cfg is built: when
// cfg has a method that re-runs the model in chunks (Needs.Perturbation: Score-CAM,
// Ablation-CAM) and the backend can take model variables as parameters rather than
// constants (camviz/fastconv's VariablesAsParameters), it switches that on until the
// returned function is called; otherwise it does nothing.
//
// With the variables embedded as constants the Go backend keeps, for the compiled
// graph's lifetime, a packed copy of every convolution kernel of every copy of the model
// in it, and fastconv its folded and Winograd-transformed copies (the loop body's
// F(4×4) kernels are 4× the 3×3 weights): on ResNet-18, +510-640 MiB once compiled
// even with the chunks in one loop (chunkedRows), over the 300 MiB that MemoryBudget
// leaves for what it does not count. As parameters the copies are made at each
// iteration and freed, for 0-8% more time per pass at chunks of 16 (docs/performance.md).
func perturbationBuild(backend compute.Backend, cfg Config) (done func()) {
	perturbs := false
	for _, m := range cfg.Methods {
		if def, ok := lookupMethod(m); ok && def.Needs.Perturbation {
			perturbs = true
		}
	}
	b, ok := backend.(interface{ VariablesAsParameters() (done func()) })
	if !perturbs || !ok {
		return func() {}
	}
	return b.VariablesAsParameters()
}

// scoreRegion marks what is built into g until done is called as re-runs of the model
// whose only use is their score (the chunks of Score-CAM and Ablation-CAM), when g's
// backend supports it (camviz/fastconv's ScoreRegion: there its Winograd lowering may
// take F(4×4, 3×3), 40% fewer multiply-adds than F(2×2) for ~1e-5 relative round-off in
// a score; the explained pass and all gradients keep the more exact algorithms).
func scoreRegion(g *graph.Graph) (done func()) {
	b, ok := g.Backend().(interface {
		ScoreRegion(graphName string) (done func())
	})
	if !ok {
		return func() {}
	}
	return b.ScoreRegion(g.Name())
}
