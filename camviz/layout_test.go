package camviz_test

import (
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
)

// forwardTokens is model A whose last block, [batch, 16, 16, K], is also turned into the
// token sequence of a vision transformer: a "class token" (computed from relu2, so it does
// not depend on relu3) followed by the 256 patch tokens in row-major order, tapped as
// "tokens" [batch, 257, K]. The head averages t + 0.05·t² over all 257 tokens. Since the tokens' patch part
// is relu3 reordered, ∂score/∂relu3 is ∂score/∂tokens[:, 1:] reshaped, and every method
// at "tokens" (with DropTokens 1 and a 16×16 grid) must equal the same method at "relu3".
func forwardTokens(scope *model.Scope, x *graph.Node) *graph.Node {
	return forwardLeadTokens(1)(scope, x)
}

// forwardLeadTokens is forwardTokens with n leading tokens (2: DeiT's class and
// distillation tokens), the second a negated copy of the first.
func forwardLeadTokens(n int) camviz.ModelFn {
	return func(scope *model.Scope, x *graph.Node) *graph.Node { return tokensModel(scope, x, n) }
}

func tokensModel(scope *model.Scope, x *graph.Node, lead int) *graph.Node {
	conv := func(name string, x *graph.Node) *graph.Node {
		s := scope.At("%s", name)
		w := s.GetVariable("weights").NodeValue(x.Graph())
		b := s.GetVariable("biases").NodeValue(x.Graph())
		y := graph.Convolve(x, w).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
		return graph.Add(y, graph.ExpandLeftToRank(b, y.Rank()))
	}
	x = camviz.Tap(camviz.ReLU(conv("conv1", x)), "relu1")
	relu2 := camviz.Tap(camviz.ReLU(conv("conv2", x)), "relu2")
	x = graph.MaxPool(relu2).Window(2).Done()
	x = camviz.Tap(camviz.ReLU(conv("conv3", x)), "relu3")
	d := x.Shape().Dimensions
	k := d[3]
	// The class token: relu2's channel means, repeated to k channels.
	m := graph.ReduceMean(relu2, 1, 2)
	cls := graph.Concatenate(repeat(m, (k+m.Shape().Dimensions[1]-1)/m.Shape().Dimensions[1]), 1)
	cls = graph.Slice(cls, graph.AxisRange(), graph.AxisRange(0, k))
	cls = graph.MulScalar(graph.InsertAxes(cls, 1), 0.5)
	parts := []*graph.Node{cls}
	for i := 1; i < lead; i++ {
		parts = append(parts, graph.Neg(cls))
	}
	tokens := graph.Concatenate(append(parts, graph.Reshape(x, d[0], d[1]*d[2], k)), 1)
	tokens = camviz.Tap(tokens, "tokens")
	// A head that is not linear in the tokens, so that Hessian-vector products are not 0.
	pooled := graph.Add(graph.ReduceMean(tokens, 1), graph.MulScalar(graph.ReduceMean(graph.Square(tokens), 1), 0.05))
	g := x.Graph()
	w := scope.At("fc").GetVariable("weights").NodeValue(g)
	b := scope.At("fc").GetVariable("biases").NodeValue(g)
	return graph.Add(graph.MatMul(pooled, w), graph.ExpandLeftToRank(b, 2))
}

// layerMethods is every registered method that explains a layer (not the whole model).
func layerMethods(t *testing.T) []camviz.Method {
	var out []camviz.Method
	for _, m := range camviz.Methods() {
		needs, err := camviz.MethodNeeds(m)
		if err != nil {
			t.Fatal(err)
		}
		if !needs.WholeModel {
			out = append(out, m)
		}
	}
	return out
}

// TestTokenLayer checks every layer method on a token layer against the same method on
// the equivalent feature map, with the layout given and inferred (257 tokens on 32×32
// images: 1 class token + 16×16 is the only split with a square grid; 258: 2 + 16×16).
func TestTokenLayer(t *testing.T) {
	methods := layerMethods(t)
	t.Logf("%d layer methods: %v", len(methods), methods)
	images, dims, err := modela.Input("input_b2_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		lead   int
		layout map[string]camviz.LayerLayout
	}{
		{"inferred", 1, nil},
		{"grid given", 1, map[string]camviz.LayerLayout{"tokens": {Kind: camviz.LayoutTokens, TokenGrid: [2]int{16, 16}}}},
		{"drop given", 1, map[string]camviz.LayerLayout{"tokens": {DropTokens: 1}}},
		{"class and distillation tokens inferred", 2, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ex, err := camviz.NewExplainer(testBackend, store, forwardLeadTokens(tc.lead), camviz.Config{
				Layers: []string{"relu3", "tokens"}, Methods: methods, ChunkSize: 40, LayerLayouts: tc.layout,
				CAMWeights: "/fc/weights"})
			if err != nil {
				t.Fatal(err)
			}
			res, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(3, 5))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range methods {
				want, err := res.Raw("relu3", m)
				if err != nil {
					t.Fatal(err)
				}
				got, err := res.Raw("tokens", m)
				if err != nil {
					t.Fatal(err)
				}
				if got[0].H != 16 || got[0].W != 16 {
					t.Fatalf("%s: token map is %d×%d, want 16×16", m, got[0].H, got[0].W)
				}
				if e := maxRelErr(flatten(got), flatten(want)); e > 1e-5 {
					t.Errorf("%s: token-layer raw map differs from the feature map's by %g (relative)", m, e)
				}
				fw, _ := res.Final("relu3", m)
				fg, _ := res.Final("tokens", m)
				if e := maxAbsErr(flatten(fg), flatten(fw)); e > 1e-5 {
					t.Errorf("%s: token-layer final map differs by %g", m, e)
				}
			}
		})
	}
}

// forwardChannelsLastBlock is model A on NCHW images whose relu2 and relu3 are tapped
// channels-first, and relu3 also channels-last as "relu3_nhwc" (as torchvision's Swin and
// ConvNeXt blocks are inside an otherwise NCHW ONNX graph).
func forwardChannelsLastBlock(scope *model.Scope, x *graph.Node) *graph.Node {
	return forwardChannelsFirstWith(scope, x, func(x *graph.Node) *graph.Node {
		return camviz.Tap(x, "relu3_nhwc")
	})
}

// forwardChannelsFirstWith is forwardChannelsFirst with nhwc applied to relu3 in NHWC.
func forwardChannelsFirstWith(scope *model.Scope, x *graph.Node, nhwc func(*graph.Node) *graph.Node) *graph.Node {
	conv := func(name string, x *graph.Node) *graph.Node {
		s := scope.At("%s", name)
		w := s.GetVariable("weights").NodeValue(x.Graph())
		b := s.GetVariable("biases").NodeValue(x.Graph())
		y := graph.Convolve(x, w).PaddingPerDim([][2]int{{1, 1}, {1, 1}}).Done()
		return graph.Add(y, graph.ExpandLeftToRank(b, y.Rank()))
	}
	tap := func(x *graph.Node, name string) *graph.Node {
		return graph.TransposeAllAxes(camviz.Tap(graph.TransposeAllAxes(x, 0, 3, 1, 2), name), 0, 2, 3, 1)
	}
	x = graph.TransposeAllAxes(x, 0, 2, 3, 1)
	x = tap(camviz.ReLU(conv("conv1", x)), "relu1")
	x = tap(camviz.ReLU(conv("conv2", x)), "relu2")
	x = graph.MaxPool(x).Window(2).Done()
	x = tap(nhwc(camviz.ReLU(conv("conv3", x))), "relu3")
	x = graph.ReduceMean(x, 1, 2)
	w := scope.At("fc").GetVariable("weights").NodeValue(x.Graph())
	b := scope.At("fc").GetVariable("biases").NodeValue(x.Graph())
	return graph.Add(graph.MatMul(x, w), graph.ExpandLeftToRank(b, 2))
}

// TestChannelsLastBlock explains a channels-last block inside a channels-first model,
// with the layout given explicitly, and checks every layer method against the same
// activation tapped channels-first.
func TestChannelsLastBlock(t *testing.T) {
	images, dims, err := modela.Input("input_b2_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	nchw := toNCHW(images, dims)
	store, _, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	methods := layerMethods(t)
	ex, err := camviz.NewExplainer(testBackend, store, forwardChannelsLastBlock, camviz.Config{
		Layers: []string{"relu3", "relu3_nhwc"}, Methods: methods, ChunkSize: 40, ChannelsFirst: true, CAMWeights: "/fc/weights",
		LayerLayouts: map[string]camviz.LayerLayout{"relu3_nhwc": {Kind: camviz.LayoutChannelsLast}}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats(nchw, []int{dims[0], dims[3], dims[1], dims[2]}, camviz.ClassTarget(3, 5))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range methods {
		want, _ := res.Raw("relu3", m)
		got, err := res.Raw("relu3_nhwc", m)
		if err != nil {
			t.Fatal(err)
		}
		if e := maxRelErr(flatten(got), flatten(want)); e > 1e-5 {
			t.Errorf("%s: channels-last block's raw map differs from the channels-first tap's by %g", m, e)
		}
	}
}

func repeat(x *graph.Node, n int) []*graph.Node {
	out := make([]*graph.Node, n)
	for i := range out {
		out[i] = x
	}
	return out
}

func toNCHW(images []float32, dims []int) []float32 {
	n, h, w, c := dims[0], dims[1], dims[2], dims[3]
	out := make([]float32, len(images))
	for b := 0; b < n; b++ {
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				for ch := 0; ch < c; ch++ {
					out[((b*c+ch)*h+y)*w+x] = images[((b*h+y)*w+x)*c+ch]
				}
			}
		}
	}
	return out
}

// TestLayoutInference checks the inferred layouts and the errors that name the option.
func TestLayoutInference(t *testing.T) {
	store, _, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	images, dims, err := modela.Input("input_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	explain := func(fn camviz.ModelFn, cfg camviz.Config, data []float32, d []int) (*camviz.Result, error) {
		ex, err := camviz.NewExplainer(testBackend, store, fn, cfg)
		if err != nil {
			return nil, err
		}
		return ex.ExplainFloats(data, d, camviz.ClassTarget(3))
	}
	t.Run("wrong grid", func(t *testing.T) {
		_, err := explain(forwardTokens, camviz.Config{Layers: []string{"tokens"}, Methods: []camviz.Method{camviz.MethodGradCAM},
			LayerLayouts: map[string]camviz.LayerLayout{"tokens": {Kind: camviz.LayoutTokens, TokenGrid: [2]int{14, 14}, DropTokens: 1}}},
			images, dims)
		if err == nil || !strings.Contains(err.Error(), "--tokens") || !strings.Contains(err.Error(), "257 tokens") {
			t.Fatalf("want an error naming the token count and --tokens, got %v", err)
		}
	})
	t.Run("no square grid", func(t *testing.T) {
		// 257 − 3 = 254 tokens have no square grid.
		_, err := explain(forwardTokens, camviz.Config{Layers: []string{"tokens"}, Methods: []camviz.Method{camviz.MethodGradCAM},
			LayerLayouts: map[string]camviz.LayerLayout{"tokens": {DropTokens: 3}}}, images, dims)
		if err == nil || !strings.Contains(err.Error(), "--drop-tokens") || !strings.Contains(err.Error(), "TokenGrid") {
			t.Fatalf("want an error naming TokenGrid and --drop-tokens, got %v", err)
		}
	})
	t.Run("channels-last inferred", func(t *testing.T) {
		// relu3_nhwc of a 32×32 input is [n, 16, 16, K]; read channels-first it would be
		// a 16×K map, which has not the images' aspect ratio unless K is about 16.
		nchw := toNCHW(images, dims)
		nd := []int{dims[0], dims[3], dims[1], dims[2]}
		cfg := camviz.Config{Layers: []string{"relu3", "relu3_nhwc"}, Methods: []camviz.Method{camviz.MethodGradCAM}, ChannelsFirst: true}
		res, err := explain(forwardChannelsLastBlock, cfg, nchw, nd)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := res.Raw("relu3", camviz.MethodGradCAM)
		got, _ := res.Raw("relu3_nhwc", camviz.MethodGradCAM)
		if got[0].H != 16 || got[0].W != 16 {
			t.Fatalf("inferred channels-last map is %d×%d, want 16×16", got[0].H, got[0].W)
		}
		if e := maxRelErr(flatten(got), flatten(want)); e > 1e-5 {
			t.Errorf("inferred channels-last raw map differs by %g", e)
		}
	})
	t.Run("rank 2", func(t *testing.T) {
		_, err := explain(func(scope *model.Scope, x *graph.Node) *graph.Node {
			return camviz.Tap(modela.Forward(scope, x), "logits")
		}, camviz.Config{Layers: []string{"logits"}, Methods: []camviz.Method{camviz.MethodGradCAM}}, images, dims)
		if err == nil || !strings.Contains(err.Error(), "tokens [batch, tokens, channels]") {
			t.Fatalf("want an error naming the layouts CAM takes, got %v", err)
		}
	})
}

// TestParseTokenGrid checks the CLI spelling of token grids.
func TestParseTokenGrid(t *testing.T) {
	for in, want := range map[string][2]int{"14x14": {14, 14}, "7x9": {7, 9}, "12": {12, 12}} {
		got, err := camviz.ParseTokenGrid(in)
		if err != nil || got != want {
			t.Errorf("ParseTokenGrid(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "14x", "x14", "0x3", "-2", "14x14x1", "a"} {
		if _, err := camviz.ParseTokenGrid(in); err == nil {
			t.Errorf("ParseTokenGrid(%q) succeeded; want an error", in)
		}
	}
}

// hessianProbe is a layer method registered by the test: its raw map is
// Σ_k (H·A)_k, the Hessian of the score at the layer applied to the activations.
const hessianProbe camviz.Method = "TestLayoutHessianProbe"

// TestTokenLayerHessianVector checks Hessian-vector products on a token layer: for
// v = A on the patch tokens (zeros on the class token, which does not depend on relu3),
// H_tokens·v restricted to the patch tokens is H_relu3·A.
func TestTokenLayerHessianVector(t *testing.T) {
	if err := camviz.RegisterMethod(camviz.MethodDef{
		Name:  hessianProbe,
		Needs: camviz.Needs{HessianVector: true},
		Compute: func(in *camviz.Inputs) (camviz.Outputs, error) {
			hv, err := in.HessianVector(in.Acts)
			if err != nil {
				return camviz.Outputs{}, err
			}
			return camviz.Outputs{Raw: graph.ReduceSum(hv, 3)}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { camviz.UnregisterMethod(hessianProbe) })
	images, dims, err := modela.Input("input_b2_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	store, _, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	ex, err := camviz.NewExplainer(testBackend, store, forwardTokens, camviz.Config{
		Layers: []string{"relu3", "tokens"}, Methods: []camviz.Method{hessianProbe}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(3, 5))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := res.Raw("relu3", hessianProbe)
	got, err := res.Raw("tokens", hessianProbe)
	if err != nil {
		t.Fatal(err)
	}
	if maxAbsErr(flatten(want), make([]float32, len(flatten(want)))) == 0 {
		t.Fatal("the Hessian-vector product at relu3 is 0: the probe would be vacuous")
	}
	if e := maxRelErr(flatten(got), flatten(want)); e > 1e-5 {
		t.Errorf("Hessian-vector product on tokens differs from the feature map's by %g (relative)", e)
	}
}

// TestLayerLayoutInference checks the inferred layouts by shape: tokens with 0, 1 or 2
// leading tokens (plain, class token, DeiT's class and distillation tokens), non-square
// pictures, and 4-D blocks in either layout.
func TestLayerLayoutInference(t *testing.T) {
	tokens := func(h, w, d int) camviz.LayerLayout {
		return camviz.LayerLayout{Kind: camviz.LayoutTokens, TokenGrid: [2]int{h, w}, DropTokens: d}
	}
	for _, tc := range []struct {
		dims          []int
		image         [2]int
		channelsFirst bool
		want          camviz.LayerLayout
	}{
		{[]int{1, 196, 768}, [2]int{224, 224}, true, tokens(14, 14, 0)},
		{[]int{1, 197, 768}, [2]int{224, 224}, true, tokens(14, 14, 1)},
		{[]int{1, 198, 384}, [2]int{224, 224}, true, tokens(14, 14, 2)},
		{[]int{2, 50, 64}, [2]int{112, 112}, false, tokens(7, 7, 1)},
		{[]int{1, 393, 768}, [2]int{224, 448}, true, tokens(14, 28, 1)},
		{[]int{1, 197, 768}, [2]int{}, true, tokens(14, 14, 1)}, // picture size unknown: square grids
		{[]int{1, 768, 7, 7}, [2]int{224, 224}, true, camviz.LayerLayout{Kind: camviz.LayoutChannelsFirst}},
		{[]int{1, 7, 7, 768}, [2]int{224, 224}, true, camviz.LayerLayout{Kind: camviz.LayoutChannelsLast}},
		{[]int{1, 7, 7, 768}, [2]int{224, 224}, false, camviz.LayerLayout{Kind: camviz.LayoutChannelsLast}},
		{[]int{1, 768, 7, 7}, [2]int{224, 224}, false, camviz.LayerLayout{Kind: camviz.LayoutChannelsFirst}},
		{[]int{1, 8, 8, 8}, [2]int{64, 64}, true, camviz.LayerLayout{Kind: camviz.LayoutChannelsFirst}}, // both fit: the model's
		{[]int{1, 4, 7, 8}, [2]int{128, 224}, true, camviz.LayerLayout{Kind: camviz.LayoutChannelsLast}},
	} {
		got, err := camviz.Config{ChannelsFirst: tc.channelsFirst}.LayerLayout("x", tc.dims, tc.image)
		if err != nil || got != tc.want {
			t.Errorf("%v on %v (channels-first model %v): %v, %v; want %v", tc.dims, tc.image, tc.channelsFirst, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		dims   []int
		layout camviz.LayerLayout
		want   string
	}{
		{[]int{1, 200, 64}, camviz.LayerLayout{}, "--tokens HxW"},
		{[]int{1, 197, 64}, camviz.LayerLayout{Kind: camviz.LayoutTokens, TokenGrid: [2]int{13, 13}}, "--drop-tokens 28"},
		{[]int{1, 197, 64}, camviz.LayerLayout{Kind: camviz.LayoutTokens, TokenGrid: [2]int{14, 14}, DropTokens: 2}, "197 tokens"},
		{[]int{1, 197, 64}, camviz.LayerLayout{Kind: camviz.LayoutTokens, TokenGrid: [2]int{14, 0}}, "give both sizes"},
		{[]int{1, 197, 64}, camviz.LayerLayout{Kind: camviz.LayoutChannelsLast}, "LayoutTokens"},
		{[]int{1, 7, 7, 64}, camviz.LayerLayout{Kind: camviz.LayoutTokens}, "[batch, tokens, channels]"},
		{[]int{1, 197, 64}, camviz.LayerLayout{Kind: camviz.LayoutKind(9)}, "unknown kind"},
	} {
		cfg := camviz.Config{LayerLayouts: map[string]camviz.LayerLayout{"x": tc.layout}}
		if _, err := cfg.LayerLayout("x", tc.dims, [2]int{224, 224}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v with %+v: error %v, want one containing %q", tc.dims, tc.layout, err, tc.want)
		}
	}
}
