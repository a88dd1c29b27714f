package main

import (
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/camviz/camviz/camviz/models"
)

// pictureExts are the file extensions a folder or glob --input takes.
var pictureExts = []string{".png", ".jpg", ".jpeg"}

func isPicture(path string) bool {
	return slices.Contains(pictureExts, strings.ToLower(filepath.Ext(path)))
}

// inputList expands --input when it names several pictures: a folder (every PNG/JPEG
// directly in it) or a glob pattern that is not itself a file. It returns nil for a
// single file (a picture or a .npy array), which keeps the one-batch output layout.
func inputList(path string) ([]string, error) {
	info, statErr := os.Stat(path)
	var paths []string
	switch {
	case statErr == nil && info.IsDir():
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, usagef("--input %s: %v", path, err)
		}
		for _, e := range entries {
			if !e.IsDir() && isPicture(e.Name()) {
				paths = append(paths, filepath.Join(path, e.Name()))
			}
		}
		if len(paths) == 0 {
			return nil, usagef("--input %s: the folder holds no picture (%s)", path, strings.Join(pictureExts, ", "))
		}
	case statErr != nil && strings.ContainsAny(path, "*?["):
		matches, err := filepath.Glob(path)
		if err != nil {
			return nil, usagef("--input %q: %v", path, err)
		}
		for _, p := range matches {
			if st, err := os.Stat(p); err == nil && !st.IsDir() && isPicture(p) {
				paths = append(paths, p)
			}
		}
		if len(paths) == 0 {
			return nil, usagef("--input %q: the pattern matches no picture (%s)", path, strings.Join(pictureExts, ", "))
		}
	default:
		return nil, nil
	}
	slices.Sort(paths)
	return paths, nil
}

// outputNames gives each picture a folder name: its file name without the extension,
// made safe, with _2, _3… appended when two pictures would share one.
func outputNames(paths []string) []string {
	names := make([]string, len(paths))
	used := map[string]bool{multiLayerDir: true, "index.html": true}
	for i, p := range paths {
		base := safeName(strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)))
		name := base
		for k := 2; used[name]; k++ {
			name = fmt.Sprintf("%s_%d", base, k)
		}
		used[name] = true
		names[i] = name
	}
	return names
}

// progressBar draws "explain [#####     ] 5/10 pictures" on one line of w.
type progressBar struct {
	w     io.Writer
	total int
}

func (p progressBar) show(done int) {
	const width = 30
	filled := width * done / p.total
	fmt.Fprintf(p.w, "\rexplain [%s%s] %d/%d pictures", strings.Repeat("#", filled), strings.Repeat(" ", width-filled), done, p.total)
	if done == p.total {
		fmt.Fprintln(p.w)
	}
}

// pictureRow is one picture's line of the index page.
type pictureRow struct {
	name, path, predicted, explained string
}

// explainMany explains every picture of paths in batches of f.batch with one compiled
// Explainer and writes each picture's maps under f.out/NAME/, then f.out/index.html.
func explainMany(f *explainFlags, m *models.Model, paths []string, methods []camviz.Method, target camviz.Target,
	cmap *heatmap.Colormap, stdout, stderr io.Writer) (err error) {
	backend, err := backends.New()
	if err != nil {
		return err
	}
	first, err := loadPicture(paths[0], m, f.input)
	if err != nil {
		return err
	}
	if err := checkLayers(m, backend, first.dims, f.layers); err != nil {
		return err
	}
	ex, err := m.Explainer(backend, f.layers, methods...)
	if err != nil {
		return usageError{err}
	}
	names := outputNames(paths)
	columns := columnNames(f.layers)
	var rows []pictureRow
	bar := progressBar{w: stderr, total: len(paths)}
	bar.show(0)
	defer func() {
		if err != nil { // end the bar's line before the error message
			fmt.Fprintln(stderr)
		}
	}()
	for start := 0; start < len(paths); start += f.batch {
		end := min(start+f.batch, len(paths))
		batch := &input{dims: slices.Clone(first.dims)}
		for _, p := range paths[start:end] {
			in, err := loadPicture(p, m, f.input)
			if err != nil {
				return err
			}
			batch.data = append(batch.data, in.data...)
			batch.pictures = append(batch.pictures, in.pictures...)
		}
		batch.dims[0] = end - start
		res, err := ex.ExplainFloats(batch.data, batch.dims, target)
		if err != nil {
			return usageError{fmt.Errorf("pictures %s…%s: %w", paths[start], paths[end-1], err)}
		}
		for j := range end - start {
			i := start + j
			w := &writer{m: m, in: &input{pictures: batch.pictures[j : j+1]}, cmap: cmap, alpha: f.alpha, format: f.format}
			if err := writePicture(w, res, j, filepath.Join(f.out, names[i]), f.layers, columns, methods, f.raw); err != nil {
				return err
			}
			pred := models.Argmax(res.Logits[j])
			row := pictureRow{name: names[i], path: paths[i], predicted: m.ClassName(pred), explained: m.ClassName(res.Classes[j])}
			fmt.Fprintf(stdout, "%s: predicted %s (logit %.6g); explained %s\n", paths[i], row.predicted, res.Logits[j][pred], row.explained)
			rows = append(rows, row)
		}
		bar.show(end)
	}
	if f.format != "npy" {
		if err := writeManyIndex(f, rows, columns, methods); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "maps of %d pictures written to %s (open %s)\n", len(paths), f.out, joinPath(f.out, "index.html"))
	} else {
		fmt.Fprintf(stdout, "maps of %d pictures written to %s\n", len(paths), f.out)
	}
	return nil
}

// columnNames are the output folders of one picture: one per layer, and multilayer when
// there are several layers.
func columnNames(layers []string) []string {
	var cols []string
	for _, l := range layers {
		cols = append(cols, safeName(l))
	}
	if len(layers) > 1 {
		cols = append(cols, multiLayerDir)
	}
	return cols
}

// writePicture writes example j of res under dir: dir/L'/M.{npy,png} for every layer
// and method (and M_raw.npy with raw), and dir/multilayer/M.* for several layers.
func writePicture(w *writer, res *camviz.Result, j int, dir string, layers, columns []string, methods []camviz.Method, raw bool) error {
	for c, col := range columns {
		sub := filepath.Join(dir, col)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		for _, meth := range methods {
			var maps []*heatmap.Map
			var err error
			if col == multiLayerDir && c == len(layers) {
				names := make([]string, len(layers))
				for i, l := range layers {
					names[i] = w.m.LayerName(l)
				}
				maps, err = res.FinalMultiLayer(names, meth)
			} else {
				maps, err = res.Final(w.m.LayerName(layers[c]), meth)
				if err == nil && raw {
					var rawMaps []*heatmap.Map
					if rawMaps, err = res.Raw(w.m.LayerName(layers[c]), meth); err == nil {
						err = writeMaps(filepath.Join(sub, string(meth)+"_raw.npy"), rawMaps[j:j+1])
					}
				}
			}
			if err != nil {
				return err
			}
			if _, err := w.writeMapsAndOverlay(sub, string(meth), maps[j:j+1]); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeManyIndex writes DIR/index.html: one row per picture with its classes and its
// overlays (linked files, so the page stays small for large folders).
func writeManyIndex(f *explainFlags, rows []pictureRow, columns []string, methods []camviz.Method) error {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>camviz explain</title>\n" +
		"<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}" +
		"td,th{border:1px solid #ccc;padding:4px;text-align:center;vertical-align:middle}" +
		"img{image-rendering:pixelated;width:160px}</style></head><body>\n")
	fmt.Fprintf(&b, "<h1>camviz explain</h1>\n<p>Model: %s; %d pictures from %s.</p>\n<table>\n<tr><th>picture</th>",
		html.EscapeString(f.model), len(rows), html.EscapeString(f.inputPath))
	for _, col := range columns {
		for _, meth := range methods {
			fmt.Fprintf(&b, "<th>%s<br>%s</th>", html.EscapeString(col), html.EscapeString(string(meth)))
		}
	}
	b.WriteString("</tr>\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "<tr><th>%s<br>predicted %s<br>explained %s</th>", html.EscapeString(r.path),
			html.EscapeString(r.predicted), html.EscapeString(r.explained))
		for _, col := range columns {
			for _, meth := range methods {
				src := r.name + "/" + col + "/" + string(meth) + ".png"
				fmt.Fprintf(&b, `<td><a href="%s"><img alt="%s" src="%s"></a></td>`, html.EscapeString(src),
					html.EscapeString(r.name+" "+col+" "+string(meth)), html.EscapeString(src))
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n<p>Maps: minmax(resize(minmax(relu(raw)))) as pytorch-grad-cam.</p>\n</body></html>\n")
	return os.WriteFile(filepath.Join(f.out, "index.html"), []byte(b.String()), 0o644)
}
