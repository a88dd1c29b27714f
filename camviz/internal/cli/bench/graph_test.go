package bench

import (
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// tinyResNet18 is ResNet-18's graph (ImageNet stem with its max-pool, BasicBlocks
// [2 2 2 2], a strided downsample at the start of stages 2-4) with narrow
// stages, on 32×32 images: the same ops as the full network, built in
// milliseconds.
func tinyResNet18() models.Spec {
	return models.Spec{Arch: "resnet", Channels: []int{4, 8, 8, 16}, Blocks: []int{2, 2, 2, 2},
		Stem: models.StemImageNet, NumClasses: 10, InputSize: [3]int{32, 32, 3}, Seed: 1}
}

// countReachable counts the nodes of type typ that the outputs depend on:
// what a backend that skips unused nodes (the Go backend does) executes.
func countReachable(typ graph.NodeType, outputs ...*graph.Node) int {
	seen := map[*graph.Node]bool{}
	count := 0
	var visit func(n *graph.Node)
	visit = func(n *graph.Node) {
		if seen[n] {
			return
		}
		seen[n] = true
		if n.Type() == typ {
			count++
		}
		for _, in := range n.Inputs() {
			visit(in)
		}
	}
	for _, o := range outputs {
		visit(o)
	}
	return count
}

func countBuilt(g *graph.Graph, typ graph.NodeType) int {
	count := 0
	for _, n := range g.Nodes() {
		if n.Type() == typ {
			count++
		}
	}
	return count
}

// TestGradCAMRunsOnlyInputGradients checks that Grad-CAM costs one forward pass
// plus the backward pass from the score down to the tapped layers, with no
// parameter gradient, by counting the convolutions (and max-pool gradients)
// that camviz.ScoreGradient's outputs depend on, for ResNet-18's graph.
//
// The forward pass has 20 convolutions: the stem, 2 per block × 8, and the 3
// downsample 1×1 convolutions of layer2.0, layer3.0 and layer4.0. Each
// convolution the backward pass crosses adds one (its input gradient);
// parameter gradients would add one more each (kernel gradients).
//   - layer4.1 (the last block): the backward pass crosses the global average
//     pooling and the dense layer only: 20.
//   - all 8 blocks: down to layer1.0's output, crossing the 7 blocks after it
//     (2 convolutions each, plus the 3 downsamples): 20 + 17 = 37.
//   - the stem too: also layer1.0's 2 convolutions and the max-pool's
//     gradient (one SelectAndScatterMax): 39.
//
// GoMLX's convolution VJP builds the kernel gradient too (17 and 19 more
// convolutions in the graph), but nothing uses them, so the Go backend never
// runs them (it executes only what the outputs depend on).
func TestGradCAMRunsOnlyInputGradients(t *testing.T) {
	m, err := models.New(tinyResNet18())
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name                    string
		layers                  []string
		convs, built, poolGrads int
	}{
		{"forward only", nil, 20, 20, 0},
		{"layer4.1", []string{"layer4.1"}, 20, 20, 0},
		{"all 8 blocks", m.Layers[1:], 37, 54, 0},
		{"stem and all 8 blocks", m.Layers, 39, 58, 1},
	} {
		backend, err := backends.NewFromConfig("go")
		if err != nil {
			t.Fatal(err)
		}
		var convs, built, poolGrads int
		exec, err := model.NewExec(backend, m.Store, func(scope *model.Scope, images *graph.Node) *graph.Node {
			logits := m.Fn(scope, images)
			score := graph.ReduceMax(logits, -1) // the argmax class's logit
			outs := []*graph.Node{score}
			if len(tc.layers) > 0 {
				taps := make([]*graph.Node, len(tc.layers))
				for i, l := range tc.layers {
					if taps[i] = images.Graph().GetNodeByAlias("/" + l); taps[i] == nil {
						t.Fatalf("no tap %q", l)
					}
				}
				outs = append(outs, camviz.ScoreGradient(score, taps...)...)
			}
			convs = countReachable(graph.NodeTypeConvGeneral, outs...)
			poolGrads = countReachable(graph.NodeTypeSelectAndScatterMax, outs...)
			built = countBuilt(images.Graph(), graph.NodeTypeConvGeneral)
			return graph.Stack(outs[:1], 0)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exec.Compile(shapes.Make(dtypes.Float32, 1, 32, 32, 3)); err != nil {
			t.Fatal(err)
		}
		if convs != tc.convs || built != tc.built || poolGrads != tc.poolGrads {
			t.Errorf("%s: the gradients depend on %d convolutions and %d max-pool gradients (%d convolutions built); "+
				"want %d, %d (%d built)", tc.name, convs, poolGrads, built, tc.convs, tc.poolGrads, tc.built)
		}
		// fastconv lowered every convolution the graph holds, used or not.
		if s, _ := fastconv.StatsOf(backend); s.Lowered != int64(tc.built) || s.Fallback != 0 {
			t.Errorf("%s: fastconv stats %+v, want %d lowered", tc.name, s, tc.built)
		}
	}
}
