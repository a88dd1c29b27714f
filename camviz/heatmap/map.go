package heatmap

import "fmt"

// Map is a 2-D float32 array of H rows and W columns, row-major: the value at
// row y, column x is Data[y*W+x].
//
// The functions of this package that return no error expect a well-formed map,
// len(Data) == H*W, as NewMap and FromSlice make; Overlay checks it.
type Map struct {
	H, W int
	Data []float32
}

// NewMap returns an all-zero h×w map. Non-positive sizes give an empty map
// (H and W clamped to 0).
func NewMap(h, w int) *Map {
	if h <= 0 || w <= 0 {
		return &Map{}
	}
	return &Map{H: h, W: w, Data: make([]float32, h*w)}
}

// FromSlice wraps data (not copied) as an h×w map. It returns an error if h or w
// is not positive or if len(data) != h*w.
func FromSlice(h, w int, data []float32) (*Map, error) {
	if h <= 0 || w <= 0 {
		return nil, fmt.Errorf("heatmap.FromSlice: size %dx%d is not positive; pass the map's height and width (both >= 1)", h, w)
	}
	if len(data) != h*w {
		return nil, fmt.Errorf("heatmap.FromSlice: got %d values for a %dx%d map, want h*w = %d", len(data), h, w, h*w)
	}
	return &Map{H: h, W: w, Data: data}, nil
}

// At returns the value at row y, column x. It panics on out-of-range indices,
// like a slice access.
func (m *Map) At(y, x int) float32 { return m.Data[y*m.W+x] }

// Clone returns a deep copy of m.
func (m *Map) Clone() *Map {
	return &Map{H: m.H, W: m.W, Data: append([]float32(nil), m.Data...)}
}

// HasNaN reports whether any value of m is NaN.
func HasNaN(m *Map) bool {
	for _, v := range m.Data {
		if v != v {
			return true
		}
	}
	return false
}
