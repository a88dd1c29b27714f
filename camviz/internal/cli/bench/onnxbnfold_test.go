package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/models"
)

// BenchmarkONNXBatchNormFoldAB times the forward pass of an ONNX classifier whose
// batch norms are separate nodes (as tf2onnx, Caffe2 and keras2onnx export them)
// loaded with and without camviz's Conv → BatchNormalization folding
// (models.FoldBatchNorm at load time), interleaved; the model is
// $CAMVIZ_ONNX_BN_MODEL (224×224 RGB input), the batch $CAMVIZ_FORWARD_AB_BATCH
// (default 1). A torchvision ResNet-18 with its batch norms kept:
//
//	/usr/bin/python3 -c 'import torch, torchvision; m = torchvision.models.resnet18().eval();
//	  torch.onnx.export(m, torch.randn(1, 3, 224, 224), "/tmp/r18_bn.onnx", opset_version=13,
//	  training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)'
//	CAMVIZ_ONNX_BN_MODEL=/tmp/r18_bn.onnx go test -run '^$' -bench ONNXBatchNormFoldAB -benchtime 20x ./camviz/internal/cli/bench/
func BenchmarkONNXBatchNormFoldAB(b *testing.B) {
	path := os.Getenv("CAMVIZ_ONNX_BN_MODEL")
	if path == "" {
		b.Skip("set CAMVIZ_ONNX_BN_MODEL to an ONNX classifier with separate BatchNormalization nodes (see the doc comment)")
	}
	batch := 1
	if s := os.Getenv("CAMVIZ_FORWARD_AB_BATCH"); s != "" {
		var err error
		if batch, err = strconv.Atoi(s); err != nil || batch < 1 {
			b.Fatalf("$CAMVIZ_FORWARD_AB_BATCH=%q: want a positive batch size", s)
		}
	}
	saved := models.FoldBatchNorm
	defer func() { models.FoldBatchNorm = saved }()
	names := []string{"folded", "unfolded"}
	var fns []func() error
	for _, fold := range []bool{true, false} {
		models.FoldBatchNorm = fold
		m, err := models.LoadONNX(path)
		models.FoldBatchNorm = saved
		if err != nil {
			b.Fatal(err)
		}
		backend, err := backends.New()
		if err != nil {
			b.Fatal(err)
		}
		img := randomTensor(rand.New(rand.NewPCG(5, 6)), m.InputDims(batch)...)
		e, exec := constForwardExec(b, backend, m, img)
		b.Cleanup(e.Finalize)
		if err := exec(e); err != nil {
			b.Fatal(err)
		}
		fns = append(fns, func() error { return exec(e) })
	}
	b.ResetTimer()
	times, err := measureAll(0, b.N, fns...)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	for i, n := range names {
		fmt.Printf("ONNX batch %d, batch norms %-8s: wall %8.2f ms  CPU %8.2f ms\n", batch, n,
			float64(times[i].Wall)/1e6, float64(times[i].CPU)/1e6)
	}
}
