//go:build unix

package nb

import (
	"image"
	"image/color"
	"testing"
)

// A result with 1000 classes and no ClassNames is captioned with the bundled ImageNet-1k
// names; explicit names win.
func TestExplorerAddResultImageNetNames(t *testing.T) {
	res, err := thousandClassResult(281)
	if err != nil {
		t.Fatal(err)
	}
	white := solid(2, 2, color.RGBA{255, 255, 255, 255})
	for _, c := range []struct {
		names []string
		want  string
	}{
		{nil, "pixels · GradCAM · tabby, score 564 · map 2×2"},                      // score (281+1)·2
		{make([]string, 1000), "pixels · GradCAM · class 281, score 564 · map 2×2"}, // blank names are no names
	} {
		e := NewExplorer("imagenet")
		if err := e.AddResult(res, ResultOptions{Images: []image.Image{white}, ClassNames: c.names}); err != nil {
			t.Fatal(err)
		}
		page, err := e.HTML()
		if err != nil {
			t.Fatal(err)
		}
		if d := parseExplorer(t, page); d.Captions[0] != c.want {
			t.Errorf("caption %q, want %q", d.Captions[0], c.want)
		}
	}
}
