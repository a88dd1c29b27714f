// Package nb shows camviz's pictures inline in GoNB notebooks: images, heatmaps
// painted with a colormap, heatmaps blended over images, labelled grids, raw
// HTML, overlays and whole results captioned with class names (ShowClassOverlay,
// ShowResult; see classcaption.go), and the interactive Explorer (one self-contained HTML output with an
// image selector, a layer slider and method/class buttons, switched by
// client-side JavaScript with no kernel round-trip; see explorer.go).
//
// It talks to the GoNB kernel through github.com/janpfeifer/gonb/gonbui, which
// sends each output as a gob-encoded protocol.DisplayData (MIME type → content:
// "image/png" → PNG bytes, "text/html" → string) over the named pipe given by
// the GONB_PIPE environment variable that GoNB sets for every cell it runs.
//
// Each function waits until the kernel has acknowledged the output (gonbui.Sync),
// because GoNB stops reading the pipe as soon as the cell's program exits: without
// the wait, a picture shown by the last statement of a cell can be lost.
//
// Every function is a no-op outside a notebook (IsNotebook false): it returns
// nil without looking at its arguments, so scripts and tests can keep the calls
// at no cost. Inside a notebook it returns an error for bad arguments, and for a
// broken connection to the kernel (gonbui keeps the first I/O error, so after
// one every later call fails too).
//
// A typical cell (GoNB runs the lines after %% as the body of main):
//
//	%%
//	m := heatmap.NewMap(16, 256) // a 0→1 ramp, left to right
//	for i := range m.Data {
//		m.Data[i] = float32(i%256) / 255
//	}
//	if err := nb.ShowMap(m, heatmap.Turbo); err != nil {
//		panic(err)
//	}
package nb

import (
	"fmt"
	"image"
	"time"

	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/janpfeifer/gonb/gonbui"
)

// IsNotebook reports whether this program was started by a GoNB kernel
// (gonbui.IsNotebook: GONB_PIPE was set when the program started).
func IsNotebook() bool { return gonbui.IsNotebook }

// ShowImage displays img as a PNG (encoded with heatmap.EncodePNG) in the cell's
// output. A nil or empty image is an error.
func ShowImage(img image.Image) error {
	if !IsNotebook() {
		return nil
	}
	return showImage("nb.ShowImage", img)
}

// ShowMap displays m painted with cm (heatmap.Colorize: pixel (x, y) is
// cm.Color(m.At(y, x)), values clamped to [0, 1], NaN black), one pixel per map
// value. Normalise raw maps first (heatmap.MinMax or heatmap.PostProcess).
// A nil map or colormap, or a map without H*W values, is an error.
func ShowMap(m *heatmap.Map, cm *heatmap.Colormap) error {
	if !IsNotebook() {
		return nil
	}
	if m == nil || cm == nil {
		return fmt.Errorf("nb.ShowMap: map and colormap must be non-nil (e.g. heatmap.Jet)")
	}
	if m.H <= 0 || m.W <= 0 || len(m.Data) != m.H*m.W {
		return fmt.Errorf("nb.ShowMap: map is %dx%d with %d values; it needs H, W >= 1 and H*W values (make it with heatmap.NewMap or heatmap.FromSlice)", m.H, m.W, len(m.Data))
	}
	return showImage("nb.ShowMap", heatmap.Colorize(m, cm))
}

// ShowOverlay displays heatmap.Overlay(img, m, cm, alpha): the colorized map,
// resized to img with bilinear interpolation, blended over img as
// out = (1 − alpha)·img + alpha·cm(m). Errors are Overlay's (alpha outside
// [0, 1], nil or empty arguments).
func ShowOverlay(img image.Image, m *heatmap.Map, cm *heatmap.Colormap, alpha float64) error {
	if !IsNotebook() {
		return nil
	}
	out, err := heatmap.Overlay(img, m, cm, alpha)
	if err != nil {
		return fmt.Errorf("nb.ShowOverlay: %w", err)
	}
	return showImage("nb.ShowOverlay", out)
}

// ShowFactorization displays Deep Feature Factorization's concept maps over img in
// distinct colours (heatmap.FactorizationImage: each pixel in its strongest concept's
// gist_rainbow colour, brightness its value, blended as imageWeight·img + (1 −
// imageWeight)·colour; pytorch-grad-cam's show_factorization_on_image uses 0.3 in
// run_dff_on_image). The maps are resized to img.
func ShowFactorization(img image.Image, maps []*heatmap.Map, imageWeight float64) error {
	if !IsNotebook() {
		return nil
	}
	out, err := heatmap.FactorizationImage(img, maps, imageWeight)
	if err != nil {
		return fmt.Errorf("nb.ShowFactorization: %w", err)
	}
	return showImage("nb.ShowFactorization", out)
}

// ShowGrid displays g.Render(): the labelled table of images. A nil grid and
// Render's errors (no cells, label counts that do not match) are errors.
func ShowGrid(g *heatmap.Grid) error {
	if !IsNotebook() {
		return nil
	}
	if g == nil {
		return fmt.Errorf("nb.ShowGrid: grid is nil; pass a *heatmap.Grid with Cells")
	}
	img, err := g.Render()
	if err != nil {
		return fmt.Errorf("nb.ShowGrid: %w", err)
	}
	return showImage("nb.ShowGrid", img)
}

// ShowHTML displays html, as is, in the cell's output (MIME type text/html).
// Keep it self-contained (inline styles, data: URLs) so notebooks read offline.
func ShowHTML(html string) error {
	if !IsNotebook() {
		return nil
	}
	gonbui.DisplayHTML(html)
	return flush("nb.ShowHTML")
}

// showImage encodes img as PNG and sends it to the kernel.
func showImage(fn string, img image.Image) error {
	if img == nil || img.Bounds().Empty() {
		return fmt.Errorf("%s: the image is nil or empty; nothing to show", fn)
	}
	png, err := heatmap.PNGBytes(img)
	if err != nil {
		return fmt.Errorf("%s: encoding the %dx%d image as PNG: %w", fn, img.Bounds().Dx(), img.Bounds().Dy(), err)
	}
	gonbui.DisplayPng(png)
	return flush(fn)
}

// syncTimeout bounds the wait for the kernel's acknowledgement in flush.
const syncTimeout = 30 * time.Second

// flush waits until the kernel has received everything sent so far
// (gonbui.Sync), or the connection failed, or syncTimeout passed. gonbui.Sync
// itself would wait forever if its request could not be sent, so it runs in a
// goroutine while flush watches gonbui's error state.
func flush(fn string) error {
	if err := pipeError(fn); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		gonbui.Sync()
		close(done)
	}()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(syncTimeout)
	for {
		select {
		case <-done:
			return pipeError(fn)
		case <-tick.C:
			if err := pipeError(fn); err != nil {
				return err
			}
		case <-deadline:
			return fmt.Errorf("%s: the GoNB kernel did not acknowledge the output within %v; the output may be lost (is the kernel still running?)", fn, syncTimeout)
		}
	}
}

// pipeError returns gonbui's connection error, if any, as an error of fn.
func pipeError(fn string) error {
	if err := gonbui.Error(); err != nil {
		return fmt.Errorf("%s: cannot send the output to the GoNB kernel: %v; run the cell from a GoNB notebook (the kernel sets GONB_PIPE and GONB_PIPE_BACK)", fn, err)
	}
	return nil
}
