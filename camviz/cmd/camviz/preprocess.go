package main

import (
	"flag"
	"strings"

	"github.com/camviz/camviz/camviz/models"
	"github.com/camviz/camviz/camviz/preprocess"
)

// inputOptions say how a picture becomes the model's input (camviz/preprocess): each
// setting given here overrides the preset, which overrides what the model states.
type inputOptions struct {
	size      string // "H,W", "" for the model's input size
	mean, std string // per-channel normalisation, "" for the preset's, the model's or 0 and 1
	rng       string // "0-1", "0-255" or ""
	preset    string // "imagenet", "caffe", "none" or ""
	bgr       bool
	bgrSet    bool // --bgr was given (true or false)
}

// addPictureFlags defines the picture flags on fs.
func addPictureFlags(fs *flagSet, o *inputOptions) {
	fs.StringVar(&o.size, "size", "", "H,W to resize a picture to (default: the model's input size, or the preset's)")
	fs.StringVar(&o.mean, "mean", "", "per-channel mean subtracted from a picture, in the model's channel order and in units of --range\n"+
		"(one value or one per channel)")
	fs.StringVar(&o.std, "std", "", "per-channel standard deviation dividing a picture")
	fs.StringVar(&o.rng, "range", "", "pixel range fed to the model before --mean/--std: 0-1 or 0-255")
	fs.BoolVar(&o.bgr, "bgr", false, "feed a picture's channels as blue, green, red (--bgr=false forces RGB)")
	fs.StringVar(&o.preset, "preset", "", "preprocessing preset: imagenet (RGB, 0-1, torchvision's mean/std, 224x224), caffe\n"+
		"(BGR, 0-255, mean 104,117,123 (B,G,R), std 1, 224x224: Caffe/Caffe2 ImageNet models) or none\n"+
		"(RGB, 0-1, no normalisation); flags override it, it overrides what the model states")
}

// noteSet records which picture flags were given (after fs.Parse).
func (o *inputOptions) noteSet(fs *flag.FlagSet) {
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "bgr" {
			o.bgrSet = true
		}
	})
}

// given lists the picture flags that were given, for the error on a .npy input.
func (o *inputOptions) given() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{{"--size", o.size != ""}, {"--mean", o.mean != ""}, {"--std", o.std != ""}, {"--range", o.rng != ""},
		{"--bgr", o.bgrSet}, {"--preset", o.preset != ""}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// plan decides the preprocessing of a picture for model m: the flags, the preset, what
// the model states (Model.PictureInput) and the defaults (Model.Preprocessing).
func (o *inputOptions) plan(m *models.Model) (preprocess.Plan, error) {
	c := m.Spec.InputSize[2]
	req := preprocess.Request{Preset: strings.ToLower(o.preset), Range: o.rng}
	if o.bgrSet {
		req.BGR = &o.bgr
	}
	if o.size != "" {
		hw, err := parseInts("size", o.size, 2)
		if err != nil {
			return preprocess.Plan{}, err
		}
		req.Height, req.Width = hw[0], hw[1]
	}
	var err error
	if o.mean != "" {
		if req.Mean, err = parseFloats("mean", o.mean, c); err != nil {
			return preprocess.Plan{}, err
		}
	}
	if o.std != "" {
		if req.Std, err = parseFloats("std", o.std, c); err != nil {
			return preprocess.Plan{}, err
		}
	}
	p, err := m.Preprocessing(req)
	if err != nil {
		return preprocess.Plan{}, usagef("%s", strings.TrimPrefix(err.Error(), "preprocess: "))
	}
	return p, nil
}
