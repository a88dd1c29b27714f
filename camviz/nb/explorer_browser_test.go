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
		View, Src, Input, Caption, Layer string
		MapVisible, MissingVisible       bool
		Pressed                          []string
	}
	state := func(i int) shown {
		var s shown
		br.eval(t, `(function(r){var m=r.querySelector('img.cvx-map'),i=r.querySelector('img.cvx-input'),v=r.querySelector('.cvx-value');`+
			`return {view:r.getAttribute('data-view'),src:m.getAttribute('src'),input:i?i.getAttribute('src'):'',`+
			`caption:r.querySelector('.cvx-caption').textContent,layer:v?v.textContent:'',`+
			`mapVisible:getComputedStyle(m).display!=='none',missingVisible:getComputedStyle(r.querySelector('.cvx-missing')).display!=='none',`+
			`pressed:Array.from(r.querySelectorAll('button[aria-pressed=true]')).map(function(b){return b.title;})};})(`+root(i)+`)`, &s)
		return s
	}
	viewURI := func(e, l, m, c int) string { return dataURI(t, solid(8, 8, viewColor(e, l, m, c))) }
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

	slider := root(0) + `.querySelector('input[type=range]')`
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
	br.eval(t, root(2)+`.querySelector('input[type=range]').focus()`, nil)
	br.key(t, "End", 35)
	want("copy: slider End (key)", 2, 0, 2, 0, 0)
	want("A after its copy moved", 0, 1, 2, 0, 0)
	if s := state(1); s.View != "0,0,0,0" {
		t.Errorf("explorer B moved to %s while A was used", s.View)
	}

	// What the user sees: the centre colour of each shown picture.
	br.eval(t, "window.scrollTo(0,0)", nil)
	shot := br.screenshot(t)
	if p := os.Getenv("CAMVIZ_EXPLORER_SCREENSHOT"); p != "" {
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	centre := func(sel string) image.Point {
		var at struct{ X, Y float64 }
		br.eval(t, `(function(){var r=`+sel+`.getBoundingClientRect();return {x:r.left+r.width/2,y:r.top+r.height/2};})()`, &at)
		return image.Pt(int(at.X), int(at.Y))
	}
	for _, c := range []struct {
		what, sel string
		want      color.RGBA
	}{
		{"A's map", root(0) + ".querySelector('img.cvx-map')", viewColor(1, 2, 0, 0)},
		{"A's input", root(0) + ".querySelector('img.cvx-input')", color.RGBA{180, 180, 180, 255}},
		{"B's map", root(1) + ".querySelector('img.cvx-map')", bColor},
		{"A's copy's map", root(2) + ".querySelector('img.cvx-map')", viewColor(0, 2, 0, 0)},
	} {
		p := centre(c.sel)
		if !p.In(img.Bounds()) {
			t.Errorf("%s: centre %v is outside the %v screenshot", c.what, p, img.Bounds())
			continue
		}
		if got := color.RGBAModel.Convert(img.At(p.X, p.Y)).(color.RGBA); got != c.want {
			t.Errorf("%s: the screenshot shows %v at its centre %v, want %v", c.what, got, p, c.want)
		}
	}
}
