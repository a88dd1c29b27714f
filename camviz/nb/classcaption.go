package nb

import (
	"encoding/base64"
	"fmt"
	"html"
	"image"
	"strings"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/heatmap"
)

// ClassName is how captions name class c: names[c] when names has a non-blank name for
// it (models.Spec.ClassNames, a labels.Choice's Names, labels.ImageNet1k()), else
// "class <c>". Use it for your own heatmap.Grid labels too.
func ClassName(names []string, c int) string {
	if c >= 0 && c < len(names) && strings.TrimSpace(names[c]) != "" {
		return names[c]
	}
	return fmt.Sprintf("class %d", c)
}

// classCaptionHTML is a caption naming class c (ClassName), escaped, with the index kept
// in the element's data-class attribute and in its title (shown on hover).
func classCaptionHTML(tag string, names []string, c int, extra string) string {
	return fmt.Sprintf(`<%s data-class="%d" title="class %d" style="font:13px sans-serif;margin:4px 0">%s%s</%s>`,
		tag, c, c, html.EscapeString(ClassName(names, c)), html.EscapeString(extra), tag)
}

// imgTag returns an <img> of img as a data: PNG, shown at least 128 pixels wide, enlarged
// by a whole factor pixel by pixel (so small maps stay crisp).
func imgTag(fn string, img image.Image) (string, error) {
	if img == nil || img.Bounds().Empty() {
		return "", fmt.Errorf("%s: the image is nil or empty; nothing to show", fn)
	}
	png, err := heatmap.PNGBytes(img)
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	if err != nil {
		return "", fmt.Errorf("%s: encoding the %dx%d image as PNG: %w", fn, w, h, err)
	}
	zoom := max(1, (128+w-1)/w)
	return fmt.Sprintf(`<img src="data:image/png;base64,%s" width="%d" height="%d" style="image-rendering:pixelated">`,
		base64.StdEncoding.EncodeToString(png), zoom*w, zoom*h), nil
}

// ClassOverlayHTML returns a self-contained HTML figure (no script): ShowOverlay's picture,
// heatmap.Overlay(img, m, cm, alpha), as a data: PNG (imgTag), captioned with the explained class's
// name (ClassName(names, class); "class <class>" when names has none), the index kept in
// the caption's data-class attribute and title.
func ClassOverlayHTML(img image.Image, m *heatmap.Map, cm *heatmap.Colormap, alpha float64, class int, names []string) (string, error) {
	const fn = "nb.ClassOverlayHTML"
	out, err := heatmap.Overlay(img, m, cm, alpha)
	if err != nil {
		return "", fmt.Errorf("%s: %w", fn, err)
	}
	pic, err := imgTag(fn, out)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`<figure style="display:inline-block;margin:4px">%s%s</figure>`,
		pic, classCaptionHTML("figcaption", names, class, "")), nil
}

// ShowClassOverlay displays ShowOverlay's picture captioned with the explained class's
// name (ClassOverlayHTML), as HTML in the cell's output.
func ShowClassOverlay(img image.Image, m *heatmap.Map, cm *heatmap.Colormap, alpha float64, class int, names []string) error {
	if !IsNotebook() {
		return nil
	}
	page, err := ClassOverlayHTML(img, m, cm, alpha, class, names)
	if err != nil {
		return fmt.Errorf("nb.ShowClassOverlay: %w", err)
	}
	return ShowHTML(page)
}

// ResultHTML returns a self-contained HTML table (no script) of a camviz.Result, the
// static counterpart of Explorer.AddResult and a ShowGrid whose rows are captioned by
// class: one row per example, its input picture, then the final map of every layer ×
// method (opt.Layers, opt.Methods; default all) over it (heatmap.Overlay with α = 0.5 and
// opt.Colormap). Each row is captioned with the example's name, the explained class's
// name (opt.ClassNames; for 1000 classes the bundled ImageNet-1k names; else "class
// <index>"; the index is kept in data-class and the title) and its score. Errors are
// AddResult's.
func ResultHTML(res *camviz.Result, opt ResultOptions) (string, error) {
	const fn = "nb.ResultHTML"
	sel, err := selectResult(fn, res, opt)
	if err != nil {
		return "", err
	}
	finals := make([][]*heatmap.Map, 0, len(sel.layers)*len(sel.methods))
	var b strings.Builder
	b.WriteString(`<table style="border-collapse:collapse;text-align:center"><tr><th></th><th style="font:13px sans-serif">input</th>`)
	for _, l := range sel.layers {
		for _, m := range sel.methods {
			f, err := res.Final(l, m)
			if err != nil {
				return "", fmt.Errorf("%s: %w", fn, err)
			}
			finals = append(finals, f)
			fmt.Fprintf(&b, `<th style="font:13px sans-serif">%s · %s</th>`, html.EscapeString(l), html.EscapeString(string(m)))
		}
	}
	b.WriteString("</tr>")
	for i, img := range opt.Images {
		fmt.Fprintf(&b, `<tr><th style="font:13px sans-serif;text-align:left;padding-right:8px">%s<br>%s</th>`,
			html.EscapeString(sel.examples[i]), classCaptionHTML("span", sel.classNames, res.Classes[i], fmt.Sprintf(", score %.3g", res.Scores[i])))
		cells := []image.Image{img}
		for _, f := range finals {
			over, err := heatmap.Overlay(img, f[i], sel.colormap, 0.5)
			if err != nil {
				return "", fmt.Errorf("%s: %w", fn, err)
			}
			cells = append(cells, over)
		}
		for _, c := range cells {
			pic, err := imgTag(fn, c)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "<td>%s</td>", pic)
		}
		b.WriteString("</tr>")
	}
	b.WriteString("</table>")
	return b.String(), nil
}

// ShowResult displays ResultHTML(res, opt) in the cell's output.
func ShowResult(res *camviz.Result, opt ResultOptions) error {
	if !IsNotebook() {
		return nil
	}
	page, err := ResultHTML(res, opt)
	if err != nil {
		return fmt.Errorf("nb.ShowResult: %w", err)
	}
	return ShowHTML(page)
}
