package camviz

import "fmt"

// DefaultMemoryBudget is the memory, in bytes, that Score-CAM's and Ablation-CAM's chunked
// forward passes may use when Config.MemoryBudget is 0: 1 GiB.
const DefaultMemoryBudget int64 = 1 << 30

// Config says what an Explainer computes.
type Config struct {
	// Layers are the tap names to explain (see [Explainer.Taps] for what a model offers).
	Layers []string
	// Methods to compute at every layer.
	Methods []Method
	// CAMWeights names the classifier kernel used by CAM: a tap, or else a variable path in
	// the store (for example "/fc/weights"). Its shape is [K, numClasses] or [numClasses, K].
	CAMWeights string
	// ChannelsFirst says the tapped activations are [batch, K, h, w] (PyTorch/ONNX layout)
	// rather than GoMLX's channels-last [batch, h, w, K]; they are transposed in the graph.
	// The images are then taken as [batch, C, H, W] too.
	ChannelsFirst bool
	// LayerLayouts gives, by layer name, the layout of tapped activations that are not
	// feature maps in the model's layout: vision-transformer tokens [batch, T, D] and
	// channels-last blocks inside a channels-first model. Layers not listed are inferred
	// (see [LayerLayout], [LayoutAuto]).
	LayerLayouts map[string]LayerLayout

	// AugSmooth is pytorch-grad-cam's aug_smooth: the batch is explained 6 times, as
	// horizontal flip ∈ {no, yes} × brightness factor ∈ {0.9, 1, 1.1} (ttach's
	// Compose([HorizontalFlip(), Multiply([0.9, 1, 1.1])]), in that order), all in one
	// graph, and [Result.Final] averages the 6 final maps, each flipped back, without
	// re-normalising. Argmax targets take each augmented image's own argmax, as there.
	AugSmooth bool
	// EigenSmooth is pytorch-grad-cam's eigen_smooth: every method replaces its sum over
	// channels, raw = Σ_k c_k (c_k = w_k·A_k, G_k⊙A_k, …), by the projection of the
	// per-channel maps c on their first principal component ([FirstPrincipalProjection]).
	// EigenCAM and EigenGradCAM ignore it.
	EigenSmooth bool
	// EigenSign is the sign convention of principal-component maps (EigenCAM,
	// EigenGradCAM, EigenSmooth); the default is [EigenSignMaxPositive].
	EigenSign EigenSign
	// GuidedBackprop adds a guided-backpropagation pass (a copy of the model whose
	// [ReLU]s are [GuidedReLU]s) and makes [Result.GuidedBackprop] and
	// [Result.GuidedGradCAM] available. The model must use camviz.ReLU.
	GuidedBackprop bool
	// KeepActivations returns each explained layer's activations (channels-last, as the
	// methods see them) in the Result ([Result.Activations]), e.g. for
	// [DeepFeatureFactorization].
	KeepActivations bool

	// Finer configures FinerCAM's comparison (α and the ranks of the compared classes).
	Finer FinerOptions
	// RandomSeed seeds RandomCAM's weights (the same seed gives the same weights).
	RandomSeed int64
	// KPCA configures KPCA-CAM's kernel (scikit-learn's names and defaults; the zero value
	// is pytorch-grad-cam's sigmoid kernel with γ = 1/channels).
	KPCA KPCAOptions

	// ChunkSize is the number of perturbed forward passes that Score-CAM and Ablation-CAM
	// evaluate together (their B·K passes run in fixed-size chunks inside the graph, one
	// chunk after the other). 0 chooses the largest chunk that fits MemoryBudget, up to
	// 16 passes (larger chunks measured slower on the Go backend); negative is an error,
	// and so is a chunk whose estimated memory exceeds the budget.
	ChunkSize int
	// MemoryBudget bounds, in bytes, the estimated memory of the chunked passes, the
	// part that grows with the chunk size (MemoryEstimate's BaseBytes + ChunkSize ×
	// BytesPerPass); 0 means DefaultMemoryBudget. The process grows by about
	// MemoryEstimate.PeakBytes, which adds the compiled graph and the backend's copies of
	// the weights (see [MemoryEstimate]). While chunked passes run, camviz sets the Go
	// collector's target to GOGC 50 (unless the program's own is lower or off) and
	// restores it afterwards.
	MemoryBudget int64

	// MaxCompiledGraphs bounds the compiled explanation graphs the Explainer keeps: one
	// per input shape and target kind (argmax; class and softmax targets, whatever the
	// classes, which are a graph input; each FuncTarget by name). When a new one would
	// exceed it, the least recently used is freed and compiled again if needed later
	// (compiling costs about as much as a few Explain calls). 0 means
	// DefaultMaxCompiledGraphs (16); negative is an error. Without a bound every new
	// image size kept its graph forever, and GoMLX refused the 33rd.
	MaxCompiledGraphs int

	// TapOrigin, when set, says where a tap comes from in the user's model, e.g.
	// `ONNX node "conv1" (op Conv)` for the tap "conv1"; "" when it does not know. Errors
	// about a node of the graph (an op without a gradient) name it by its origin first.
	// models.Model.Config sets it for ONNX models.
	TapOrigin func(tap string) string
}

// memoryBudget returns the budget in bytes.
func (c Config) memoryBudget() int64 {
	if c.MemoryBudget == 0 {
		return DefaultMemoryBudget
	}
	return c.MemoryBudget
}

// validate checks the configuration and names what is wrong.
func (c Config) validate() error {
	if len(c.Methods) == 0 && !c.KeepActivations {
		return fmt.Errorf("camviz: Config.Methods is empty: ask for at least one method, e.g. camviz.MethodGradCAM")
	}
	if len(c.Layers) == 0 && (len(c.Methods) == 0 || !c.onlyWholeModel()) {
		return fmt.Errorf("camviz: Config.Layers is empty: name at least one tapped layer (Explainer.Taps lists them)")
	}
	seen := map[string]bool{}
	for _, l := range c.Layers {
		if seen[l] {
			return fmt.Errorf("camviz: layer %q is listed twice in Config.Layers", l)
		}
		seen[l] = true
	}
	for _, m := range c.Methods {
		if _, ok := lookupMethod(m); !ok {
			if _, err := ParseMethod(string(m)); err != nil {
				return err
			}
			return fmt.Errorf("camviz: method %q is spelled differently: use camviz.ParseMethod", m)
		}
	}
	if c.ChunkSize < 0 {
		return fmt.Errorf("camviz: Config.ChunkSize is %d: give a positive number of forward passes per chunk, "+
			"or 0 to choose it from Config.MemoryBudget", c.ChunkSize)
	}
	if c.MaxCompiledGraphs < 0 {
		return fmt.Errorf("camviz: Config.MaxCompiledGraphs is %d: give a positive number of graphs to keep, or 0 for the default (%d)",
			c.MaxCompiledGraphs, DefaultMaxCompiledGraphs)
	}
	if c.MemoryBudget < 0 {
		return fmt.Errorf("camviz: Config.MemoryBudget is %d bytes: give a positive budget, or 0 for the default (%d bytes)",
			c.MemoryBudget, DefaultMemoryBudget)
	}
	if c.EigenSign != EigenSignMaxPositive && c.EigenSign != EigenSignRaw {
		return fmt.Errorf("camviz: Config.EigenSign %d is unknown: use camviz.EigenSignMaxPositive or camviz.EigenSignRaw", int(c.EigenSign))
	}
	return nil
}

// onlyWholeModel reports whether every method explains the whole model (needs no layer).
func (c Config) onlyWholeModel() bool {
	for _, m := range c.Methods {
		if def, ok := lookupMethod(m); !ok || !def.Needs.WholeModel {
			return false
		}
	}
	return true
}
