package nb

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// solid returns a w×h image of one color.
func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(img.Pix); i += 4 {
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = c.R, c.G, c.B, c.A
	}
	return img
}

// viewColor is the test color of a view: one channel per axis index.
func viewColor(e, l, m, c int) color.RGBA {
	return color.RGBA{uint8(20 + 70*l), uint8(20 + 90*m + 10*c), uint8(20 + 100*e), 255}
}

// mapLevel is the gray level of the heatmap views (method HiResCAM): 100 + 7·k, k the
// view's rank among them.
func mapLevel(e, l, c int) uint8 { return uint8(100 + 7*((e*3+l)*2+c)) }

// pictureColor is the colour of the solid picture stored for a view: a gray heatmap for
// method 1 (HiResCAM), viewColor otherwise.
func pictureColor(e, l, m, c int) color.RGBA {
	if m == 1 {
		g := mapLevel(e, l, c)
		return color.RGBA{g, g, g, 255}
	}
	return viewColor(e, l, m, c)
}

// testExplorer has 2 images × 3 layers × 2 methods × 2 classes, minus the view
// (image 2, layer c, GradCAM, dog), with captions and inputs (gray 60 and 180). GradCAM
// views are solid pictures (Add); HiResCAM views are constant heatmaps painted gray
// (AddMap), to be blended over the input.
func testExplorer(t *testing.T, title string) *Explorer {
	t.Helper()
	ex := NewExplorer(title)
	for e, exName := range []string{"img1", "img2"} {
		for l, layer := range []string{"a", "b", "c"} {
			for m, method := range []string{"GradCAM", "HiResCAM"} {
				for c, class := range []string{"cat", "dog"} {
					if e == 1 && l == 2 && m == 0 && c == 1 {
						continue
					}
					v := View{exName, layer, method, class}
					var err error
					if m == 1 {
						// Gray paints ⌊255·v⌋: v = (L + 0.5)/255 gives level L.
						err = ex.AddMap(v, constMap(8, 8, (float32(mapLevel(e, l, c))+0.5)/255), heatmap.Gray)
					} else {
						err = ex.Add(v, solid(8, 8, viewColor(e, l, m, c)))
					}
					if err != nil {
						t.Fatal(err)
					}
					if err := ex.Caption(v, exName+"/"+layer+"/"+method+"/"+class); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		g := uint8(60 + 120*e)
		if err := ex.SetInput(exName, solid(8, 8, color.RGBA{g, g, g, 255})); err != nil {
			t.Fatal(err)
		}
	}
	return ex
}

// dataURI is the data: URL of img's PNG, as the explorer embeds it.
func dataURI(t *testing.T, img image.Image) string {
	t.Helper()
	b, err := heatmap.PNGBytes(img)
	if err != nil {
		t.Fatal(err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(b)
}

var scriptData = regexp.MustCompile(`<script>\(function\(\)\{var D=(\{.*?\});`)

// parseExplorer returns the JSON data the explorer's script receives.
func parseExplorer(t *testing.T, page string) explorerData {
	t.Helper()
	m := scriptData.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no explorer data in the HTML:\n%.300s", page)
	}
	var d explorerData
	if err := json.Unmarshal([]byte(m[1]), &d); err != nil {
		t.Fatalf("explorer data is not JSON: %v", err)
	}
	return d
}

func TestExplorerLayout(t *testing.T) {
	ex := testExplorer(t, "layers <&> methods")
	if ex.Len() != 23 {
		t.Errorf("Len() = %d, want 2·3·2·2 − 1 = 23", ex.Len())
	}
	if got := ex.Values("layer"); strings.Join(got, ",") != "a,b,c" {
		t.Errorf("layer values %v, want a,b,c in order of first use", got)
	}
	page, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	d := parseExplorer(t, page)
	if want := []int{2, 3, 2, 2}; !equalInts(d.Dims, want) {
		t.Fatalf("dims %v, want %v", d.Dims, want)
	}
	// 23 distinct view colors + 2 inputs, each embedded once.
	if len(d.Pics) != 25 {
		t.Errorf("%d pictures embedded, want 25 distinct", len(d.Pics))
	}
	for e := 0; e < 2; e++ {
		for l := 0; l < 3; l++ {
			for m := 0; m < 2; m++ {
				for c := 0; c < 2; c++ {
					i := ((e*3+l)*2+m)*2 + c
					if e == 1 && l == 2 && m == 0 && c == 1 {
						if d.Cells[i] != -1 {
							t.Errorf("missing view %d has picture %d, want -1", i, d.Cells[i])
						}
						continue
					}
					if got, want := d.Pics[d.Cells[i]], dataURI(t, solid(8, 8, pictureColor(e, l, m, c))); got != want {
						t.Errorf("view (%d,%d,%d,%d) = index %d shows another picture", e, l, m, c, i)
					}
					if d.Over[i] != (m == 1) {
						t.Errorf("view (%d,%d,%d,%d): overlay %v, want %v (AddMap)", e, l, m, c, d.Over[i], m == 1)
					}
				}
			}
		}
	}
	if d.Captions[((1*3+1)*2+1)*2+0] != "img2/b/HiResCAM/cat" {
		t.Errorf("caption of view (1,1,1,0) = %q", d.Captions[((1*3+1)*2+1)*2])
	}
	if d.Pics[d.Inputs[1]] != dataURI(t, solid(8, 8, color.RGBA{180, 180, 180, 255})) {
		t.Errorf("input of img2 is not its gray picture")
	}
	// The static HTML shows view 0 (and input 0) without the script.
	if !strings.Contains(page, `class="cvx-map" alt="map" src="`+dataURI(t, solid(8, 8, viewColor(0, 0, 0, 0)))+`"`) ||
		!strings.Contains(page, `class="cvx-input" alt="input" src="`+dataURI(t, solid(8, 8, color.RGBA{60, 60, 60, 255}))+`"`) {
		t.Error("the static HTML does not show the first view and its input")
	}
	if !strings.Contains(page, "layers &lt;&amp;&gt; methods") || strings.Contains(page, "<&>") {
		t.Error("the title is not HTML-escaped")
	}
	// Self-contained: nothing is fetched.
	for _, bad := range []string{"http:", "https:", `src="//`, "<link", "import("} {
		if strings.Contains(page, bad) {
			t.Errorf("the HTML contains %q: it must not load anything", bad)
		}
	}
	// Two sliders (layers, opacity), buttons for the 2 images, 2 methods and 2 classes.
	if n := strings.Count(page, `type="range"`); n != 2 || !strings.Contains(page, `class="cvx-alpha" type="range" min="0" max="100" step="1" value="50"`) {
		t.Errorf("%d sliders, want 2 (layer, opacity at 50%%)", n)
	}
	if d.Alpha != DefaultExplorerAlpha {
		t.Errorf("alpha %v, want the default %v", d.Alpha, DefaultExplorerAlpha)
	}
	if n := strings.Count(page, `<button `); n != 6 {
		t.Errorf("%d buttons, want 6", n)
	}
}

func TestExplorerSingleValueAxesHaveNoControl(t *testing.T) {
	ex := NewExplorer("")
	for l, layer := range []string{"x", "y"} {
		if err := ex.Add(View{Layer: layer, Method: "CAM"}, solid(2, 2, viewColor(0, l, 0, 0))); err != nil {
			t.Fatal(err)
		}
	}
	page, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(page, `type="range"`) != 1 || strings.Contains(page, "<button") || strings.Contains(page, `class="cvx-input"`) {
		t.Error("want only a layer slider (one image, one method, one class, no input)")
	}
	if d := parseExplorer(t, page); !equalInts(d.Dims, []int{1, 2, 1, 1}) || len(d.Pics) != 2 {
		t.Errorf("dims %v and %d pictures, want [1 2 1 1] and 2", d.Dims, len(d.Pics))
	}
}

func TestExplorerIDsAreUnique(t *testing.T) {
	ex := testExplorer(t, "t")
	a, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	b, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	other, err := testExplorer(t, "other title").HTML()
	if err != nil {
		t.Fatal(err)
	}
	ida, idb, ido := parseExplorer(t, a).ID, parseExplorer(t, b).ID, parseExplorer(t, other).ID
	if ida == idb || ida == ido || idb == ido {
		t.Errorf("ids %s, %s, %s: want three different ids", ida, idb, ido)
	}
	idPat := regexp.MustCompile(`^camviz-explorer-[0-9a-f]{12}-[0-9]+$`)
	for _, id := range []string{ida, idb, ido} {
		if !idPat.MatchString(id) {
			t.Errorf("id %q does not match %v", id, idPat)
		}
	}
	// Same content: same hash part; another title: another hash.
	if ida[:len("camviz-explorer-")+12] != idb[:len("camviz-explorer-")+12] || ida[:28] == ido[:28] {
		t.Errorf("hash parts of %s, %s, %s: want equal for equal content only", ida, idb, ido)
	}
	// Every style rule and the root are scoped by the id.
	if !strings.Contains(a, `<div class="camviz-explorer" id="`+ida+`" data-camviz-explorer="`+ida+`"`) ||
		strings.Count(a, "#"+ida+" ") < 5 {
		t.Error("root or styles are not scoped by the explorer's id")
	}
}

func TestExplorerErrors(t *testing.T) {
	ex := NewExplorer("e")
	if _, err := ex.HTML(); err == nil || !strings.Contains(err.Error(), "no pictures") {
		t.Errorf("empty explorer: got %v, want a 'no pictures' error", err)
	}
	if err := ex.Add(View{}, nil); err == nil || !strings.Contains(err.Error(), "nil or empty") {
		t.Errorf("nil image: got %v", err)
	}
	if err := ex.SetInput("x", image.NewRGBA(image.Rect(0, 0, 0, 3))); err == nil || !strings.Contains(err.Error(), "nil or empty") {
		t.Errorf("empty input: got %v", err)
	}
	if err := ex.AddMap(View{}, nil, heatmap.Jet); err == nil || !strings.Contains(err.Error(), "non-nil") {
		t.Errorf("nil map: got %v", err)
	}
	if err := ex.AddMap(View{}, &heatmap.Map{H: 2, W: 2, Data: []float32{1}}, heatmap.Jet); err == nil || !strings.Contains(err.Error(), "1 values") {
		t.Errorf("short map: got %v", err)
	}
	if err := ex.Caption(View{Layer: "a"}, "x"); err == nil || !strings.Contains(err.Error(), "call Add first") {
		t.Errorf("caption of a missing view: got %v", err)
	}
	if err := ex.Add(View{Layer: "a"}, solid(4, 4, color.RGBA{1, 2, 3, 255})); err != nil {
		t.Fatal(err)
	}
	png, _ := heatmap.PNGBytes(solid(4, 4, color.RGBA{1, 2, 3, 255}))
	ex.MaxBytes = len(png) - 1
	if _, err := ex.HTML(); err == nil || !strings.Contains(err.Error(), "MaxBytes") {
		t.Errorf("over MaxBytes: got %v", err)
	}
	ex.MaxBytes = len(png)
	if _, err := ex.HTML(); err != nil {
		t.Errorf("at MaxBytes: %v", err)
	}
	if err := ShowExplorer(nil); err != nil {
		t.Errorf("outside a notebook ShowExplorer must do nothing, got %v", err)
	}
}

// decodeDataURI decodes a PNG data: URL.
func decodeDataURI(t *testing.T, uri string) image.Image {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(uri, "data:image/png;base64,"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestExplorerSetOrder(t *testing.T) {
	ex := NewExplorer("")
	for i, l := range []string{"block3", "block1"} {
		if err := ex.Add(View{Layer: l, Method: "CAM"}, solid(2, 2, viewColor(0, i, 0, 0))); err != nil {
			t.Fatal(err)
		}
	}
	if err := ex.SetOrder("layer", "block1", "block2"); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ex.Values("layer"), ","); got != "block1,block2,block3" {
		t.Fatalf("layers %s, want block1,block2,block3", got)
	}
	page, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	// block1 (index 0) holds the second picture, block2 none, block3 the first.
	d := parseExplorer(t, page)
	if !equalInts(d.Cells, []int{1, -1, 0}) {
		t.Errorf("cells %v, want [1 -1 0]", d.Cells)
	}
	if err := ex.SetOrder("layers", "x"); err == nil || !strings.Contains(err.Error(), `unknown axis "layers"`) {
		t.Errorf("unknown axis: got %v", err)
	}
	if err := ex.SetOrder("method", "a", "a"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("repeated value: got %v", err)
	}
}

func TestExplorerEscapesLabels(t *testing.T) {
	ex := NewExplorer("t")
	for i, l := range []string{"</script><b>x", `a"b&c`} {
		v := View{Layer: l, Method: "<m>"}
		if err := ex.Add(v, solid(2, 2, viewColor(0, i, 0, 0))); err != nil {
			t.Fatal(err)
		}
		if err := ex.Caption(v, "</script>"+l); err != nil {
			t.Fatal(err)
		}
	}
	page, err := ex.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(page, "</script>"); n != 1 || strings.Contains(page, "<b>") || strings.Contains(page, "<m>") {
		t.Errorf("labels are not escaped: %d </script> tags (want 1, the explorer's own), raw <b> or <m> present", n)
	}
	if d := parseExplorer(t, page); d.Values[1].([]any)[0] != "</script><b>x" || d.Captions[0] != "</script></script><b>x" {
		t.Errorf("the script's data lost the labels: %v, %q", d.Values[1], d.Captions[0])
	}
}
