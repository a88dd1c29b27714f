package camviz

import (
	"cmp"
	"slices"
	"strings"

	"github.com/gomlx/gomlx/core/graph"
)

// biasAliasPrefix marks the node aliases that BiasTap sets; they are not listed as taps.
const biasAliasPrefix = "camviz.bias"

// BiasSite is one layer output with a per-channel bias term, as declared by [BiasTap],
// and, inside an Explainer's graph, the score's gradient there.
type BiasSite struct {
	// Name is the name given to BiasTap.
	Name string
	// Output is the layer's output y [batch, h, w, K] (channels-last).
	Output *graph.Node
	// Bias is the layer's effective bias b [K]: y = (bias-free part) + b per channel.
	Bias *graph.Node
	// Grads is ∂score/∂y [batch, h, w, K] (channels-last), which is also the gradient with
	// respect to the bias broadcast to every position.
	Grads *graph.Node

	out *graph.Node // y in the model's layout
}

// BiasTap declares that out is a layer's output with the per-channel bias bias added:
// out = f(x) + b, with b of shape [K] and K the channel axis (last, or axis 1 with
// Config.ChannelsFirst). Methods that use bias gradients (FullGrad) find every site a
// model declares; for a convolution b is its bias, for an inference-mode batch norm
// y = γ(x − μ)/√(σ² + ε) + β it is β − μγ/√(σ² + ε). It returns out unchanged.
func BiasTap(out, bias *graph.Node, name string) *graph.Node {
	out.WithAlias(biasAliasPrefix + "/" + name + "/out")
	bias.WithAlias(biasAliasPrefix + "/" + name + "/bias")
	return out
}

// collectBiasSites returns the bias sites declared in g under the alias scope prefix,
// in graph order of their outputs.
func collectBiasSites(g *graph.Graph, prefix string, channelsFirst bool) []BiasSite {
	outs := map[string]*graph.Node{}
	biases := map[string]*graph.Node{}
	start := prefix + biasAliasPrefix + "/"
	for alias, node := range g.IterAliasedNodes() {
		if !strings.HasPrefix(alias, start) {
			continue
		}
		rest := strings.TrimPrefix(alias, start)
		switch {
		case strings.HasSuffix(rest, "/out"):
			outs[strings.TrimSuffix(rest, "/out")] = node
		case strings.HasSuffix(rest, "/bias"):
			biases[strings.TrimSuffix(rest, "/bias")] = node
		}
	}
	var sites []BiasSite
	for name, out := range outs {
		if b := biases[name]; b != nil {
			sites = append(sites, BiasSite{Name: name, Output: toChannelsLast(out, channelsFirst), Bias: b, out: out})
		}
	}
	slices.SortFunc(sites, func(a, b BiasSite) int { return cmp.Compare(a.out.Id(), b.out.Id()) })
	return sites
}

// isInternalAlias reports aliases camviz sets for its own bookkeeping.
func isInternalAlias(name string) bool {
	return strings.HasPrefix(name, biasAliasPrefix+"/") || strings.Contains(name, "/"+biasAliasPrefix+"/")
}
