package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"strings"
	"testing"
)

// pngBase64 is a valid 2x1 PNG, base64-encoded.
func pngBase64(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 1))); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// nbJSON builds a notebook with the given code-cell outputs (one cell per
// element, executed) and metadata.camviz.min_png_outputs = minPNG.
func nbJSON(t *testing.T, minPNG int, cells ...[]map[string]any) []byte {
	t.Helper()
	list := []any{map[string]any{"cell_type": "markdown", "source": []string{"# title\n", "text"}}}
	for _, outs := range cells {
		list = append(list, map[string]any{"cell_type": "code", "source": "%%\nx()", "execution_count": 1, "outputs": outs})
	}
	data, err := json.Marshal(map[string]any{
		"cells":    list,
		"metadata": map[string]any{"kernelspec": map[string]any{"name": "camviz"}, "camviz": map[string]any{"min_png_outputs": minPNG}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func check(t *testing.T, data []byte) result {
	t.Helper()
	r, err := checkNotebook(data)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func wantProblems(t *testing.T, r result, substrings ...string) {
	t.Helper()
	if len(r.Problems) != len(substrings) {
		t.Fatalf("got %d problems %q, want %d", len(r.Problems), r.Problems, len(substrings))
	}
	for i, s := range substrings {
		if !strings.Contains(r.Problems[i], s) {
			t.Errorf("problem %d = %q, want it to mention %q", i, r.Problems[i], s)
		}
	}
}

func TestCleanNotebookPasses(t *testing.T) {
	b64 := pngBase64(t)
	// The PNG split over lines of a list, as nbformat allows.
	split := []string{b64[:10] + "\n", b64[10:]}
	r := check(t, nbJSON(t, 2, []map[string]any{
		{"output_type": "stream", "name": "stdout", "text": "error rate 0.1 (stdout is not checked)\n"},
		{"output_type": "stream", "name": "stderr", "text": []string{"loading...\n", "done\n"}},
		{"output_type": "display_data", "data": map[string]any{"image/png": split}, "metadata": map[string]any{}},
		{"output_type": "display_data", "data": map[string]any{"text/html": `<img src="data:image/png;base64,` + b64 + `">`}},
		{"output_type": "display_data", "data": map[string]any{"application/json": map[string]any{"a": 1}}},
	}))
	wantProblems(t, r)
	if r.CodeCells != 1 || r.Outputs != 5 || r.PNGs != 2 {
		t.Errorf("got %d code cells, %d outputs, %d PNGs; want 1, 5, 2", r.CodeCells, r.Outputs, r.PNGs)
	}
}

func TestErrorOutputFails(t *testing.T) {
	r := check(t, nbJSON(t, 0, nil, []map[string]any{{
		"output_type": "error", "ename": "ERROR", "evalue": "failed to run go build",
		"traceback": []string{"\x1b[31m./main.go:3:2: undefined: foo\x1b[0m"},
	}}))
	wantProblems(t, r, "cell 3: error output ERROR: failed to run go build\n    ./main.go:3:2: undefined: foo")
}

func TestStderrPanicOrErrorFails(t *testing.T) {
	r := check(t, nbJSON(t, 0, []map[string]any{
		{"output_type": "stream", "name": "stderr", "text": "ok\npanic: boom\n"},
		{"output_type": "stream", "name": "stderr", "text": "Error: no such file\n"},
	}))
	wantProblems(t, r, "cell 2: stderr: panic: boom", "cell 2: stderr: Error: no such file")
}

func TestBadPNGFails(t *testing.T) {
	notPNG := base64.StdEncoding.EncodeToString([]byte("GIF89a not a png"))
	r := check(t, nbJSON(t, 0, []map[string]any{
		{"output_type": "display_data", "data": map[string]any{"image/png": notPNG}},
		{"output_type": "execute_result", "data": map[string]any{"image/png": "%%% not base64"}},
		{"output_type": "display_data", "data": map[string]any{"text/html": `<img src="data:image/png;base64,` + notPNG + `">`}},
	}))
	wantProblems(t, r, "16 bytes that do not decode as PNG", "not base64", "PNG embedded in text/html")
	if r.PNGs != 3 {
		t.Errorf("counted %d PNGs, want 3", r.PNGs)
	}
}

func TestUnexecutedCellFails(t *testing.T) {
	data := []byte(`{"cells": [
		{"cell_type": "code", "source": "", "execution_count": null, "outputs": []},
		{"cell_type": "code", "source": ["%%\n", "run()"], "execution_count": null, "outputs": []}
	], "metadata": {}}`)
	wantProblems(t, check(t, data), "cell 2: was not executed")
}

func TestTooFewPNGsFails(t *testing.T) {
	r := check(t, nbJSON(t, 3, []map[string]any{
		{"output_type": "display_data", "data": map[string]any{"image/png": pngBase64(t)}},
	}))
	wantProblems(t, r, "1 PNG outputs, want at least 3")
}

func TestNotANotebookIsAnError(t *testing.T) {
	if _, err := checkNotebook([]byte(`{"cells": "nope"}`)); err == nil {
		t.Error("checkNotebook accepted cells that are not a list")
	}
}

func TestGonbErrorReportFails(t *testing.T) {
	report := `<style>.gonb-err-location { color: red; }</style>
<div class="jp-RenderedText" data-mime-type="application/vnd.jupyter.stderr">
<div style="white-space: pre-wrap;"><span class="gonb-cell-line-info">Cell[1]: Line 2</span> <span>./main.go:11:6: </span>undefined: x &amp; y</div>
</div>`
	r := check(t, nbJSON(t, 0, []map[string]any{
		{"output_type": "display_data", "data": map[string]any{"text/html": report}},
	}))
	wantProblems(t, r, "cell 2: kernel error report:\n    Cell[1]: Line 2 ./main.go:11:6: undefined: x & y")
}
