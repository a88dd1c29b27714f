package datasets

import (
	"fmt"
	"image"
)

// Example is one image of a localization dataset with its class, box and mask.
type Example struct {
	Image []float32       // H*W*3, HWC, values in [0,1]
	H, W  int             // image height and width in pixels
	Label int             // class index
	Box   image.Rectangle // pixel box of the object, [Min, Max) half-open; the tight box of Mask
	Mask  []bool          // H*W, row-major, true on object pixels
	// Boxes, when set, are every ground-truth box of the image (several objects, as in
	// wsolevaluation's localization.txt), each half-open and inside the image; the box
	// metrics take the best IoU over them. Empty means the one Box.
	Boxes []image.Rectangle
	// Ignore, when set (H*W), marks pixels that PxAP leaves out: wsolevaluation's
	// OpenImages ignore regions (inside an ignore box, outside every object). It must
	// not overlap Mask.
	Ignore []bool
	// ID names the image in its dataset (the wsolevaluation image id, a relative path);
	// empty for generated sets.
	ID string
}

// GroundTruthBoxes returns Boxes, or the one Box when Boxes is empty.
func (e *Example) GroundTruthBoxes() []image.Rectangle {
	if len(e.Boxes) > 0 {
		return e.Boxes
	}
	return []image.Rectangle{e.Box}
}

// MaskBox returns the tight box of the true pixels of an h×w row-major mask:
// Min = (min x, min y) and Max = (max x + 1, max y + 1) over the true pixels, so the
// box is half-open like image.Rectangle. An all-false mask gives the empty rectangle.
func MaskBox(mask []bool, h, w int) image.Rectangle {
	minX, minY, maxX, maxY := w, h, -1, -1
	for y := 0; y < h; y++ {
		row := mask[y*w : (y+1)*w]
		for x, on := range row {
			if !on {
				continue
			}
			minX, maxX = min(minX, x), max(maxX, x)
			minY, maxY = min(minY, y), max(maxY, y)
		}
	}
	if maxX < 0 {
		return image.Rectangle{}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}

// Validate checks that the example is self-consistent: positive sizes, len(Image) ==
// H*W*3, len(Mask) == H*W, a non-empty mask, Box equal to MaskBox(Mask), non-empty
// Boxes inside the image, and an Ignore mask (if any) of H*W pixels disjoint from Mask.
func (e *Example) Validate() error {
	if e.H <= 0 || e.W <= 0 {
		return fmt.Errorf("datasets: example has size %dx%d, want positive height and width", e.H, e.W)
	}
	if len(e.Image) != e.H*e.W*3 {
		return fmt.Errorf("datasets: example image has %d values, want H*W*3 = %d*%d*3 = %d",
			len(e.Image), e.H, e.W, e.H*e.W*3)
	}
	if len(e.Mask) != e.H*e.W {
		return fmt.Errorf("datasets: example mask has %d values, want H*W = %d", len(e.Mask), e.H*e.W)
	}
	tight := MaskBox(e.Mask, e.H, e.W)
	if tight.Empty() {
		return fmt.Errorf("datasets: example mask is empty (no object pixels)")
	}
	if tight != e.Box {
		return fmt.Errorf("datasets: example box %v is not the tight box %v of its mask", e.Box, tight)
	}
	img := image.Rect(0, 0, e.W, e.H)
	for i, b := range e.Boxes {
		if b.Empty() || !b.In(img) {
			return fmt.Errorf("datasets: example box %d, %v, is empty or outside the %dx%d image", i, b, e.W, e.H)
		}
	}
	if e.Ignore != nil {
		if len(e.Ignore) != e.H*e.W {
			return fmt.Errorf("datasets: example ignore mask has %d values, want H*W = %d (or none)", len(e.Ignore), e.H*e.W)
		}
		for p, ign := range e.Ignore {
			if ign && e.Mask[p] {
				return fmt.Errorf("datasets: pixel (%d, %d) is both object and ignored; ignore regions exclude the object (wsolevaluation: ignore box minus foreground)", p%e.W, p/e.W)
			}
		}
	}
	return nil
}

// Stack concatenates the images of examples into one flat [N,H,W,3] float32 slice (the
// layout of a GoMLX tensor of that shape) and their labels into an [N] int32 slice.
// It returns an error for an empty slice, for examples of different sizes, and for an
// example whose image length is not H*W*3.
func Stack(examples []Example) (images []float32, labels []int32, err error) {
	if len(examples) == 0 {
		return nil, nil, fmt.Errorf("datasets.Stack: no examples given; pass at least one")
	}
	h, w := examples[0].H, examples[0].W
	per := h * w * 3
	for i := range examples {
		e := &examples[i]
		if e.H != h || e.W != w {
			return nil, nil, fmt.Errorf("datasets.Stack: example %d is %dx%d but example 0 is %dx%d; "+
				"resize them to one size first", i, e.H, e.W, h, w)
		}
		if len(e.Image) != per {
			return nil, nil, fmt.Errorf("datasets.Stack: example %d has %d image values, want H*W*3 = %d",
				i, len(e.Image), per)
		}
	}
	images = make([]float32, 0, per*len(examples))
	labels = make([]int32, len(examples))
	for i := range examples {
		images = append(images, examples[i].Image...)
		labels[i] = int32(examples[i].Label)
	}
	return images, labels, nil
}
