package fastconv

import (
	"github.com/gomlx/compute"
)

// Capabilities returns the inner backend's capabilities, with
// PreferConstantsForVariables turned off while a VariablesAsParameters call is in force.
func (b *Backend) Capabilities() compute.Capabilities {
	c := b.Backend.Capabilities()
	if b.paramVars.Load() > 0 && c.PreferConstantsForVariables {
		c = c.Clone()
		c.PreferConstantsForVariables = false
	}
	return c
}

// VariablesAsParameters makes the graphs built on b until done is called take model
// variables as parameters, fed at each execution, instead of embedding their values as
// constants. Calls nest; graphs built concurrently on b by others are affected too (they
// then pack their weights at every execution, which costs time, not correctness).
//
// Why: the Go backend reports PreferConstantsForVariables, so GoMLX embeds an already
// initialised variable as a constant node, and the backend's matrix product then packs a
// constant right operand once and keeps the packed copy for the executable's lifetime,
// one per DotGeneral node, besides the folded and Winograd-transformed copies that this
// package makes when the graph is built. That saves the packing at every call (14% of a
// ResNet-18 forward pass at batch 1), but costs memory in proportion to the copies of
// the model in the graph: Score-CAM's and Ablation-CAM's chunked re-runs held 2.5-6.8 GB
// on ResNet-18 when each chunk was unrolled, and still 510-640 MiB as one loop (its
// body's F(4×4) kernels, 4× the 3×3 weights, plus their packed copies). camviz builds
// such graphs with the variables as parameters.
func (b *Backend) VariablesAsParameters() (done func()) {
	b.paramVars.Add(1)
	var once bool
	return func() {
		if !once {
			once = true
			b.paramVars.Add(-1)
		}
	}
}
