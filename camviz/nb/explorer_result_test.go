//go:build unix

package nb

import (
	"image"
	"image/color"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// linearModel taps the image itself ("pixels", [b, 2, 2, 1]) and scores
// logits = (Σ pixels, −Σ pixels). For class 0, ∂y/∂A = 1 everywhere, so Grad-CAM's
// α = 1 and HiResCAM's G⊙A both give raw = the image: the final map is the image's
// min-max.
func linearModel(_ *model.Scope, images *graph.Node) *graph.Node {
	a := camviz.Tap(images, "pixels")
	s := graph.ReduceSum(a, 1, 2, 3)
	return graph.Stack([]*graph.Node{s, graph.Neg(s)}, 1)
}

func TestExplorerAddResult(t *testing.T) {
	backend, err := backends.New()
	if err != nil {
		t.Fatal(err)
	}
	methods := []camviz.Method{camviz.MethodGradCAM, "HiResCAM"}
	ex, err := camviz.NewExplainer(backend, nil, linearModel, camviz.Config{Layers: []string{"pixels"}, Methods: methods})
	if err != nil {
		t.Fatal(err)
	}
	// Example 1 = [[0, 2], [0, 2]] → final [[0, 1], [0, 1]]; example 2 its mirror.
	res, err := ex.ExplainFloats([]float32{0, 2, 0, 2, 2, 0, 2, 0}, []int{2, 2, 2, 1}, camviz.ClassTarget(0))
	if err != nil {
		t.Fatal(err)
	}
	white := solid(2, 2, color.RGBA{255, 255, 255, 255})
	e := NewExplorer("linear")
	opt := ResultOptions{Images: []image.Image{white, white}, Examples: []string{"left", "right"}, Class: "up",
		ClassNames: []string{"up", "down"}}
	if err := e.AddResult(res, opt); err != nil {
		t.Fatal(err)
	}
	if e.Len() != 4 || strings.Join(e.Values("method"), ",") != "GradCAM,HiResCAM" ||
		strings.Join(e.Values("image"), ",") != "left,right" || strings.Join(e.Values("class"), ",") != "up" {
		t.Fatalf("got %d views, methods %v, images %v, classes %v", e.Len(), e.Values("method"), e.Values("image"), e.Values("class"))
	}
	page, err := e.HTML()
	if err != nil {
		t.Fatal(err)
	}
	d := parseExplorer(t, page)
	// Final = minmax(resize(minmax(relu(raw)))): the first min-max gives 2/(2 + 1e-7) = 1
	// (2 + 1e-7 rounds to 2 in float32), the second 1/(1 + 1e-7) = 1/(1 + 2⁻²³) =
	// 0.99999988 (1 + 1e-7 rounds up to 1 + 2⁻²³), which the colormap quantises to
	// ⌊255·0.99999988⌋ = 254: jet[0] = (0,0,128), jet[254] = (132,0,0). The maps are
	// stored colorized, for the browser to blend over the white input.
	lo, hi := opaque(0, 0, 128), opaque(132, 0, 0)
	for m := 0; m < 2; m++ {
		if !d.Over[(0*1+0)*2+m] || !d.Over[(1*1+0)*2+m] {
			t.Errorf("method %d: the maps are not marked for blending over the input", m)
		}
		wantPixels(t, decodeDataURI(t, d.Pics[d.Cells[(0*1+0)*2+m]]), [][]color.NRGBA{{lo, hi}, {lo, hi}})
		wantPixels(t, decodeDataURI(t, d.Pics[d.Cells[(1*1+0)*2+m]]), [][]color.NRGBA{{hi, lo}, {hi, lo}})
	}
	// Both methods give the same pictures: 2 overlays + 1 white input embedded.
	if len(d.Pics) != 3 || d.Inputs[0] != d.Inputs[1] {
		t.Errorf("%d pictures (inputs %v), want 3 distinct with one shared input", len(d.Pics), d.Inputs)
	}
	// Score y_0 = Σ pixels = 4; the raw map is 2×2.
	if want := "pixels · HiResCAM · up, score 4 · map 2×2"; d.Captions[1] != want {
		t.Errorf("caption %q, want %q", d.Captions[1], want)
	}

	// Errors leave the explorer as it was.
	bad := []struct {
		opt  ResultOptions
		want string
	}{
		{ResultOptions{Images: []image.Image{white}}, "1 images for a result of 2"},
		{ResultOptions{Images: []image.Image{white, solid(3, 2, color.RGBA{})}}, "image 1 is 3x2"},
		{ResultOptions{Images: []image.Image{white, white}, Examples: []string{"x"}}, "1 example names"},
		{ResultOptions{Images: []image.Image{white, white}, Layers: []string{"nope"}}, `layer "nope"`},
	}
	for _, b := range bad {
		if err := e.AddResult(res, b.opt); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("AddResult(%+v): got %v, want an error mentioning %q", b.opt, err, b.want)
		}
	}
	if err := e.AddResult(nil, opt); err == nil || !strings.Contains(err.Error(), "result is nil") {
		t.Errorf("nil result: got %v", err)
	}
	if e.Len() != 4 {
		t.Errorf("failed AddResult calls changed the explorer: %d views, want 4", e.Len())
	}
}

func init() {
	scenarios["explorer"] = func() []string {
		ex := NewExplorer("shown")
		if err := ex.Add(View{Layer: "a"}, solid(2, 2, color.RGBA{9, 8, 7, 255})); err != nil {
			return results(err)
		}
		return results(ShowExplorer(ex), ShowExplorer(nil), ShowExplorer(NewExplorer("empty")))
	}
}

func TestShowExplorerSendsHTML(t *testing.T) {
	c := runChild(t, "explorer", true)
	lines := strings.Split(c.stdout, "\n")
	if len(lines) != 3 || lines[0] != "nil" || !strings.Contains(lines[1], "explorer is nil") || !strings.Contains(lines[2], "no pictures") {
		t.Fatalf("child results:\n%s\nwant nil, a nil-explorer error and a no-pictures error", c.stdout)
	}
	if len(c.messages) != 1 || c.syncs != 1 {
		t.Fatalf("got %d messages and %d syncs, want 1 of each", len(c.messages), c.syncs)
	}
	page, ok := c.messages[0].Data[protocol.MIMETextHTML].(string)
	if !ok || len(c.messages[0].Data) != 1 {
		t.Fatalf("message is %v, want only text/html", keys(c.messages[0].Data))
	}
	d := parseExplorer(t, page)
	if len(d.Pics) != 1 || d.Pics[0] != dataURI(t, solid(2, 2, color.RGBA{9, 8, 7, 255})) || !strings.Contains(page, `id="`+d.ID+`"`) {
		t.Errorf("the shown HTML does not carry the explorer's picture and id")
	}
}
