package main

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/labels"
	"github.com/camviz/camviz/camviz/models"
	"github.com/camviz/camviz/camviz/npy"
)

// multiLayerDir is the folder of the multi-layer aggregates.
const multiLayerDir = "multilayer"

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]`)

// safeName is a layer name as a folder name: every character outside [A-Za-z0-9._-]
// becomes "_".
func safeName(layer string) string { return unsafeChars.ReplaceAllString(layer, "_") }

func joinPath(elem ...string) string { return filepath.Join(elem...) }

// writer writes the maps of one Explain call.
type writer struct {
	dir   string
	model string // --model, for the page
	m     *models.Model
	res   *camviz.Result
	in    *input
	cmap  *heatmap.Colormap
	alpha float64
	raw   bool
	// format is --format: "png" writes only the overlays, "npy" only the maps, "both" both.
	format string
	// extra holds the maps of methods that apply to some layers only (CAM with
	// --method all), and skip[layer][method] marks the pairs left out.
	extra *camviz.Result
	skip  map[string]map[camviz.Method]bool
	// folders maps each layer to its folder inside dir (layerFolders).
	folders map[string]string
	// classes names the classes in the captions and the page.
	classes labels.Choice
	// cells[row][method] are the PNGs of the page (nil: left out); rows are the layers
	// (+ multilayer).
	rows  []string
	cells [][][]byte
}

// result returns the Result that holds layer × method.
func (w *writer) result(layer string, meth camviz.Method) *camviz.Result {
	if w.extra != nil {
		if _, err := w.extra.Raw(w.m.LayerName(layer), meth); err == nil {
			return w.extra
		}
	}
	return w.res
}

func (w *writer) writeAll(layers []string, methods []camviz.Method) error {
	if w.folders == nil {
		w.folders, _ = layerFolders(layers)
	}
	for _, l := range layers {
		dir := filepath.Join(w.dir, w.folders[l])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		var row [][]byte
		for _, meth := range methods {
			if w.skip[l][meth] {
				row = append(row, nil)
				continue
			}
			res := w.result(l, meth)
			final, err := res.Final(w.m.LayerName(l), meth)
			if err != nil {
				return err
			}
			if w.raw {
				raw, err := res.Raw(w.m.LayerName(l), meth)
				if err != nil {
					return err
				}
				if err := writeMaps(filepath.Join(dir, string(meth)+"_raw.npy"), raw); err != nil {
					return err
				}
			}
			pngBytes, err := w.writeMapsAndOverlay(dir, string(meth), string(meth)+" at "+l, final, 0)
			if err != nil {
				return err
			}
			row = append(row, pngBytes)
		}
		w.rows, w.cells = append(w.rows, l), append(w.cells, row)
	}
	if len(layers) > 1 {
		dir := filepath.Join(w.dir, multiLayerDir)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		names := make([]string, len(layers))
		for i, l := range layers {
			names[i] = w.m.LayerName(l)
		}
		var row [][]byte
		for _, meth := range methods {
			if w.skippedAnywhere(meth) {
				row = append(row, nil)
				continue
			}
			agg, err := w.res.FinalMultiLayer(names, meth)
			if err != nil {
				return err
			}
			pngBytes, err := w.writeMapsAndOverlay(dir, string(meth), string(meth)+" at "+strings.Join(layers, " + "), agg, 0)
			if err != nil {
				return err
			}
			row = append(row, pngBytes)
		}
		w.rows, w.cells = append(w.rows, "multi-layer: "+strings.Join(layers, " + ")), append(w.cells, row)
	}
	return w.writeIndex(methods)
}

// minCaptionCell is the smallest cell of the captioned overlay PNGs, in pixels, so that a
// caption of about 20 characters fits under a small input (smaller inputs are scaled up,
// nearest neighbour).
const minCaptionCell = 160

// writeMapsAndOverlay writes name.npy and name.png in dir and returns the PNG: the
// overlays side by side under title, each captioned with the class it explains (maps[i]
// is example first+i of the result).
func (w *writer) writeMapsAndOverlay(dir, name, title string, maps []*heatmap.Map, first int) ([]byte, error) {
	if w.format != "png" {
		if err := writeMaps(filepath.Join(dir, name+".npy"), maps); err != nil {
			return nil, err
		}
	}
	var overlays []image.Image
	var captions []string
	size := minCaptionCell
	for i, mp := range maps {
		o, err := heatmap.Overlay(w.in.pictures[i], mp, w.cmap, w.alpha)
		if err != nil {
			return nil, err
		}
		overlays = append(overlays, o)
		caption := classLabel(w.classes, w.res.Classes[first+i])
		if len(maps) > 1 {
			caption = fmt.Sprintf("%d: %s", i, caption)
		}
		captions = append(captions, caption)
		size = max(size, o.Bounds().Dx(), o.Bounds().Dy())
	}
	grid := &heatmap.Grid{Title: title, ColLabels: captions, Cells: [][]image.Image{overlays}, CellSize: size}
	img, err := grid.Render()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	if w.format != "npy" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf.Bytes(), 0o644); err != nil {
			return nil, err
		}
	}
	return buf.Bytes(), nil
}

// writeMaps writes maps of equal size as one [N, h, w] float32 array.
func writeMaps(path string, maps []*heatmap.Map) error {
	h, w := maps[0].H, maps[0].W
	data := make([]float32, 0, len(maps)*h*w)
	for _, m := range maps {
		data = append(data, m.Data...)
	}
	return npy.WriteFile(path, []int{len(maps), h, w}, data)
}

// sideBySide puts images of equal height in one row.
func sideBySide(imgs []image.Image) image.Image {
	if len(imgs) == 1 {
		return imgs[0]
	}
	width, height := 0, 0
	for _, im := range imgs {
		width += im.Bounds().Dx()
		height = max(height, im.Bounds().Dy())
	}
	out := image.NewRGBA(image.Rect(0, 0, width, height))
	x := 0
	for _, im := range imgs {
		b := im.Bounds()
		draw.Draw(out, image.Rect(x, 0, x+b.Dx(), b.Dy()), im, b.Min, draw.Src)
		x += b.Dx()
	}
	return out
}

// writeIndex writes index.html: the input and a layers × methods table of overlays, with
// every picture inline (data URIs), so the page stands alone.
func (w *writer) writeIndex(methods []camviz.Method) error {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>camviz: %s</title>\n", html.EscapeString(w.m.Spec.Arch))
	b.WriteString("<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}" +
		"td,th{border:1px solid #ccc;padding:4px;text-align:center;vertical-align:middle}" +
		"img{image-rendering:pixelated;min-width:160px}</style></head><body>\n")
	fmt.Fprintf(&b, "<h1>camviz explain</h1>\n<p>Model: %s (%s, %s), input %v.</p>\n<ul>\n",
		html.EscapeString(w.model), html.EscapeString(w.m.Spec.Arch), layoutName(w.m), w.res.InputDims)
	for i, logits := range w.res.Logits {
		pred := models.Argmax(logits)
		fmt.Fprintf(&b, "<li>image %d: predicted %s, score %.6g; explained %s; top-%d softmax: %s</li>\n", i,
			html.EscapeString(classLabel(w.classes, pred)), logits[pred], html.EscapeString(classLabel(w.classes, w.res.Classes[i])),
			topK, html.EscapeString(formatTop(w.classes, labels.TopK(w.classes, logits, topK))))
	}
	b.WriteString("</ul>\n")
	var buf bytes.Buffer
	if err := png.Encode(&buf, sideBySide(w.in.pictures)); err != nil {
		return err
	}
	fmt.Fprintf(&b, "<p>Input:<br>%s</p>\n<table>\n<tr><th>layer</th>", imgTag(buf.Bytes(), "input"))
	for _, m := range methods {
		fmt.Fprintf(&b, "<th>%s</th>", html.EscapeString(string(m)))
	}
	b.WriteString("</tr>\n")
	for r, row := range w.cells {
		fmt.Fprintf(&b, "<tr><th>%s</th>", html.EscapeString(w.rows[r]))
		for c, cell := range row {
			if cell == nil {
				b.WriteString("<td>does not apply</td>")
				continue
			}
			fmt.Fprintf(&b, "<td>%s</td>", imgTag(cell, w.rows[r]+" "+string(methods[c])))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n<p>Maps: minmax(resize(minmax(relu(raw)))) as pytorch-grad-cam; the .npy files hold the values.</p>\n</body></html>\n")
	// Written last, whole, under a temporary name and renamed: a run that fails
	// leaves no index.html that claims success.
	return writeFileAtomic(filepath.Join(w.dir, "index.html"), []byte(b.String()))
}

// skippedAnywhere reports whether meth was left out at some layer.
func (w *writer) skippedAnywhere(meth camviz.Method) bool {
	for _, s := range w.skip {
		if s[meth] {
			return true
		}
	}
	return false
}

func imgTag(pngBytes []byte, alt string) string {
	return fmt.Sprintf(`<img alt="%s" src="data:image/png;base64,%s">`, html.EscapeString(alt),
		base64.StdEncoding.EncodeToString(pngBytes))
}
