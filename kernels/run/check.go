package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"image/png"
	"regexp"
	"strings"
)

// notebook is the part of an nbformat v4 notebook the checks read.
type notebook struct {
	Cells    []cell `json:"cells"`
	Metadata struct {
		Kernelspec struct {
			Name string `json:"name"`
		} `json:"kernelspec"`
		Camviz struct {
			// MinPNGs is the least number of PNG outputs the executed notebook
			// must have, so that pictures that silently fail to show are caught.
			MinPNGs int `json:"min_png_outputs"`
		} `json:"camviz"`
	} `json:"metadata"`
}

type cell struct {
	CellType       string    `json:"cell_type"`
	Source         multiline `json:"source"`
	ExecutionCount *int      `json:"execution_count"`
	Outputs        []output  `json:"outputs"`
}

type output struct {
	OutputType string                     `json:"output_type"`
	Name       string                     `json:"name"` // stream: stdout or stderr
	Text       multiline                  `json:"text"`
	Data       map[string]json.RawMessage `json:"data"`
	Ename      string                     `json:"ename"`
	Evalue     string                     `json:"evalue"`
	Traceback  []string                   `json:"traceback"`
}

// multiline is nbformat's text: a string or a list of strings to concatenate.
type multiline string

func (m *multiline) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*m = multiline(s)
		return nil
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil {
		return fmt.Errorf("text is neither a string nor a list of strings: %s", b)
	}
	*m = multiline(strings.Join(parts, ""))
	return nil
}

// result is what checkNotebook found in an executed notebook.
type result struct {
	CodeCells, Outputs, PNGs int
	Problems                 []string
}

// gonbErrorMarker marks GoNB's HTML error reports (compile errors with their
// cell lines), which it shows instead of plain stderr text.
const gonbErrorMarker = `data-mime-type="application/vnd.jupyter.stderr"`

var (
	styleBlock  = regexp.MustCompile(`(?s)<style>.*?</style>`)
	htmlTag     = regexp.MustCompile(`<[^>]*>`)
	ansi        = regexp.MustCompile("\x1b\\[[0-9;]*[A-Za-z]")
	stderrBad   = regexp.MustCompile(`(?i)panic|error`)
	embeddedPNG = regexp.MustCompile(`data:image/png;base64,([A-Za-z0-9+/=\s]+)`)
)

// checkNotebook checks an executed notebook: every non-empty code cell ran,
// no output is an error, no stderr line mentions a panic or an error, every
// image/png output (and every PNG embedded in HTML as a data: URL) decodes as
// a non-empty PNG, and there are at least metadata.camviz.min_png_outputs PNGs.
func checkNotebook(data []byte) (result, error) {
	var nb notebook
	if err := json.Unmarshal(data, &nb); err != nil {
		return result{}, fmt.Errorf("not a notebook: %v", err)
	}
	var r result
	for i, c := range nb.Cells {
		if c.CellType != "code" {
			continue
		}
		r.CodeCells++
		where := fmt.Sprintf("cell %d", i+1)
		if strings.TrimSpace(string(c.Source)) != "" && c.ExecutionCount == nil {
			r.Problems = append(r.Problems, where+": was not executed")
		}
		for _, o := range c.Outputs {
			r.Outputs++
			r.checkOutput(where, o)
		}
	}
	if want := nb.Metadata.Camviz.MinPNGs; r.PNGs < want {
		r.Problems = append(r.Problems, fmt.Sprintf("%d PNG outputs, want at least %d (metadata.camviz.min_png_outputs)", r.PNGs, want))
	}
	return r, nil
}

func (r *result) checkOutput(where string, o output) {
	switch o.OutputType {
	case "error":
		msg := fmt.Sprintf("%s: error output %s: %s", where, o.Ename, o.Evalue)
		if tb := strings.TrimSpace(ansi.ReplaceAllString(strings.Join(o.Traceback, "\n"), "")); tb != "" {
			msg += "\n" + indent(firstLines(tb, 12))
		}
		r.Problems = append(r.Problems, msg)
	case "stream":
		if o.Name != "stderr" {
			return
		}
		for _, line := range strings.Split(string(o.Text), "\n") {
			if stderrBad.MatchString(line) {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: stderr: %s", where, strings.TrimSpace(ansi.ReplaceAllString(line, ""))))
			}
		}
	case "display_data", "execute_result", "update_display_data":
		if raw, ok := o.Data["image/png"]; ok {
			r.PNGs++
			var b64 multiline
			if err := json.Unmarshal(raw, &b64); err != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: image/png output is not text: %v", where, err))
			} else if err := checkPNG(string(b64)); err != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: image/png output: %v", where, err))
			}
		}
		if raw, ok := o.Data["text/html"]; ok {
			var page multiline
			if err := json.Unmarshal(raw, &page); err != nil {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: text/html output is not text: %v", where, err))
				return
			}
			if strings.Contains(string(page), gonbErrorMarker) {
				r.Problems = append(r.Problems, fmt.Sprintf("%s: kernel error report:\n%s", where, indent(firstLines(htmlText(string(page)), 12))))
			}
			for _, m := range embeddedPNG.FindAllStringSubmatch(string(page), -1) {
				r.PNGs++
				if err := checkPNG(m[1]); err != nil {
					r.Problems = append(r.Problems, fmt.Sprintf("%s: PNG embedded in text/html: %v", where, err))
				}
			}
		}
	}
}

// checkPNG decodes base64 text (whitespace allowed) as a non-empty PNG.
func checkPNG(b64 string) error {
	data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(b64), ""))
	if err != nil {
		return fmt.Errorf("not base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%d bytes that do not decode as PNG: %v", len(data), err)
	}
	if img.Bounds().Empty() {
		return fmt.Errorf("PNG is empty (%v)", img.Bounds())
	}
	return nil
}

// htmlText returns the text of an HTML fragment: no style blocks, no tags,
// entities unescaped, blank lines dropped.
func htmlText(s string) string {
	s = html.UnescapeString(htmlTag.ReplaceAllString(styleBlock.ReplaceAllString(s, ""), ""))
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			lines = append(lines, strings.TrimRight(l, " \t"))
		}
	}
	return strings.Join(lines, "\n")
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("... (%d more lines)", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
