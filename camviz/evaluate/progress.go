package evaluate

import (
	"fmt"
	"io"
	"time"
)

// progress writes a one-line report, rewritten in place with a carriage return:
//
//	evaluate  48/200 images  24%  [======              ]  12s, about 38s left
type progress struct {
	w     io.Writer
	label string
	total int
	done  int
	start time.Time
	last  time.Time
}

func newProgress(w io.Writer, label string, total int) *progress {
	if w == nil || total <= 0 {
		return nil
	}
	p := &progress{w: w, label: label, total: total, start: time.Now()}
	p.print()
	return p
}

// add counts n more images and redraws (at most 5 times a second, and always at the end).
func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.done = min(p.done+n, p.total)
	if p.done < p.total && time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.print()
	if p.done == p.total {
		fmt.Fprintln(p.w)
	}
}

func (p *progress) print() {
	p.last = time.Now()
	const width = 20
	filled := width * p.done / p.total
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if i < filled {
			bar[i] = '='
		}
	}
	elapsed := time.Since(p.start)
	eta := ""
	if p.done > 0 && p.done < p.total {
		left := time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))
		eta = fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r%s %4d/%d images %3d%% [%s] %s%s   ", p.label, p.done, p.total, 100*p.done/p.total,
		bar, elapsed.Round(time.Second), eta)
}
