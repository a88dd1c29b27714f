package bench

import (
	"slices"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{[]float64{5}, 5},
		{[]float64{3, 1, 2}, 2},        // sorted 1 2 3
		{[]float64{4, 1, 3, 2}, 2.5},   // (2 + 3) / 2
		{[]float64{10, 10, 1, 7}, 8.5}, // sorted 1 7 10 10: (7 + 10) / 2
		{[]float64{-1, 9, 0, 100, 2}, 2},
	} {
		in := slices.Clone(tc.xs)
		got, err := median(in)
		if err != nil || got != tc.want {
			t.Errorf("median(%v) = %v, %v; want %v", tc.xs, got, err, tc.want)
		}
		if !slices.Equal(in, tc.xs) {
			t.Errorf("median modified its input: %v, was %v", in, tc.xs)
		}
	}
	if _, err := median(nil); err == nil {
		t.Error("median(nil) gave no error")
	}
}

// TestMeasure checks the call counts (warm-up + repetitions) and that the
// median of a 2 ms sleep is at least 2 ms and its CPU time far less.
func TestMeasure(t *testing.T) {
	calls := 0
	tm, err := measure(2, 3, func() error { calls++; time.Sleep(2 * time.Millisecond); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if calls != 5 || tm.Reps != 3 {
		t.Errorf("fn called %d times, reps %d; want 2 warm-up + 3 timed", calls, tm.Reps)
	}
	if tm.Wall < 2*time.Millisecond || tm.CPU > tm.Wall {
		t.Errorf("sleeping 2 ms: wall %v, CPU %v; want wall >= 2ms and CPU below it", tm.Wall, tm.CPU)
	}
	if _, err := measure(0, 0, func() error { return nil }); err == nil {
		t.Error("measure with 0 repetitions gave no error")
	}
}
