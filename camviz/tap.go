package camviz

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/gomlx/gomlx/core/graph"
)

// Tap names the activation x so that an [Explainer] can explain it, and returns the node
// to use in its place in the rest of the model.
//
// It sets a GoMLX node alias (x.WithAlias(name)), so plain GoMLX models that call
// WithAlias themselves are explained just as well. What Tap adds is substitution:
// methods that re-run the part of the network after a layer with a modified activation
// (Ablation-CAM, for instance) register a replacement for the name, and Tap returns the
// replacement instead of x. Layers before the tap then feed nothing and are not computed.
//
// Names must be unique within a graph's alias scope; "/" separates scopes.
func Tap(x *graph.Node, name string) *graph.Node {
	g := x.Graph()
	x.WithAlias(name)
	if repl := lookupOverride(g, name); repl != nil {
		return repl
	}
	return x
}

// overrides maps a graph to the replacement node of each tap (by the name given to Tap).
var overrides = struct {
	sync.Mutex
	byGraph map[*graph.Graph]map[string]*override
}{byGraph: map[*graph.Graph]map[string]*override{}}

// override is one active replacement; used records whether a Tap returned it.
type override struct {
	node *graph.Node
	used bool
}

func lookupOverride(g *graph.Graph, alias string) *graph.Node {
	overrides.Lock()
	defer overrides.Unlock()
	o := overrides.byGraph[g][alias]
	if o == nil {
		return nil
	}
	o.used = true
	return o.node
}

// ReplaceTap runs build with the tap name replaced by repl in graph g: while build runs,
// Tap(x, name) returns repl instead of x. It lets a method evaluate the part of a model
// after a layer with a modified activation (Ablation-CAM zeroes channels this way), and
// lets users ask "what would the model say if this layer's activation were repl?". Layers
// before the tap then feed nothing; the backend does not compute them.
//
// name is the name given to Tap, whatever alias scope the model is built in (so a model
// re-run under graph.PushAliasScope still matches). repl must have the shape the rest of
// the model expects after the tap (the batch size may differ).
func ReplaceTap[T any](g *graph.Graph, name string, repl *graph.Node, build func() T) T {
	out, _ := replaceTap(g, name, repl, build)
	return out
}

// replaceTap is ReplaceTap that also reports whether a Tap of that name returned repl
// (false when the model names the layer with node.WithAlias only, which cannot be
// substituted).
func replaceTap[T any](g *graph.Graph, name string, repl *graph.Node, build func() T) (T, bool) {
	alias := strings.TrimPrefix(name, graph.AliasScopeSeparator)
	o := &override{node: repl}
	overrides.Lock()
	m := overrides.byGraph[g]
	if m == nil {
		m = map[string]*override{}
		overrides.byGraph[g] = m
	}
	m[alias] = o
	overrides.Unlock()
	defer func() {
		overrides.Lock()
		delete(m, alias)
		if len(m) == 0 {
			delete(overrides.byGraph, g)
		}
		overrides.Unlock()
	}()
	out := build()
	overrides.Lock()
	used := o.used
	overrides.Unlock()
	return out, used
}

// TapInfo describes one tapped activation.
type TapInfo struct {
	// Name is the alias without its leading "/" (and without the Explainer's own scope).
	Name string
	// Shape is the activation's dimensions, for example [batch, h, w, channels].
	Shape []int
	// DType is the activation's data type.
	DType string
	node  *graph.Node
}

// String formats the tap as "name [dims] dtype".
func (t TapInfo) String() string {
	return fmt.Sprintf("%s %v %s", t.Name, t.Shape, t.DType)
}

// collectTaps returns the graph's aliased nodes under the alias scope prefix (for example
// "/" or "/pass1/"), in graph order (node creation order).
func collectTaps(g *graph.Graph, prefix string) []TapInfo {
	var taps []TapInfo
	for alias, node := range g.IterAliasedNodes() {
		if !strings.HasPrefix(alias, prefix) || isInternalAlias(alias) {
			continue
		}
		taps = append(taps, TapInfo{
			Name:  strings.TrimPrefix(alias, prefix),
			Shape: node.Shape().Dimensions,
			DType: node.DType().String(),
			node:  node,
		})
	}
	sortByNodeID(taps)
	return taps
}

func sortByNodeID(taps []TapInfo) {
	slices.SortFunc(taps, func(a, b TapInfo) int { return cmp.Compare(a.node.Id(), b.node.Id()) })
}

func tapNames(taps []TapInfo) []string {
	names := make([]string, len(taps))
	for i, t := range taps {
		names[i] = t.Name
	}
	return names
}
