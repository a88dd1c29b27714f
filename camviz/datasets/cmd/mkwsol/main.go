// Command mkwsol writes a miniature weakly-supervised localization benchmark in
// wsolevaluation's published layout (metadata/<dataset>/{val,test}/…, images, and for
// OpenImages per-object masks with ignore regions), drawn from camviz's synthetic shapes
// (datasets.WriteMiniWSOL):
//
//	go run ./camviz/datasets/cmd/mkwsol -dataset OpenImages -test 300 -train-fullsup 60 -out /tmp/wsol
//	camviz evaluate -model gapcnn -wsol-metadata /tmp/wsol/metadata \
//	    -images /tmp/wsol/images/OpenImages -masks /tmp/wsol/masks/OpenImages -dataset OpenImages -out /tmp/eval
//
// The default synthetic set matches the shipped GAP-CNN (64×64, 6 classes) with seed 2,
// the held-out seed of the evaluate command.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/camviz/camviz/camviz/datasets"
)

func main() {
	dataset := flag.String("dataset", "OpenImages", "layout: CUB, ILSVRC or OpenImages")
	test := flag.Int("test", 300, "images in the test split")
	fullsup := flag.Int("train-fullsup", 60, "images in the train-fullsup split (metadata folder val)")
	size := flag.Int("size", 64, "image side in pixels")
	classes := flag.Int("classes", 6, "number of shape classes")
	seed := flag.Uint64("seed", 2, "synthetic seed")
	out := flag.String("out", "", "output folder (required)")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "mkwsol: -out is required and every option is a flag (mkwsol -help)")
		os.Exit(2)
	}
	syn := datasets.DefaultSyntheticConfig()
	syn.Size, syn.NumClasses, syn.Seed = *size, *classes, *seed
	cfg := datasets.MiniWSOLConfig{Dataset: *dataset, Synthetic: syn, TrainFullsup: *fullsup, Test: *test}
	if _, _, err := datasets.WriteMiniWSOL(*out, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "mkwsol:", err)
		os.Exit(1)
	}
	fmt.Printf("wrote a %s-layout benchmark (%d test, %d train-fullsup images) in %s\n", *dataset, *test, *fullsup, *out)
}
