package datasets

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// MiniWSOLConfig configures WriteMiniWSOL.
type MiniWSOLConfig struct {
	// Dataset is the layout to write: CUB or ILSVRC (boxes) or OpenImages (masks with
	// ignore regions).
	Dataset string
	// Synthetic draws the images (its Size, classes, scales and clutter; its Seed picks
	// the set). MaxScale is halved for the second objects.
	Synthetic SyntheticConfig
	// TrainFullsup and Test are the number of images of each split (folders val and
	// test); the two splits are disjoint.
	TrainFullsup, Test int
}

// WriteMiniWSOL writes a miniature WSOL benchmark in wsolevaluation's published layout
// under dir, drawn from the synthetic shapes:
//
//	dir/metadata/<Dataset>/{val,test}/image_ids.txt, class_labels.txt, localization.txt,
//	                                 image_sizes.txt (CUB and ILSVRC only, as published)
//	dir/images/<Dataset>/<split>/<NNN.class>/<split>_<i>.png
//	dir/masks/<Dataset>/<split>/<NNN.class>/<split>_<i>_m<class>_<k>.png and _ignore.png
//	                                 (OpenImages only)
//
// Image ids are the paths under dir/images/<Dataset>. Image i of a split is synthetic
// example i (test) or 1 000 000 + i (train-fullsup) of cfg.Synthetic; a second,
// smaller object of the same class (from a second synthetic set with another seed) is
// pasted where it keeps a pixel of background around it from the first, so about half
// the images have two objects and two boxes or masks. For OpenImages every image also
// gets an ignore mask: a rectangle over part of the background and of an object, of
// which the reader keeps the part outside the objects. It returns the examples as the
// reader should load them at the synthetic size (Boxes, Mask, Ignore), split by split,
// so tests can compare.
func WriteMiniWSOL(dir string, cfg MiniWSOLConfig) (trainFullsup, test []Example, err error) {
	switch cfg.Dataset {
	case WSOLCUB, WSOLILSVRC, WSOLOpenImages:
	default:
		return nil, nil, fmt.Errorf("datasets.WriteMiniWSOL: Dataset %q is unknown; use CUB, ILSVRC or OpenImages", cfg.Dataset)
	}
	if err := cfg.Synthetic.Validate(); err != nil {
		return nil, nil, fmt.Errorf("datasets.WriteMiniWSOL: %w", err)
	}
	if cfg.TrainFullsup < 0 || cfg.Test < 0 || cfg.TrainFullsup+cfg.Test == 0 {
		return nil, nil, fmt.Errorf("datasets.WriteMiniWSOL: TrainFullsup %d and Test %d images; ask for at least one", cfg.TrainFullsup, cfg.Test)
	}
	for _, s := range []struct {
		folder string
		n, off int
		out    *[]Example
	}{{"val", cfg.TrainFullsup, 1_000_000, &trainFullsup}, {"test", cfg.Test, 0, &test}} {
		if s.n == 0 {
			continue
		}
		ex, err := writeMiniSplit(dir, cfg, s.folder, s.off, s.n)
		if err != nil {
			return nil, nil, err
		}
		*s.out = ex
	}
	return trainFullsup, test, nil
}

// miniExample is synthetic example off+i with a second object pasted where it fits.
func miniExample(cfg SyntheticConfig, i int) (e Example, objects [][]bool, ignore image.Rectangle) {
	e = syntheticExample(cfg, i)
	small := cfg
	small.Seed = cfg.Seed ^ 0x5ec0d
	small.MaxScale = max(cfg.MinScale, cfg.MaxScale/2)
	o := syntheticExample(small, i) // same class: label i mod NumClasses
	objects = [][]bool{e.Mask}
	if !o.Box.Intersect(e.Box.Inset(-1)).Empty() {
		return e, objects, miniIgnore(e)
	}
	size := e.H * e.W
	mask := make([]bool, size)
	for p := range size {
		if o.Mask[p] {
			copy(e.Image[3*p:3*p+3], o.Image[3*p:3*p+3])
			e.Mask[p], mask[p] = true, true
		}
	}
	objects = [][]bool{objects[0], mask}
	// objects[0] aliases e.Mask: restore the first object's own mask.
	first := make([]bool, size)
	for p := range size {
		first[p] = e.Mask[p] && !mask[p]
	}
	objects[0] = first
	e.Box = MaskBox(e.Mask, e.H, e.W)
	return e, objects, miniIgnore(e)
}

// miniIgnore is an ignore rectangle: the right half of the first object's box widened
// to the image's right edge, so it covers object and background.
func miniIgnore(e Example) image.Rectangle {
	b := e.Box
	return image.Rect((b.Min.X+b.Max.X)/2, b.Min.Y, e.W, min(e.H, b.Max.Y+2))
}

func writeMiniSplit(dir string, cfg MiniWSOLConfig, folder string, off, n int) ([]Example, error) {
	meta := filepath.Join(dir, "metadata", cfg.Dataset, folder)
	if err := os.MkdirAll(meta, 0o755); err != nil {
		return nil, fmt.Errorf("datasets.WriteMiniWSOL: %w", err)
	}
	names := SyntheticClassNames(cfg.Synthetic.NumClasses)
	var ids, labels, sizes, loc strings.Builder
	out := make([]Example, 0, n)
	for i := 0; i < n; i++ {
		e, objects, ignoreBox := miniExample(cfg.Synthetic, off+i)
		cls := fmt.Sprintf("%03d.%s", e.Label+1, names[e.Label])
		stem := path.Join(folder, cls, fmt.Sprintf("%s_%04d", folder, i))
		id := stem + ".png"
		e.ID = id
		img, err := ToImage(&e)
		if err != nil {
			return nil, err
		}
		if err := writePNG(filepath.Join(dir, "images", cfg.Dataset, filepath.FromSlash(id)), img); err != nil {
			return nil, err
		}
		fmt.Fprintln(&ids, id)
		fmt.Fprintf(&labels, "%s,%d\n", id, e.Label)
		if cfg.Dataset != WSOLOpenImages {
			fmt.Fprintf(&sizes, "%s,%d,%d\n", id, e.W, e.H)
			for _, m := range objects {
				b := MaskBox(m, e.H, e.W)
				// x1, y1 inclusive; the reader's box is the box itself at this size.
				fmt.Fprintf(&loc, "%s,%d,%d,%d,%d\n", id, b.Min.X, b.Min.Y, b.Max.X-1, b.Max.Y-1)
				e.Boxes = append(e.Boxes, b)
			}
			// The box datasets have no masks: the reader's mask is the union of boxes.
			e.Mask = make([]bool, e.H*e.W)
			for _, b := range e.Boxes {
				for y := b.Min.Y; y < b.Max.Y; y++ {
					for x := b.Min.X; x < b.Max.X; x++ {
						e.Mask[y*e.W+x] = true
					}
				}
			}
			e.Box = MaskBox(e.Mask, e.H, e.W)
		} else {
			ignorePath := stem + "_ignore.png"
			for k, m := range objects {
				mp := fmt.Sprintf("%s_m%s_%d.png", stem, names[e.Label], k)
				if err := writePNG(filepath.Join(dir, "masks", cfg.Dataset, filepath.FromSlash(mp)), maskImage(m, e.H, e.W)); err != nil {
					return nil, err
				}
				ign := ""
				if k == 0 {
					ign = ignorePath
				}
				fmt.Fprintf(&loc, "%s,%s,%s\n", id, mp, ign)
				e.Boxes = append(e.Boxes, MaskBox(m, e.H, e.W))
			}
			box := make([]bool, e.H*e.W)
			e.Ignore = make([]bool, e.H*e.W)
			for y := ignoreBox.Min.Y; y < ignoreBox.Max.Y; y++ {
				for x := ignoreBox.Min.X; x < ignoreBox.Max.X; x++ {
					box[y*e.W+x] = true
					e.Ignore[y*e.W+x] = !e.Mask[y*e.W+x]
				}
			}
			if err := writePNG(filepath.Join(dir, "masks", cfg.Dataset, filepath.FromSlash(ignorePath)), maskImage(box, e.H, e.W)); err != nil {
				return nil, err
			}
		}
		out = append(out, e)
	}
	files := map[string]string{"image_ids.txt": ids.String(), "class_labels.txt": labels.String(), "localization.txt": loc.String()}
	if cfg.Dataset != WSOLOpenImages {
		files["image_sizes.txt"] = sizes.String()
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(meta, name), []byte(text), 0o644); err != nil {
			return nil, fmt.Errorf("datasets.WriteMiniWSOL: %w", err)
		}
	}
	return out, nil
}

// maskImage is a grey picture, 255 on the mask and 0 elsewhere.
func maskImage(m []bool, h, w int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for p, on := range m {
		if on {
			img.Pix[p] = 255
		}
	}
	return img
}

func writePNG(p string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("datasets.WriteMiniWSOL: %w", err)
	}
	f, err := os.Create(p)
	if err != nil {
		return fmt.Errorf("datasets.WriteMiniWSOL: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("datasets.WriteMiniWSOL: writing %s: %w", p, err)
	}
	return f.Close()
}
