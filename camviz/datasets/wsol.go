package datasets

import (
	"bufio"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // JPEG images (CUB, ILSVRC)
	_ "image/png"  // PNG masks (OpenImages)
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The weakly-supervised object localization benchmark of Choe et al., "Evaluating
// Weakly Supervised Object Localization Methods Right" (CVPR 2020), publishes its
// datasets (CUB-200-2011, ImageNet/ILSVRC, OpenImages30k) as text metadata next to the
// images, in the layout of its code, wsolevaluation:
//
//	metadata/<dataset>/<split>/image_ids.txt     one image id (a relative path) per line
//	                           class_labels.txt  <id>,<class index>
//	                           image_sizes.txt   <id>,<width>,<height> (CUB, ILSVRC)
//	                           localization.txt  boxes: <id>,<x0>,<y0>,<x1>,<y1>, one line
//	                                             per box, several lines per image;
//	                                             OpenImages: <id>,<mask png>,<ignore png>,
//	                                             one line per object mask, the ignore
//	                                             mask on the image's first line only
//
// Splits are folders "train" (class labels only), "val" — the paper's train-fullsup
// split, with full supervision, for choosing the CAM threshold and hyperparameters —
// and "test". Box coordinates are pixels of the original image with x1, y1 inclusive
// (wsolevaluation's IoU adds 1 to widths). Masks are grayscale PNGs, object where the
// value is above 0.5; a pixel is ignored when its ignore mask is set and no object mask
// is (ignore box minus foreground), and such pixels are left out of PxAP.

// WSOL dataset names, as in wsolevaluation.
const (
	WSOLCUB        = "CUB"
	WSOLILSVRC     = "ILSVRC"
	WSOLOpenImages = "OpenImages"
)

// WSOLSplitFolder maps a split name to its metadata folder: "train-fullsup" (Choe et
// al.'s name) is "val"; "train", "val" and "test" are themselves.
func WSOLSplitFolder(split string) (string, error) {
	switch strings.ToLower(split) {
	case "train-fullsup", "trainfullsup", "val":
		return "val", nil
	case "test":
		return "test", nil
	case "train":
		return "train", nil
	}
	return "", fmt.Errorf("datasets: WSOL split %q is unknown; use train-fullsup (the metadata folder val), test or train", split)
}

// WSOLBox is a box of localization.txt: original-image pixels, x1 and y1 inclusive.
type WSOLBox struct{ X0, Y0, X1, Y1 int }

// WSOLImage is one image's metadata.
type WSOLImage struct {
	ID            string // path relative to the image root, as in image_ids.txt
	Label         int
	Width, Height int       // from image_sizes.txt; 0 when the split has none (OpenImages)
	Boxes         []WSOLBox // CUB, ILSVRC
	MaskPaths     []string  // OpenImages: one per object, relative to the mask root
	IgnorePath    string    // OpenImages: the ignore mask, relative to the mask root; may be empty
}

// WSOLMetadata is one split of a WSOL dataset, images in image_ids.txt order.
type WSOLMetadata struct {
	Dataset, Split string // Split is the folder name (val for train-fullsup)
	Dir            string // the folder the files were read from
	Images         []WSOLImage
}

// ReadWSOLMetadata reads the metadata of dataset (CUB, ILSVRC or OpenImages) and split
// (train-fullsup, test) from root, which is wsolevaluation's metadata folder (holding
// <dataset>/<split>/) or the split folder itself. Every image of image_ids.txt needs a
// class label; for the val and test splits every image also needs its boxes (CUB,
// ILSVRC) or masks (OpenImages), and CUB and ILSVRC need image sizes to rescale the
// boxes. Errors name the file and line.
func ReadWSOLMetadata(root, dataset, split string) (*WSOLMetadata, error) {
	switch dataset {
	case WSOLCUB, WSOLILSVRC, WSOLOpenImages:
	default:
		return nil, fmt.Errorf("datasets.ReadWSOLMetadata: dataset %q is unknown; use CUB, ILSVRC or OpenImages (wsolevaluation's names)", dataset)
	}
	folder, err := WSOLSplitFolder(split)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, dataset, folder)
	if _, err := os.Stat(filepath.Join(root, "image_ids.txt")); err == nil {
		dir = root
	}
	md := &WSOLMetadata{Dataset: dataset, Split: folder, Dir: dir}
	index := map[string]int{}
	err = readLines(filepath.Join(dir, "image_ids.txt"), 1, func(line int, f []string) error {
		if _, dup := index[f[0]]; dup {
			return fmt.Errorf("image %q is listed twice", f[0])
		}
		index[f[0]] = len(md.Images)
		md.Images = append(md.Images, WSOLImage{ID: f[0], Label: -1})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(md.Images) == 0 {
		return nil, fmt.Errorf("datasets.ReadWSOLMetadata: %s lists no images", filepath.Join(dir, "image_ids.txt"))
	}
	lookup := func(id string) (*WSOLImage, error) {
		i, ok := index[id]
		if !ok {
			return nil, fmt.Errorf("image %q is not in image_ids.txt", id)
		}
		return &md.Images[i], nil
	}
	err = readLines(filepath.Join(dir, "class_labels.txt"), 2, func(line int, f []string) error {
		im, err := lookup(f[0])
		if err != nil {
			return err
		}
		if im.Label, err = nonNegative(f[1], "class label"); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sizes := filepath.Join(dir, "image_sizes.txt")
	if _, err := os.Stat(sizes); err == nil {
		err = readLines(sizes, 3, func(line int, f []string) error {
			im, err := lookup(f[0])
			if err != nil {
				return err
			}
			if im.Width, err = nonNegative(f[1], "width"); err != nil {
				return err
			}
			if im.Height, err = nonNegative(f[2], "height"); err != nil {
				return err
			}
			if im.Width == 0 || im.Height == 0 {
				return fmt.Errorf("image size %dx%d is empty", im.Width, im.Height)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	loc := filepath.Join(dir, "localization.txt")
	if dataset == WSOLOpenImages {
		err = readLines(loc, 3, func(line int, f []string) error {
			im, err := lookup(f[0])
			if err != nil {
				return err
			}
			if f[1] == "" {
				return fmt.Errorf("empty mask path")
			}
			if len(im.MaskPaths) > 0 && f[2] != "" {
				return fmt.Errorf("a second ignore mask for %q; wsolevaluation gives it on the image's first line only", f[0])
			}
			if len(im.MaskPaths) == 0 {
				im.IgnorePath = f[2]
			}
			im.MaskPaths = append(im.MaskPaths, f[1])
			return nil
		})
	} else {
		err = readLines(loc, 5, func(line int, f []string) error {
			im, err := lookup(f[0])
			if err != nil {
				return err
			}
			var v [4]int
			for k := range v {
				if v[k], err = nonNegative(f[1+k], "box coordinate"); err != nil {
					return err
				}
			}
			b := WSOLBox{v[0], v[1], v[2], v[3]}
			if b.X1 < b.X0 || b.Y1 < b.Y0 {
				return fmt.Errorf("box %v has x1 < x0 or y1 < y0 (the format is x0,y0,x1,y1)", v)
			}
			im.Boxes = append(im.Boxes, b)
			return nil
		})
	}
	if err != nil && !(os.IsNotExist(err) && folder == "train") {
		return nil, err
	}
	for i := range md.Images {
		im := &md.Images[i]
		if im.Label < 0 {
			return nil, fmt.Errorf("datasets.ReadWSOLMetadata: image %q has no line in %s", im.ID, filepath.Join(dir, "class_labels.txt"))
		}
		if folder == "train" {
			continue
		}
		if dataset == WSOLOpenImages && len(im.MaskPaths) == 0 {
			return nil, fmt.Errorf("datasets.ReadWSOLMetadata: image %q has no mask in %s", im.ID, loc)
		}
		if dataset != WSOLOpenImages {
			if len(im.Boxes) == 0 {
				return nil, fmt.Errorf("datasets.ReadWSOLMetadata: image %q has no box in %s", im.ID, loc)
			}
			if im.Width == 0 {
				return nil, fmt.Errorf("datasets.ReadWSOLMetadata: image %q has no size in %s (boxes are rescaled with it)", im.ID, sizes)
			}
		}
	}
	return md, nil
}

// readLines calls fn on every non-empty line of path split at commas into exactly
// fields fields; errors are wrapped with the file and line.
func readLines(path string, fields int, fn func(line int, f []string) error) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("datasets.ReadWSOLMetadata: %w", err)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(text) == "" {
			continue
		}
		f := strings.Split(text, ",")
		if len(f) != fields {
			return fmt.Errorf("datasets.ReadWSOLMetadata: %s:%d: %d comma-separated fields, want %d", path, n, len(f), fields)
		}
		if err := fn(n, f); err != nil {
			return fmt.Errorf("datasets.ReadWSOLMetadata: %s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("datasets.ReadWSOLMetadata: %s: %w", path, err)
	}
	return nil
}

func nonNegative(s, what string) (int, error) {
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%s %q is not a non-negative integer", what, s)
	}
	return v, nil
}

// WSOLLoad says where the pictures are and at what size to load them.
type WSOLLoad struct {
	// Images is the image root: image ids are paths relative to it.
	Images string
	// Masks is OpenImages' mask root (mask paths are relative to it); empty means Images.
	Masks string
	// Size is the side the images are resized to (wsolevaluation: 224, its
	// _RESIZE_LENGTH), with ResizeBilinear; boxes are rescaled as wsolevaluation's
	// resize_bbox and masks with nearest-neighbour sampling as its cv2.resize
	// INTER_NEAREST. 0 keeps every image at its own size.
	Size int
}

// Example loads image i of the split as an Example at cfg.Size: Label from
// class_labels.txt, ID the image id, and
//
//   - CUB, ILSVRC: Boxes the boxes of localization.txt rescaled to the loaded size as
//     wsolevaluation does (x' = int(x·Size/width), the same for y, then x1, y1
//     inclusive, so the half-open box is (x0', y0')–(x1'+1, y1'+1), clipped to the
//     image), Mask the union of the boxes and Box its tight box. The box datasets have
//     no masks: PxAP against Mask measures box coverage, not Choe et al.'s PxAP.
//   - OpenImages: Mask the union of the object masks (PNG value > 0.5), Ignore the
//     ignore mask minus Mask, Boxes the tight box of each object mask, Box of Mask.
//
// wsolevaluation resizes pictures with PIL's antialiased bilinear filter; ResizeBilinear
// does not antialias, so strongly downscaled pictures differ slightly.
func (md *WSOLMetadata) Example(i int, cfg WSOLLoad) (Example, error) {
	if i < 0 || i >= len(md.Images) {
		return Example{}, fmt.Errorf("datasets.WSOLMetadata.Example: image %d of %d", i, len(md.Images))
	}
	if cfg.Size < 0 {
		return Example{}, fmt.Errorf("datasets.WSOLMetadata.Example: Size %d is negative; use 0 to keep the images' size", cfg.Size)
	}
	im := md.Images[i]
	wrap := func(err error) error {
		return fmt.Errorf("datasets: %s %s image %q: %w", md.Dataset, md.Split, im.ID, err)
	}
	pix, h, w, err := decodeFile(filepath.Join(cfg.Images, filepath.FromSlash(im.ID)))
	if err != nil {
		return Example{}, wrap(err)
	}
	if im.Width > 0 && (im.Width != w || im.Height != h) {
		return Example{}, wrap(fmt.Errorf("the picture is %dx%d but image_sizes.txt says %dx%d", w, h, im.Width, im.Height))
	}
	oh, ow := h, w
	if cfg.Size > 0 {
		oh, ow = cfg.Size, cfg.Size
		if pix, err = ResizeBilinear(pix, h, w, 3, oh, ow); err != nil {
			return Example{}, wrap(err)
		}
	}
	e := Example{Image: pix, H: oh, W: ow, Label: im.Label, ID: im.ID, Mask: make([]bool, oh*ow)}
	frame := image.Rect(0, 0, ow, oh)
	if md.Dataset != WSOLOpenImages {
		for _, b := range im.Boxes {
			r := image.Rect(b.X0*ow/w, b.Y0*oh/h, b.X1*ow/w+1, b.Y1*oh/h+1).Intersect(frame)
			if r.Empty() {
				return Example{}, wrap(fmt.Errorf("box %v lies outside the %dx%d picture", b, w, h))
			}
			e.Boxes = append(e.Boxes, r)
			for y := r.Min.Y; y < r.Max.Y; y++ {
				for x := r.Min.X; x < r.Max.X; x++ {
					e.Mask[y*ow+x] = true
				}
			}
		}
	} else {
		root := cfg.Masks
		if root == "" {
			root = cfg.Images
		}
		for _, p := range im.MaskPaths {
			m, err := loadMask(filepath.Join(root, filepath.FromSlash(p)), oh, ow)
			if err != nil {
				return Example{}, wrap(err)
			}
			if b := MaskBox(m, oh, ow); !b.Empty() {
				e.Boxes = append(e.Boxes, b)
			}
			for k, on := range m {
				e.Mask[k] = e.Mask[k] || on
			}
		}
		if im.IgnorePath != "" {
			ign, err := loadMask(filepath.Join(root, filepath.FromSlash(im.IgnorePath)), oh, ow)
			if err != nil {
				return Example{}, wrap(err)
			}
			for k := range ign {
				ign[k] = ign[k] && !e.Mask[k]
			}
			e.Ignore = ign
		}
	}
	e.Box = MaskBox(e.Mask, oh, ow)
	if e.Box.Empty() {
		return Example{}, wrap(fmt.Errorf("no object pixel at %dx%d (the masks are empty or vanish when resized)", oh, ow))
	}
	return e, nil
}

// Examples loads images [lo, hi) (see Example).
func (md *WSOLMetadata) Examples(lo, hi int, cfg WSOLLoad) ([]Example, error) {
	if lo < 0 || hi > len(md.Images) || lo > hi {
		return nil, fmt.Errorf("datasets.WSOLMetadata.Examples: range [%d, %d) of %d images", lo, hi, len(md.Images))
	}
	out := make([]Example, 0, hi-lo)
	for i := lo; i < hi; i++ {
		e, err := md.Example(i, cfg)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// decodeFile decodes a PNG or JPEG picture as HWC float32 RGB in [0, 1].
func decodeFile(path string) (pix []float32, h, w int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, 0, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("decoding %s (PNG and JPEG are supported): %w", path, err)
	}
	pix, h, w = FromImage(img)
	return pix, h, w, nil
}

// loadMask reads a mask picture (object where the grey value > 0.5 of 255, i.e. ≥ 1)
// and samples it to h×w as OpenCV's INTER_NEAREST: output (x, y) takes source
// (⌊x·sw/w⌋, ⌊y·sh/h⌋).
func loadMask(path string, h, w int) ([]bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("decoding mask %s: %w", path, err)
	}
	b := img.Bounds()
	sh, sw := b.Dy(), b.Dx()
	out := make([]bool, h*w)
	for y := 0; y < h; y++ {
		sy := y * sh / h
		for x := 0; x < w; x++ {
			sx := x * sw / w
			g := color.GrayModel.Convert(img.At(b.Min.X+sx, b.Min.Y+sy)).(color.Gray)
			out[y*w+x] = g.Y > 0
		}
	}
	return out, nil
}
