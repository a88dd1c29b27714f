package evaluate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// LogitsBlock names the variables used after the model's last block (the classifier).
const LogitsBlock = "logits"

// Block is a group of a model's variables: those first used in the graph after the
// previous block's tap and up to this block's tap (LogitsBlock: after the last tap).
type Block struct {
	Name      string
	Variables []string // variable paths, in graph order
}

// ModelBlocks groups the variables of m by block, input to output, the last being
// LogitsBlock. It builds the model's graph once and orders the variables' parameter
// nodes and the taps of m.Layers by node id (graph construction order): a variable
// belongs to the first tap created after its first use. Variables the graph does not use
// are left out.
func ModelBlocks(backend compute.Backend, m *models.Model) ([]Block, error) {
	if len(m.Layers) == 0 {
		return nil, fmt.Errorf("evaluate.ModelBlocks: the model lists no layers (taps), so its variables cannot be grouped into blocks")
	}
	type item struct {
		name string
		id   graph.NodeId
		tap  bool
	}
	var items []item
	fn := m.Fn
	exec, err := model.NewExec(backend, m.Store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		logits := fn(scope, x)
		g := x.Graph()
		want := map[string]bool{}
		for _, l := range m.Layers {
			want[m.LayerName(l)] = true
		}
		for alias, node := range g.IterAliasedNodes() {
			if name := strings.TrimPrefix(alias, graph.AliasScopeSeparator); want[name] {
				items = append(items, item{name: name, id: node.Id(), tap: true})
			}
		}
		for v := range m.Store.IterVariables() {
			if v.InUseByGraph(g) {
				items = append(items, item{name: v.Path(), id: v.NodeValue(g).Id()})
			}
		}
		return logits
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate.ModelBlocks: %w", err)
	}
	defer exec.Finalize()
	in := m.InputDims(1)
	if err := camviz.CatchPanic(func() error {
		_, err := exec.Compile(shapes.Make(dtypes.Float32, in...))
		return err
	}); err != nil {
		return nil, fmt.Errorf("evaluate.ModelBlocks: building the model for input %v: %w", in, err)
	}
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(a.id, b.id) })
	var blocks []Block
	var pending []string
	for _, it := range items {
		if !it.tap {
			pending = append(pending, it.name)
			continue
		}
		blocks = append(blocks, Block{Name: it.name, Variables: pending})
		pending = nil
	}
	blocks = append(blocks, Block{Name: LogitsBlock, Variables: pending})
	if len(blocks) != len(m.Layers)+1 {
		return nil, fmt.Errorf("evaluate.ModelBlocks: found %d of the model's %d layer taps in its graph", len(blocks)-1, len(m.Layers))
	}
	return blocks, nil
}
