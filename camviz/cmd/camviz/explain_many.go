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
	"github.com/camviz/camviz/camviz/labels"
	"github.com/camviz/camviz/camviz/models"
	"github.com/gomlx/compute"
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
	used := map[string]bool{}
	for name := range reservedNames {
		used[name] = true
	}
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
// Explainer and writes each picture's maps under f.out/NAME/ (the same layout as one
// picture's run), then f.out/index.html, last and whole.
func explainMany(f *explainFlags, m *models.Model, paths []string, methods []camviz.Method, target camviz.Target,
	cmap *heatmap.Colormap, classes labels.Choice, layerNote string, stdout, stderr io.Writer) (err error) {
	backend, err := backends.New()
	if err != nil {
		return err
	}
	first, err := loadPicture(paths[0], m, f.input)
	if err != nil {
		return err
	}
	taps, err := checkLayers(m, backend, first.dims, f.layers)
	if err != nil {
		return err
	}
	f.printSetup(stdout, m, taps, classes, first.plan, layerNote)
	folders, notes := layerFolders(f.layers)
	// As for one input: CAM only at the layers where the classifier's weights apply
	// (tried on the first picture), in an Explainer of its own.
	plan, allNotes, err := f.planCAM(m, backend, first, methods, target)
	if err != nil {
		return err
	}
	notes = append(notes, allNotes...)
	for _, note := range notes {
		fmt.Fprintln(stdout, note)
	}
	ex, err := f.explainer(backend, m, f.layers, plan.main...)
	if err != nil {
		return usageError{err}
	}
	names := outputNames(paths)
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
		w := &writer{m: m, cmap: cmap, alpha: f.alpha, format: f.format, skip: plan.skip, folders: folders, classes: classes}
		if w.res, err = ex.ExplainFloats(batch.data, batch.dims, target); err != nil {
			return usageError{fmt.Errorf("%w (pictures %s…%s)", err, paths[start], paths[end-1])}
		}
		if err := checkLogits(w.res); err != nil {
			return err
		}
		if plan.cam != nil {
			if w.extra, err = plan.cam.ExplainFloats(batch.data, batch.dims, target); err != nil {
				return usageError{err}
			}
		}
		for j := range end - start {
			i := start + j
			w.in = &input{pictures: batch.pictures[j : j+1]}
			if err := w.writePicture(j, filepath.Join(f.out, names[i]), f.layers, methods, f.raw); err != nil {
				return err
			}
			pred := models.Argmax(w.res.Logits[j])
			row := pictureRow{name: names[i], path: paths[i], predicted: classLabel(classes, pred),
				explained: classLabel(classes, w.res.Classes[j])}
			fmt.Fprintf(stdout, "%s: predicted %s, score %.6g; explained %s\n", paths[i], row.predicted, w.res.Logits[j][pred], row.explained)
			fmt.Fprintf(stdout, "  top-%d softmax: %s\n", topK, formatTop(classes, labels.TopK(classes, w.res.Logits[j], topK)))
			rows = append(rows, row)
		}
		bar.show(end)
	}
	if f.format == "npy" {
		fmt.Fprintf(stdout, "maps of %d pictures written to %s\n", len(paths), f.out)
		return nil
	}
	if err := writeManyIndex(f, rows, folders, plan.skip, methods); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "maps of %d pictures written to %s (open %s)\n", len(paths), f.out, joinPath(f.out, "index.html"))
	return nil
}

// writePicture writes example j of w's results under dir: dir/L'/M.{npy,png} for every
// layer and method (and M_raw.npy with raw), and dir/multilayer/M.* for several layers;
// pairs in w.skip are left out.
func (w *writer) writePicture(j int, dir string, layers []string, methods []camviz.Method, raw bool) error {
	for _, l := range layers {
		sub := filepath.Join(dir, w.folders[l])
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return err
		}
		for _, meth := range methods {
			if w.skip[l][meth] {
				continue
			}
			res := w.result(l, meth)
			final, err := res.Final(w.m.LayerName(l), meth)
			if err != nil {
				return err
			}
			if raw {
				rawMaps, err := res.Raw(w.m.LayerName(l), meth)
				if err != nil {
					return err
				}
				if err := writeMaps(filepath.Join(sub, string(meth)+"_raw.npy"), rawMaps[j:j+1]); err != nil {
					return err
				}
			}
			if _, err := w.writeMapsAndOverlay(sub, string(meth), string(meth)+" at "+l, final[j:j+1], j); err != nil {
				return err
			}
		}
	}
	if len(layers) < 2 {
		return nil
	}
	sub := filepath.Join(dir, multiLayerDir)
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return err
	}
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = w.m.LayerName(l)
	}
	for _, meth := range methods {
		if w.skippedAnywhere(meth) {
			continue
		}
		agg, err := w.res.FinalMultiLayer(names, meth)
		if err != nil {
			return err
		}
		if _, err := w.writeMapsAndOverlay(sub, string(meth), string(meth)+" at "+strings.Join(layers, " + "), agg[j:j+1], j); err != nil {
			return err
		}
	}
	return nil
}

// writeManyIndex writes DIR/index.html, last and whole: one row per picture with its
// classes and its overlays (linked files, so the page stays small for large folders).
func writeManyIndex(f *explainFlags, rows []pictureRow, folders map[string]string, skip map[string]map[camviz.Method]bool,
	methods []camviz.Method) error {
	type column struct{ folder, layer string }
	var columns []column
	for _, l := range f.layers {
		columns = append(columns, column{folders[l], l})
	}
	if len(f.layers) > 1 {
		columns = append(columns, column{multiLayerDir, ""})
	}
	applies := func(c column, meth camviz.Method) bool {
		if c.layer != "" {
			return !skip[c.layer][meth]
		}
		for _, s := range skip {
			if s[meth] {
				return false
			}
		}
		return true
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>camviz explain</title>\n" +
		"<style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse}" +
		"td,th{border:1px solid #ccc;padding:4px;text-align:center;vertical-align:middle}" +
		"img{image-rendering:pixelated;width:160px}</style></head><body>\n")
	fmt.Fprintf(&b, "<h1>camviz explain</h1>\n<p>Model: %s; %d pictures from %s.</p>\n<table>\n<tr><th>picture</th>",
		html.EscapeString(f.model), len(rows), html.EscapeString(f.inputPath))
	for _, c := range columns {
		for _, meth := range methods {
			fmt.Fprintf(&b, "<th>%s<br>%s</th>", html.EscapeString(c.folder), html.EscapeString(string(meth)))
		}
	}
	b.WriteString("</tr>\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "<tr><th>%s<br>predicted %s<br>explained %s</th>", html.EscapeString(r.path),
			html.EscapeString(r.predicted), html.EscapeString(r.explained))
		for _, c := range columns {
			for _, meth := range methods {
				if !applies(c, meth) {
					b.WriteString("<td>does not apply</td>")
					continue
				}
				src := r.name + "/" + c.folder + "/" + string(meth) + ".png"
				fmt.Fprintf(&b, `<td><a href="%s"><img alt="%s" src="%s"></a></td>`, html.EscapeString(src),
					html.EscapeString(r.name+" "+c.folder+" "+string(meth)), html.EscapeString(src))
			}
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</table>\n<p>Maps: minmax(resize(minmax(relu(raw)))) as pytorch-grad-cam.</p>\n</body></html>\n")
	return writeFileAtomic(filepath.Join(f.out, "index.html"), []byte(b.String()))
}

// explainer builds the Explainer of layers × methods with each layer in its layout
// (--tokens, --drop-tokens, --channels-last) and the method options (--finer-alpha,
// --finer-ranks, --random-seed), for runExplain and explainMany.
func (f *explainFlags) explainer(backend compute.Backend, m *models.Model, layers []string, methods ...camviz.Method) (*camviz.Explainer, error) {
	cfg := m.Config(layers, methods...)
	if err := f.configure(&cfg); err != nil {
		return nil, err
	}
	var err error
	if cfg.LayerLayouts, err = f.layout.layouts(cfg.Layers); err != nil {
		return nil, err
	}
	return camviz.NewExplainer(backend, m.Store, m.Fn, cfg)
}
