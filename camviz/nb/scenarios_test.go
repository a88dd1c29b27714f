package nb

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/camviz/camviz/camviz/heatmap"
)

// scenarios run in the child process (see capture_test.go); each returns one
// line per call it made: "nil" or "error: <message>".
var scenarios = map[string]func() []string{
	"is-notebook": func() []string { return []string{fmt.Sprint(IsNotebook())} },
	"image":       func() []string { return results(ShowImage(testImage())) },
	"map": func() []string {
		return results(ShowMap(grayMap(), heatmap.Gray), ShowMap(jetMap(), heatmap.Jet))
	},
	"overlay": func() []string {
		return results(
			ShowOverlay(uniform(4, 3, color.RGBA{200, 100, 50, 255}), constMap(2, 2, 1), heatmap.Jet, 0.5),
			ShowOverlay(uniform(2, 1, color.RGBA{255, 255, 255, 255}), jetMap(), heatmap.Jet, 0.5),
		)
	},
	"factorization": func() []string {
		// Two concepts over a white 2x1 picture: pixel 0 belongs to concept 0 (value 1),
		// pixel 1 to concept 1 (value 0.5).
		a, _ := heatmap.FromSlice(1, 2, []float32{1, 0.25})
		b, _ := heatmap.FromSlice(1, 2, []float32{0, 0.5})
		return results(ShowFactorization(uniform(2, 1, color.RGBA{255, 255, 255, 255}), []*heatmap.Map{a, b}, 0.3))
	},
	"grid": func() []string { return results(ShowGrid(testGrid())) },
	"html": func() []string { return results(ShowHTML(testHTML)) },
	"sequence": func() []string {
		return results(ShowHTML("<p>1</p>"), ShowMap(jetMap(), heatmap.Jet), ShowHTML("<p>3</p>"))
	},
	"bad-args":   badArgs,
	"valid-args": validArgs,
}

const testHTML = `<p>camviz <b>nb</b> &amp; "quotes" ✓</p>`

func results(errs ...error) []string {
	out := make([]string, len(errs))
	for i, err := range errs {
		out[i] = "nil"
		if err != nil {
			out[i] = "error: " + err.Error()
		}
	}
	return out
}

// badArgs makes every call with an argument the functions must reject.
func badArgs() []string {
	return results(
		ShowImage(nil),
		ShowImage(image.NewRGBA(image.Rectangle{})),
		ShowMap(nil, heatmap.Jet),
		ShowMap(grayMap(), nil),
		ShowMap(&heatmap.Map{H: 2, W: 2, Data: []float32{1, 2, 3}}, heatmap.Jet),
		ShowOverlay(testImage(), grayMap(), heatmap.Jet, 1.5),
		ShowOverlay(nil, grayMap(), heatmap.Jet, 0.5),
		ShowGrid(nil),
		ShowGrid(&heatmap.Grid{}),
		ShowGrid(&heatmap.Grid{RowLabels: []string{"a", "b"}, Cells: [][]image.Image{{testImage()}}}),
	)
}

// validArgs makes one good call of each function.
func validArgs() []string {
	return results(
		ShowImage(testImage()),
		ShowMap(grayMap(), heatmap.Gray),
		ShowOverlay(testImage(), grayMap(), heatmap.Jet, 0.5),
		ShowGrid(testGrid()),
		ShowHTML(testHTML),
	)
}

// testImage is 3 wide, 2 high, opaque, pixel (x, y) = (10x+5, 100y+7, 30).
func testImage() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(10*x + 5), uint8(100*y + 7), 30, 255})
		}
	}
	return img
}

// grayMap is 2x3: {0, 0.5, 1} over {NaN, -1, 2}.
func grayMap() *heatmap.Map {
	nan := float32(math.NaN())
	return &heatmap.Map{H: 2, W: 3, Data: []float32{0, 0.5, 1, nan, -1, 2}}
}

// jetMap is 1x2: {0, 1}.
func jetMap() *heatmap.Map { return &heatmap.Map{H: 1, W: 2, Data: []float32{0, 1}} }

func constMap(h, w int, v float32) *heatmap.Map {
	m := heatmap.NewMap(h, w)
	for i := range m.Data {
		m.Data[i] = v
	}
	return m
}

func uniform(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// testGrid is one row of a red and a blue 2x2 cell, with a title and labels.
func testGrid() *heatmap.Grid {
	return &heatmap.Grid{
		Title:     "grid",
		RowLabels: []string{"row"},
		ColLabels: []string{"red", "blue"},
		Cells: [][]image.Image{{
			uniform(2, 2, color.RGBA{255, 0, 0, 255}),
			uniform(2, 2, color.RGBA{0, 0, 255, 255}),
		}},
		CellSize: 16,
	}
}
