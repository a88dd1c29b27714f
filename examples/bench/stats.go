package main

import (
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"time"
)

// median returns the median of xs (the mean of the two middle values for an even
// count); it does not modify xs. An empty slice is an error.
func median(xs []float64) (float64, error) {
	if len(xs) == 0 {
		return 0, fmt.Errorf("median of no values")
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], nil
	}
	return (s[n/2-1] + s[n/2]) / 2, nil
}

// timing is what measure found: the medians of the wall time and of the
// process's CPU time (user + system, all threads) per repetition.
type timing struct {
	Wall, CPU time.Duration
	Reps      int
}

// cpuTime is the process's user + system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure runs fn warmup times untimed, then reps times timed (a garbage
// collection before each, outside the timing) and returns the medians.
func measure(warmup, reps int, fn func() error) (timing, error) {
	if reps < 1 {
		return timing{}, fmt.Errorf("repetitions = %d: need at least 1", reps)
	}
	for range warmup {
		if err := fn(); err != nil {
			return timing{}, err
		}
	}
	walls, cpus := make([]float64, reps), make([]float64, reps)
	for i := range reps {
		runtime.GC()
		c0, t0 := cpuTime(), time.Now()
		if err := fn(); err != nil {
			return timing{}, err
		}
		walls[i], cpus[i] = float64(time.Since(t0)), float64(cpuTime()-c0)
	}
	w, _ := median(walls)
	c, _ := median(cpus)
	return timing{Wall: time.Duration(w), CPU: time.Duration(c), Reps: reps}, nil
}
