package evaluate

import (
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"math"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/metrics"
)

// Row is one layer × method of the table: the metric values and the full results they
// come from (curves included; nil for metrics not computed).
//
// Conventions, so that no value is NaN: a constant map (all zero, as a method gives when
// ReLU removes everything) has no box at any τ and counts as a miss for the box
// accuracies, points at pixel (0, 0) in the pointing game, and ranks pixels in raster
// order for deletion and insertion; Top-1 Loc counts every image, a misclassified image
// being a miss.
type Row struct {
	Layer  string
	Method camviz.Method
	// Values holds every computed metric.
	Values map[Metric]float64

	// Box is MaxBoxAcc's result (largest component, δ = 0.5), BoxV2 MaxBoxAccV2's (all
	// components, δ ∈ IoUThresholds): accuracy-vs-τ curves per δ.
	Box, BoxV2 *metrics.BoxResult
	// PxAP has the pixel precision-recall curve.
	PxAP       *metrics.PxAPResult
	Pointing   *metrics.PointingResult
	Confidence *metrics.ConfidenceResult
	// Deletion and Insertion have the mean probability curves.
	Deletion, Insertion *metrics.CausalResult
	ROAD                *metrics.ROADResult
}

// Report is the methods × metrics table of an evaluation.
type Report struct {
	// Model describes the model (architecture and class count).
	Model string
	// Images is the number of images evaluated; Accuracy the percent classified right.
	Images   int
	Accuracy float64
	// Target is the explained class.
	Target Target
	// Metrics are the columns, in order.
	Metrics []Metric
	// Rows are the layer × method rows, layer-major in the configured order.
	Rows []Row
}

// Row returns the row of a layer × method, or nil.
func (r *Report) Row(layer string, m camviz.Method) *Row {
	for i := range r.Rows {
		if r.Rows[i].Layer == layer && r.Rows[i].Method == m {
			return &r.Rows[i]
		}
	}
	return nil
}

// Value returns one cell of the table.
func (r *Report) Value(layer string, m camviz.Method, metric Metric) (float64, error) {
	row := r.Row(layer, m)
	if row == nil {
		return 0, fmt.Errorf("evaluate: the report has no row for %s at layer %q", m, layer)
	}
	v, ok := row.Values[metric]
	if !ok {
		return 0, fmt.Errorf("evaluate: the report has no %s column (it has %v)", metric, r.Metrics)
	}
	return v, nil
}

// Header returns the table's column names: layer, method, then the metrics.
func (r *Report) Header() []string {
	h := []string{"layer", "method"}
	for _, m := range r.Metrics {
		h = append(h, string(m))
	}
	return h
}

// Cells returns the formatted table body (Metric.Format).
func (r *Report) Cells() [][]string {
	out := make([][]string, len(r.Rows))
	for i, row := range r.Rows {
		out[i] = []string{row.Layer, string(row.Method)}
		for _, m := range r.Metrics {
			out[i] = append(out[i], m.Format(row.Values[m]))
		}
	}
	return out
}

// WriteCSV writes the table as CSV with full precision (strconv 'g' format), one header
// line, then one line per row.
func (r *Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(r.Header()); err != nil {
		return err
	}
	for _, row := range r.Rows {
		rec := []string{row.Layer, string(row.Method)}
		for _, m := range r.Metrics {
			v := row.Values[m]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("evaluate: internal error: %s of %s at %q is %v", m, row.Method, row.Layer, v)
			}
			rec = append(rec, fmt.Sprint(v))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// arrow marks a column's direction: ↑ higher is better, ↓ lower is better.
func arrow(m Metric) string {
	if m.HigherIsBetter() {
		return " ↑"
	}
	return " ↓"
}

// Markdown returns the table as GitHub Markdown, the best value of each column in bold.
func (r *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("| layer | method |")
	for _, m := range r.Metrics {
		b.WriteString(" " + string(m) + arrow(m) + " |")
	}
	b.WriteString("\n| --- | --- |" + strings.Repeat(" ---: |", len(r.Metrics)) + "\n")
	best := r.best()
	for i, row := range r.Cells() {
		b.WriteString("| " + row[0] + " | " + row[1] + " |")
		for j, c := range row[2:] {
			if best[j][i] {
				c = "**" + c + "**"
			}
			b.WriteString(" " + c + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// HTMLTable returns the table as a self-contained HTML table (inline styles), the best
// value of each column in bold.
func (r *Report) HTMLTable() string {
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px">` + "\n<tr>")
	th := `<th style="border-bottom:2px solid #444;padding:3px 8px;text-align:%s">%s</th>`
	fmt.Fprintf(&b, th, "left", "layer")
	fmt.Fprintf(&b, th, "left", "method")
	for _, m := range r.Metrics {
		fmt.Fprintf(&b, th, "right", html.EscapeString(string(m)+arrow(m)))
	}
	b.WriteString("</tr>\n")
	best := r.best()
	for i, row := range r.Cells() {
		b.WriteString("<tr>")
		for j, c := range row {
			style := "padding:2px 8px;border-bottom:1px solid #ddd"
			if j >= 2 {
				style += ";text-align:right"
				if best[j-2][i] {
					style += ";font-weight:bold"
				}
			}
			fmt.Fprintf(&b, `<td style="%s">%s</td>`, style, html.EscapeString(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n")
	return b.String()
}

// best marks, per metric column, the rows holding the best formatted value.
func (r *Report) best() [][]bool {
	out := make([][]bool, len(r.Metrics))
	for j, m := range r.Metrics {
		out[j] = make([]bool, len(r.Rows))
		bestV := math.Inf(-1)
		sign := 1.0
		if !m.HigherIsBetter() {
			sign = -1
		}
		for _, row := range r.Rows {
			bestV = math.Max(bestV, sign*row.Values[m])
		}
		for i, row := range r.Rows {
			out[j][i] = len(r.Rows) > 1 && m.Format(sign*row.Values[m]) == m.Format(bestV)
		}
	}
	return out
}

// String returns a plain-text table with aligned columns.
func (r *Report) String() string {
	rows := append([][]string{r.Header()}, r.Cells()...)
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for j, c := range row {
			widths[j] = max(widths[j], len([]rune(c)))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %d images, top-1 accuracy %.1f%%, maps of the %s\n", r.Model, r.Images, r.Accuracy, r.Target)
	for _, row := range rows {
		for j, c := range row {
			pad := strings.Repeat(" ", widths[j]-len([]rune(c)))
			if j < 2 {
				b.WriteString(c + pad + "  ")
			} else {
				b.WriteString(pad + c + "  ")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
