package bench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute/gobackend"
)

// forwardVariant is one Go backend configuration of BenchmarkResNet18ForwardAB.
type forwardVariant struct {
	name, config string
	chunkBytes   int64                      // fastconv.ChunkPatchBytes while its graph is built
	small        fastconv.SmallProductsMode // fastconv.SmallProducts while its graph is built
	smallEntries int                        // fastconv.SmallProductEntries while its graph is built
	winograd     fastconv.WinogradMode      // fastconv.Winograd while its graph is built
	constFold    bool                       // fastconv.ConstFold while its graph is built
	bnFold       bool                       // models.FoldBatchNorm while its graph is built
	run          func() error
}

// parseForwardVariants parses "name=config[@chunkKiB][/small[N]|/nosmall][%winograd][+fold];…":
// config is the Go backend's configuration string ("ops_sequential",
// "ops_parallel,num_executors=2", …), chunkKiB the fastconv.ChunkPatchBytes its
// graph is built with, /small builds it with fastconv.SmallProducts on (/smallN:
// with fastconv.SmallProductEntries = N) and /nosmall with it off; without
// either, the defaults; %winograd sets fastconv.Winograd (auto, off, on, f2, f4);
// +nofold turns off both constant folding (fastconv.ConstFold) and batch-norm
// folding (models.FoldBatchNorm), +nobnfold only the latter, +noconstfold only
// the former.
func parseForwardVariants(spec string) ([]*forwardVariant, error) {
	var out []*forwardVariant
	for _, item := range strings.Split(spec, ";") {
		if strings.TrimSpace(item) == "" {
			continue
		}
		name, rest, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("variant %q: want name=config[@chunkKiB][/small[N]|/nosmall]", item)
		}
		v := &forwardVariant{name: strings.TrimSpace(name), chunkBytes: fastconv.ChunkPatchBytes,
			small: fastconv.SmallProducts, smallEntries: fastconv.SmallProductEntries, winograd: fastconv.Winograd,
			constFold: fastconv.ConstFold, bnFold: models.FoldBatchNorm}
		rest = strings.TrimSpace(rest)
		if r, fold, ok := strings.Cut(rest, "+"); ok {
			switch strings.TrimSpace(fold) {
			case "nofold":
				v.constFold, v.bnFold = false, false
			case "nobnfold":
				v.bnFold = false
			case "noconstfold":
				v.constFold = false
			default:
				return nil, fmt.Errorf("variant %q: +%s: want +nofold, +nobnfold or +noconstfold", item, fold)
			}
			rest = r
		}
		if r, mode, ok := strings.Cut(rest, "%"); ok {
			modes := map[string]fastconv.WinogradMode{"auto": fastconv.WinogradAuto, "off": fastconv.WinogradOff,
				"on": fastconv.WinogradOn, "f2": fastconv.WinogradF2, "f4": fastconv.WinogradF4}
			m, known := modes[strings.TrimSpace(mode)]
			if !known {
				return nil, fmt.Errorf("variant %q: %%%s: want %%auto, %%off, %%on, %%f2 or %%f4", item, mode)
			}
			rest, v.winograd = r, m
		}
		if r, ok := strings.CutSuffix(rest, "/nosmall"); ok {
			rest, v.small = r, fastconv.SmallProductsOff
		} else if r, entries, ok := strings.Cut(rest, "/small"); ok {
			rest, v.small = r, fastconv.SmallProductsOn
			if entries != "" {
				n, err := strconv.Atoi(entries)
				if err != nil || n < 1 {
					return nil, fmt.Errorf("variant %q: /small%s: want /small or /smallN with N ≥ 1 batch entries", item, entries)
				}
				v.smallEntries = n
			}
		}
		config, chunk, hasChunk := strings.Cut(rest, "@")
		v.config = strings.TrimSpace(config)
		if hasChunk {
			kib, err := strconv.ParseInt(chunk, 10, 64)
			if err != nil || kib < 1 {
				return nil, fmt.Errorf("variant %q: chunk %q is not a positive number of KiB", item, chunk)
			}
			v.chunkBytes = kib << 10
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no variants in %q", spec)
	}
	return out, nil
}

// BenchmarkResNet18ForwardAB times the ResNet-18 224² forward pass (weights as
// constants) under several Go backend configurations, interleaved (each
// repetition runs every variant in turn), and prints the median wall and CPU
// time of each. The variants come from $CAMVIZ_FORWARD_AB (see
// parseForwardVariants; default: "ops_sequential" against camviz's
// backends.GoConfig, "num_executors=2"; fastconv's defaults), the batch size from
// $CAMVIZ_FORWARD_AB_BATCH (default 1). Each variant has its own backend and
// model (tensors are bound to one backend). For an idle machine, e.g.:
//
//	CAMVIZ_FORWARD_AB='seq=ops_sequential/nosmall;def=num_executors=2;def2=num_executors=2/small2' \
//	  go test -run '^$' -bench ResNet18ForwardAB -benchtime 30x ./camviz/internal/cli/bench/
func BenchmarkResNet18ForwardAB(b *testing.B) {
	spec := os.Getenv("CAMVIZ_FORWARD_AB")
	if spec == "" {
		spec = "seq=ops_sequential;default=num_executors=2"
	}
	variants, err := parseForwardVariants(spec)
	if err != nil {
		b.Fatalf("$CAMVIZ_FORWARD_AB: %v", err)
	}
	batch := 1
	if s := os.Getenv("CAMVIZ_FORWARD_AB_BATCH"); s != "" {
		if batch, err = strconv.Atoi(s); err != nil || batch < 1 {
			b.Fatalf("$CAMVIZ_FORWARD_AB_BATCH=%q: want a positive batch size", s)
		}
	}
	savedChunk, savedSmall, savedEntries, savedWino := fastconv.ChunkPatchBytes, fastconv.SmallProducts, fastconv.SmallProductEntries, fastconv.Winograd
	savedConstFold, savedBNFold := fastconv.ConstFold, models.FoldBatchNorm
	defer func() {
		fastconv.ChunkPatchBytes, fastconv.SmallProducts, fastconv.SmallProductEntries = savedChunk, savedSmall, savedEntries
		fastconv.Winograd = savedWino
		fastconv.ConstFold, models.FoldBatchNorm = savedConstFold, savedBNFold
	}()
	for _, v := range variants {
		inner, err := gobackend.New(v.config)
		if err != nil {
			b.Fatalf("variant %s: %v", v.name, err)
		}
		backend := fastconv.Wrap(inner)
		m, err := models.New(models.ResNet18Spec(1000, 224))
		if err != nil {
			b.Fatal(err)
		}
		img := randomTensor(rand.New(rand.NewPCG(5, 6)), batch, 224, 224, 3)
		e, exec := constForwardExec(b, backend, m, img)
		b.Cleanup(e.Finalize)
		// Read while the graph is built, at its first call.
		fastconv.ChunkPatchBytes, fastconv.SmallProducts, fastconv.SmallProductEntries = v.chunkBytes, v.small, v.smallEntries
		fastconv.Winograd = v.winograd
		fastconv.ConstFold, models.FoldBatchNorm = v.constFold, v.bnFold
		if err := exec(e); err != nil {
			b.Fatal(err)
		}
		fastconv.ChunkPatchBytes, fastconv.SmallProducts, fastconv.SmallProductEntries = savedChunk, savedSmall, savedEntries
		fastconv.Winograd = savedWino
		fastconv.ConstFold, models.FoldBatchNorm = savedConstFold, savedBNFold
		v.run = func() error { return exec(e) }
	}
	fns := make([]func() error, len(variants))
	for i, v := range variants {
		fns[i] = v.run
	}
	b.ResetTimer()
	times, err := measureAll(0, b.N, fns...) // interleaved; each was run once above
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	for i, v := range variants {
		wall, cpu := float64(times[i].Wall)/1e6, float64(times[i].CPU)/1e6
		fmt.Printf("batch %d %-10s %-40q small mode %d, entries %d, Winograd mode %d, const fold %v, BN fold %v: wall %8.2f ms  CPU %8.2f ms  (%.2f cores busy)\n", batch, v.name, v.config,
			v.small, v.smallEntries, v.winograd, v.constFold, v.bnFold, wall, cpu, cpu/wall)
	}
}
