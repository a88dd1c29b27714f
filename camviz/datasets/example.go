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
// H*W*3, len(Mask) == H*W, a non-empty mask and Box equal to MaskBox(Mask).
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
