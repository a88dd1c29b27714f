package nb

import (
	"fmt"
	"image"

	"github.com/camviz/camviz/camviz/heatmap"
)

// DefaultExplorerSize is the width, in CSS pixels, at which an Explorer shows its pictures
// when Explorer.Size is 0.
const DefaultExplorerSize = 256

// DefaultExplorerAlpha is the heatmaps' initial opacity over the input when
// Explorer.Alpha is 0.
const DefaultExplorerAlpha = 0.5

// DefaultExplorerMaxBytes bounds the PNG bytes an Explorer embeds when Explorer.MaxBytes is
// 0: 16 MiB, already a heavy notebook output.
const DefaultExplorerMaxBytes = 16 << 20

// View names one picture of an Explorer by its four axes. The explorer shows one view at
// a time: the example (image) and the class are chosen with buttons, the layer with a
// slider (in the order layers were first added, e.g. coarse to fine or graph order) and
// the method with buttons. An axis whose every view has the same value (for example ""
// for Class when only one target was explained) gets no control.
type View struct {
	Example, Layer, Method, Class string
}

// Explorer is an interactive output cell that switches between precomputed pictures, e.g.
// CAM heatmaps for every example × layer × method × class, entirely in the browser: the
// pictures are embedded as PNG data: URLs and a few lines of inline JavaScript swap the
// shown one when a control moves. Nothing goes back to the kernel and nothing is loaded
// from the network, so the cell works live, in the saved notebook and in exported HTML.
// Where scripts do not run (an untrusted notebook, GitHub's viewer) the first view is
// shown, without controls that work.
//
// Heatmaps (AddMap) are stored colorized, alone, and the browser blends them over the
// example's input picture (SetInput) with CSS opacity α, which is heatmap.Overlay's
// out = (1 − α)·image + α·colormap(map) done at display time: a smooth colorized map
// compresses several times better than the textured overlay, and an opacity slider
// (initially Alpha) lets the reader fade between image and map. Add takes any picture,
// shown as it is.
//
// Build it with NewExplorer, fill it with AddMap or Add, SetInput and Caption, or with
// AddResult from a camviz.Result, then display it with ShowExplorer or embed HTML()
// anywhere.
type Explorer struct {
	// Title is shown above the controls (plain text).
	Title string
	// Size is the displayed width, in CSS pixels, of the shown picture and of the input
	// beside it; 0 means DefaultExplorerSize. Pictures are scaled by the browser, so
	// maps can be stored at the input's size and stay small.
	Size int
	// Smooth scales the pictures with the browser's smooth filter; by default they are
	// scaled nearest-neighbour (CSS image-rendering: pixelated), so that a small image's
	// pixels stay visible as squares and the map lies exactly on the input's pixels.
	Smooth bool
	// Alpha is the heatmaps' initial opacity over the input, in (0, 1]; 0 means
	// DefaultExplorerAlpha. The reader changes it with the opacity slider.
	Alpha float64
	// MaxBytes bounds the PNG bytes embedded (each distinct picture once); HTML returns an
	// error beyond it. 0 means DefaultExplorerMaxBytes.
	MaxBytes int

	axes     [numAxes]axis
	cells    map[View]cell   // view → its picture
	captions map[View]string // view → caption
	inputs   map[string]int  // example → index in pics
	pics     [][]byte        // distinct PNGs, in order of first use
	picIndex map[string]int  // PNG bytes → index in pics
}

// cell is one view's picture: an index in pics, and whether it is a heatmap to blend
// over the input.
type cell struct {
	pic     int
	overlay bool
}

// The axes, in the order of the cell index and of the controls.
const (
	axisExample = iota
	axisLayer
	axisMethod
	axisClass
	numAxes
)

var axisNames = [numAxes]string{"image", "layer", "method", "class"}

// axis is the values of one axis in order of first use.
type axis struct {
	values []string
	index  map[string]int
}

func (a *axis) add(v string) {
	if a.index == nil {
		a.index = map[string]int{}
	}
	if _, ok := a.index[v]; !ok {
		a.index[v] = len(a.values)
		a.values = append(a.values, v)
	}
}

func (v View) values() [numAxes]string {
	return [numAxes]string{v.Example, v.Layer, v.Method, v.Class}
}

// NewExplorer returns an empty Explorer with the given title.
func NewExplorer(title string) *Explorer {
	return &Explorer{Title: title}
}

// Add sets the picture of one view, shown as it is (replacing an earlier picture of the
// same view). The image is encoded as PNG now (heatmap.EncodePNG); identical pictures are
// embedded once. Axis values appear in the controls in the order they are first added
// (see SetOrder). A nil or empty image is an error.
func (e *Explorer) Add(v View, img image.Image) error {
	png, err := encodeExplorerPicture("Add", img)
	if err != nil {
		return err
	}
	e.set(v, png, false)
	return nil
}

// AddMap sets the picture of one view to the heatmap m painted with cm
// (heatmap.Colorize: one pixel per map value, values clamped to [0, 1]), which the
// browser blends over the example's input picture (SetInput) with the opacity slider's
// α; without an input it is shown alone. Normalise m first (camviz's Result.Final, or
// heatmap.PostProcess); give it the input's size for an exact overlay (a smaller map is
// stretched over the input by the browser). Nil arguments or an empty map are errors.
func (e *Explorer) AddMap(v View, m *heatmap.Map, cm *heatmap.Colormap) error {
	if m == nil || cm == nil {
		return fmt.Errorf("nb.Explorer.AddMap: map and colormap must be non-nil (e.g. heatmap.Jet)")
	}
	if m.H <= 0 || m.W <= 0 || len(m.Data) != m.H*m.W {
		return fmt.Errorf("nb.Explorer.AddMap: map is %dx%d with %d values; it needs H, W >= 1 and H*W values", m.H, m.W, len(m.Data))
	}
	png, err := encodeExplorerPicture("AddMap", heatmap.Colorize(m, cm))
	if err != nil {
		return err
	}
	e.set(v, png, true)
	return nil
}

func (e *Explorer) set(v View, png []byte, overlay bool) {
	e.init()
	for i, val := range v.values() {
		e.axes[i].add(val)
	}
	e.cells[v] = cell{e.picture(png), overlay}
}

// SetInput sets the input picture of an example, shown beside the maps and as the
// thumbnail of the example's button. A nil or empty image is an error.
func (e *Explorer) SetInput(example string, img image.Image) error {
	png, err := encodeExplorerPicture("SetInput", img)
	if err != nil {
		return err
	}
	e.init()
	e.axes[axisExample].add(example)
	e.inputs[example] = e.picture(png)
	return nil
}

// Caption sets the text shown under the picture of a view (plain text, e.g. the class
// and its score). The view must have been added first.
func (e *Explorer) Caption(v View, text string) error {
	if _, ok := e.cells[v]; !ok {
		return fmt.Errorf("nb.Explorer.Caption: no picture was added for view %+v; call Add first", v)
	}
	e.captions[v] = text
	return nil
}

// SetOrder fixes the order of an axis's values in the controls ("image", "layer",
// "method" or "class"): the given values come first, in this order, before any added
// later; values already added keep their place after them. Call it before Add to, say,
// list layers coarse to fine whatever order the maps arrive in. An unknown axis or a
// repeated value is an error.
func (e *Explorer) SetOrder(axisName string, values ...string) error {
	a := -1
	for i, n := range axisNames {
		if n == axisName {
			a = i
		}
	}
	if a < 0 {
		return fmt.Errorf("nb.Explorer.SetOrder: unknown axis %q; the axes are %v", axisName, axisNames)
	}
	seen := map[string]bool{}
	for _, v := range values {
		if seen[v] {
			return fmt.Errorf("nb.Explorer.SetOrder: %s %q is listed twice", axisName, v)
		}
		seen[v] = true
	}
	old := e.axes[a].values
	e.axes[a] = axis{}
	for _, v := range append(append([]string(nil), values...), old...) {
		e.axes[a].add(v)
	}
	return nil
}

// Len returns the number of views added.
func (e *Explorer) Len() int { return len(e.cells) }

// Values returns the values of one axis ("image", "layer", "method" or "class") in
// control order, or nil for an unknown axis name.
func (e *Explorer) Values(axisName string) []string {
	for i, n := range axisNames {
		if n == axisName {
			return append([]string(nil), e.axes[i].values...)
		}
	}
	return nil
}

func (e *Explorer) init() {
	if e.cells == nil {
		e.cells, e.captions, e.inputs, e.picIndex = map[View]cell{}, map[View]string{}, map[string]int{}, map[string]int{}
	}
}

// picture returns the index of png in e.pics, adding it if it is new.
func (e *Explorer) picture(png []byte) int {
	if i, ok := e.picIndex[string(png)]; ok {
		return i
	}
	e.picIndex[string(png)] = len(e.pics)
	e.pics = append(e.pics, png)
	return len(e.pics) - 1
}

func encodeExplorerPicture(fn string, img image.Image) ([]byte, error) {
	if img == nil || img.Bounds().Empty() {
		return nil, fmt.Errorf("nb.Explorer.%s: the image is nil or empty; nothing to show", fn)
	}
	png, err := heatmap.PNGBytes(img)
	if err != nil {
		return nil, fmt.Errorf("nb.Explorer.%s: encoding the %dx%d image as PNG: %w", fn, img.Bounds().Dx(), img.Bounds().Dy(), err)
	}
	return png, nil
}
