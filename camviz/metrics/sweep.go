package metrics

import (
	"cmp"
	"image"
	"slices"
)

// sweeper keeps the 8-connected components of a growing foreground with a
// union-find, so that all thresholds of one map cost one sort plus near-linear
// work (instead of one labelling per threshold). Pixels are added in order of
// decreasing level; each root holds its component's size, box and first pixel.
type sweeper struct {
	h, w    int
	parent  []int32 // −1: background
	size    []int32
	first   []int32
	box     []image.Rectangle
	roots   []int32 // live roots
	rootPos []int32 // index of a root in roots
}

func newSweeper(h, w int) *sweeper {
	n := h * w
	s := &sweeper{h: h, w: w, parent: make([]int32, n), size: make([]int32, n),
		first: make([]int32, n), box: make([]image.Rectangle, n), rootPos: make([]int32, n)}
	for i := range s.parent {
		s.parent[i] = -1
	}
	return s
}

func (s *sweeper) find(i int32) int32 {
	for s.parent[i] != i {
		s.parent[i] = s.parent[s.parent[i]] // path halving
		i = s.parent[i]
	}
	return i
}

func (s *sweeper) dropRoot(r int32) {
	last := s.roots[len(s.roots)-1]
	s.roots[s.rootPos[r]] = last
	s.rootPos[last] = s.rootPos[r]
	s.roots = s.roots[:len(s.roots)-1]
}

func (s *sweeper) union(a, b int32) {
	ra, rb := s.find(a), s.find(b)
	if ra == rb {
		return
	}
	if s.size[ra] < s.size[rb] {
		ra, rb = rb, ra
	}
	s.parent[rb] = ra
	s.size[ra] += s.size[rb]
	s.first[ra] = min(s.first[ra], s.first[rb])
	s.box[ra] = s.box[ra].Union(s.box[rb])
	s.dropRoot(rb)
}

// add turns pixel i on and merges it with its foreground 8-neighbours.
func (s *sweeper) add(i int) {
	x, y := i%s.w, i/s.w
	p := int32(i)
	s.parent[p], s.size[p], s.first[p] = p, 1, p
	s.box[p] = image.Rect(x, y, x+1, y+1)
	s.rootPos[p] = int32(len(s.roots))
	s.roots = append(s.roots, p)
	for d := range dirX {
		nx, ny := x+dirX[d], y+dirY[d]
		if nx < 0 || ny < 0 || nx >= s.w || ny >= s.h {
			continue
		}
		if q := int32(ny*s.w + nx); s.parent[q] >= 0 {
			s.union(p, q)
		}
	}
}

// boxes appends to dst the box of the largest component (by size, ties to the
// smallest first pixel, as largestBySize) or of every component.
func (s *sweeper) boxes(all bool, dst []image.Rectangle) []image.Rectangle {
	if all {
		for _, r := range s.roots {
			dst = append(dst, s.box[r])
		}
		return dst
	}
	best := int32(-1)
	for _, r := range s.roots {
		if best < 0 || s.size[r] > s.size[best] || (s.size[r] == s.size[best] && s.first[r] < s.first[best]) {
			best = r
		}
	}
	if best >= 0 {
		dst = append(dst, s.box[best])
	}
	return dst
}

// sweepBoxes calls visit(k, boxes) for every threshold taus[k] (ascending), with
// the boxes of the foreground { level > taus[k] }, as BoxesFromMap would return
// them (in any order when all is true). visit must not keep boxes.
func sweepBoxes(levels []float64, h, w int, taus []float64, all bool, visit func(k int, boxes []image.Rectangle)) {
	order := make([]int32, 0, len(levels))
	for i, v := range levels {
		if v > -1e300 { // skips −Inf (non-finite pixels)
			order = append(order, int32(i))
		}
	}
	// Order within ties is irrelevant: boxes are read only between thresholds.
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(levels[b], levels[a]) })
	s := newSweeper(h, w)
	var buf []image.Rectangle
	next := 0
	for k := len(taus) - 1; k >= 0; k-- {
		for next < len(order) && levels[order[next]] > taus[k] {
			s.add(int(order[next]))
			next++
		}
		buf = s.boxes(all, buf[:0])
		visit(k, buf)
	}
}
