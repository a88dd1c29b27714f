package camviz_test

import (
	"fmt"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/internal/modela"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// probeMethod is a whole-model method registered by the test through the public API: its
// raw map is Σ_c ∂score/∂x (input resolution) and its extra outputs are, per bias site,
// Σ_positions ∂score/∂y [batch, K], which by the chain rule is ∂score/∂b.
const probeMethod camviz.Method = "TestEngineProbe"

func registerProbe(t *testing.T) {
	if err := camviz.RegisterMethod(camviz.MethodDef{
		Name:  probeMethod,
		Needs: camviz.Needs{WholeModel: true, InputGradient: true, BiasGradients: true},
		Compute: func(in *camviz.Inputs) (camviz.Outputs, error) {
			if in.Acts != nil || in.Layer != camviz.WholeModelLayer {
				return camviz.Outputs{}, fmt.Errorf("a whole-model method got layer %q", in.Layer)
			}
			extra := map[string]*graph.Node{}
			for _, s := range in.Biases {
				extra["bias/"+s.Name] = graph.ReduceSum(s.Grads, 1, 2)
				extra["value/"+s.Name] = graph.BroadcastToDims(graph.InsertAxes(s.Bias, 0), in.Score.Shape().Dimensions[0], s.Bias.Shape().Dimensions[0])
			}
			return camviz.Outputs{Raw: graph.ReduceSum(in.InputGrads, 3), Extra: extra}, nil
		},
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { camviz.UnregisterMethod(probeMethod) })
}

// TestEngineProvidesInputAndBiasGradients checks what the engine hands a method that
// declares InputGradient and BiasGradients, against graph.Gradient taken directly with
// respect to the images and the bias variables in a separate graph.
func TestEngineProvidesInputAndBiasGradients(t *testing.T) {
	registerProbe(t)
	store, fn, err := modela.Load()
	if err != nil {
		t.Fatal(err)
	}
	// A whole-model method needs no layer.
	ex, err := camviz.NewExplainer(testBackend, store, fn, camviz.Config{Methods: []camviz.Method{probeMethod}})
	if err != nil {
		t.Fatal(err)
	}
	images, dims, err := modela.Input("input_b2_nchw.npy")
	if err != nil {
		t.Fatal(err)
	}
	res, err := ex.ExplainFloats(images, dims, camviz.ClassTarget(3, 5))
	if err != nil {
		t.Fatal(err)
	}
	atLayer, err := res.Raw("relu3", probeMethod) // the same maps at any layer
	if err != nil || len(atLayer) != 2 || len(atLayer[0].Data) != 32*32 {
		t.Errorf("Raw at a layer of a whole-model method: %v", err)
	}
	raw, err := res.Raw(camviz.WholeModelLayer, probeMethod)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"conv1", "conv2", "conv3"}
	want, err := model.CallOnceN(testBackend, store, func(scope *model.Scope, x *graph.Node) []*graph.Node {
		logits := modela.Forward(scope, x)
		onehot := graph.OneHot(graph.Const(x.Graph(), []int32{3, 5}), 10, logits.DType())
		score := graph.ReduceAllSum(graph.Mul(logits, onehot))
		wrt := []*graph.Node{x}
		for _, n := range names {
			wrt = append(wrt, scope.At("%s", n).GetVariable("biases").NodeValue(x.Graph()))
		}
		return graph.Gradient(score, wrt...)
	}, tensors.FromFlatDataAndDimensions(images, dims...))
	if err != nil {
		t.Fatal(err)
	}
	gx := tensors.MustCopyFlatData[float32](want[0])
	sumC := make([]float32, len(gx)/3)
	for i, v := range gx {
		sumC[i/3] += v
	}
	if e := maxRelErr(flatten(raw), sumC); e > 1e-6 {
		t.Errorf("input gradient: max rel err %.3g against graph.Gradient", e)
	}
	for i, n := range names {
		got, gdims, err := res.Extra(camviz.WholeModelLayer, probeMethod, "bias/"+n)
		if err != nil {
			t.Fatal(err)
		}
		gb := tensors.MustCopyFlatData[float32](want[1+i]) // summed over the batch
		k := len(gb)
		if len(gdims) != 2 || gdims[0] != 2 || gdims[1] != k {
			t.Fatalf("bias %s: extra dims %v, want [2 %d]", n, gdims, k)
		}
		sum := make([]float32, k)
		for j, v := range got {
			sum[j%k] += v
		}
		if e := maxRelErr(sum, gb); e > 1e-5 {
			t.Errorf("bias %s: Σ_positions ∂score/∂y vs ∂score/∂b: max rel err %.3g", n, e)
		}
		if _, _, err := res.Extra(camviz.WholeModelLayer, probeMethod, "value/"+n); err != nil {
			t.Error(err)
		}
	}
	if _, _, err := res.Extra(camviz.WholeModelLayer, probeMethod, "nope"); err == nil {
		t.Error("unknown extra output: want an error")
	}
}

// TestRegisterMethodRejectsDuplicates checks that a name cannot be registered twice,
// whatever its case.
func TestRegisterMethodRejectsDuplicates(t *testing.T) {
	err := camviz.RegisterMethod(camviz.MethodDef{Name: "gradcam", Compute: func(*camviz.Inputs) (camviz.Outputs, error) {
		return camviz.Outputs{}, nil
	}})
	if err == nil {
		t.Error("registering gradcam again: want an error")
	}
	if err := camviz.RegisterMethod(camviz.MethodDef{Name: "NoCompute"}); err == nil {
		t.Error("a definition without Compute: want an error")
	}
}
