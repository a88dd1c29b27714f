package bench

import (
	"fmt"
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

// measure runs fn warmup times untimed, then reps times timed, and returns the
// medians. It forces no garbage collection between runs: that would also empty
// the Go backend's buffer pools (sync.Pool), which steady use keeps warm.
func measure(warmup, reps int, fn func() error) (timing, error) {
	t, err := measureAll(warmup, reps, fn)
	if err != nil {
		return timing{}, err
	}
	return t[0], nil
}

// measureAll is measure for several functions, interleaved: every function is
// warmed up, then each repetition runs them all in turn, so that a burst of
// load on a shared machine slows all of them alike and their ratios stay fair.
func measureAll(warmup, reps int, fns ...func() error) ([]timing, error) {
	if reps < 1 {
		return nil, fmt.Errorf("repetitions = %d: need at least 1", reps)
	}
	for _, fn := range fns {
		for range warmup {
			if err := fn(); err != nil {
				return nil, err
			}
		}
	}
	walls, cpus := make([][]float64, len(fns)), make([][]float64, len(fns))
	for range reps {
		for i, fn := range fns {
			c0, t0 := cpuTime(), time.Now()
			if err := fn(); err != nil {
				return nil, err
			}
			walls[i] = append(walls[i], float64(time.Since(t0)))
			cpus[i] = append(cpus[i], float64(cpuTime()-c0))
		}
	}
	out := make([]timing, len(fns))
	for i := range fns {
		w, _ := median(walls[i])
		c, _ := median(cpus[i])
		out[i] = timing{Wall: time.Duration(w), CPU: time.Duration(c), Reps: reps}
	}
	return out, nil
}
