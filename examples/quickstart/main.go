// Command quickstart is camviz's main job: it loads (or trains) a GAP-CNN on camviz's
// synthetic localization set, explains held-out images with CAM and Grad-CAM, writes
// overlays and an index.html report, and measures how often the CAM box finds the object
// (IoU ≥ 0.5 with the true box).
//
//	GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go run ./examples/quickstart
//
// Flags: -out DIR (default out/quickstart), -model DIR (default the shipped gapcnn, models.LoadShipped),
// -train (retrain instead of loading), -n N (held-out images measured), -tau T (box
// threshold on the normalised map, default 0.2 as in Zhou et al. 2016).
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	cfg := config{}
	flag.StringVar(&cfg.out, "out", "out/quickstart", "folder for the overlays and index.html")
	flag.StringVar(&cfg.modelDir, "model", "", "camviz model folder to load (default: the shipped gapcnn)")
	flag.BoolVar(&cfg.train, "train", false, "train the GAP-CNN from scratch instead of loading -model")
	flag.StringVar(&cfg.saveDir, "save", "", "with -train: save the trained model to this folder")
	flag.IntVar(&cfg.steps, "steps", 1500, "with -train: optimizer steps")
	flag.IntVar(&cfg.n, "n", 200, "held-out images measured for localization")
	flag.IntVar(&cfg.show, "show", 8, "held-out images shown in the report")
	flag.Float64Var(&cfg.tau, "tau", 0.2, "threshold on the normalised map for the CAM box")
	flag.Parse()
	start := time.Now()
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
	fmt.Printf("done in %.1fs\n", time.Since(start).Seconds())
}
