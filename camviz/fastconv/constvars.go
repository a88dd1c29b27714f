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
// one per DotGeneral node. That saves the packing at every call (14% of a ResNet-18
// forward pass), but Score-CAM and Ablation-CAM unroll the model once per chunk: every
// chunk's convolutions are distinct nodes, each keeping a packed copy of its kernel, so
// the executable holds chunks × the model's weights (ResNet-18: 44 MB × 35-128 chunks,
// 2.5-6.8 GB for a budget of 0.25-1 GiB; docs/performance.md). camviz builds such graphs
// with the variables as parameters.
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
