package evaluate

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/metrics"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
)

// SanityConfig configures CascadingRandomization.
type SanityConfig struct {
	// Layers are the taps explained; empty means the model's last block.
	Layers []string
	// Methods compared; empty means camviz.Methods().
	Methods []camviz.Method
	// BatchSize is the number of images per Explain call; 0 means 16.
	BatchSize int
	// Seed makes the random weights repeatable.
	Seed uint64
	// ChunkSize and MemoryBudget are passed to camviz.Config (Score-CAM, Ablation-CAM).
	ChunkSize    int
	MemoryBudget int64
	// Progress, when set, receives a progress line per randomization step.
	Progress io.Writer
}

// SanityRow is one layer × method of a cascading randomization: per step, the mean over
// images of the similarity between the map of the trained model and that of the model
// randomized down to the step's block.
type SanityRow struct {
	Layer  string
	Method camviz.Method
	// Spearman[k] is the mean Spearman rank correlation (metrics.Spearman) at step k. A
	// pair in which either map is constant (ranks without spread: all-zero maps are
	// common once the weights are random) counts as 0, no rank association.
	Spearman []float64
	// SSIM[k] is the mean structural similarity (metrics.SSIM, data range 1).
	SSIM []float64
	// ConstantMaps[k] counts the images whose pair had a constant map at step k.
	ConstantMaps []int
}

// SanityResult is the outcome of CascadingRandomization.
type SanityResult struct {
	// Steps are the blocks randomized, in cascade order: Steps[k] is randomized at step
	// k, on top of Steps[0..k-1] (LogitsBlock first, then the blocks from the top down).
	Steps  []string
	Images int
	Rows   []SanityRow
}

// CascadingRandomization is the model-parameter randomization test of Adebayo et al.,
// "Sanity Checks for Saliency Maps" (NeurIPS 2018), cascading version: starting from the
// classifier and going down block by block (ModelBlocks), the weights of one more block
// are randomized (RandomizeVariables, on a clone of the store; m itself is untouched),
// the maps of the ground-truth class are recomputed, and each is compared with the
// trained model's map of the same image (both camviz final maps in [0, 1]) by Spearman
// rank correlation and SSIM. A method whose maps stay similar while the weights they
// explain become random is not explaining the model.
func CascadingRandomization(backend compute.Backend, m *models.Model, examples []datasets.Example, cfg SanityConfig) (*SanityResult, error) {
	if backend == nil || m == nil {
		return nil, fmt.Errorf("evaluate.CascadingRandomization: needs a backend and a model")
	}
	if len(examples) == 0 {
		return nil, fmt.Errorf("evaluate.CascadingRandomization: no examples")
	}
	if cfg.BatchSize < 0 {
		return nil, fmt.Errorf("evaluate.CascadingRandomization: BatchSize %d is negative; use 0 for 16", cfg.BatchSize)
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 16
	}
	if len(cfg.Methods) == 0 {
		cfg.Methods = camviz.Methods()
	}
	if len(cfg.Layers) == 0 && len(m.Layers) > 0 {
		cfg.Layers = []string{m.Layers[len(m.Layers)-1]}
	}
	blocks, err := ModelBlocks(backend, m)
	if err != nil {
		return nil, err
	}
	store, err := m.Store.Clone()
	if err != nil {
		return nil, fmt.Errorf("evaluate.CascadingRandomization: cloning the variables: %w", err)
	}
	ccfg := m.Config(cfg.Layers, cfg.Methods...)
	ccfg.ChunkSize, ccfg.MemoryBudget = cfg.ChunkSize, cfg.MemoryBudget
	ex, err := camviz.NewExplainer(backend, store, m.Fn, ccfg)
	if err != nil {
		return nil, fmt.Errorf("evaluate.CascadingRandomization: %w", err)
	}
	mapsOf := func() ([][]*heatmap.Map, error) {
		return explainAll(ex, m, examples, ccfg.Layers, cfg.Methods, cfg.BatchSize)
	}
	orig, err := mapsOf()
	if err != nil {
		return nil, err
	}
	res := &SanityResult{Images: len(examples)}
	for _, l := range ccfg.Layers {
		for _, meth := range cfg.Methods {
			res.Rows = append(res.Rows, SanityRow{Layer: l, Method: meth})
		}
	}
	p := newProgress(cfg.Progress, "randomize", len(blocks)*len(examples))
	for k := len(blocks) - 1; k >= 0; k-- {
		if err := RandomizeVariables(store, blocks[k].Variables, cfg.Seed); err != nil {
			return nil, err
		}
		maps, err := mapsOf()
		if err != nil {
			return nil, fmt.Errorf("evaluate.CascadingRandomization: randomized down to %s: %w", blocks[k].Name, err)
		}
		res.Steps = append(res.Steps, blocks[k].Name)
		for r := range res.Rows {
			rho, ssim, constant, err := similarity(orig[r], maps[r])
			if err != nil {
				return nil, fmt.Errorf("evaluate.CascadingRandomization: %s at %q: %w", res.Rows[r].Method, res.Rows[r].Layer, err)
			}
			row := &res.Rows[r]
			row.Spearman = append(row.Spearman, rho)
			row.SSIM = append(row.SSIM, ssim)
			row.ConstantMaps = append(row.ConstantMaps, constant)
		}
		p.add(len(examples))
	}
	return res, nil
}

// similarity returns the mean Spearman correlation (constant pairs as 0), the mean SSIM,
// and the number of constant pairs.
func similarity(a, b []*heatmap.Map) (rho, ssim float64, constant int, err error) {
	for i := range a {
		r, err := metrics.Spearman(a[i], b[i])
		switch {
		case errors.Is(err, metrics.ErrConstantMap):
			constant++
			r = 0
		case err != nil:
			return 0, 0, 0, err
		}
		s, err := metrics.SSIM(a[i], b[i], 1)
		if err != nil {
			return 0, 0, 0, err
		}
		rho += r / float64(len(a))
		ssim += s / float64(len(a))
	}
	return rho, ssim, constant, nil
}

// explainAll returns the final maps of the label class, [layer·method][image].
func explainAll(ex *camviz.Explainer, m *models.Model, examples []datasets.Example, layers []string, methods []camviz.Method, batch int) ([][]*heatmap.Map, error) {
	out := make([][]*heatmap.Map, len(layers)*len(methods))
	for start := 0; start < len(examples); start += batch {
		part := examples[start:min(start+batch, len(examples))]
		images, labels, err := datasets.Stack(part)
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		in := m.Spec.InputSize
		if len(images) != len(part)*in[0]*in[1]*in[2] {
			return nil, fmt.Errorf("evaluate: the examples are %dx%d, but the model takes %dx%dx%d images", part[0].H, part[0].W, in[0], in[1], in[2])
		}
		if m.ChannelsFirst {
			images = toChannelsFirst(images, len(part), in[0], in[1], in[2])
		}
		classes := make([]int, len(labels))
		for i, l := range labels {
			classes[i] = int(l)
		}
		res, err := ex.ExplainFloats(images, m.InputDims(len(part)), camviz.ClassTarget(classes...))
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		for l, layer := range layers {
			for k, meth := range methods {
				maps, err := res.Final(layer, meth)
				if err != nil {
					return nil, fmt.Errorf("evaluate: %w", err)
				}
				out[l*len(methods)+k] = append(out[l*len(methods)+k], maps...)
			}
		}
	}
	return out, nil
}

// String prints the result as two small tables, Spearman then SSIM, steps as columns.
func (r *SanityResult) String() string {
	var b strings.Builder
	for _, part := range []struct {
		name string
		get  func(SanityRow) []float64
	}{{"Spearman rank correlation", func(s SanityRow) []float64 { return s.Spearman }},
		{"SSIM", func(s SanityRow) []float64 { return s.SSIM }}} {
		fmt.Fprintf(&b, "%s with the trained model's maps (%d images), randomized down to:\n", part.name, r.Images)
		fmt.Fprintf(&b, "%-28s", "layer/method")
		for _, s := range r.Steps {
			fmt.Fprintf(&b, " %9s", s)
		}
		b.WriteString("\n")
		for _, row := range r.Rows {
			fmt.Fprintf(&b, "%-28s", row.Layer+"/"+string(row.Method))
			for _, v := range part.get(row) {
				fmt.Fprintf(&b, " %9.3f", v)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
