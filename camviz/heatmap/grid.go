package heatmap

import (
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"strings"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Grid is a labelled table of images, e.g. methods × layers or images × classes.
type Grid struct {
	Title     string
	RowLabels []string        // one per row (optional)
	ColLabels []string        // one per column (optional)
	Cells     [][]image.Image // rows x columns; nil cell = blank
	CellSize  int             // each cell scaled (nearest for small images) to CellSize x CellSize; 0 -> 128
}

const (
	gridPad         = 6
	defaultCellSize = 128
	maxGridPixels   = 1 << 26 // 64 Mpixel, 256 MiB of RGBA
)

var gridFace = basicfont.Face7x13

// Render draws the grid on a white background: the title centred on top, the
// column labels above the columns, the row labels left of the rows, in black
// 7×13 bitmap text (ASCII; other characters are drawn as '?', and labels too
// long for their space are cut and end in ".."). Each image is scaled to fit a
// CellSize×CellSize cell keeping its aspect ratio, centred: with nearest-neighbour
// when it is not larger than the cell (so small maps stay crisp, pixel by pixel),
// with a bilinear filter widened for downscaling when it is larger. Rows may have
// fewer cells than the longest row; missing and nil cells are blank.
//
// Errors: no cells, a negative CellSize, label counts that differ from the row
// or column count, or an image larger than 64 Mpixels.
func (g *Grid) Render() (*image.RGBA, error) {
	rows, cols := len(g.Cells), 0
	for _, r := range g.Cells {
		cols = max(cols, len(r))
	}
	if rows == 0 || cols == 0 {
		return nil, fmt.Errorf("heatmap.Grid.Render: the grid has no cells; set Cells to rows of images")
	}
	if g.CellSize < 0 {
		return nil, fmt.Errorf("heatmap.Grid.Render: CellSize = %d is negative; use 0 for the default %d", g.CellSize, defaultCellSize)
	}
	if n := len(g.RowLabels); n != 0 && n != rows {
		return nil, fmt.Errorf("heatmap.Grid.Render: %d row labels for %d rows; give one per row or none", n, rows)
	}
	if n := len(g.ColLabels); n != 0 && n != cols {
		return nil, fmt.Errorf("heatmap.Grid.Render: %d column labels for %d columns; give one per column or none", n, cols)
	}
	cell := g.CellSize
	if cell == 0 {
		cell = defaultCellSize
	}
	lineH := gridFace.Height

	// Layout: [title] [column labels] cells, with the row labels on the left.
	titleH, colH, rowW := 0, 0, 0
	if g.Title != "" {
		titleH = lineH + gridPad
	}
	if len(g.ColLabels) > 0 {
		colH = lineH + gridPad/2
	}
	for _, l := range g.RowLabels {
		rowW = max(rowW, min(textWidth(l), 3*cell)+gridPad)
	}
	gridW := gridPad + rowW + cols*cell + (cols-1)*gridPad + gridPad
	width := max(gridW, min(textWidth(g.Title), 8*cell)+2*gridPad)
	height := gridPad + titleH + colH + rows*cell + (rows-1)*gridPad + gridPad
	if int64(width)*int64(height) > maxGridPixels {
		return nil, fmt.Errorf("heatmap.Grid.Render: %dx%d pixels is too large; use a smaller CellSize (now %d) or fewer cells", width, height, cell)
	}
	out := image.NewRGBA(image.Rect(0, 0, width, height))
	stddraw.Draw(out, out.Bounds(), image.White, image.Point{}, stddraw.Src)

	x0 := (width-gridW)/2 + gridPad + rowW // left edge of the first column
	y0 := gridPad + titleH + colH          // top edge of the first row
	if g.Title != "" {
		drawText(out, g.Title, width/2, gridPad, width-2*gridPad, alignCenter)
	}
	for c, l := range g.ColLabels {
		drawText(out, l, x0+c*(cell+gridPad)+cell/2, gridPad+titleH, cell+gridPad/2, alignCenter)
	}
	for r := range rows {
		top := y0 + r*(cell+gridPad)
		if r < len(g.RowLabels) {
			drawText(out, g.RowLabels[r], x0-gridPad, top+(cell-lineH)/2, rowW-gridPad, alignRight)
		}
		for c, im := range g.Cells[r] {
			if im != nil {
				drawCell(out, image.Rect(x0+c*(cell+gridPad), top, x0+c*(cell+gridPad)+cell, top+cell), im)
			}
		}
	}
	return out, nil
}

// drawCell scales im to fit dst (aspect ratio kept, centred) and draws it over dst.
func drawCell(out *image.RGBA, dst image.Rectangle, im image.Image) {
	sb := im.Bounds()
	sw, sh := sb.Dx(), sb.Dy()
	if sw <= 0 || sh <= 0 {
		return
	}
	cw, ch := dst.Dx(), dst.Dy()
	w, h := cw, ch
	if sw*ch > sh*cw { // wider than the cell
		h = max(1, (sh*cw+sw/2)/sw)
	} else {
		w = max(1, (sw*ch+sh/2)/sh)
	}
	r := image.Rect(0, 0, w, h).Add(dst.Min).Add(image.Pt((cw-w)/2, (ch-h)/2))
	var scaler xdraw.Scaler = xdraw.NearestNeighbor
	if sw > cw || sh > ch {
		scaler = xdraw.BiLinear
	}
	scaler.Scale(out, r, im, sb, xdraw.Over, nil)
}

type align int

const (
	alignCenter align = iota
	alignRight
)

// fitText replaces characters the bitmap font lacks by '?' and cuts s to at most
// maxW pixels, ending a cut text in "..".
func fitText(s string, maxW int) string {
	rs := []rune(strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s))
	n := max(maxW/gridFace.Advance, 0)
	if len(rs) <= n {
		return string(rs)
	}
	if n <= 2 {
		return string(rs[:n])
	}
	return string(rs[:n-2]) + ".."
}

// textWidth is the width in pixels of s in the grid font.
func textWidth(s string) int { return len([]rune(s)) * gridFace.Advance }

// drawText draws s in black with its top at y: centred on x, or ending at x.
func drawText(out *image.RGBA, s string, x, y, maxW int, a align) {
	s = fitText(s, maxW)
	w := textWidth(s)
	left := x - w/2
	if a == alignRight {
		left = x - w
	}
	d := font.Drawer{
		Dst:  out,
		Src:  image.NewUniform(color.Black),
		Face: gridFace,
		Dot:  fixed.P(left, y+gridFace.Ascent),
	}
	d.DrawString(s)
}
