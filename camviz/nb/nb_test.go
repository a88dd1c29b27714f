//go:build unix

package nb

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"strings"
	"testing"

	"github.com/janpfeifer/gonb/gonbui/protocol"
)

// wantOK fails unless every call of the child's scenario returned nil.
func wantOK(t *testing.T, c capture, calls int) {
	t.Helper()
	if want := strings.TrimSpace(strings.Repeat("nil\n", calls)); c.stdout != want {
		t.Fatalf("child results:\n%s\nwant %d × nil", c.stdout, calls)
	}
}

// pngAt decodes message i as a PNG display, checking it carries nothing else.
func pngAt(t *testing.T, c capture, i int) image.Image {
	t.Helper()
	if i >= len(c.messages) {
		t.Fatalf("got %d messages on GONB_PIPE, want at least %d", len(c.messages), i+1)
	}
	msg := c.messages[i]
	if len(msg.Data) != 1 || msg.DisplayID != "" {
		t.Fatalf("message %d: got MIME types %v and display id %q, want only image/png", i, keys(msg.Data), msg.DisplayID)
	}
	data, ok := msg.Data[protocol.MIMEImagePNG].([]byte)
	if !ok {
		t.Fatalf("message %d: image/png content is %T, want []byte", i, msg.Data[protocol.MIMEImagePNG])
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("message %d: image/png does not decode: %v", i, err)
	}
	return img
}

func keys(m map[protocol.MIMEType]any) []protocol.MIMEType {
	var out []protocol.MIMEType
	for k := range m {
		out = append(out, k)
	}
	return out
}

// wantPixels checks img's size and its pixels, row by row, as 8-bit NRGBA.
func wantPixels(t *testing.T, img image.Image, want [][]color.NRGBA) {
	t.Helper()
	b := img.Bounds()
	if b.Dy() != len(want) || b.Dx() != len(want[0]) {
		t.Fatalf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), len(want[0]), len(want))
	}
	for y, row := range want {
		for x, w := range row {
			if got := color.NRGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.NRGBA); got != w {
				t.Errorf("pixel (%d,%d) = %v, want %v", x, y, got, w)
			}
		}
	}
}

func opaque(r, g, b uint8) color.NRGBA { return color.NRGBA{r, g, b, 255} }

func TestIsNotebookFollowsGonbPipe(t *testing.T) {
	if got := runChild(t, "is-notebook", true).stdout; got != "true" {
		t.Errorf("with GONB_PIPE set: IsNotebook() = %s, want true", got)
	}
	if got := runChild(t, "is-notebook", false).stdout; got != "false" {
		t.Errorf("without GONB_PIPE: IsNotebook() = %s, want false", got)
	}
}

func TestShowImageSendsExactPNG(t *testing.T) {
	c := runChild(t, "image", true)
	wantOK(t, c, 1)
	if len(c.messages) != 1 {
		t.Fatalf("got %d messages, want 1", len(c.messages))
	}
	// testImage: pixel (x, y) = (10x+5, 100y+7, 30).
	wantPixels(t, pngAt(t, c, 0), [][]color.NRGBA{
		{opaque(5, 7, 30), opaque(15, 7, 30), opaque(25, 7, 30)},
		{opaque(5, 107, 30), opaque(15, 107, 30), opaque(25, 107, 30)},
	})
}

func TestShowMapPaintsColormap(t *testing.T) {
	c := runChild(t, "map", true)
	wantOK(t, c, 2)
	// Gray: ⌊255·clamp(v)⌋ per channel; 0.5 → 127; NaN → black; -1 → 0; 2 → 255.
	wantPixels(t, pngAt(t, c, 0), [][]color.NRGBA{
		{opaque(0, 0, 0), opaque(127, 127, 127), opaque(255, 255, 255)},
		{opaque(0, 0, 0), opaque(0, 0, 0), opaque(255, 255, 255)},
	})
	// OpenCV's JET starts at (0,0,128) and ends at (128,0,0).
	wantPixels(t, pngAt(t, c, 1), [][]color.NRGBA{{opaque(0, 0, 128), opaque(128, 0, 0)}})
}

func TestShowOverlayBlends(t *testing.T) {
	c := runChild(t, "overlay", true)
	wantOK(t, c, 2)
	// out = ⌊(1−α)·p + α·jet + 0.5⌋ with α = 0.5. A constant 2x2 map of 1 resized
	// to 4x3 stays 1 → jet (128,0,0) over (200,100,50):
	// R = ⌊100 + 64 + 0.5⌋ = 164, G = ⌊50 + 0.5⌋ = 50, B = ⌊25 + 0.5⌋ = 25.
	want := opaque(164, 50, 25)
	row := []color.NRGBA{want, want, want, want}
	wantPixels(t, pngAt(t, c, 0), [][]color.NRGBA{row, row, row})
	// Map {0, 1} over a white 2x1 image: jet(0) = (0,0,128) → (128,128,192);
	// jet(1) = (128,0,0) → (192,128,128).
	wantPixels(t, pngAt(t, c, 1), [][]color.NRGBA{{opaque(128, 128, 192), opaque(192, 128, 128)}})
}

func TestShowFactorizationColoursConcepts(t *testing.T) {
	c := runChild(t, "factorization", true)
	wantOK(t, c, 1)
	// gist_rainbow(0) = (1, 0, 0.16), gist_rainbow(0.5) = (0, 1, 0.5481762597512125).
	// Pixel 0, concept 0 at 1: ⌊255·(0.3 + 0.7·(1, 0, 0.16))⌋ = ⌊(255, 76.5, 105.06)⌋.
	// Pixel 1, concept 1 at 0.5 → ⌊127.5⌋/255 = 127/255:
	// ⌊255·0.3 + 0.7·127·(0, 1, 0.548…)⌋ = (76, 165, 125).
	wantPixels(t, pngAt(t, c, 0), [][]color.NRGBA{{opaque(255, 76, 105), opaque(76, 165, 125)}})
}

func TestShowGridSendsRenderedGrid(t *testing.T) {
	c := runChild(t, "grid", true)
	wantOK(t, c, 1)
	want, err := testGrid().Render()
	if err != nil {
		t.Fatal(err)
	}
	got := pngAt(t, c, 0)
	if got.Bounds().Size() != want.Bounds().Size() {
		t.Fatalf("grid PNG is %v, want Render's %v", got.Bounds().Size(), want.Bounds().Size())
	}
	var red, blue int
	for y := 0; y < want.Bounds().Dy(); y++ {
		for x := 0; x < want.Bounds().Dx(); x++ {
			g := color.NRGBAModel.Convert(got.At(x, y)).(color.NRGBA)
			if w := color.NRGBAModel.Convert(want.At(x, y)).(color.NRGBA); g != w {
				t.Fatalf("pixel (%d,%d) = %v, want Render's %v", x, y, g, w)
			}
			switch g {
			case opaque(255, 0, 0):
				red++
			case opaque(0, 0, 255):
				blue++
			}
		}
	}
	// Each 2x2 cell is scaled (nearest) to 16x16.
	if red != 256 || blue != 256 {
		t.Errorf("grid has %d red and %d blue pixels, want 256 each (16x16 cells)", red, blue)
	}
	if g := color.NRGBAModel.Convert(got.At(0, 0)); g != opaque(255, 255, 255) {
		t.Errorf("grid corner = %v, want white background", g)
	}
}

func TestShowHTMLSendsString(t *testing.T) {
	c := runChild(t, "html", true)
	wantOK(t, c, 1)
	if len(c.messages) != 1 {
		t.Fatalf("got %d messages, want 1", len(c.messages))
	}
	if got := c.messages[0].Data[protocol.MIMETextHTML]; got != testHTML || len(c.messages[0].Data) != 1 {
		t.Errorf("got %#v, want only text/html %q", c.messages[0].Data, testHTML)
	}
}

func TestMessagesKeepOrder(t *testing.T) {
	c := runChild(t, "sequence", true)
	wantOK(t, c, 3)
	if len(c.messages) != 3 {
		t.Fatalf("got %d messages, want 3", len(c.messages))
	}
	if c.messages[0].Data[protocol.MIMETextHTML] != "<p>1</p>" || c.messages[2].Data[protocol.MIMETextHTML] != "<p>3</p>" {
		t.Errorf("HTML messages out of order: %v, %v", c.messages[0].Data, c.messages[2].Data)
	}
	wantPixels(t, pngAt(t, c, 1), [][]color.NRGBA{{opaque(0, 0, 128), opaque(128, 0, 0)}})
}

func TestBadArgumentsAreErrorsInNotebook(t *testing.T) {
	c := runChild(t, "bad-args", true)
	lines := strings.Split(c.stdout, "\n")
	wantIn := []string{"nil or empty", "nil or empty", "non-nil", "non-nil", "3 values",
		"alpha = 1.5", "non-nil", "grid is nil", "no cells", "2 row labels"}
	if len(lines) != len(wantIn) {
		t.Fatalf("got %d results, want %d:\n%s", len(lines), len(wantIn), c.stdout)
	}
	for i, l := range lines {
		if !strings.HasPrefix(l, "error: nb.Show") || !strings.Contains(l, wantIn[i]) {
			t.Errorf("call %d: got %q, want an nb.Show* error mentioning %q", i, l, wantIn[i])
		}
	}
	if len(c.messages) != 0 {
		t.Errorf("rejected calls sent %d messages, want none", len(c.messages))
	}
}

func TestOutsideNotebookDoesNothing(t *testing.T) {
	for _, scenario := range []string{"valid-args", "bad-args"} {
		c := runChild(t, scenario, false)
		wantOK(t, c, strings.Count(c.stdout, "\n")+1)
	}
	// With a kernel listening, a child that is not a notebook sends nothing.
	k := newFakeKernel(t)
	runProcess(t, "valid-args", protocol.GONB_PIPE_BACK_ENV+"="+k.back)
	if c := k.finish(t); len(c.messages) != 0 || c.syncs != 0 {
		t.Errorf("outside a notebook: %d messages and %d syncs sent, want none", len(c.messages), c.syncs)
	}
}

func TestEachCallWaitsForTheKernel(t *testing.T) {
	c := runChild(t, "valid-args", true)
	wantOK(t, c, 5)
	if len(c.messages) != 5 || c.syncs != 5 {
		t.Errorf("got %d display messages and %d syncs, want 5 of each (one sync per call)", len(c.messages), c.syncs)
	}
}

func TestBrokenPipeIsAnError(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-dir", "pipe")
	out := runProcess(t, "valid-args", protocol.GONB_PIPE_ENV+"="+missing, protocol.GONB_PIPE_BACK_ENV+"="+filepath.Join(dir, "back"))
	lines := strings.Split(out, "\n")
	if len(lines) != 5 {
		t.Fatalf("got %d results, want 5:\n%s", len(lines), out)
	}
	for i, l := range lines {
		if !strings.Contains(l, "cannot send the output to the GoNB kernel") || !strings.Contains(l, missing) {
			t.Errorf("call %d: got %q, want an error naming the kernel pipe %s", i, l, missing)
		}
	}
}
