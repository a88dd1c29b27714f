package heatmap

import (
	"fmt"
	"math"
)

// SobelEdges is pytorch-grad-cam's sobel_cam, an input-only baseline for evaluation
// metrics (an "explanation" that only knows where the image has edges), computed exactly
// as OpenCV computes it for an 8-bit RGB image rgb (h·w·3 values, row-major,
// channels last):
//
//	gray = (4899·R + 9617·G + 1868·B + 2¹³) >> 14     (cv2.cvtColor RGB2GRAY, 8-bit)
//	gx   = gray ⋆ [−1 0 1; −2 0 2; −1 0 1],  gy = gray ⋆ gxᵀ   (cv2.Sobel, ksize 3,
//	       borders reflected without repeating the edge pixel: BORDER_REFLECT_101)
//	edge = round(0.5·min(|gx|, 255) + 0.5·min(|gy|, 255))       (convertScaleAbs,
//	       addWeighted; rounding half to even, as OpenCV's saturate_cast)
//
// It returns the map of edge values in 0…255.
func SobelEdges(rgb []uint8, h, w int) (*Map, error) {
	if h <= 0 || w <= 0 || len(rgb) != h*w*3 {
		return nil, fmt.Errorf("heatmap.SobelEdges: %d values for a %d×%d RGB image: want h·w·3 bytes, channels last", len(rgb), h, w)
	}
	gray := make([]int, h*w)
	for i := range gray {
		r, g, b := int(rgb[3*i]), int(rgb[3*i+1]), int(rgb[3*i+2])
		gray[i] = (4899*r + 9617*g + 1868*b + 1<<13) >> 14
	}
	reflect := func(i, n int) int {
		if n == 1 {
			return 0
		}
		for i < 0 || i >= n {
			if i < 0 {
				i = -i
			}
			if i >= n {
				i = 2*n - 2 - i
			}
		}
		return i
	}
	at := func(y, x int) int { return gray[reflect(y, h)*w+reflect(x, w)] }
	out := NewMap(h, w)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			gx := (at(y-1, x+1) + 2*at(y, x+1) + at(y+1, x+1)) - (at(y-1, x-1) + 2*at(y, x-1) + at(y+1, x-1))
			gy := (at(y+1, x-1) + 2*at(y+1, x) + at(y+1, x+1)) - (at(y-1, x-1) + 2*at(y-1, x) + at(y-1, x+1))
			ax, ay := min(abs(gx), 255), min(abs(gy), 255)
			out.Data[y*w+x] = float32(math.RoundToEven(0.5*float64(ax) + 0.5*float64(ay)))
		}
	}
	return out, nil
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
