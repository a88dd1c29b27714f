package main

import (
	"fmt"
	"image"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/models"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/camviz/camviz/camviz/preprocess"
)

// input is a batch in the model's layout and, for the overlays, each image as a picture.
type input struct {
	data     []float32
	dims     []int
	pictures []image.Image
	// notes are said to the user before explaining (a converted .npy, …).
	notes []string
	// plan is the preprocessing applied to a picture (nil for a .npy array).
	plan *preprocess.Plan
}

// loadInput reads --input: a PNG/JPEG picture (resized and normalised) or a float32 .npy
// array already in the model's layout.
func loadInput(path string, m *models.Model, opt inputOptions) (*input, error) {
	if path == "" {
		return nil, usagef("--input is required: a PNG/JPEG image or a .npy array in the model's layout")
	}
	info, err := os.Stat(path)
	if err != nil {
		return nil, usagef("--input %s: no such file", path)
	}
	if info.IsDir() {
		return nil, usagef("--input %s is a folder: give a PNG/JPEG picture or a .npy array", path)
	}
	if strings.EqualFold(filepath.Ext(path), ".npy") {
		if given := opt.given(); len(given) > 0 {
			return nil, usagef("%s: a .npy input is fed to the model as it is; %s apply to PNG/JPEG pictures only",
				path, strings.Join(given, ", "))
		}
		return loadNpyInput(path, m)
	}
	return loadPicture(path, m, opt)
}

func loadNpyInput(path string, m *models.Model) (*input, error) {
	a, err := npy.ReadFile(path)
	if err != nil {
		return nil, usagef("--input %s: %v", path, err)
	}
	dims := a.Shape
	if len(dims) == 3 {
		dims = append([]int{1}, dims...)
	}
	if err := m.CheckInput(dims); err != nil {
		if len(a.Shape) == 3 {
			return nil, usagef("--input %s: the array has shape %v, read as one image %v: %v", path, a.Shape, dims, err)
		}
		return nil, usagef("--input %s: %v", path, err)
	}
	in := &input{data: a.Data, dims: dims}
	if a.Converted() {
		in.notes = append(in.notes, fmt.Sprintf("--input %s: %s values converted to float32", path, npyTypeName(a.DType)))
	}
	n, per := dims[0], len(a.Data)/dims[0]
	for i := range n {
		in.pictures = append(in.pictures, toPicture(a.Data[i*per:(i+1)*per], dims[1:], m.ChannelsFirst))
	}
	return in, nil
}

// npyTypeName names a .npy dtype for the user.
func npyTypeName(descr string) string {
	switch descr {
	case "<f8":
		return "float64"
	case "<i8":
		return "int64"
	case "<i4":
		return "int32"
	}
	return descr
}

// loadPicture reads a PNG/JPEG picture and preprocesses it as opt.plan decides (the
// flags, the preset, what the model states, the defaults).
func loadPicture(path string, m *models.Model, opt inputOptions) (*input, error) {
	if c := m.Spec.InputSize[2]; c != 1 && c != 3 {
		return nil, usagef("--input %s: the model takes %d-channel images; give a .npy array in its layout", path, c)
	}
	p, err := opt.plan(m)
	if err != nil {
		return nil, err
	}
	h, w, c := p.Height, p.Width, p.Channels
	// The size is checked against the model, and against the pixel limit, before
	// the picture is decoded and resized.
	dims := m.InputDims(1)
	dims[1], dims[2] = h, w
	if m.ChannelsFirst {
		dims[1], dims[2], dims[3] = c, h, w
	}
	if err := m.CheckInput(dims); err != nil {
		return nil, usagef("--size: picture size %d×%d (%s): %v", h, w, p.Why.Size, err)
	}
	if h > datasets.MaxPixels/w {
		return nil, usagef("--size %d,%d is %d pixels, over the limit of %d (64 Mpx)", h, w, int64(h)*int64(w), datasets.MaxPixels)
	}
	rgb, err := datasets.LoadImage(path, h, w)
	if err != nil {
		return nil, usagef("--input %s: %v", path, err)
	}
	data, err := p.Apply(rgb, m.ChannelsFirst)
	if err != nil {
		return nil, err
	}
	pic := image.NewRGBA(image.Rect(0, 0, w, h))
	for px := range h * w {
		pic.Set(px%w, px/w, color.RGBA{to8(rgb[3*px]), to8(rgb[3*px+1]), to8(rgb[3*px+2]), 255})
	}
	return &input{data: data, dims: dims, pictures: []image.Image{pic}, plan: &p}, nil
}

// toPicture turns one image of an array (dims [C, H, W] or [H, W, C]) into a picture:
// values min-max scaled over the whole image to [0, 255]; one channel is grey, and
// more than three keep the first three.
func toPicture(x []float32, dims []int, channelsFirst bool) image.Image {
	c, h, w := dims[2], dims[0], dims[1]
	at := func(y, xx, k int) float32 { return x[(y*w+xx)*c+k] }
	if channelsFirst {
		c, h, w = dims[0], dims[1], dims[2]
		at = func(y, xx, k int) float32 { return x[k*h*w+y*w+xx] }
	}
	lo, hi := x[0], x[0]
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	scale := float32(0)
	if hi > lo {
		scale = 1 / (hi - lo)
	}
	pic := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for xx := range w {
			var rgb [3]uint8
			for k := range 3 {
				rgb[k] = to8((at(y, xx, min(k, c-1)) - lo) * scale)
			}
			pic.Set(xx, y, color.RGBA{rgb[0], rgb[1], rgb[2], 255})
		}
	}
	return pic
}

// to8 maps [0, 1] to an 8-bit level, rounding and clamping.
func to8(v float32) uint8 {
	return uint8(min(max(v*255+0.5, 0), 255))
}
