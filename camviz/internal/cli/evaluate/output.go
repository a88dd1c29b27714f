package evaluate

import (
	"strings"

	"github.com/camviz/camviz/camviz/evaluate"
)

// page is what the output files show.
type page struct {
	report *evaluate.Report
	sanity *evaluate.SanityResult
	source string
	args   []string
}

// writeOutputs writes table.csv, table.md, the charts, the sanity tables (with -sanity)
// and index.html into dir (evaluate.WriteFiles) and returns the file names.
func writeOutputs(dir string, p page) ([]string, error) {
	return evaluate.WriteFiles(dir, p.report, evaluate.Page{Source: p.source, Sanity: p.sanity,
		Command: "camviz evaluate " + strings.Join(p.args, " ")})
}
