package camviz

import "github.com/gomlx/compute"

// perturbationBuild returns a function to call when the graph of cfg is built: when
// cfg has a method that re-runs the model in chunks (Needs.Perturbation: Score-CAM,
// Ablation-CAM) and the backend can take model variables as parameters rather than
// constants (camviz/fastconv's VariablesAsParameters), it switches that on until the
// returned function is called; otherwise it does nothing.
//
// With the variables embedded as constants the Go backend keeps a packed copy of every
// convolution kernel for each chunk's copy of the model, for as long as the graph is
// compiled: memory in proportion to the number of chunks that no budget accounts for
// (2.5 GiB for a 256 MiB budget on ResNet-18; see docs/performance.md).
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
