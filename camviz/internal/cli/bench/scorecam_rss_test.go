package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/models"
)

// BenchmarkScoreCAMPeakRSS measures Score-CAM's peak resident set size (VmHWM,
// reset before each budget) on the full-width ResNet-18 at 224², batch 1, for each
// Config.MemoryBudget in $CAMVIZ_RSS_BUDGETS (MiB, comma-separated; default
// "1024,256") at the layer $CAMVIZ_RSS_LAYER (default layer4.1), and prints it beside
// Result.Memory's estimate and the RSS when the section started. Each budget runs the
// compile and two calls. For example:
//
//	CAMVIZ_RSS_LAYER=layer1.1 go test -run '^$' -bench ScoreCAMPeakRSS -benchtime 1x ./camviz/internal/cli/bench/
func BenchmarkScoreCAMPeakRSS(b *testing.B) {
	layer := os.Getenv("CAMVIZ_RSS_LAYER")
	if layer == "" {
		layer = "layer4.1"
	}
	budgets := []int64{1024, 256}
	if s := os.Getenv("CAMVIZ_RSS_BUDGETS"); s != "" {
		budgets = nil
		for _, f := range strings.Split(s, ",") {
			v, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
			if err != nil || v <= 0 {
				b.Fatalf("$CAMVIZ_RSS_BUDGETS=%q: want MiB values", s)
			}
			budgets = append(budgets, v)
		}
	}
	calls := 2
	if s := os.Getenv("CAMVIZ_RSS_CALLS"); s != "" {
		var err error
		if calls, err = strconv.Atoi(s); err != nil || calls < 1 {
			b.Fatalf("$CAMVIZ_RSS_CALLS=%q: want a positive number of calls", s)
		}
	}
	backend, err := backends.New()
	if err != nil {
		b.Fatal(err)
	}
	m, err := models.New(models.ResNet18Spec(1000, 224))
	if err != nil {
		b.Fatal(err)
	}
	img := randomTensor(rand.New(rand.NewPCG(5, 6)), 1, 224, 224, 3)
	// Initialise the variables, as the bench's earlier rows do.
	g, err := m.Explainer(backend, []string{layer}, camviz.MethodGradCAM)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := g.Explain(img, camviz.ArgmaxTarget()); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		for _, mib := range budgets {
			cfg := m.Config([]string{layer}, camviz.MethodScoreCAM)
			cfg.MemoryBudget = mib << 20
			ex, err := camviz.NewExplainer(backend, m.Store, m.Fn, cfg)
			if err != nil {
				b.Fatal(err)
			}
			startMemorySection()
			before, err := currentRSS()
			if err != nil {
				b.Fatal(err)
			}
			ests, err := ex.EstimateMemory(camviz.ArgmaxTarget(), img.Shape().Dimensions...) // builds and compiles
			if err != nil {
				b.Fatal(err)
			}
			est := ests[0]
			runtime.GC()
			compiled, _ := currentRSS()
			var ms0 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			fmt.Printf("budget %4d MiB: compiled: RSS %d MiB (+%d MiB), heap in use %d MiB\n", mib, compiled>>20, (compiled-before)>>20, ms0.HeapInuse>>20)
			c0, gc0 := cpuTime(), gcCPU()
			if path := os.Getenv("CAMVIZ_RSS_HEAPPROFILE"); path != "" {
				// The heap as of the last collection some seconds into the calls.
				time.AfterFunc(20*time.Second, func() {
					f, err := os.Create(fmt.Sprintf("%s.%d", path, mib))
					if err == nil {
						_ = pprof.WriteHeapProfile(f)
						_ = f.Close()
					}
				})
			}
			for range calls {
				res, err := ex.Explain(img, camviz.ArgmaxTarget())
				if err != nil {
					b.Fatal(err)
				}
				est = res.Memory[0]
			}
			peak, err := peakRSS()
			if err != nil {
				b.Fatal(err)
			}
			cpu, gcSeconds := cpuTime()-c0, gcCPU()-gc0
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			fmt.Printf("budget %4d MiB: %s\n  peak RSS %4d MiB (%.2f× the estimate), RSS at the start %4d MiB, growth %4d MiB (%.2f× the estimate); heap sys %d MiB, GC cycles %d; CPU of the calls %.1f s, of it the collector's %.2f s\n",
				mib, est, peak>>20, float64(peak)/float64(est.PeakBytes), before>>20, (peak-before)>>20,
				float64(peak-before)/float64(est.PeakBytes), ms.HeapSys>>20, ms.NumGC, cpu.Seconds(), gcSeconds)
		}
	}
}

// gcCPU is the CPU time the Go collector has used so far, in seconds (an estimate the
// runtime keeps: /cpu/classes/gc/total:cpu-seconds).
func gcCPU() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return s[0].Value.Float64()
}
