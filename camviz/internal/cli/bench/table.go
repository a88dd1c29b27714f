package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// goal is a target for one measure: value ≤ Limit (AtMost) or value ≥ Limit.
type goal struct {
	Limit  float64
	AtMost bool
}

// met reports whether v reaches the goal.
func (g goal) met(v float64) bool {
	if g.AtMost {
		return v <= g.Limit
	}
	return v >= g.Limit
}

func (g goal) format(unit string) string {
	op := "≥"
	if g.AtMost {
		op = "≤"
	}
	return op + " " + formatValue(g.Limit, unit)
}

// row is one line of the result table.
type row struct {
	ID      string // stable key, e.g. "resnet/b1/gradcam"
	Section string
	Name    string
	Value   float64 // in Unit; NaN when skipped
	Unit    string  // "ms", "s", "GFLOP/s", "x", "MiB", "" (a count)
	CPU     float64 // process CPU ms per operation (all threads), 0 when not measured
	Goal    *goal
	Ref     string // reference number (pytorch-grad-cam, measured by the project)
	Note    string
}

func (r row) status() string {
	switch {
	case math.IsNaN(r.Value):
		return "skipped"
	case r.Goal == nil:
		return ""
	case r.Goal.met(r.Value):
		return "meets"
	}
	return "misses"
}

// formatValue prints v in unit with a precision that suits its size.
func formatValue(v float64, unit string) string {
	if math.IsNaN(v) {
		return "—"
	}
	var s string
	switch unit {
	case "x":
		return fmt.Sprintf("%.2f×", v)
	case "":
		return fmt.Sprintf("%.0f", v)
	case "s":
		s = fmt.Sprintf("%.2f", v)
	default:
		switch {
		case v >= 100:
			s = fmt.Sprintf("%.0f", v)
		case v >= 10:
			s = fmt.Sprintf("%.1f", v)
		default:
			s = fmt.Sprintf("%.2f", v)
		}
	}
	return s + " " + unit
}

func (r row) cells() []string {
	cpu, g := "", ""
	switch {
	case r.CPU > 0 && r.Unit == "s":
		cpu = formatValue(r.CPU/1000, "s")
	case r.CPU > 0:
		cpu = formatValue(r.CPU, "ms")
	}
	if r.Goal != nil {
		g = r.Goal.format(r.Unit)
	}
	return []string{r.Name, formatValue(r.Value, r.Unit), cpu, g, r.status(), r.Ref, r.Note}
}

var headers = []string{"Measure", "This run (median)", "CPU/op", "Goal", "Status",
	"Reference (pytorch-grad-cam, measured by the project)", "Note"}

// writeText prints the rows as aligned text, one block per section.
func writeText(w io.Writer, rows []row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	section := ""
	for _, r := range rows {
		if r.Section != section {
			section = r.Section
			fmt.Fprintf(tw, "\n%s\n%s\n", section, strings.Join(headers, "\t"))
		}
		fmt.Fprintln(tw, strings.Join(r.cells(), "\t"))
	}
	return tw.Flush()
}

// writeMarkdown writes the rows as Markdown: a bold section title, then the
// section's table.
func writeMarkdown(w io.Writer, rows []row) error {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	section := ""
	for i, r := range rows {
		if i == 0 || r.Section != section {
			section = r.Section
			if i > 0 {
				fmt.Fprintln(w)
			}
			fmt.Fprintf(w, "**%s**\n\n| %s |\n|%s\n", esc(section), strings.Join(headers, " | "),
				strings.Repeat(" --- |", len(headers)))
		}
		cells := r.cells()
		for i := range cells {
			cells[i] = esc(cells[i])
		}
		if _, err := fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | ")); err != nil {
			return err
		}
	}
	return nil
}
