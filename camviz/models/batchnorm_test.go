package models

import (
	"math"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/model"
)

// bnStore returns a store with the batch norm variables of scope "bn" set for 2 channels.
func bnStore(t *testing.T) *model.Store {
	t.Helper()
	store := model.NewStore()
	s := store.RootScope().At("bn")
	s.VariableWithValue("weight", []float32{2, 0.5})
	s.VariableWithValue("bias", []float32{1, -1})
	s.VariableWithValue("running_mean", []float32{0.5, -2})
	s.VariableWithValue("running_var", []float32{4, 0.25})
	return store
}

// bnInput is x [2, 1, 2, 2] (batch, h, w, channels): channel 0 takes 1, 2, 3, 6 and
// channel 1 takes −1, 0, 0, 5 over the 4 positions.
var bnInput = []float32{1, -1, 2, 0, 3, 0, 6, 5}

// TestBatchNormInference checks y = (x − running_mean)/√(running_var + 1e-5)·γ + β by hand:
// channel 0: (x − 0.5)/√4.00001·2 + 1, channel 1: (x + 2)/√0.25001·0.5 − 1.
func TestBatchNormInference(t *testing.T) {
	store := bnStore(t)
	out, err := model.CallOnce(newTestBackend(t), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		return batchNorm(scope.At("bn"), x)
	}, tensors.FromFlatDataAndDimensions(bnInput, 2, 1, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](out)
	for i, x := range bnInput {
		var want float64
		if i%2 == 0 {
			want = (float64(x)-0.5)/math.Sqrt(4.00001)*2 + 1
		} else {
			want = (float64(x)+2)/math.Sqrt(0.25001)*0.5 - 1
		}
		if math.Abs(float64(got[i])-want) > 1e-6 {
			t.Errorf("y[%d] = %v, want %v", i, got[i], want)
		}
	}
}

// TestBatchNormTraining checks training mode: the batch's own statistics normalise
// (channel 0: mean 3, biased variance 3.5; channel 1: mean 1, variance 5.5), and the
// running statistics move by momentum 0.1 towards the mean and the unbiased variance
// (n = 4: 3.5·4/3 and 5.5·4/3), as PyTorch's BatchNorm2d does.
func TestBatchNormTraining(t *testing.T) {
	store := bnStore(t)
	exec, err := model.NewExec(newTestBackend(t), store, func(scope *model.Scope, x *graph.Node) *graph.Node {
		scope.Store().SetTraining(x.Graph(), true)
		return batchNorm(scope.At("bn"), x)
	})
	if err != nil {
		t.Fatal(err)
	}
	outs, err := exec.Exec(tensors.FromFlatDataAndDimensions(bnInput, 2, 1, 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	got := tensors.MustCopyFlatData[float32](outs[0])
	mean, variance := []float64{3, 1}, []float64{3.5, 5.5}
	gamma, beta := []float64{2, 0.5}, []float64{1, -1}
	for i, x := range bnInput {
		c := i % 2
		want := (float64(x)-mean[c])/math.Sqrt(variance[c]+1e-5)*gamma[c] + beta[c]
		if math.Abs(float64(got[i])-want) > 1e-5 {
			t.Errorf("training y[%d] = %v, want %v", i, got[i], want)
		}
	}
	wantMean := []float64{0.9*0.5 + 0.1*3, 0.9*-2 + 0.1*1}
	wantVar := []float64{0.9*4 + 0.1*3.5*4/3, 0.9*0.25 + 0.1*5.5*4/3}
	for name, want := range map[string][]float64{"running_mean": wantMean, "running_var": wantVar} {
		v := store.GetVariable("/bn/" + name)
		val, err := v.Value()
		if err != nil {
			t.Fatal(err)
		}
		gotV := tensors.MustCopyFlatData[float32](val)
		for c := range want {
			if math.Abs(float64(gotV[c])-want[c]) > 1e-6 {
				t.Errorf("%s[%d] = %v after one step, want %v", name, c, gotV[c], want[c])
			}
		}
	}
}
