package fastconv

import (
	"slices"
	"testing"
)

func TestMergeAxes(t *testing.T) {
	for _, tc := range []struct {
		dims, perm, wantDims, wantPerm []int
	}{
		// NCHW → NHWC: H and W stay adjacent.
		{[]int{2, 3, 4, 5}, []int{0, 2, 3, 1}, []int{2, 3, 20}, []int{0, 2, 1}},
		// HWOI → HWIO: batched 2-D transpose of the last two axes.
		{[]int{3, 3, 8, 4}, []int{0, 1, 3, 2}, []int{9, 8, 4}, []int{0, 2, 1}},
		// Size-1 axes vanish: [1,7,7,512] → [512,7,7,1] is a 2-D transpose.
		{[]int{1, 7, 7, 512}, []int{3, 1, 2, 0}, []int{49, 512}, []int{1, 0}},
		// Moving only a size-1 axis is a reshape.
		{[]int{1, 5, 6}, []int{1, 0, 2}, []int{30}, []int{0}},
		// A full reversal stays as it is.
		{[]int{2, 3, 4}, []int{2, 1, 0}, []int{2, 3, 4}, []int{2, 1, 0}},
	} {
		gotDims, gotPerm := mergeAxes(tc.dims, tc.perm)
		if !slices.Equal(gotDims, tc.wantDims) || !slices.Equal(gotPerm, tc.wantPerm) {
			t.Errorf("mergeAxes(%v, %v) = %v, %v; want %v, %v", tc.dims, tc.perm, gotDims, gotPerm, tc.wantDims, tc.wantPerm)
		}
	}
}
