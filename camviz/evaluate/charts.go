package evaluate

import (
	"fmt"
	"image"
	"image/color"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/metrics"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart size and resolution of the PNG charts.
const (
	chartWidth  = 7 * vg.Inch // the plot, then the legend on the right
	legendWidth = 1.9 * vg.Inch
	chartHeight = 3.6 * vg.Inch
	chartDPI    = 110
)

// palette is Tableau's 10 colours plus two; lines after the tenth are dashed.
var palette = []color.RGBA{
	{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255},
	{148, 103, 189, 255}, {140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255},
	{188, 189, 34, 255}, {23, 190, 207, 255}, {0, 0, 0, 255}, {255, 187, 120, 255},
}

// series is one line of a chart.
type series struct {
	label string
	x, y  []float64
}

// lineChart draws the series over x ∈ [0, 1], y ∈ [0, yMax], with their legend to the
// right of the plot, and returns the image.
func lineChart(title, xLabel, yLabel string, yMax float64, lines []series) (image.Image, error) {
	return drawLines(title, xLabel, yLabel, [2]float64{0, 1}, [2]float64{0, yMax}, nil, lines)
}

// drawLines draws the series in the given ranges; ticks, when set, name the integer x
// positions 0, 1, ….
func drawLines(title, xLabel, yLabel string, xr, yr [2]float64, ticks []string, lines []series) (image.Image, error) {
	if len(lines) == 0 {
		return nil, fmt.Errorf("evaluate: nothing to plot for %q: the report has no rows with this curve", title)
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.X.Min, p.X.Max = xr[0], xr[1]
	p.Y.Min, p.Y.Max = yr[0], yr[1]
	if ticks != nil {
		p.NominalX(ticks...)
		p.X.Min, p.X.Max = xr[0]-0.2, xr[1]+0.2
	}
	p.Add(plotter.NewGrid())
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(8)
	for i, s := range lines {
		if len(s.x) != len(s.y) || len(s.x) == 0 {
			return nil, fmt.Errorf("evaluate: curve %q of %q has %d x and %d y values", s.label, title, len(s.x), len(s.y))
		}
		pts := make(plotter.XYs, len(s.x))
		for j := range s.x {
			pts[j].X, pts[j].Y = s.x[j], s.y[j]
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("evaluate: curve %q: %w", s.label, err)
		}
		l.Color = palette[i%len(palette)]
		l.Width = vg.Points(1.4)
		if i >= 10 {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		}
		p.Add(l)
		leg.Add(s.label, l)
	}
	c := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI), vgimg.UseBackgroundColor(color.White))
	err := camviz.CatchPanic(func() error {
		dc := draw.New(c)
		p.Draw(draw.Crop(dc, 0, -legendWidth, 0, 0))
		leg.Draw(draw.Crop(dc, chartWidth-legendWidth+vg.Points(6), 0, 0, -vg.Points(24)))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("evaluate: drawing %q: %w", title, err)
	}
	return c.Image(), nil
}

// rowLabel names a row in a legend: the method, and the layer when the report has several.
func (r *Report) rowLabel(row Row) string {
	for _, o := range r.Rows {
		if o.Layer != row.Layer {
			return row.Layer + " " + string(row.Method)
		}
	}
	return string(row.Method)
}

// BoxAccuracyChart plots BoxAcc(τ, δ) against the threshold τ, one line per row, for
// one IoU threshold δ: MaxBoxAccV2's curves (all components) when the report has them,
// else MaxBoxAcc's (largest component, δ = 0.5 only). A row's MaxBoxAcc at δ is the
// peak of its line (Choe et al. 2020, Fig. 4).
func BoxAccuracyChart(r *Report, delta float64) (image.Image, error) {
	var lines []series
	kind := "all components"
	for _, row := range r.Rows {
		res := row.BoxV2
		if res == nil {
			res, kind = row.Box, "largest component"
		}
		if res == nil {
			continue
		}
		for _, d := range res.PerDelta {
			if d.Delta == delta {
				lines = append(lines, series{label: r.rowLabel(row), x: res.Taus, y: d.Curve})
			}
		}
	}
	return lineChart(fmt.Sprintf("Box accuracy at IoU ≥ %g (%s)", delta, kind), "CAM threshold τ", "BoxAcc (%)", 100, lines)
}

// PrecisionRecallChart plots every row's pixel precision against recall (the curve
// whose area is PxAP).
func PrecisionRecallChart(r *Report) (image.Image, error) {
	var lines []series
	for _, row := range r.Rows {
		if row.PxAP != nil {
			lines = append(lines, series{label: fmt.Sprintf("%s (%.1f)", r.rowLabel(row), row.PxAP.PxAP), x: row.PxAP.Recall, y: row.PxAP.Precision})
		}
	}
	return lineChart("Pixel precision-recall (legend: PxAP)", "recall", "precision", 1, lines)
}

// CausalChart plots the mean deletion or insertion curve of every row: the class
// probability against the fraction of pixels removed (deletion) or restored (insertion).
func CausalChart(r *Report, mode metrics.CausalMode) (image.Image, error) {
	var lines []series
	for _, row := range r.Rows {
		res := row.Deletion
		if mode == metrics.Insertion {
			res = row.Insertion
		}
		if res != nil {
			lines = append(lines, series{label: fmt.Sprintf("%s (%.3f)", r.rowLabel(row), res.AUC), x: res.X, y: res.Curve})
		}
	}
	title := map[metrics.CausalMode]string{metrics.Deletion: "Deletion", metrics.Insertion: "Insertion"}[mode]
	return lineChart(title+" curves (legend: AUC)", "fraction of pixels "+map[metrics.CausalMode]string{metrics.Deletion: "removed", metrics.Insertion: "restored"}[mode], "class probability", 1, lines)
}

// SanityChart plots a cascading randomization: the mean Spearman rank correlation (or,
// with ssim, the mean SSIM) of each row's maps with the trained model's, against the
// randomization step — "trained" (1 by definition), then each block randomized in
// cascade order. A method that explains the model falls towards 0 as its weights go.
func SanityChart(r *SanityResult, ssim bool) (image.Image, error) {
	if r == nil || len(r.Steps) == 0 {
		return nil, fmt.Errorf("evaluate: SanityChart needs a CascadingRandomization result with steps")
	}
	name, ticks := "Spearman rank correlation", append([]string{"trained"}, r.Steps...)
	if ssim {
		name = "SSIM"
	}
	var lines []series
	for _, row := range r.Rows {
		v := row.Spearman
		if ssim {
			v = row.SSIM
		}
		s := series{label: row.Layer + " " + string(row.Method), x: []float64{0}, y: []float64{1}}
		for k, x := range v {
			s.x = append(s.x, float64(k+1))
			s.y = append(s.y, x)
		}
		lines = append(lines, s)
	}
	return drawLines(name+" with the trained model's maps", "randomized down to", name,
		[2]float64{0, float64(len(r.Steps))}, [2]float64{-0.2, 1}, ticks, lines)
}
