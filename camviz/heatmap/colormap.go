package heatmap

import (
	"fmt"
	"image"
	"image/color"
	"sort"
	"strings"
)

// Colormap maps a value in [0, 1] to a colour through a 256-entry table.
//
// The value is quantised as pytorch-grad-cam's show_cam_on_image does before
// cv2.applyColorMap: index = ⌊255·v⌋ (np.uint8(255*mask)), with v clamped to
// [0, 1] first, so index 255 is reached only at v = 1.
type Colormap struct {
	Name string
	lut  [256][3]uint8 // R, G, B
}

// The built-in colormaps. Their tables (colormap_tables.go) are the published
// 256-entry tables rounded to 8 bits (round-half-up of 255·value):
//
//   - Jet: OpenCV's COLORMAP_JET (cv2.applyColorMap on 0..255, OpenCV 4.6), the
//     default of pytorch-grad-cam's show_cam_on_image. Both start at (0,0,128)
//     and end at (128,0,0), but OpenCV's breakpoints differ from matplotlib's
//     "jet", by up to 34 levels per channel in between.
//   - Turbo: Google's Turbo (Mikhailov 2019), as shipped in matplotlib's _turbo_data.
//   - Viridis, Inferno: matplotlib's perceptually uniform maps (van der Walt and
//     Smith 2015), from matplotlib's _cm_listed.
//   - Gray: index i gives (i, i, i).
var (
	Jet     = &Colormap{Name: "jet", lut: jetTable}
	Turbo   = &Colormap{Name: "turbo", lut: turboTable}
	Viridis = &Colormap{Name: "viridis", lut: viridisTable}
	Inferno = &Colormap{Name: "inferno", lut: infernoTable}
	Gray    = &Colormap{Name: "gray", lut: grayTable()}
)

var colormaps = []*Colormap{Jet, Turbo, Viridis, Inferno, Gray}

func grayTable() (t [256][3]uint8) {
	for i := range t {
		t[i] = [3]uint8{uint8(i), uint8(i), uint8(i)}
	}
	return t
}

// ColormapNames returns the names of the built-in colormaps, sorted.
func ColormapNames() []string {
	names := make([]string, len(colormaps))
	for i, c := range colormaps {
		names[i] = c.Name
	}
	sort.Strings(names)
	return names
}

// ColormapByName returns the built-in colormap with the given name, ignoring
// case and surrounding spaces. The error lists the known names.
func ColormapByName(name string) (*Colormap, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	for _, c := range colormaps {
		if c.Name == n {
			return c, nil
		}
	}
	return nil, fmt.Errorf("heatmap: unknown colormap %q; known colormaps: %s", name, strings.Join(ColormapNames(), ", "))
}

// index quantises v to a table index: NaN → -1, else ⌊255·clamp(v, 0, 1)⌋.
func index(v float32) int {
	if v != v {
		return -1
	}
	if v <= 0 {
		return 0
	}
	if v >= 1 {
		return 255
	}
	return int(float32(255 * v))
}

// Color returns the opaque colour for v: v is clamped to [0, 1] and quantised
// to ⌊255·v⌋; NaN gives opaque black.
func (c *Colormap) Color(v float32) color.RGBA {
	i := index(v)
	if i < 0 {
		return color.RGBA{0, 0, 0, 255}
	}
	e := c.lut[i]
	return color.RGBA{e[0], e[1], e[2], 255}
}

// Colorize paints m with c into an opaque W×H image (bounds at the origin): pixel
// (x, y) is c.Color(m.At(y, x)). m is assumed to be in [0, 1] (values outside
// are clamped, NaN is black); normalise first with MinMax or PostProcess.
func Colorize(m *Map, c *Colormap) *image.RGBA {
	if m.H <= 0 || m.W <= 0 {
		return image.NewRGBA(image.Rectangle{})
	}
	img := image.NewRGBA(image.Rect(0, 0, m.W, m.H))
	pix := img.Pix
	for i, v := range m.Data[:min(len(m.Data), m.H*m.W)] {
		p := pix[4*i : 4*i+4 : 4*i+4]
		if k := index(v); k >= 0 {
			e := &c.lut[k]
			p[0], p[1], p[2] = e[0], e[1], e[2]
		}
		p[3] = 255
	}
	return img
}
