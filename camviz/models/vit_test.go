package models

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// vitConfig is the sweep's small ViT (scripts/gen_arch_sweep.py, class ViT): 128×128
// images, 16×16 patches (an 8×8 grid plus a class token: 65 tokens), width 64, 4 heads,
// 2 pre-norm blocks with an MLP of width 128, LayerNorm eps 1e-6, 10 classes.
var vitConfig = struct{ image, patch, dim, heads, depth, mlp int }{128, 16, 64, 4, 2, 128}

// loadViT reads the sweep ViT's torch parameters (one .npy per state_dict key) into a
// store: the patch-embedding kernel OIHW → HWIO, Linear weights [out, in] → [in, out].
func loadViT(t *testing.T, dir string) *model.Store {
	t.Helper()
	store := model.NewStore()
	root := store.RootScope()
	read := func(key string) *npy.Array {
		a, err := npy.ReadFile(filepath.Join(dir, key+".npy"))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	plain := func(key string) {
		a := read(key)
		root.VariableWithValue(key, tensors.FromFlatDataAndDimensions(a.Data, a.Shape...))
	}
	linear := func(key string) {
		w := read(key + ".weight")
		out, in := w.Shape[0], w.Shape[1]
		k := make([]float32, in*out)
		for o := 0; o < out; o++ {
			for i := 0; i < in; i++ {
				k[i*out+o] = w.Data[o*in+i]
			}
		}
		root.VariableWithValue(key+".weight", tensors.FromFlatDataAndDimensions(k, in, out))
		plain(key + ".bias")
	}
	pw := read("patch_embed.weight")
	o, i, kh, kw := pw.Shape[0], pw.Shape[1], pw.Shape[2], pw.Shape[3]
	hwio := make([]float32, len(pw.Data))
	for a := 0; a < o; a++ {
		for b := 0; b < i; b++ {
			for y := 0; y < kh; y++ {
				for x := 0; x < kw; x++ {
					hwio[((y*kw+x)*i+b)*o+a] = pw.Data[((a*i+b)*kh+y)*kw+x]
				}
			}
		}
	}
	root.VariableWithValue("patch_embed.weight", tensors.FromFlatDataAndDimensions(hwio, kh, kw, i, o))
	plain("patch_embed.bias")
	plain("cls_token")
	plain("pos_embed")
	for b := 0; b < vitConfig.depth; b++ {
		p := fmt.Sprintf("blocks.%d.", b)
		for _, n := range []string{"norm1", "norm2"} {
			plain(p + n + ".weight")
			plain(p + n + ".bias")
		}
		for _, n := range []string{"qkv", "proj", "fc1", "fc2"} {
			linear(p + n)
		}
	}
	plain("norm.weight")
	plain("norm.bias")
	linear("head")
	return store
}

// vitForward is the ViT on channels-last images [batch, 128, 128, 3], written with
// GoMLX's graph operations (plain matmul attention, exact-erf GELU, LayerNorm by its
// formula). Every block's norm1 output is tapped as "blocks.<i>.norm1" ([batch, 65, 64]
// tokens), as pytorch-grad-cam's recommended ViT target layer, blocks[-1].norm1.
func vitForward(scope *model.Scope, images *graph.Node) *graph.Node {
	g := images.Graph()
	v := func(name string) *graph.Node { return scope.GetVariable(name).NodeValue(g) }
	// add and mul broadcast a per-channel vector over x's leading axes.
	add := func(x, b *graph.Node) *graph.Node { return graph.Add(x, graph.ExpandLeftToRank(b, x.Rank())) }
	mul := func(x, b *graph.Node) *graph.Node { return graph.Mul(x, graph.ExpandLeftToRank(b, x.Rank())) }
	dense := func(x *graph.Node, name string) *graph.Node {
		return add(graph.Einsum("ntd,de->nte", x, v(name+".weight")), v(name+".bias"))
	}
	layerNorm := func(x *graph.Node, name string) *graph.Node {
		mean := graph.ReduceAndKeep(x, graph.ReduceMean, -1)
		c := graph.Sub(x, mean)
		variance := graph.ReduceAndKeep(graph.Square(c), graph.ReduceMean, -1)
		y := graph.Div(c, graph.Sqrt(graph.AddScalar(variance, 1e-6)))
		return add(mul(y, v(name+".weight")), v(name+".bias"))
	}
	gelu := func(x *graph.Node) *graph.Node {
		return graph.Mul(graph.MulScalar(x, 0.5), graph.AddScalar(graph.Erf(graph.MulScalar(x, 1/math.Sqrt2)), 1))
	}
	c := vitConfig
	n := images.Shape().Dimensions[0]
	grid := c.image / c.patch
	x := graph.Convolve(images, v("patch_embed.weight")).Strides(c.patch).NoPadding().Done()
	x = add(x, v("patch_embed.bias"))
	x = graph.Reshape(x, n, grid*grid, c.dim) // row-major patches, as torch's flatten(2).transpose(1, 2)
	cls := graph.BroadcastToDims(v("cls_token"), n, 1, c.dim)
	x = graph.Add(graph.Concatenate([]*graph.Node{cls, x}, 1), v("pos_embed"))
	t, dh := grid*grid+1, c.dim/c.heads
	for b := 0; b < c.depth; b++ {
		p := fmt.Sprintf("blocks.%d.", b)
		h := camviz.Tap(layerNorm(x, p+"norm1"), p+"norm1")
		qkv := graph.Reshape(dense(h, p+"qkv"), n, t, 3, c.heads, dh)
		qkv = graph.TransposeAllAxes(qkv, 2, 0, 3, 1, 4) // [3, N, heads, T, dh]
		q := graph.Squeeze(graph.SliceAxis(qkv, 0, graph.AxisElem(0)), 0)
		k := graph.Squeeze(graph.SliceAxis(qkv, 0, graph.AxisElem(1)), 0)
		val := graph.Squeeze(graph.SliceAxis(qkv, 0, graph.AxisElem(2)), 0)
		attn := graph.Softmax(graph.MulScalar(graph.Einsum("nhtd,nhsd->nhts", q, k), 1/math.Sqrt(float64(dh))), -1)
		a := graph.Einsum("nhts,nhsd->nhtd", attn, val)
		a = graph.Reshape(graph.TransposeAllAxes(a, 0, 2, 1, 3), n, t, c.dim)
		x = graph.Add(x, dense(a, p+"proj"))
		x = graph.Add(x, dense(gelu(dense(layerNorm(x, p+"norm2"), p+"fc1")), p+"fc2"))
	}
	x = layerNorm(x, "norm")
	clsOut := graph.Squeeze(graph.SliceAxis(x, 1, graph.AxisElem(0)), 1)
	w, bias := v("head.weight"), v("head.bias")
	return add(graph.MatMul(clsOut, w), bias)
}

// TestViTInGoMLX explains the ViT built in GoMLX (the sweep's weights) at blocks.1.norm1
// — tokens [2, 65, 64], mapped to an 8×8 grid by the inferred layout (drop the class
// token) — and checks logits, raw Grad-CAM and finals against torch's float64 Grad-CAM
// with pytorch-grad-cam's ViT reshape_transform; then checks every method of the family
// against the same model imported from its ONNX export (independent graph: onnx-gomlx's
// ops, exported LayerNormalization, Erf, MatMul attention).
func TestViTInGoMLX(t *testing.T) {
	dir := filepath.Join(sweep.Dir(t), "vit")
	backend := newTestBackend(t)
	store := loadViT(t, filepath.Join(dir, "weights"))
	input := readSweepNpy(t, dir, "input.npy")
	n, ch, h, w := input.Shape[0], input.Shape[1], input.Shape[2], input.Shape[3]
	nhwc := make([]float32, len(input.Data))
	for b := 0; b < n; b++ {
		for c := 0; c < ch; c++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					nhwc[((b*h+y)*w+x)*ch+c] = input.Data[((b*ch+c)*h+y)*w+x]
				}
			}
		}
	}
	const layer = "blocks.1.norm1"
	methods := []camviz.Method{camviz.MethodGradCAM, camviz.MethodGradCAMPlusPlus, camviz.MethodXGradCAM,
		camviz.MethodHiResCAM, camviz.MethodLayerCAM, camviz.MethodGradCAMElementWise, camviz.MethodScoreCAM,
		camviz.MethodAblationCAM, camviz.MethodEigenCAM, camviz.MethodEigenGradCAM}
	ex, err := camviz.NewExplainer(backend, store, vitForward, camviz.Config{Layers: []string{layer}, Methods: methods})
	if err != nil {
		t.Fatal(err)
	}
	target := camviz.ClassTarget(readSweepMeta(t, dir).Classes...)
	res, err := ex.ExplainFloats(nhwc, []int{n, h, w, ch}, target)
	if err != nil {
		t.Fatal(err)
	}
	var logits []float32
	for _, l := range res.Logits {
		logits = append(logits, l...)
	}
	wantLogits := readSweepNpy(t, dir, "logits.npy")
	checkClose(t, "ViT logits", logits, wantLogits.Data, 0, 1e-4*maxAbs(wantLogits.Data))
	raw, err := res.Raw(layer, camviz.MethodGradCAM)
	if err != nil {
		t.Fatal(err)
	}
	if raw[0].H != 8 || raw[0].W != 8 {
		t.Fatalf("ViT Grad-CAM map is %d×%d, want the 8×8 patch grid", raw[0].H, raw[0].W)
	}
	wantRaw := readSweepNpy(t, dir, "raw.npy")
	checkClose(t, "ViT raw Grad-CAM", flatMaps(raw), wantRaw.Data, 0, 1e-5*maxAbs(wantRaw.Data))
	final, _ := res.Final(layer, camviz.MethodGradCAM)
	checkClose(t, "ViT Grad-CAM finals", flatMaps(final), readSweepNpy(t, dir, "gradcam.npy").Data, 0, 1e-4)

	m, err := LoadONNX(filepath.Join(dir, "model.onnx"))
	if err != nil {
		t.Fatalf("loading the ViT's ONNX export: %v", err)
	}
	onnxEx, err := m.Explainer(backend, []string{"target"}, methods...)
	if err != nil {
		t.Fatal(err)
	}
	onnxRes, err := onnxEx.ExplainFloats(input.Data, input.Shape, target)
	if err != nil {
		t.Fatal(err)
	}
	for _, meth := range methods {
		a, _ := res.Raw(layer, meth)
		b, err := onnxRes.Raw("target", meth)
		if err != nil {
			t.Fatal(err)
		}
		want := flatMaps(a)
		checkClose(t, string(meth)+" raw, ONNX vs GoMLX ViT", flatMaps(b), want, 0, 1e-4*maxAbs(want))
		fa, _ := res.Final(layer, meth)
		fb, _ := onnxRes.Final("target", meth)
		checkClose(t, string(meth)+" final, ONNX vs GoMLX ViT", flatMaps(fb), flatMaps(fa), 0, 1e-4)
	}
}
