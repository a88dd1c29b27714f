package datasets

import (
	"image"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func writeText(t *testing.T, p, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func greyPicture(t *testing.T, p string, w, h int, on func(x, y int) bool) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if on(x, y) {
				img.Pix[y*w+x] = 200
			}
		}
	}
	if err := writePNG(p, img); err != nil {
		t.Fatal(err)
	}
}

// A CUB-layout split written by hand: image a is 10 wide and 8 high with two boxes,
// b is 20×20 with one; loaded at Size 5, boxes follow wsolevaluation's resize_bbox,
// x' = int(x·5/10), y' = int(y·5/8), with x1, y1 inclusive:
//
//	a box (2,1,7,5) → (1, 0, 3, 3) → half-open (1,0)–(4,4)
//	a box (8,6,9,7) → (4, 3, 4, 4) → (4,3)–(5,5)
//	b box (0,0,19,19) at 5/20 → (0, 0, 4, 4) → (0,0)–(5,5)
func TestReadWSOLBoxesByHand(t *testing.T) {
	dir := t.TempDir()
	meta := filepath.Join(dir, "metadata", "CUB", "test")
	writeText(t, filepath.Join(meta, "image_ids.txt"), "001.x/a.png\n002.y/b.png\n")
	writeText(t, filepath.Join(meta, "class_labels.txt"), "001.x/a.png,0\n002.y/b.png,1\n")
	writeText(t, filepath.Join(meta, "image_sizes.txt"), "001.x/a.png,10,8\n002.y/b.png,20,20\n")
	writeText(t, filepath.Join(meta, "localization.txt"), "001.x/a.png,2,1,7,5\n002.y/b.png,0,0,19,19\n001.x/a.png,8,6,9,7\n")
	greyPicture(t, filepath.Join(dir, "img", "001.x", "a.png"), 10, 8, func(x, y int) bool { return x > 4 })
	greyPicture(t, filepath.Join(dir, "img", "002.y", "b.png"), 20, 20, func(x, y int) bool { return false })
	md, err := ReadWSOLMetadata(filepath.Join(dir, "metadata"), "CUB", "test")
	if err != nil {
		t.Fatal(err)
	}
	want := []WSOLImage{
		{ID: "001.x/a.png", Label: 0, Width: 10, Height: 8, Boxes: []WSOLBox{{2, 1, 7, 5}, {8, 6, 9, 7}}},
		{ID: "002.y/b.png", Label: 1, Width: 20, Height: 20, Boxes: []WSOLBox{{0, 0, 19, 19}}},
	}
	if !reflect.DeepEqual(md.Images, want) {
		t.Fatalf("metadata %+v, want %+v", md.Images, want)
	}
	ex, err := md.Examples(0, 2, WSOLLoad{Images: filepath.Join(dir, "img"), Size: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got := ex[0].Boxes; !reflect.DeepEqual(got, []image.Rectangle{image.Rect(1, 0, 4, 4), image.Rect(4, 3, 5, 5)}) {
		t.Errorf("image a boxes %v", got)
	}
	if got := ex[1].Boxes; !reflect.DeepEqual(got, []image.Rectangle{image.Rect(0, 0, 5, 5)}) {
		t.Errorf("image b boxes %v", got)
	}
	// Mask = union of a's boxes: 3·4 + 1·2 = 14 pixels; Box its tight box (1,0)–(5,5).
	count := 0
	for _, on := range ex[0].Mask {
		if on {
			count++
		}
	}
	if count != 14 || ex[0].Box != image.Rect(1, 0, 5, 5) || ex[0].ID != "001.x/a.png" || ex[1].Label != 1 {
		t.Errorf("image a: %d mask pixels, box %v, id %q; b label %d", count, ex[0].Box, ex[0].ID, ex[1].Label)
	}
	for i := range ex {
		if err := ex[i].Validate(); err != nil {
			t.Error(err)
		}
	}
	// The picture a, bilinear from 10×8 to 5×5: column 0 samples x = 0.5 (dark), column
	// 4 samples x = 8.5 (bright, 200/255), all rows alike.
	if v0, v4 := ex[0].Image[0], ex[0].Image[3*4]; v0 != 0 || math.Abs(float64(v4)-200.0/255) > 1e-6 {
		t.Errorf("resized picture: column 0 = %v, column 4 = %v", v0, v4)
	}
	// The split folder itself is accepted as the root.
	if _, err := ReadWSOLMetadata(meta, "CUB", "test"); err != nil {
		t.Error(err)
	}
}

// An OpenImages-layout split by hand: one 4×4 image with two object masks (the top-left
// pixel; the bottom row) and an ignore mask over the right half. Ignore = right half
// minus objects = 8 − 2 = 6 pixels; Boxes are the masks' tight boxes.
func TestReadWSOLMasksByHand(t *testing.T) {
	dir := t.TempDir()
	meta := filepath.Join(dir, "OpenImages", "test")
	writeText(t, filepath.Join(meta, "image_ids.txt"), "test/c/i.png\n")
	writeText(t, filepath.Join(meta, "class_labels.txt"), "test/c/i.png,2\n")
	writeText(t, filepath.Join(meta, "localization.txt"), "test/c/i.png,test/c/i_m0.png,test/c/i_ignore.png\ntest/c/i.png,test/c/i_m1.png,\n")
	greyPicture(t, filepath.Join(dir, "img", "test", "c", "i.png"), 4, 4, func(x, y int) bool { return true })
	greyPicture(t, filepath.Join(dir, "masks", "test", "c", "i_m0.png"), 4, 4, func(x, y int) bool { return x == 0 && y == 0 })
	greyPicture(t, filepath.Join(dir, "masks", "test", "c", "i_m1.png"), 4, 4, func(x, y int) bool { return y == 3 })
	greyPicture(t, filepath.Join(dir, "masks", "test", "c", "i_ignore.png"), 4, 4, func(x, y int) bool { return x >= 2 })
	md, err := ReadWSOLMetadata(dir, "OpenImages", "test")
	if err != nil {
		t.Fatal(err)
	}
	if im := md.Images[0]; im.Label != 2 || len(im.MaskPaths) != 2 || im.IgnorePath != "test/c/i_ignore.png" {
		t.Fatalf("metadata %+v", im)
	}
	e, err := md.Example(0, WSOLLoad{Images: filepath.Join(dir, "img"), Masks: filepath.Join(dir, "masks")})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(e.Boxes, []image.Rectangle{image.Rect(0, 0, 1, 1), image.Rect(0, 3, 4, 4)}) || e.Box != image.Rect(0, 0, 4, 4) {
		t.Errorf("boxes %v, box %v", e.Boxes, e.Box)
	}
	wantIgnore := []bool{
		false, false, true, true,
		false, false, true, true,
		false, false, true, true,
		false, false, false, false,
	}
	if !reflect.DeepEqual(e.Ignore, wantIgnore) {
		t.Errorf("ignore %v, want %v", e.Ignore, wantIgnore)
	}
	if err := e.Validate(); err != nil {
		t.Error(err)
	}
	// Upsampled ×2 with nearest sampling: the top-left object pixel becomes 2×2.
	e2, err := md.Example(0, WSOLLoad{Images: filepath.Join(dir, "img"), Masks: filepath.Join(dir, "masks"), Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	if e2.Boxes[0] != image.Rect(0, 0, 2, 2) || e2.Boxes[1] != image.Rect(0, 6, 8, 8) {
		t.Errorf("at size 8: boxes %v", e2.Boxes)
	}
}

func TestReadWSOLErrors(t *testing.T) {
	dir := t.TempDir()
	meta := filepath.Join(dir, "CUB", "val")
	writeText(t, filepath.Join(meta, "image_ids.txt"), "a.png\nb.png\n")
	writeText(t, filepath.Join(meta, "class_labels.txt"), "a.png,0\n")
	writeText(t, filepath.Join(meta, "image_sizes.txt"), "a.png,4,4\nb.png,4,4\n")
	writeText(t, filepath.Join(meta, "localization.txt"), "a.png,0,0,1,1\nb.png,0,0,1,1\n")
	for _, c := range []struct{ dataset, split, want string }{
		{"CUB", "train-fullsup", "b.png\" has no line in"},
		{"COCO", "test", "use CUB, ILSVRC or OpenImages"},
		{"CUB", "trainval", "use train-fullsup"},
		{"ILSVRC", "test", "no such file"},
	} {
		_, err := ReadWSOLMetadata(dir, c.dataset, c.split)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s/%s: error %v, want one containing %q", c.dataset, c.split, err, c.want)
		}
	}
	writeText(t, filepath.Join(meta, "class_labels.txt"), "a.png,0\nb.png,x\n")
	if _, err := ReadWSOLMetadata(dir, "CUB", "val"); err == nil || !strings.Contains(err.Error(), "class_labels.txt:2") {
		t.Errorf("bad label: %v", err)
	}
	writeText(t, filepath.Join(meta, "class_labels.txt"), "a.png,0\nb.png,1\n")
	writeText(t, filepath.Join(meta, "localization.txt"), "a.png,0,0,1\n")
	if _, err := ReadWSOLMetadata(dir, "CUB", "val"); err == nil || !strings.Contains(err.Error(), "want 5") {
		t.Errorf("short box line: %v", err)
	}
}

// The generator's layout reads back to the examples it says it wrote, pixel for pixel,
// with several boxes (CUB) or masks and ignore regions (OpenImages).
func TestWriteMiniWSOLRoundTrip(t *testing.T) {
	syn := SyntheticConfig{Size: 32, NumClasses: 3, MinScale: 0.25, MaxScale: 0.5, Clutter: 0.3, Seed: 4}
	for _, ds := range []string{WSOLCUB, WSOLOpenImages} {
		dir := t.TempDir()
		val, test, err := WriteMiniWSOL(dir, MiniWSOLConfig{Dataset: ds, Synthetic: syn, TrainFullsup: 4, Test: 12})
		if err != nil {
			t.Fatal(err)
		}
		if len(val) != 4 || len(test) != 12 {
			t.Fatalf("%s: %d and %d examples", ds, len(val), len(test))
		}
		for _, s := range []struct {
			split string
			want  []Example
		}{{"train-fullsup", val}, {"test", test}} {
			md, err := ReadWSOLMetadata(filepath.Join(dir, "metadata"), ds, s.split)
			if err != nil {
				t.Fatal(err)
			}
			got, err := md.Examples(0, len(md.Images), WSOLLoad{Images: filepath.Join(dir, "images", ds), Masks: filepath.Join(dir, "masks", ds)})
			if err != nil {
				t.Fatal(err)
			}
			two, ignored := 0, 0
			for i := range got {
				if !reflect.DeepEqual(got[i], s.want[i]) {
					t.Fatalf("%s %s image %d: read %+v\nwritten %+v", ds, s.split, i, summary(got[i]), summary(s.want[i]))
				}
				if err := got[i].Validate(); err != nil {
					t.Errorf("%s %s image %d: %v", ds, s.split, i, err)
				}
				if len(got[i].Boxes) == 2 {
					two++
				}
				for _, ign := range got[i].Ignore {
					if ign {
						ignored++
					}
				}
			}
			if s.split == "test" && (two == 0 || two == len(got)) {
				t.Errorf("%s: %d of %d test images have two objects; want some but not all", ds, two, len(got))
			}
			if (ds == WSOLOpenImages) != (ignored > 0) {
				t.Errorf("%s: %d ignored pixels", ds, ignored)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "metadata", ds, "test", "image_sizes.txt")); (ds == WSOLOpenImages) == (err == nil) {
			t.Errorf("%s: image_sizes.txt present = %v; wsolevaluation publishes it for CUB and ILSVRC only", ds, err == nil)
		}
	}
}

// summary is an example without its pixels, for error messages.
func summary(e Example) string {
	return strings.Join([]string{e.ID, e.Box.String(), image.Rect(0, 0, e.W, e.H).String()}, " ") + " boxes " + rectsString(e.Boxes)
}

func rectsString(rs []image.Rectangle) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.String())
	}
	return strings.Join(s, ",")
}
