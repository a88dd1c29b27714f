// Package train is the "camviz train" command: it trains a zoo model on one of camviz's
// localization sets and saves it as a camviz model folder (model.json + checkpoint), the
// way the models shipped in camviz/models/shipped were made:
//
//	camviz train -arch gapcnn -data synthetic -steps 1500 -out camviz/models/shipped/gapcnn
//	camviz train -arch resnet -data fmnist-canvas -steps 1500 -out camviz/models/shipped/resnet-fmnist
//
// -data synthetic uses camviz's synthetic shapes (seed 1 for training); fmnist-canvas
// pastes Fashion-MNIST training items (Debian package dataset-fashion-mnist, or
// $CAMVIZ_FASHION_MNIST) on -size×-size cluttered canvases (default 64). Held-out accuracy is measured on
// -eval images of the other split (synthetic seed 2, or the Fashion-MNIST test set).
package train

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
)

// Main runs the command with args (without the program and command names), writing
// to stdout and stderr, and returns the exit status: 0, or 2 for any error (as before
// the command moved under camviz).
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	arch := fs.String("arch", "gapcnn", "architecture: "+fmt.Sprint(models.ArchNames()))
	data := fs.String("data", "synthetic", "training set: synthetic or fmnist-canvas")
	n := fs.Int("n", 4000, "training images")
	evalN := fs.Int("eval", 500, "held-out images for the accuracy")
	steps := fs.Int("steps", 1500, "optimizer steps")
	batch := fs.Int("batch", 32, "batch size")
	lr := fs.Float64("lr", 3e-3, "Adam learning rate")
	size := fs.Int("size", 64, "image (canvas) size in pixels")
	out := fs.String("out", "", "folder to save the model to (required)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "train: unexpected argument %q: every value goes with a flag (camviz train --help)\n", fs.Arg(0))
		return 2
	}
	if err := run(stdout, *arch, *data, *size, *n, *evalN, *steps, *batch, *lr, *out); err != nil {
		fmt.Fprintln(stderr, "train:", err)
		return 2
	}
	return 0
}

func run(stdout io.Writer, arch, data string, size, n, evalN, steps, batch int, lr float64, out string) error {
	if out == "" {
		return fmt.Errorf("-out is required")
	}
	train, test, classes, err := load(data, size, n, evalN)
	if err != nil {
		return err
	}
	var spec models.Spec
	switch arch {
	case "gapcnn":
		spec = models.GAPCNNSpec(size, size, 3, len(classes))
	case "resnet":
		spec = models.ResNetSpec(size, size, 3, len(classes), []int{16, 32, 64}, []int{1, 1, 1})
	case "vgg":
		spec = models.VGGSpec(size, size, 3, len(classes), []int{16, 32, 64}, []int{1, 1, 2}, true)
	default:
		return fmt.Errorf("unknown -arch %q: use gapcnn, resnet or vgg", arch)
	}
	spec.ClassNames = classes
	m, err := models.New(spec)
	if err != nil {
		return err
	}
	backend, err := backends.New()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "training %s on %d %s images (%d steps, batch %d)\n", arch, len(train), data, steps, batch)
	rep, err := m.Train(backend, train, models.TrainConfig{Steps: steps, BatchSize: batch, LearningRate: lr})
	if err != nil {
		return err
	}
	acc, err := m.Accuracy(backend, test)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trained in %.0fs, last loss %.3f, held-out accuracy %.1f%% on %d images\n",
		rep.Duration.Seconds(), rep.Loss, 100*acc, len(test))
	if err := m.Save(out); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "saved to", out)
	return nil
}

// load returns the training and held-out examples and the class names.
func load(data string, size, n, evalN int) (train, test []datasets.Example, classes []string, err error) {
	switch data {
	case "synthetic":
		cfg := datasets.DefaultSyntheticConfig()
		cfg.Size = size
		if train, err = datasets.Synthetic(cfg, n); err != nil {
			return
		}
		cfg.Seed = 2
		test, err = datasets.Synthetic(cfg, evalN)
		return train, test, datasets.SyntheticClassNames(cfg.NumClasses), err
	case "fmnist-canvas":
		imgs, labels, e := datasets.LoadFashionMNIST("", "train", n)
		if e != nil {
			return nil, nil, nil, e
		}
		cfg := datasets.DefaultCanvasConfig()
		cfg.Size = size
		if train, err = datasets.FashionMNISTCanvas(cfg, imgs, labels); err != nil {
			return
		}
		if imgs, labels, err = datasets.LoadFashionMNIST("", "t10k", evalN); err != nil {
			return
		}
		cfg.Seed = 2
		test, err = datasets.FashionMNISTCanvas(cfg, imgs, labels)
		return train, test, datasets.FashionMNISTClassNames, err
	}
	return nil, nil, nil, fmt.Errorf("unknown -data %q: use synthetic or fmnist-canvas", data)
}
