package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/gomlx/core/tensors"
)

// BenchmarkResNet18GradCAMFoldAB times ResNet-18 224² Grad-CAM at layer4.1 and at
// all 8 blocks (one pass) with the graph folding of the inference graph
// (fastconv.ConstFold and models.FoldBatchNorm) on and off, interleaved, and
// prints the median wall and CPU time of each, with how many ops fastconv folded
// when building. The batch size comes from $CAMVIZ_FORWARD_AB_BATCH (default 1).
//
//	go test -run '^$' -bench ResNet18GradCAMFoldAB -benchtime 10x ./camviz/internal/cli/bench/
func BenchmarkResNet18GradCAMFoldAB(b *testing.B) {
	batch := 1
	if s := os.Getenv("CAMVIZ_FORWARD_AB_BATCH"); s != "" {
		var err error
		if batch, err = strconv.Atoi(s); err != nil || batch < 1 {
			b.Fatalf("$CAMVIZ_FORWARD_AB_BATCH=%q: want a positive batch size", s)
		}
	}
	savedConst, savedBN := fastconv.ConstFold, models.FoldBatchNorm
	defer func() { fastconv.ConstFold, models.FoldBatchNorm = savedConst, savedBN }()
	type variant struct {
		name   string
		fold   bool
		layers func(m *models.Model) []string
		run    func() error
		folded int64
	}
	var variants []*variant
	for _, layers := range []struct {
		name string
		fn   func(m *models.Model) []string
	}{
		{"layer4.1", func(*models.Model) []string { return []string{"layer4.1"} }},
		{"8blocks", func(m *models.Model) []string { return m.Layers[1:] }},
	} {
		for _, fold := range []bool{true, false} {
			variants = append(variants, &variant{name: layers.name, fold: fold, layers: layers.fn})
		}
	}
	for _, v := range variants {
		backend, err := backends.New() // camviz's configuration, wrapped by fastconv
		if err != nil {
			b.Fatal(err)
		}
		m, err := models.New(models.ResNet18Spec(1000, 224))
		if err != nil {
			b.Fatal(err)
		}
		img := randomTensor(rand.New(rand.NewPCG(5, 6)), batch, 224, 224, 3)
		if _, err := m.Predict(backend, tensors.MustCopyFlatData[float32](img), batch); err != nil { // initialises the variables
			b.Fatal(err)
		}
		ex, err := m.Explainer(backend, v.layers(m), camviz.MethodGradCAM)
		if err != nil {
			b.Fatal(err)
		}
		v.run = func() error {
			_, err := ex.Explain(img, camviz.ArgmaxTarget())
			return err
		}
		before, _ := fastconv.StatsOf(backend)
		fastconv.ConstFold, models.FoldBatchNorm = v.fold, v.fold
		err = v.run() // builds the graph
		fastconv.ConstFold, models.FoldBatchNorm = savedConst, savedBN
		if err != nil {
			b.Fatal(err)
		}
		after, _ := fastconv.StatsOf(backend)
		v.folded = after.ConstFolded - before.ConstFolded
	}
	fns := make([]func() error, len(variants))
	for i, v := range variants {
		fns[i] = v.run
	}
	b.ResetTimer()
	times, err := measureAll(0, b.N, fns...)
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	for i, v := range variants {
		wall, cpu := float64(times[i].Wall)/1e6, float64(times[i].CPU)/1e6
		fmt.Printf("batch %d Grad-CAM %-9s fold %-5v (%4d ops folded): wall %8.2f ms  CPU %8.2f ms\n", batch, v.name, v.fold, v.folded, wall, cpu)
	}
}
