package models

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/tailslack"
	"github.com/gomlx/compute/dtypes"
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

// ONNXOptions are the choices LoadONNXOptions takes.
type ONNXOptions struct {
	// Score names the node output used as the class scores: any node output of the
	// graph (ONNX name, with or without a leading "/"), shaped [batch, C] or
	// [batch, C, 1, 1] (squeezed to [batch, C]). "" chooses the default (see LoadONNX).
	Score string
}

// LoadONNX reads an ONNX image classifier (for example one exported from PyTorch with
// torch.onnx.export) through onnx-gomlx and returns it as a Model ready to explain. It is
// LoadONNXOptions(path, ONNXOptions{}).
func LoadONNX(path string) (*Model, error) { return LoadONNXOptions(path, ONNXOptions{}) }

// LoadONNXOptions reads an ONNX image classifier through onnx-gomlx and returns it as a
// Model ready to explain:
//
//   - The graph is first legalized (see legalizer in legalize.go): legacy opsets'
//     and converters' forms (ImageScaler, BatchNormalization's old attributes, auto_pad,
//     ceil_mode, count_include_pad, attribute forms of Pad/Reshape/Slice/Clip, Upsample,
//     Softmax before opset 13, Dropout, Identity, empty optional inputs) are rewritten
//     into the forms onnx-gomlx builds; outputs that are not float tensors (ZipMap,
//     string labels) are cut away and the labels they carry become Spec.ClassNames; an
//     op onnx-gomlx does not implement is one error naming it, its node and the opset.
//   - Every node output of the ONNX graph that something reads (another node or the graph
//     outputs) is a tap, named by its ONNX output name without a leading "/" (GoMLX reads
//     a leading "/" as an absolute alias path): "/relu2/Relu_output_0" is the tap
//     "relu2/Relu_output_0"; [Model.LayerName] and [Model.Explainer] accept either form.
//     The taps are listed in the graph's node order; Model.Layers holds the 4-D and 3-D
//     float ones computed from the image (the activations CAM methods apply to: feature
//     maps, and vision transformers' tokens [batch, T, D], which camviz maps to a grid
//     (see camviz.LayerLayout); not constants).
//   - The score (Model.Score, the model function's output): opts.Score when set; else the
//     graph output named "logits", else the first float [N, C] or [N, C, 1, 1] graph
//     output; when that output is a Softmax's or Sigmoid's, its input is taken instead
//     (the pre-activation scores, which pytorch-grad-cam's ClassifierOutputTarget
//     assumes). A [N, C, 1, 1] score is squeezed to [N, C].
//   - Model.Input holds what the file states about its pictures (metadata_props such as
//     WinML's Image.BitmapPixelFormat and Image.NominalPixelRange, doc strings naming
//     BGR, ImageScaler nodes).
//   - The model takes images [batch, C, H, W] (ONNX/PyTorch layout, ChannelsFirst is set)
//     and its activations are NCHW; the Explainer transposes them.
//   - CAM's weights are the initializer of the last Gemm or MatMul feeding the score
//     ([numClasses, K] for a PyTorch Linear; camviz orients it by shape). When there is
//     none and the score is the global average pooling of a layer with one channel per
//     class (SqueezeNet's head), they are the identity: CAM at that layer (onnxcam.go).
//   - The weights are loaded into the model's Store under the scope "ONNX" (onnx-gomlx's
//     onnx.ModelScope), "/" in initializer names becoming "|".
//
// Layers can be replaced with camviz.ReplaceTap (Ablation-CAM needs it): the model is then
// re-run from that node output on, through a copy of the graph that takes it as an input.
// The graph is built once here for a batch of one, so that unsupported operators and bad
// files are reported now, naming the ONNX node that fails; Spec.InputSize is the input's
// [H, W, C] (224×224 when the spatial axes are dynamic; auto_pad and ceil_mode are made
// explicit for that size). No panic from onnx-gomlx escapes: each becomes an error.
func LoadONNXOptions(path string, opts ONNXOptions) (*Model, error) {
	contents, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("models.LoadONNX: %w", err)
	}
	var og *onnxGraph
	if err := camviz.CatchPanic(func() (err error) { og, err = parseONNXGraph(contents); return err }); err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): %w", path, err)
	}
	if contents, err = proto.Marshal(og.proto); err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): %w", path, err)
	}
	var om onnx.Model
	if err := camviz.CatchPanic(func() (err error) { om, err = parser.Parse(contents); return err }); err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): onnx-gomlx cannot parse the model: %w", path, err)
	}
	baseDir := filepath.Dir(path)
	om = om.WithBaseDir(baseDir)
	store := model.NewStore()
	if err := camviz.CatchPanic(func() error { return om.VariablesToScope(store.RootScope()) }); err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): loading the weights: %w", path, err)
	}
	net := &onnxNet{graph: og, model: om, baseDir: baseDir, cuts: map[string]onnx.Model{}}
	c, h, w := og.buildDims[1], og.buildDims[2], og.buildDims[3]
	spec := Spec{Arch: ONNXArch, InputSize: [3]int{h, w, c}}
	m := &Model{Spec: spec, Store: store, Fn: net.build, ChannelsFirst: true, onnx: net,
		Input: readInputHints(og.proto, og.input, og.legal)}
	backend, err := gobackend.New("")
	if err != nil {
		return nil, fmt.Errorf("models.LoadONNX: %w", err)
	}
	_ = tailslack.Install(backend) // the SIMD tail fault (camviz/tailslack) if the graph is run
	defer backend.Finalize()
	taps, err := camviz.ListTaps(backend, store, m.Fn, 1, c, h, w)
	if err != nil {
		if diag := net.diagnose(backend, store, og.buildDims); diag != nil {
			return nil, fmt.Errorf("models.LoadONNX(%s): %w", path, diag)
		}
		return nil, fmt.Errorf("models.LoadONNX(%s): building the graph for input [1 %d %d %d]: %w", path, c, h, w, err)
	}
	score, numClasses, err := chooseScore(og, taps, opts.Score)
	if err != nil {
		return nil, fmt.Errorf("models.LoadONNX(%s): %w", path, err)
	}
	og.setScore(score)
	m.Score, m.Spec.NumClasses = score, numClasses
	if labels := og.legal.labels; len(labels) == numClasses {
		m.Spec.ClassNames = labels
	}
	if og.camWeights != "" {
		camW := "/" + onnx.ModelScope + "/" + strings.ReplaceAll(og.camWeights, model.ScopeSeparator, "|")
		net.camVar = camW
		if og.camTransposed && len(og.camDims) == 2 && og.camDims[0] == og.camDims[1] {
			net.camTap = onnxCAMTap
			camW = onnxCAMTap
		}
		m.CAMWeights = camW
	} else if og.camPooled != "" && numClasses <= maxIdentityCAMClasses {
		net.camIdentity = numClasses
		m.CAMWeights = onnxCAMIdentityTap
	}
	for _, t := range taps {
		if (len(t.Shape) == 4 || len(t.Shape) == 3) && strings.HasPrefix(t.DType, "Float") && og.fromImage[t.Name] {
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
	// camIdentity, when > 0, is the number of classes C of a score that is the global
	// average pooling of a C-channel layer: CAM's weights are then the identity [C, C]
	// (onnxcam.go), given by the tap onnxCAMIdentityTap.
	camIdentity int

	mu   sync.Mutex
	cuts map[string]onnx.Model
}

// build is the model function: images [batch, C, H, W] → scores [batch, C].
func (n *onnxNet) build(scope *model.Scope, images *graph.Node) *graph.Node {
	g := images.Graph()
	og := n.graph
	if err := n.checkImages(images.Shape().Dimensions); err != nil {
		panic(err)
	}
	nodes := n.callGraph(scope, images, og.outputs...)
	var logits *graph.Node
	replaced := map[string]*graph.Node{}
	score := og.scoreOrFirst()
	for i, name := range og.outputs {
		if t := camviz.Tap(nodes[i], tapName(name)); t != nodes[i] {
			replaced[name] = t
		}
		if name == score {
			logits = squeezeScore(nodes[i])
		}
	}
	if n.camTap != "" {
		w := scope.Store().GetVariable(n.camVar).NodeValue(g)
		camviz.Tap(graph.Transpose(w, 0, 1), n.camTap)
	}
	if n.camIdentity > 0 && logits != nil {
		eye := graph.OneHot(graph.Iota(g, shapes.Make(dtypes.Int32, n.camIdentity), 0), n.camIdentity, logits.DType())
		camviz.Tap(eye, onnxCAMIdentityTap)
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
	return squeezeScore(cut.CallGraph(scope, images.Graph(), inputs, n.graph.scoreOrFirst())[0])
}
