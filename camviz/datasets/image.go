package datasets

import (
	"fmt"
	"image"
	_ "image/jpeg" // register the JPEG decoder for LoadImage
	_ "image/png"  // register the PNG decoder for LoadImage
	"io"
	"os"
)

// MaxPixels is the largest picture, in pixels (width × height), that LoadImage decodes
// or resizes to: 64 Mpx (2²⁶) by default, about 768 MiB as float32 RGB. The size is read
// from the file's header before anything is decoded, so a small file that declares a
// huge picture (a 20000×20000 PNG compresses to about 1 MB) is refused at once instead
// of taking gigabytes. Raise it for very large pictures.
var MaxPixels = 64 << 20

// checkPixels refuses a w×h picture over MaxPixels (or with a non-positive side).
func checkPixels(w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("the header declares a %dx%d picture", w, h)
	}
	if w > MaxPixels/h {
		return fmt.Errorf("the picture is %dx%d = %d pixels, over the limit of %d (datasets.MaxPixels; raise it to decode larger pictures)",
			w, h, int64(w)*int64(h), MaxPixels)
	}
	return nil
}

// LoadImage decodes a PNG or JPEG file into an h×w×3 HWC float32 image with values in
// [0,1] (8- and 16-bit images alike; transparent pixels are composited over black,
// as the premultiplied colour of image.Image gives them). If h and w are both 0
// the image keeps its own size; otherwise it is resized with ResizeBilinear.
func LoadImage(path string, h, w int) ([]float32, error) {
	if h < 0 || w < 0 || (h == 0) != (w == 0) {
		return nil, fmt.Errorf("datasets.LoadImage(%q): size %dx%d, want both positive or both 0 (keep size)", path, h, w)
	}
	if w > 0 && h > MaxPixels/w {
		return nil, fmt.Errorf("datasets.LoadImage(%q): resizing to %dx%d is %d pixels, over the limit of %d (datasets.MaxPixels)",
			path, h, w, int64(h)*int64(w), MaxPixels)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("datasets.LoadImage: %w", err)
	}
	defer f.Close()
	if info, err := f.Stat(); err == nil && info.IsDir() {
		return nil, fmt.Errorf("datasets.LoadImage(%q): a folder, not a picture file", path)
	}
	return decodeImage(f, path, h, w)
}

// decodeImage is LoadImage on an open file (name is for messages): it reads the size
// from the header, checks it against MaxPixels, then decodes and resizes.
func decodeImage(f io.ReadSeeker, path string, h, w int) ([]float32, error) {
	cfg, format, err := image.DecodeConfig(f)
	if err != nil {
		return nil, fmt.Errorf("datasets.LoadImage(%q): decoding (PNG and JPEG are supported): %w", path, err)
	}
	if err := checkPixels(cfg.Width, cfg.Height); err != nil {
		return nil, fmt.Errorf("datasets.LoadImage(%q, %s): %w", path, format, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("datasets.LoadImage(%q): %w", path, err)
	}
	img, format, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("datasets.LoadImage(%q): decoding (PNG and JPEG are supported): %w", path, err)
	}
	if b := img.Bounds(); b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, fmt.Errorf("datasets.LoadImage(%q, %s): the header says %dx%d but the picture is %dx%d",
			path, format, cfg.Width, cfg.Height, b.Dx(), b.Dy())
	}
	if b := img.Bounds(); h == 0 || (h == b.Dy() && w == b.Dx()) {
		pix, _, _ := FromImage(img)
		return pix, nil
	}
	out, err := FromImageResized(img, h, w, nil) // ResizeBilinear(FromImage(img)), bit for bit
	if err != nil {
		return nil, fmt.Errorf("datasets.LoadImage(%q, %s): %w", path, format, err)
	}
	return out, nil
}

// FromImage converts any image.Image to an HWC float32 RGB slice in [0,1]
// (channel/65535 of the 16-bit premultiplied colour) and returns it with its height
// and width.
func FromImage(img image.Image) (pix []float32, h, w int) {
	if pix, h, w, ok := fromImageDirect(img); ok {
		return pix, h, w
	}
	b := img.Bounds()
	h, w = b.Dy(), b.Dx()
	pix = make([]float32, h*w*3)
	i := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			pix[i], pix[i+1], pix[i+2] = float32(r)/65535, float32(g)/65535, float32(bl)/65535
			i += 3
		}
	}
	return pix, h, w
}

// ResizeBilinear resizes an h×w×c HWC image to outH×outW×c by bilinear interpolation
// with half-pixel centres: output pixel (i, j) samples the source at
//
//	y = (i + ½)·h/outH − ½,  x = (j + ½)·w/outW − ½,
//
// clamped to [0, h−1] and [0, w−1], and mixes the four neighbours with weights
// (1−fy)(1−fx), (1−fy)fx, fy(1−fx), fy·fx. This is OpenCV's INTER_LINEAR and
// PyTorch's interpolate(mode="bilinear", align_corners=False) without antialiasing
// (so strong downscaling aliases).
func ResizeBilinear(src []float32, h, w, c, outH, outW int) ([]float32, error) {
	if h <= 0 || w <= 0 || c <= 0 || outH <= 0 || outW <= 0 {
		return nil, fmt.Errorf("datasets.ResizeBilinear: sizes %dx%dx%d -> %dx%d, want all positive", h, w, c, outH, outW)
	}
	if len(src) != h*w*c {
		return nil, fmt.Errorf("datasets.ResizeBilinear: source has %d values, want %d*%d*%d = %d", len(src), h, w, c, h*w*c)
	}
	ty, tx := bilinearTaps(h, outH), bilinearTaps(w, outW)
	out := make([]float32, outH*outW*c)
	o := 0
	for _, yy := range ty {
		r0, r1 := src[yy.i0*w*c:], src[yy.i1*w*c:]
		for _, xx := range tx {
			a, b := xx.i0*c, xx.i1*c
			for k := range c {
				top := r0[a+k]*(1-xx.f) + r0[b+k]*xx.f
				bot := r1[a+k]*(1-xx.f) + r1[b+k]*xx.f
				out[o] = top*(1-yy.f) + bot*yy.f
				o++
			}
		}
	}
	return out, nil
}

// bilinearTap is where ResizeBilinear samples one output row or column: between
// source indices i0 and i1 = min(i0+1, n−1), at fraction f from i0.
type bilinearTap struct {
	i0, i1 int
	f      float32
}

// bilinearTaps returns the taps of the outN output rows (or columns) of a resize from
// n: source position s = (i + ½)·n/outN − ½, clamped to [0, n−1].
func bilinearTaps(n, outN int) []bilinearTap {
	t := make([]bilinearTap, outN)
	scale := float64(n) / float64(outN)
	for i := range t {
		s := (float64(i)+0.5)*scale - 0.5
		s = min(max(s, 0), float64(n-1))
		i0 := int(s)
		t[i] = bilinearTap{i0, min(i0+1, n-1), float32(s - float64(i0))}
	}
	return t
}
