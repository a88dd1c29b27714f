package camviz

import (
	"fmt"
	"strings"

	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
)

// LayoutKind says how a tapped activation is laid out.
type LayoutKind int

const (
	// LayoutAuto (the zero value) infers the layout from the activation's shape and the
	// images' shape: rank-3 activations are tokens, rank-4 ones are feature maps in the
	// model's layout (Config.ChannelsFirst) unless only the other layout has the images'
	// aspect ratio (see [Config.LayerLayouts]).
	LayoutAuto LayoutKind = iota
	// LayoutChannelsLast is a feature map [batch, h, w, K].
	LayoutChannelsLast
	// LayoutChannelsFirst is a feature map [batch, K, h, w].
	LayoutChannelsFirst
	// LayoutTokens is a sequence of tokens [batch, T, D] (vision transformers): DropTokens
	// leading tokens (class, distillation) followed by the h·w patch tokens in row-major
	// order.
	LayoutTokens
)

// String names the layout.
func (k LayoutKind) String() string {
	switch k {
	case LayoutAuto:
		return "auto"
	case LayoutChannelsLast:
		return "channels-last"
	case LayoutChannelsFirst:
		return "channels-first"
	case LayoutTokens:
		return "tokens"
	}
	return fmt.Sprintf("LayoutKind(%d)", int(k))
}

// LayerLayout says how one tapped activation maps to the [batch, h, w, K] feature map that
// the methods take. It is pytorch-grad-cam's reshape_transform, done as graph operations on
// the tapped node, so gradients, perturbation passes and everything else see the same map:
//
//   - tokens [batch, T, D] (ViT, DeiT): drop the first DropTokens tokens and reshape the
//     remaining T − DropTokens = h·w tokens to [batch, h, w, D], the channels (D) last:
//     pytorch-grad-cam's ViT transform tensor[:, d:, :].reshape(N, h, w, D), transposed to
//     [N, D, h, w] there, because PyTorch maps are channels-first. The gradients
//     ∂score/∂tokens are mapped the same way (the mapping only selects and reorders
//     values, so this equals the gradient with respect to the mapped activation).
//   - channels-last blocks [batch, h, w, K] inside a channels-first model (torchvision's
//     Swin and ConvNeXt blocks, exported to ONNX): used as they are (pytorch-grad-cam's
//     Swin transform permutes them to [N, K, h, w]).
//
// Ablation-CAM on tokens ablates a channel of the patch tokens only, with min(A) taken over
// the patch tokens, and re-runs the model with the dropped tokens unchanged;
// pytorch-grad-cam's AblationLayerVit also ablates that channel of the class token and
// takes the minimum over all tokens. Every other method sees exactly pytorch-grad-cam's
// reshaped activations and gradients.
//
// The zero value infers the layout (see [LayoutAuto]). For tokens, TokenGrid [h, w] and
// DropTokens may be given alone or together: with TokenGrid, DropTokens is T − h·w (if
// both are given they must agree; a grid alone may leave at most 2 leading tokens, so that
// a mistyped grid is an error); with DropTokens alone, the grid is the one with the
// images' aspect ratio; with neither, the pair (d, h×w) with d ∈ {0, 1, 2}, h·w = T − d
// and h:w = H:W must be unique (for square images: T − d is a perfect square for exactly
// one d), else the Explainer's error names the option to set. DropTokens 0 cannot be
// told from "infer": give the grid instead.
type LayerLayout struct {
	// Kind is the activation's layout; LayoutAuto infers it.
	Kind LayoutKind
	// TokenGrid is the [h, w] grid of patch tokens; zero infers it.
	TokenGrid [2]int
	// DropTokens is the number of leading non-patch tokens (1 for a class token, 2 with a
	// distillation token); zero infers it.
	DropTokens int
}

// String formats the layout as the CLI spells it, e.g. "tokens 14x14 drop 1".
func (l LayerLayout) String() string {
	switch l.Kind {
	case LayoutTokens:
		return fmt.Sprintf("tokens %dx%d drop %d", l.TokenGrid[0], l.TokenGrid[1], l.DropTokens)
	default:
		return l.Kind.String()
	}
}

// ParseTokenGrid reads a token grid spelled "HxW" (e.g. "14x14") or "N" (an N×N grid).
func ParseTokenGrid(s string) ([2]int, error) {
	var h, w int
	if n, err := fmt.Sscanf(s, "%dx%d", &h, &w); err == nil && n == 2 && fmt.Sprintf("%dx%d", h, w) == s {
		if h > 0 && w > 0 {
			return [2]int{h, w}, nil
		}
	} else if n, err := fmt.Sscanf(s, "%d", &h); err == nil && n == 1 && fmt.Sprint(h) == s && h > 0 {
		return [2]int{h, h}, nil
	}
	return [2]int{}, fmt.Errorf("camviz: token grid %q: write it as HxW with positive sizes, e.g. 14x14", s)
}

// LayerLayout returns the layout the Explainer uses for the activation of layer name, of
// shape dims (batch first), for images whose spatial size is imageHW ([H, W]; zeros if
// unknown): the option given in c.LayerLayouts, completed, or the inferred one. The
// error says which option to set when the layout is ambiguous or the activation cannot
// be explained.
func (c Config) LayerLayout(name string, dims []int, imageHW [2]int) (LayerLayout, error) {
	return c.resolveLayout(name, dims, imageHW)
}

// resolveLayout returns the concrete layout of the activation of layer name, with shape
// dims, for images whose spatial size is imageHW; the explicit option, when given, comes
// from cfg.LayerLayouts.
func (c Config) resolveLayout(name string, dims []int, imageHW [2]int) (LayerLayout, error) {
	l := c.LayerLayouts[name]
	switch l.Kind {
	case LayoutTokens:
		return resolveTokens(name, l, dims, imageHW)
	case LayoutChannelsLast, LayoutChannelsFirst:
		if len(dims) != 4 {
			return l, fmt.Errorf("camviz: layer %q has shape %v, but Config.LayerLayouts says %s, which needs a 4-D "+
				"activation; use camviz.LayoutTokens for [batch, tokens, channels]", name, dims, l.Kind)
		}
		return l, nil
	case LayoutAuto:
	default:
		return l, fmt.Errorf("camviz: layer %q: Config.LayerLayouts has unknown kind %d", name, int(l.Kind))
	}
	switch len(dims) {
	case 3:
		return resolveTokens(name, l, dims, imageHW)
	case 4:
		declared, other := LayoutChannelsLast, LayoutChannelsFirst
		if c.ChannelsFirst {
			declared, other = other, declared
		}
		if !hasAspect(spatialOf(declared, dims), imageHW) && hasAspect(spatialOf(other, dims), imageHW) {
			return LayerLayout{Kind: other}, nil
		}
		return LayerLayout{Kind: declared}, nil
	}
	return l, fmt.Errorf("camviz: layer %q has shape %v; CAM methods need a feature map [batch, h, w, channels] "+
		"(or [batch, channels, h, w]) or tokens [batch, tokens, channels]", name, dims)
}

// spatialOf is the [h, w] of a 4-D activation read in layout k.
func spatialOf(k LayoutKind, dims []int) [2]int {
	if k == LayoutChannelsFirst {
		return [2]int{dims[2], dims[3]}
	}
	return [2]int{dims[1], dims[2]}
}

// hasAspect reports whether an h×w map has the aspect ratio of an H×W image, up to the
// rounding of strided layers (|h·W − w·H| < H + W: h within one row of w·H/W).
func hasAspect(hw, imageHW [2]int) bool {
	H, W := imageHW[0], imageHW[1]
	if H <= 0 || W <= 0 {
		return true
	}
	d := hw[0]*W - hw[1]*H
	return max(d, -d) < H+W
}

// maxInferredDrop is the most leading tokens camviz drops without being told: a class
// token and a distillation token (DeiT).
const maxInferredDrop = 2

// resolveTokens completes a token layout for an activation [batch, T, D].
func resolveTokens(name string, l LayerLayout, dims []int, imageHW [2]int) (LayerLayout, error) {
	l.Kind = LayoutTokens
	if len(dims) != 3 {
		return l, fmt.Errorf("camviz: layer %q has shape %v; a token layout needs [batch, tokens, channels]", name, dims)
	}
	t := dims[1]
	if l.TokenGrid[0] < 0 || l.TokenGrid[1] < 0 || l.DropTokens < 0 {
		return l, fmt.Errorf("camviz: layer %q: token grid %v and drop %d must not be negative", name, l.TokenGrid, l.DropTokens)
	}
	if l.TokenGrid != [2]int{} {
		if l.TokenGrid[0] == 0 || l.TokenGrid[1] == 0 {
			return l, fmt.Errorf("camviz: layer %q: token grid %dx%d: give both sizes", name, l.TokenGrid[0], l.TokenGrid[1])
		}
		d := t - l.TokenGrid[0]*l.TokenGrid[1]
		if d < 0 || (l.DropTokens != 0 && d != l.DropTokens) {
			return l, fmt.Errorf("camviz: layer %q has %d tokens [%v], which is not %d dropped + %dx%d grid tokens: "+
				"fix the token grid (--tokens) or the number of leading tokens to drop (--drop-tokens)",
				name, t, dims, l.DropTokens, l.TokenGrid[0], l.TokenGrid[1])
		}
		if l.DropTokens == 0 && d > maxInferredDrop {
			return l, fmt.Errorf("camviz: layer %q has %d tokens %v: a %dx%d grid leaves %d leading tokens, more than the "+
				"class and distillation tokens (≤ %d) camviz assumes: check the token grid (--tokens), or say how many "+
				"leading tokens to drop (DropTokens, --drop-tokens %d) if that is right",
				name, t, dims, l.TokenGrid[0], l.TokenGrid[1], d, maxInferredDrop, d)
		}
		l.DropTokens = d
		return l, nil
	}
	drops := []int{0, 1, maxInferredDrop}
	if l.DropTokens != 0 {
		drops = []int{l.DropTokens}
	}
	var found []LayerLayout
	for _, d := range drops {
		n := t - d
		for h := 1; h <= n; h++ {
			if n%h != 0 {
				continue
			}
			w := n / h
			H, W := imageHW[0], imageHW[1]
			if (H <= 0 || W <= 0) && h != w || H > 0 && W > 0 && h*W != w*H {
				continue
			}
			found = append(found, LayerLayout{Kind: LayoutTokens, TokenGrid: [2]int{h, w}, DropTokens: d})
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return l, fmt.Errorf("camviz: layer %q has %d tokens %v: no grid with the images' aspect ratio (%dx%d) fits "+
			"after dropping %v leading tokens; set its token grid (Config.LayerLayouts[%q].TokenGrid, CLI --tokens HxW) "+
			"and the number of class/distillation tokens (DropTokens, --drop-tokens N)", name, t, dims, imageHW[0], imageHW[1], drops, name)
	}
	alts := make([]string, len(found))
	for i, f := range found {
		alts[i] = f.String()
	}
	return l, fmt.Errorf("camviz: layer %q has %d tokens %v, which fits several grids (%s): set its token grid "+
		"(Config.LayerLayouts[%q].TokenGrid, CLI --tokens HxW) and DropTokens (--drop-tokens N)",
		name, t, dims, strings.Join(alts, "; "), name)
}

// toGrid maps an activation (or its gradient) in layout l to the feature map
// [batch, h, w, K] that the methods take.
func (l LayerLayout) toGrid(x *graph.Node) *graph.Node {
	switch l.Kind {
	case LayoutChannelsFirst:
		return graph.TransposeAllAxes(x, 0, 2, 3, 1)
	case LayoutTokens:
		d := x.Shape().Dimensions
		patches := graph.SliceAxis(x, 1, graph.AxisRangeToEnd(l.DropTokens))
		return graph.Reshape(patches, d[0], l.TokenGrid[0], l.TokenGrid[1], d[2])
	}
	return x
}

// fromGrid is the inverse of toGrid: it maps a feature map [m, h, w, K] back to the layer's
// own layout. For tokens, the dropped leading tokens are taken from like (the layer's
// activation for the same m examples), unchanged, or are zeros when like is nil.
func (l LayerLayout) fromGrid(grid, like *graph.Node) *graph.Node {
	switch l.Kind {
	case LayoutChannelsFirst:
		return graph.TransposeAllAxes(grid, 0, 3, 1, 2)
	case LayoutTokens:
		d := grid.Shape().Dimensions
		patches := graph.Reshape(grid, d[0], d[1]*d[2], d[3])
		if l.DropTokens == 0 {
			return patches
		}
		var lead *graph.Node
		if like == nil {
			lead = graph.Zeros(grid.Graph(), shapes.Make(grid.DType(), d[0], l.DropTokens, d[3]))
		} else {
			lead = graph.SliceAxis(like, 1, graph.AxisRangeFromStart(l.DropTokens))
		}
		return graph.Concatenate([]*graph.Node{lead, patches}, 1)
	}
	return grid
}

// imageSpatial returns the [H, W] of the images given to the model, or zeros when they
// are not 4-D.
func imageSpatial(images *graph.Node, channelsFirst bool) [2]int {
	d := images.Shape().Dimensions
	if len(d) != 4 {
		return [2]int{}
	}
	if channelsFirst {
		return [2]int{d[2], d[3]}
	}
	return [2]int{d[1], d[2]}
}
