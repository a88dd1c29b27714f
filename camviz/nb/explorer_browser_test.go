//go:build unix

package nb

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExplorerInChromium loads a page holding three explorer outputs, as a notebook with
// three such cells would: explorer A, another explorer B, and A's very HTML again (the
// same output shown twice: the same DOM id). It moves A's layer slider with the keyboard
// and clicks its buttons like a user, checking after each step the shown view, the
// <img> src (the data: URL of the picture added for that view), the caption, the
// "not computed" placeholder, and that the other explorers did not move. Last, a
// screenshot is decoded and the colour at the centre of each shown picture is compared
// with the solid colour of the picture that should be there. Set
// CAMVIZ_EXPLORER_SCREENSHOT to a file name to keep the screenshot.
func TestExplorerInChromium(t *testing.T) {
	a := testExplorer(t, "Explorer A")
	a.Size = 120
	htmlA, err := a.HTML()
	if err != nil {
		t.Fatal(err)
	}
	b := NewExplorer("Explorer B")
	b.Size = 120
	bColor := color.RGBA{250, 200, 0, 255}
	for i, layer := range []string{"x", "y"} {
		c := bColor
		c.B = uint8(100 * i)
		if err := b.Add(View{Layer: layer}, solid(4, 4, c)); err != nil {
			t.Fatal(err)
		}
	}
	htmlB, err := b.HTML()
	if err != nil {
		t.Fatal(err)
	}
	page := "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body style=\"margin:8px;background:#fff\">\n"
	for _, h := range []string{htmlA, htmlB, htmlA} {
		page += "<div class=\"output\">" + h + "</div>\n"
	}
	page += "</body></html>\n"
	path := filepath.Join(t.TempDir(), "explorers.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}

	br := startBrowser(t, 900, 1400)
	br.open(t, path)

	root := func(i int) string { return fmt.Sprintf("document.querySelectorAll('.camviz-explorer')[%d]", i) }
	var roots int
	br.eval(t, "document.querySelectorAll('.camviz-explorer[data-ready]').length", &roots)
	if roots != 3 {
		t.Fatalf("%d explorers initialised, want 3", roots)
	}
	// state returns what explorer i shows.
	type shown struct {
		View, Src, Under, Input, Caption, Layer, Opacity string
		Over, MapVisible, MissingVisible                 bool
		Pressed                                          []string
	}
	state := func(i int) shown {
		var s shown
		br.eval(t, `(function(r){var m=r.querySelector('img.cvx-map'),u=r.querySelector('img.cvx-under'),i=r.querySelector('img.cvx-input'),`+
			`v=r.querySelector('.cvx-row[data-axis="1"] .cvx-value');`+
			`return {view:r.getAttribute('data-view'),src:m.getAttribute('src'),under:u.getAttribute('src')||'',input:i?i.getAttribute('src'):'',`+
			`caption:r.querySelector('.cvx-caption').textContent,layer:v?v.textContent:'',opacity:getComputedStyle(m).opacity,`+
			`over:r.querySelector('.cvx-stack').classList.contains('cvx-over')&&getComputedStyle(u).display!=='none',`+
			`mapVisible:m.getClientRects().length>0,missingVisible:r.querySelector('.cvx-missing').getClientRects().length>0,`+
			`pressed:Array.from(r.querySelectorAll('button[aria-pressed=true]')).map(function(b){return b.title;})};})(`+root(i)+`)`, &s)
		return s
	}
	viewURI := func(e, l, m, c int) string { return dataURI(t, solid(8, 8, pictureColor(e, l, m, c))) }
	grayURI := func(g uint8) string { return dataURI(t, solid(8, 8, color.RGBA{g, g, g, 255})) }
	names := [][]string{{"img1", "img2"}, {"a", "b", "c"}, {"GradCAM", "HiResCAM"}, {"cat", "dog"}}
	// want checks explorer A's state (root i) against view (e, l, m, c).
	want := func(step string, i, e, l, m, c int) {
		t.Helper()
		s := state(i)
		missing := e == 1 && l == 2 && m == 0 && c == 1
		wantView := fmt.Sprintf("%d,%d,%d,%d", e, l, m, c)
		if s.View != wantView {
			t.Fatalf("%s: explorer %d shows view %s, want %s", step, i, s.View, wantView)
		}
		if s.Input != grayURI(uint8(60+120*e)) {
			t.Errorf("%s: explorer %d shows another input picture than image %d's", step, i, e)
		}
		if s.Layer != names[1][l] {
			t.Errorf("%s: layer label %q, want %q", step, s.Layer, names[1][l])
		}
		if got, want := strings.Join(s.Pressed, ","), names[0][e]+","+names[2][m]+","+names[3][c]; got != want {
			t.Errorf("%s: pressed buttons %s, want %s", step, got, want)
		}
		if missing {
			if s.MapVisible || !s.MissingVisible || s.Caption != "" {
				t.Errorf("%s: missing view: map visible %v, placeholder visible %v, caption %q; want only the placeholder",
					step, s.MapVisible, s.MissingVisible, s.Caption)
			}
			return
		}
		if s.Src != viewURI(e, l, m, c) {
			t.Errorf("%s: explorer %d's <img> src is not the picture of view %s", step, i, wantView)
		}
		// HiResCAM views are heatmaps, blended over the input at the opacity slider's 50%.
		if over := m == 1; s.Over != over || (over && (s.Under != grayURI(uint8(60+120*e)) || s.Opacity != "0.5")) || (!over && s.Opacity != "1") {
			t.Errorf("%s: overlay %v over the input %v at opacity %s; want overlay %v (at 0.5 over image %d's input, else opacity 1)",
				step, s.Over, s.Under == grayURI(uint8(60+120*e)), s.Opacity, over, e)
		}
		if wantCap := strings.Join([]string{names[0][e], names[1][l], names[2][m], names[3][c]}, "/"); s.Caption != wantCap ||
			!s.MapVisible || s.MissingVisible {
			t.Errorf("%s: caption %q (map visible %v, placeholder visible %v), want %q with the map shown",
				step, s.Caption, s.MapVisible, s.MissingVisible, wantCap)
		}
	}

	want("load", 0, 0, 0, 0, 0)
	want("load", 2, 0, 0, 0, 0)
	if s := state(1); s.View != "0,0,0,0" || s.Src != dataURI(t, solid(4, 4, bColor)) || s.Layer != "x" {
		t.Fatalf("load: explorer B shows %s (layer %q), want its first view", s.View, s.Layer)
	}
	var thumbs []string
	br.eval(t, `Array.from(`+root(0)+`.querySelectorAll('button img')).map(function(i){return i.getAttribute('src');})`, &thumbs)
	if len(thumbs) != 2 || thumbs[0] != grayURI(60) || thumbs[1] != grayURI(180) {
		t.Errorf("image buttons' thumbnails are not the two inputs")
	}

	slider := root(0) + `.querySelector('.cvx-row[data-axis="1"] input')`
	br.eval(t, slider+".focus()", nil)
	br.key(t, "ArrowRight", 39)
	want("slider → (key)", 0, 0, 1, 0, 0)
	want("A's copy is untouched", 2, 0, 0, 0, 0)
	br.click(t, root(0)+`.querySelector('button[title=HiResCAM]')`)
	want("click HiResCAM", 0, 0, 1, 1, 0)
	br.click(t, root(0)+`.querySelector('button[title=dog]')`)
	want("click dog", 0, 0, 1, 1, 1)
	br.click(t, root(0)+`.querySelector('button[title=img2]')`)
	want("click img2", 0, 1, 1, 1, 1)
	br.eval(t, slider+".focus()", nil)
	br.key(t, "ArrowRight", 39)
	br.key(t, "ArrowRight", 39) // past the last layer: stays there
	want("slider → → (key)", 0, 1, 2, 1, 1)
	br.click(t, root(0)+`.querySelector('button[title=GradCAM]')`)
	want("missing view", 0, 1, 2, 0, 1)
	br.click(t, root(0)+`.querySelector('button[title=cat]')`)
	want("click cat", 0, 1, 2, 0, 0)
	br.eval(t, root(2)+`.querySelector('.cvx-row[data-axis="1"] input').focus()`, nil)
	br.key(t, "End", 35)
	want("copy: slider End (key)", 2, 0, 2, 0, 0)
	want("A after its copy moved", 0, 1, 2, 0, 0)
	if s := state(1); s.View != "0,0,0,0" {
		t.Errorf("explorer B moved to %s while A was used", s.View)
	}
	br.click(t, root(2)+`.querySelector('button[title=HiResCAM]')`)
	want("copy: click HiResCAM (a heatmap)", 2, 0, 2, 1, 0)

	// What the user sees: the centre colour of each shown picture. A's copy shows the
	// gray heatmap of level L = mapLevel(0, 2, 0) = 128 over its input of level 60 at
	// opacity 0.5: (1 − 0.5)·60 + 0.5·128 = 94 (the browser may round either way).
	centre := func(sel string) image.Point {
		var at struct{ X, Y float64 }
		br.eval(t, `(function(){var r=`+sel+`.getBoundingClientRect();return {x:r.left+r.width/2,y:r.top+r.height/2};})()`, &at)
		return image.Pt(int(at.X), int(at.Y))
	}
	type probe struct {
		what, sel string
		want      color.RGBA
		tol       int
	}
	look := func(name string, probes []probe) {
		t.Helper()
		br.eval(t, "window.scrollTo(0,0)", nil)
		shot := br.screenshot(t)
		if p := os.Getenv("CAMVIZ_EXPLORER_SCREENSHOT"); p != "" {
			if err := os.WriteFile(strings.TrimSuffix(p, ".png")+"-"+name+".png", shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		for _, c := range probes {
			p := centre(c.sel)
			if !p.In(img.Bounds()) {
				t.Errorf("%s: %s: centre %v is outside the %v screenshot", name, c.what, p, img.Bounds())
				continue
			}
			got := color.RGBAModel.Convert(img.At(p.X, p.Y)).(color.RGBA)
			if absDiff(got.R, c.want.R) > c.tol || absDiff(got.G, c.want.G) > c.tol || absDiff(got.B, c.want.B) > c.tol {
				t.Errorf("%s: %s: the screenshot shows %v at its centre %v, want %v ± %d", name, c.what, got, p, c.want, c.tol)
			}
		}
	}
	mapOf := func(i int) string { return root(i) + ".querySelector('.cvx-stack')" }
	look("blend", []probe{
		{"A's map", mapOf(0), viewColor(1, 2, 0, 0), 0},
		{"A's input", root(0) + ".querySelector('img.cvx-input')", color.RGBA{180, 180, 180, 255}, 0},
		{"B's map", mapOf(1), bColor, 0},
		{"A's copy's heatmap over its input", mapOf(2), color.RGBA{94, 94, 94, 255}, 1},
	})
	// The opacity slider at 100% shows the heatmap alone, at 0% the input alone.
	alpha := root(2) + ".querySelector('input.cvx-alpha')"
	br.eval(t, alpha+".focus()", nil)
	br.key(t, "End", 35)
	look("opaque", []probe{{"A's copy's heatmap at opacity 1", mapOf(2), color.RGBA{128, 128, 128, 255}, 0}})
	br.key(t, "Home", 36)
	look("transparent", []probe{{"A's copy's heatmap at opacity 0", mapOf(2), color.RGBA{60, 60, 60, 255}, 0}})
	var labels []string
	br.eval(t, `[`+root(2)+`.querySelector('.cvx-alpha-value').textContent,`+root(0)+`.querySelector('input.cvx-alpha').value]`, &labels)
	if len(labels) != 2 || labels[0] != "0%" || labels[1] != "50" {
		t.Errorf("opacity label and A's own opacity slider: %q, want 0%% and 50 (A's slider did not move)", labels)
	}
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
