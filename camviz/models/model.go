package models

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/camviz/camviz/camviz"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/ml/model"
)

// Spec describes a model: its architecture and sizes. It is saved as model.json next to
// the checkpoint, so that Load can rebuild the graph function.
type Spec struct {
	// Arch names a registered architecture, e.g. "gapcnn".
	Arch string `json:"arch"`
	// Channels are the output channels of each block (gapcnn) or of each stage (resnet,
	// vgg).
	Channels []int `json:"channels"`
	// Blocks is the number of blocks per stage: BasicBlocks (resnet, e.g. [2 2 2 2] for
	// ResNet-18) or 3×3 convolutions (vgg, e.g. [1 1 2 2 2] for VGG-11). Other
	// architectures ignore it.
	Blocks []int `json:"blocks,omitempty"`
	// Stem is the resnet stem: "imagenet" (7×7/2 conv, BN, ReLU, 3×3/2 max-pool, as in
	// torchvision) or "small" (3×3/1 conv, BN, ReLU; for small images). "" means "small".
	Stem string `json:"stem,omitempty"`
	// BatchNorm adds batch normalization after every convolution of a vgg (VGG-*_bn);
	// resnets always have it.
	BatchNorm bool `json:"batch_norm,omitempty"`
	// NumClasses is the number of outputs (logits).
	NumClasses int `json:"num_classes"`
	// InputSize is [H, W, C] of the images the model expects (channels last).
	InputSize [3]int `json:"input_size"`
	// ClassNames optionally names the classes.
	ClassNames []string `json:"class_names,omitempty"`
	// Seed initialises the weights.
	Seed uint64 `json:"seed"`
}

// Model is a classifier ready to train, run and explain.
type Model struct {
	Spec  Spec
	Store *model.Store
	// Fn builds the graph: images [batch, H, W, C] → logits [batch, NumClasses].
	Fn camviz.ModelFn
	// Layers are the tap names of the model's blocks, from input to output.
	Layers []string
	// CAMWeights names the tap of the classifier kernel [K, NumClasses] (for CAM), or a
	// variable path in Store (ONNX models), or "".
	CAMWeights string
	// ChannelsFirst says the model takes images [batch, C, H, W] and its activations are
	// [batch, K, h, w] (ONNX models from PyTorch); otherwise channels last, GoMLX's default.
	ChannelsFirst bool
	// Score names the node output used as the class scores (ONNX models: a graph output or
	// any node output chosen by the user; see LoadONNX). Spec.ClassNames, when set, names
	// its classes.
	Score string
	// Input is what the model file states about the pictures it takes.
	Input InputHints

	// onnx is set for models read by LoadONNX.
	onnx *onnxNet
}

// Arch builds an architecture's graph function from a spec.
type Arch struct {
	// Build returns the graph function, the block taps (input to output) and the tap of
	// the classifier kernel used by CAM ("" if CAM does not apply).
	Build func(spec Spec) (fn camviz.ModelFn, layers []string, camWeights string, err error)
	// Doc is a one-line description.
	Doc string
}

var archs = struct {
	sync.RWMutex
	m map[string]Arch
}{m: map[string]Arch{}}

// RegisterArch makes an architecture available to New and Load.
func RegisterArch(name string, a Arch) {
	archs.Lock()
	defer archs.Unlock()
	archs.m[name] = a
}

// ArchNames lists the registered architectures.
func ArchNames() []string {
	archs.RLock()
	defer archs.RUnlock()
	names := make([]string, 0, len(archs.m))
	for n := range archs.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// New builds a model with freshly initialised weights (initialised on first use, from
// Spec.Seed).
func New(spec Spec) (*Model, error) {
	archs.RLock()
	a, ok := archs.m[spec.Arch]
	archs.RUnlock()
	if !ok {
		return nil, fmt.Errorf("models: unknown architecture %q; known: %s", spec.Arch, strings.Join(ArchNames(), ", "))
	}
	if spec.NumClasses < 2 {
		return nil, fmt.Errorf("models: NumClasses is %d; a classifier needs at least 2", spec.NumClasses)
	}
	for i, d := range spec.InputSize {
		if d <= 0 {
			return nil, fmt.Errorf("models: InputSize %v has a non-positive dimension %d", spec.InputSize, i)
		}
	}
	if len(spec.ClassNames) != 0 && len(spec.ClassNames) != spec.NumClasses {
		return nil, fmt.Errorf("models: %d class names for %d classes", len(spec.ClassNames), spec.NumClasses)
	}
	fn, layers, camW, err := a.Build(spec)
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", spec.Arch, err)
	}
	store := model.NewStore()
	if err := store.SetRNGStateFromSeed(int64(spec.Seed) + 1); err != nil { // 0 would mean "non-deterministic"
		return nil, fmt.Errorf("models: seeding the initializer: %w", err)
	}
	return &Model{Spec: spec, Store: store, Fn: fn, Layers: layers, CAMWeights: camW}, nil
}

// Explainer returns a camviz Explainer for the given layers (all blocks when empty) and
// methods, with CAM's weights wired.
func (m *Model) Explainer(backend compute.Backend, layers []string, methods ...camviz.Method) (*camviz.Explainer, error) {
	return camviz.NewExplainer(backend, m.Store, m.Fn, m.Config(layers, methods...))
}

// Config returns the camviz configuration that explains the given layers (all blocks when
// empty; names go through LayerName) with the given methods: CAM's weights and the
// model's layout are filled in. Set further options (AugSmooth, ChunkSize, …) on it and
// call camviz.NewExplainer(backend, m.Store, m.Fn, cfg).
func (m *Model) Config(layers []string, methods ...camviz.Method) camviz.Config {
	if len(layers) == 0 {
		layers = m.Layers
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = m.LayerName(l)
	}
	cfg := camviz.Config{Layers: names, Methods: methods, CAMWeights: m.CAMWeights, ChannelsFirst: m.ChannelsFirst}
	if m.onnx != nil {
		cfg.TapOrigin = m.onnx.tapOrigin
	}
	return cfg
}

// LayerName returns the tap name of a layer: the name without a leading "/", so that ONNX
// output names ("/relu2/Relu_output_0") can be given as they are. A camviz Result is keyed
// by this name.
func (m *Model) LayerName(name string) string { return strings.TrimPrefix(name, "/") }

// InputDims returns the dimensions of a batch of n images in the model's layout:
// [n, H, W, C], or [n, C, H, W] when ChannelsFirst.
func (m *Model) InputDims(n int) []int {
	h, w, c := m.Spec.InputSize[0], m.Spec.InputSize[1], m.Spec.InputSize[2]
	if m.ChannelsFirst {
		return []int{n, c, h, w}
	}
	return []int{n, h, w, c}
}

// ClassName returns the name of class c, or its number.
func (m *Model) ClassName(c int) string {
	if c >= 0 && c < len(m.Spec.ClassNames) {
		return m.Spec.ClassNames[c]
	}
	return fmt.Sprintf("class %d", c)
}
