//go:build unix

package nb

import (
	"image"
	"image/color"
	"regexp"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/backends"
	"github.com/camviz/camviz/camviz/heatmap"
	"github.com/gomlx/compute/shapes"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/ml/model"
	"github.com/janpfeifer/gonb/gonbui/protocol"
)

func init() {
	// In a notebook: ShowClassOverlay and ShowResult send their HTML.
	scenarios["class-captions"] = func() []string {
		res, err := thousandClassResult(281)
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		white := solid(2, 2, color.RGBA{255, 255, 255, 255})
		final, err := res.Final("pixels", camviz.MethodGradCAM)
		if err != nil {
			return []string{"error: " + err.Error()}
		}
		return results(ShowClassOverlay(white, final[0], heatmap.Jet, 0.5, 281, []string{281: "tabby"}),
			ShowResult(res, ResultOptions{Images: []image.Image{white}}))
	}
}

// thousandClassResult explains, with Grad-CAM at the tap "pixels", a 1000-class model
// whose logits are logit[c] = (c+1)·Σ pixels, for the 2×2 one-channel image {0, 1, 0, 1}
// and the given class: its score is (class+1)·2.
func thousandClassResult(class int) (*camviz.Result, error) {
	backend, err := backends.New()
	if err != nil {
		return nil, err
	}
	fn := func(_ *model.Scope, images *graph.Node) *graph.Node {
		s := graph.ReduceSum(camviz.Tap(images, "pixels"), 1, 2, 3)
		scale := graph.AddScalar(graph.Iota(images.Graph(), shapes.Make(images.DType(), 1000), 0), 1)
		return graph.Mul(graph.ExpandAxes(s, -1), graph.ExpandAxes(scale, 0))
	}
	ex, err := camviz.NewExplainer(backend, nil, fn, camviz.Config{Layers: []string{"pixels"}, Methods: []camviz.Method{camviz.MethodGradCAM}})
	if err != nil {
		return nil, err
	}
	return ex.ExplainFloats([]float32{0, 1, 0, 1}, []int{1, 2, 2, 1}, camviz.ClassTarget(class))
}

func TestClassName(t *testing.T) {
	names := []string{"tench", " ", "goldfish"}
	for c, want := range map[int]string{0: "tench", 1: "class 1", 2: "goldfish", 3: "class 3", -1: "class -1"} {
		if got := ClassName(names, c); got != want {
			t.Errorf("ClassName(%d) = %q, want %q", c, got, want)
		}
	}
	if got := ClassName(nil, 7); got != "class 7" {
		t.Errorf("ClassName(nil, 7) = %q", got)
	}
}

var imgSrc = regexp.MustCompile(`<img src="(data:image/png;base64,[^"]+)"`)

// TestClassOverlayHTML: the caption names the class (escaped), the index stays in
// data-class and the title, and the picture is heatmap.Overlay's, pixel for pixel.
func TestClassOverlayHTML(t *testing.T) {
	img := solid(2, 1, color.RGBA{255, 255, 255, 255})
	m, err := heatmap.FromSlice(1, 2, []float32{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"cat", "dog & <wolf>"}
	for _, c := range []struct {
		class int
		names []string
		want  string
	}{
		{1, names, `<figcaption data-class="1" title="class 1" style="font:13px sans-serif;margin:4px 0">dog &amp; &lt;wolf&gt;</figcaption>`},
		{0, names, `>cat</figcaption>`},
		{5, names, `<figcaption data-class="5" title="class 5" style="font:13px sans-serif;margin:4px 0">class 5</figcaption>`},
		{1, nil, `>class 1</figcaption>`},
	} {
		page, err := ClassOverlayHTML(img, m, heatmap.Jet, 0.5, c.class, c.names)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(page, c.want) {
			t.Errorf("class %d, names %q: HTML\n%.300s\nlacks %s", c.class, c.names, page, c.want)
		}
		if !strings.Contains(page, `width="128" height="64"`) { // 2×1 enlarged 64 times to 128 px wide
			t.Errorf("the 2×1 picture is not shown at 128×64: %.300s", page)
		}
		if strings.Contains(page, "<script") {
			t.Error("the figure carries a script")
		}
		srcs := imgSrc.FindAllStringSubmatch(page, -1)
		if len(srcs) != 1 {
			t.Fatalf("%d pictures, want 1", len(srcs))
		}
		// jet(0) = (0,0,128) over white → (128,128,192); jet(1) = (128,0,0) → (192,128,128).
		wantPixels(t, decodeDataURI(t, srcs[0][1]), [][]color.NRGBA{{opaque(128, 128, 192), opaque(192, 128, 128)}})
	}
	if _, err := ClassOverlayHTML(img, m, heatmap.Jet, 2, 0, nil); err == nil || !strings.HasPrefix(err.Error(), "nb.ClassOverlayHTML: ") {
		t.Errorf("alpha 2: error %v", err)
	}
}

// TestResultHTML: rows are captioned with the explained class's name (the bundled
// ImageNet-1k names for 1000 classes, or ResultOptions.ClassNames), its index in
// data-class and the title, and the score; one picture per input and layer × method.
func TestResultHTML(t *testing.T) {
	res, err := thousandClassResult(281)
	if err != nil {
		t.Fatal(err)
	}
	white := solid(2, 2, color.RGBA{255, 255, 255, 255})
	custom := make([]string, 1000)
	custom[281] = "my cat & me"
	for _, c := range []struct {
		names []string
		want  string
	}{
		{nil, `<span data-class="281" title="class 281" style="font:13px sans-serif;margin:4px 0">tabby, score 564</span>`},
		{custom, `>my cat &amp; me, score 564</span>`},
		{make([]string, 1000), `>class 281, score 564</span>`},
	} {
		page, err := ResultHTML(res, ResultOptions{Images: []image.Image{white}, Examples: []string{"chelsea"}, ClassNames: c.names})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{c.want, ">chelsea<br>", ">pixels · GradCAM</th>"} {
			if !strings.Contains(page, want) {
				t.Errorf("names %.3q: HTML lacks %s:\n%.600s", c.names, want, page)
			}
		}
		if n := len(imgSrc.FindAllString(page, -1)); n != 2 {
			t.Errorf("%d pictures, want 2 (the input and one map)", n)
		}
	}
	for _, c := range []struct {
		res  *camviz.Result
		opt  ResultOptions
		want string
	}{
		{nil, ResultOptions{}, "nb.ResultHTML: result is nil"},
		{res, ResultOptions{}, "nb.ResultHTML: 0 images for a result of 1 examples"},
		{res, ResultOptions{Images: []image.Image{solid(3, 2, color.RGBA{})}}, "nb.ResultHTML: image 0 is 3x2"},
		{res, ResultOptions{Images: []image.Image{white}, Layers: []string{"nope"}}, "nb.ResultHTML: "},
	} {
		if _, err := ResultHTML(c.res, c.opt); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("error %v, want it to start with %q", err, c.want)
		}
	}
}

// TestShowClassCaptionsSendHTML runs ShowClassOverlay and ShowResult in a (fake) notebook:
// each sends one text/html output naming the class.
func TestShowClassCaptionsSendHTML(t *testing.T) {
	c := runChild(t, "class-captions", true)
	wantOK(t, c, 2)
	if len(c.messages) != 2 {
		t.Fatalf("got %d messages, want 2", len(c.messages))
	}
	for i, want := range []string{">tabby</figcaption>", ">tabby, score 564</span>"} {
		if got, ok := c.messages[i].Data[protocol.MIMETextHTML].(string); !ok || !strings.Contains(got, want) {
			t.Errorf("message %d: %.200v lacks %s", i, c.messages[i].Data, want)
		}
	}
	if c := runChild(t, "class-captions", false); c.stdout != "nil\nnil" {
		t.Errorf("outside a notebook: %q, want two nils", c.stdout)
	}
}
