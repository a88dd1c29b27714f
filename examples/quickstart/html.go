package main

import (
	"fmt"
	"html"
	"strings"

	"github.com/camviz/camviz/camviz"
)

type reportRow struct {
	label string
	files []string
	ious  []float64
}

// reportHTML is a self-contained page (images are files beside it; no scripts, no CDN).
func reportHTML(cfg config, ev *evaluation, methods []camviz.Method, rows []reportRow) string {
	var b strings.Builder
	b.WriteString(`<!doctype html><html><head><meta charset="utf-8"><title>camviz quickstart</title>
<style>body{font-family:sans-serif;margin:2em}td{padding:4px;text-align:center}img{image-rendering:pixelated;width:192px}</style>
</head><body><h1>camviz quickstart</h1>`)
	fmt.Fprintf(&b, "<p>Held-out accuracy %.1f%% on %d images. Localization: share of images whose map box "+
		"(largest region above %.2f of the normalised map) has IoU ≥ 0.5 with the true box:</p><ul>",
		100*ev.accuracy(), len(ev.correct), cfg.tau)
	for _, m := range methods {
		fmt.Fprintf(&b, "<li>%s: %.1f%%</li>", m, 100*ev.hitRate(m))
	}
	b.WriteString(`</ul><p>Green: true box. White: the map's box.</p><img src="grid.png" style="width:auto"><table><tr><th>image (true → predicted)</th>`)
	for _, m := range methods {
		fmt.Fprintf(&b, "<th>%s</th>", m)
	}
	b.WriteString("</tr>")
	for _, r := range rows {
		fmt.Fprintf(&b, "<tr><td>%s</td>", html.EscapeString(r.label))
		for i, f := range r.files {
			fmt.Fprintf(&b, `<td><img src="%s"><br>IoU %.2f</td>`, f, r.ious[i])
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table></body></html>\n")
	return b.String()
}
