// Package evaluate is the "camviz evaluate" command: it scores CAM methods on a
// localization set: it explains n held-out
// images with a model, computes the methods × metrics table of camviz/evaluate (box
// accuracies MaxBoxAcc, MaxBoxAccV2 and Top-1 Loc, PxAP, the pointing game, Average Drop
// and Increase in Confidence, deletion and insertion AUC, optionally ROAD), prints it,
// and writes it as CSV, Markdown and an HTML page with the curves as PNG charts:
//
//	camviz evaluate -model gapcnn-fmnist -data fmnist-canvas -n 200 -out /tmp/eval
//	camviz evaluate -model gapcnn -data synthetic -methods CAM,GradCAM,ScoreCAM \
//	    -metrics MaxBoxAccV2,PxAP,deletion -tau-step 0.001 -sanity -out /tmp/eval
//
// A WSOL benchmark in wsolevaluation's published layout (Choe et al. 2020: CUB,
// ILSVRC, OpenImages; splits test and train-fullsup) is read with
//
//	camviz evaluate -model gapcnn -wsol-metadata DIR/metadata -images DIR/images/OpenImages \
//	    -masks DIR/masks/OpenImages -dataset OpenImages -split test -out /tmp/eval
//
// (go run ./camviz/datasets/cmd/mkwsol writes a miniature one, datasets.WriteMiniWSOL).
// Boxes are rescaled to the model's input size as wsolevaluation does; the box datasets
// leave PxAP out of the default columns.
//
// -model is a camviz model folder, an .onnx file, or the name of one shipped with camviz. -data
// synthetic draws camviz's synthetic shapes with seed 2 (the training command uses seed
// 1); fmnist-canvas pastes Fashion-MNIST test items (t10k) on cluttered canvases with
// seed 2, reading the Debian package dataset-fashion-mnist or $CAMVIZ_FASHION_MNIST,
// and else the 200 test images in testdata/fashion-mnist. -sanity adds the cascading
// model-parameter randomization check (Adebayo et al. 2018). Exit status 2 for usage
// errors, 1 for failures.
package evaluate

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Main runs the command with args (without the program and command names), writing
// to stdout and stderr, and returns the exit status: 0, 1 for failures, 2 for usage errors.
func Main(args []string, stdout, stderr io.Writer) int {
	err := run(args, stdout, stderr)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		fmt.Fprintln(stderr, "evaluate:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "evaluate:", err)
		return 1
	}
	return 0
}
