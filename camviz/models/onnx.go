package models

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/compute/gobackend"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/onnx-gomlx/onnx"
	"github.com/gomlx/onnx-gomlx/onnx/parser"
	"google.golang.org/protobuf/proto"
)

// ONNXArch is the Spec.Arch of models read by [LoadONNX].
const ONNXArch = "onnx"

// onnxCAMTap names the classifier kernel, turned to [K, numClasses], when the ONNX
// initializer is square and stored transposed (its orientation cannot be told by shape).
const onnxCAMTap = "camviz.cam_weights"

// onnxDefaultSize is the image height and width assumed when the ONNX input's spatial
// axes are dynamic.
const onnxDefaultSize = 224

// LoadONNX reads an ONNX image classifier (for example one exported from PyTorch with
// torch.onnx.export) through onnx-gomlx and returns it as a Model ready to explain:
//
//   - Every node output of the ONNX graph that something reads (another node or the graph
//     outputs) is a tap, named by its ONNX output name without a leading "/" (GoMLX reads
//     a leading "/" as an absolute alias path): "/relu2/Relu_output_0" is the tap
//     "relu2/Relu_output_0"; [Model.LayerName] and [Model.Explainer] accept either form.
//     The taps are listed in the graph's node order; Model.Layers holds the 4-D and 3-D
//     float ones (the activations CAM methods apply to: feature maps, and vision
//     transformers' tokens [batch, T, D], which camviz maps to a grid; see
//     camviz.LayerLayout).
//   - The graph output named "logits", else the first output, gives the logits.
//   - The model takes images [batch, C, H, W] (ONNX/PyTorch layout, ChannelsFirst is set)
//     and its activations are NCHW; the Explainer transposes them.
//   - CAM's weights are the initializer of the last Gemm or MatMul feeding the logits
//     ([numClasses, K] for a PyTorch Linear; camviz orients it by shape).
//   - The weights are loaded into the model's Store under the scope "ONNX" (onnx-gomlx's
//     onnx.ModelScope), "/" in initializer names becoming "|".
//
// Layers can be replaced with camviz.ReplaceTap (Ablation-CAM needs it): the model is then
// re-run from that node output on, through a copy of the graph that takes it as an input.
// The graph is built once here for a batch of one, so that unsupported operators and bad
// files are reported now; Spec.InputSize is the input's [H, W, C] (224×224 when the
// spatial axes are dynamic).
func LoadONNX(path string) (*Model, error) {
	contents, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("models.LoadONNX: %w", err)
	}
	og, err := parseONNXGraph(contents)
	if err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): %w", path, err)
	}
	if len(og.inputDims) != 4 {
		return nil, fmt.Errorf("models.LoadONNX(%s): input %q has dimensions %v; camviz explains image classifiers "+
			"taking [batch, C, H, W]", path, og.input, og.inputDims)
	}
	if contents, err = proto.Marshal(og.proto); err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): %w", path, err)
	}
	om, err := parser.Parse(contents)
	if err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): %w", path, err)
	}
	baseDir := filepath.Dir(path)
	om = om.WithBaseDir(baseDir)
	store := model.NewStore()
	if err := camviz.CatchPanic(func() error { return om.VariablesToScope(store.RootScope()) }); err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): loading the weights: %w", path, err)
	}
	net := &onnxNet{graph: og, model: om, baseDir: baseDir, cuts: map[string]onnx.Model{}}
	c, h, w := og.inputDims[1], og.inputDims[2], og.inputDims[3]
	if c <= 0 {
		c = 3
	}
	if h <= 0 || w <= 0 {
		h, w = onnxDefaultSize, onnxDefaultSize
	}
	spec := Spec{Arch: ONNXArch, InputSize: [3]int{h, w, c}}
	camW := ""
	if og.camWeights != "" {
		camW = "/" + onnx.ModelScope + "/" + strings.ReplaceAll(og.camWeights, model.ScopeSeparator, "|")
		net.camVar = camW
		if og.camTransposed && len(og.camDims) == 2 && og.camDims[0] == og.camDims[1] {
			net.camTap = onnxCAMTap
			camW = onnxCAMTap
		}
	}
	m := &Model{Spec: spec, Store: store, Fn: net.build, CAMWeights: camW, ChannelsFirst: true, onnx: net}
	backend, err := gobackend.New("")
	if err != nil {
		return nil, fmt.Errorf("models.LoadONNX: %w", err)
	}
	defer backend.Finalize()
	taps, err := camviz.ListTaps(backend, store, m.Fn, 1, c, h, w)
	if err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): building the graph for input [1 %d %d %d]: %w", path, c, h, w, err)
	}
	for _, t := range taps {
		if t.Name == tapName(og.logits) {
			if len(t.Shape) != 2 || t.Shape[1] < 2 {
				return nil, fmt.Errorf("models.LoadONNX(%s): output %q has shape %v; want logits [batch, numClasses]",
					path, og.logits, t.Shape)
			}
			m.Spec.NumClasses = t.Shape[1]
		}
		if (len(t.Shape) == 4 || len(t.Shape) == 3) && strings.HasPrefix(t.DType, "Float") {
			m.Layers = append(m.Layers, t.Name)
		}
	}
	return m, nil
}

// onnxNet builds an ONNX graph with every node output tapped.
type onnxNet struct {
	graph *onnxGraph
	model onnx.Model
	// baseDir is the folder of the .onnx file (external tensor data is read from it).
	baseDir string
	// camVar is the store path of the classifier kernel; camTap, when set, is the tap
	// that gives it as [K, numClasses].
	camVar, camTap string

	mu   sync.Mutex
	cuts map[string]onnx.Model
}

// build is the model function: images [batch, C, H, W] → logits.
func (n *onnxNet) build(scope *model.Scope, images *graph.Node) *graph.Node {
	g := images.Graph()
	og := n.graph
	nodes := n.model.CallGraph(scope, g, map[string]*graph.Node{og.input: images}, og.outputs...)
	var logits *graph.Node
	replaced := map[string]*graph.Node{}
	for i, name := range og.outputs {
		if t := camviz.Tap(nodes[i], tapName(name)); t != nodes[i] {
			replaced[name] = t
		}
		if name == og.logits {
			logits = nodes[i]
		}
	}
	if n.camTap != "" {
		w := scope.Store().GetVariable(n.camVar).NodeValue(g)
		camviz.Tap(graph.Transpose(w, 0, 1), n.camTap)
	}
	if len(replaced) > 0 {
		logits = n.runFrom(scope, images, replaced)
	}
	return logits
}

// runFrom builds the logits of the graph run with the given node outputs replaced: a
// copy of the graph that takes them as inputs, so that their producers are not built.
func (n *onnxNet) runFrom(scope *model.Scope, images *graph.Node, replaced map[string]*graph.Node) *graph.Node {
	names := make([]string, 0, len(replaced))
	for name := range replaced {
		names = append(names, name)
	}
	slices.Sort(names)
	dims := map[string]shapes.Shape{}
	key := ""
	for _, name := range names {
		dims[name] = replaced[name].Shape()
		key += name + "=" + dims[name].String() + ";"
	}
	n.mu.Lock()
	cut, ok := n.cuts[key]
	n.mu.Unlock()
	if !ok {
		contents, err := n.graph.cutAt(names, dims)
		if err != nil {
			panic(fmt.Errorf("models: replacing ONNX outputs %q: %w", names, err))
		}
		cut, err = parser.Parse(contents)
		if err != nil {
			panic(fmt.Errorf("models: replacing ONNX outputs %q: %w", names, err))
		}
		cut = cut.WithBaseDir(n.baseDir)
		n.mu.Lock()
		n.cuts[key] = cut
		n.mu.Unlock()
	}
	inputs := map[string]*graph.Node{n.graph.input: images}
	for name, node := range replaced {
		inputs[name] = node
	}
	return cut.CallGraph(scope, images.Graph(), inputs, n.graph.logits)[0]
}
