package metrics

import (
	"fmt"
	"math"
)

// gridOp is a symmetric 9-point operator on an h×w grid: row i of the matrix
// has st[i][(dy+1)*3+dx+1] at column i + dy·w + dx. Rows that are all zero are
// inactive nodes (kept pixels, or coarse nodes with no active child): vectors
// are 0 there and the operator acts as the identity on them.
type gridOp struct {
	h, w int
	st   [][9]float64
}

func (g *gridOp) active(i int) bool { return g.st[i][4] != 0 }

// mul sets out = A·x.
func (g *gridOp) mul(x, out []float64) {
	for y := 0; y < g.h; y++ {
		for xx := 0; xx < g.w; xx++ {
			i := y*g.w + xx
			s := &g.st[i]
			if s[4] == 0 {
				out[i] = 0
				continue
			}
			acc := 0.0
			for k, a := range s {
				if a != 0 {
					acc += a * x[i+(k/3-1)*g.w+k%3-1]
				}
			}
			out[i] = acc
		}
	}
}

// gaussSeidel runs one Gauss–Seidel sweep on A·x = b, forward or backward in
// raster order.
func (g *gridOp) gaussSeidel(x, b []float64, forward bool) {
	n := g.h * g.w
	for t := 0; t < n; t++ {
		i := t
		if !forward {
			i = n - 1 - t
		}
		s := &g.st[i]
		if s[4] == 0 {
			continue
		}
		acc := b[i]
		for k, a := range s {
			if k != 4 && a != 0 {
				acc -= a * x[i+(k/3-1)*g.w+k%3-1]
			}
		}
		x[i] = acc / s[4]
	}
}

// parents lists the coarse nodes of fine coordinate v under bilinear
// interpolation: even v sits on coarse node v/2, odd v halfway between two.
func parents(v int) (idx [2]int, wt [2]float64, n int) {
	if v%2 == 0 {
		return [2]int{v / 2}, [2]float64{1}, 1
	}
	return [2]int{(v - 1) / 2, (v + 1) / 2}, [2]float64{0.5, 0.5}, 2
}

// coarsen returns the Galerkin operator Pᵀ·A·P on the (h/2+1)×(w/2+1) grid,
// with P bilinear interpolation restricted to A's active nodes. It stays
// 9-point: coarse parents of fine neighbours are at most one coarse step apart.
func (g *gridOp) coarsen() *gridOp {
	c := &gridOp{h: g.h/2 + 1, w: g.w/2 + 1}
	c.st = make([][9]float64, c.h*c.w)
	for y := 0; y < g.h; y++ {
		py, wy, ny := parents(y)
		for x := 0; x < g.w; x++ {
			i := y*g.w + x
			if !g.active(i) {
				continue
			}
			px, wx, nx := parents(x)
			for k, a := range g.st[i] {
				if a == 0 {
					continue
				}
				jy, jx := y+k/3-1, x+k%3-1
				qy, vy, my := parents(jy)
				qx, vx, mx := parents(jx)
				for a1 := 0; a1 < ny; a1++ {
					for b1 := 0; b1 < nx; b1++ {
						I := py[a1]*c.w + px[b1]
						wi := wy[a1] * wx[b1] * a
						for a2 := 0; a2 < my; a2++ {
							for b2 := 0; b2 < mx; b2++ {
								dy, dx := qy[a2]-py[a1], qx[b2]-px[b1]
								c.st[I][(dy+1)*3+dx+1] += wi * vy[a2] * vx[b2]
							}
						}
					}
				}
			}
		}
	}
	return c
}

// restrict sets bc = Pᵀ·r over fine active nodes; prolongAdd adds P·xc to x on
// fine active nodes.
func (g *gridOp) restrict(r, bc []float64, cw int) {
	clear(bc)
	for y := 0; y < g.h; y++ {
		py, wy, ny := parents(y)
		for x := 0; x < g.w; x++ {
			i := y*g.w + x
			if !g.active(i) || r[i] == 0 {
				continue
			}
			px, wx, nx := parents(x)
			for a := 0; a < ny; a++ {
				for b := 0; b < nx; b++ {
					bc[py[a]*cw+px[b]] += wy[a] * wx[b] * r[i]
				}
			}
		}
	}
}

func (g *gridOp) prolongAdd(xc, x []float64, cw int) {
	for y := 0; y < g.h; y++ {
		py, wy, ny := parents(y)
		for xx := 0; xx < g.w; xx++ {
			i := y*g.w + xx
			if !g.active(i) {
				continue
			}
			px, wx, nx := parents(xx)
			for a := 0; a < ny; a++ {
				for b := 0; b < nx; b++ {
					x[i] += wy[a] * wx[b] * xc[py[a]*cw+px[b]]
				}
			}
		}
	}
}

// multigrid is a Galerkin V-cycle hierarchy; one cycle (symmetric Gauss–Seidel
// smoothing, forward before and backward after the coarse correction) is a
// symmetric positive definite preconditioner for conjugate gradients.
type multigrid struct {
	ops        []*gridOp
	x, b, r    [][]float64
	coarseIter int
}

func newMultigrid(fine *gridOp) *multigrid {
	m := &multigrid{ops: []*gridOp{fine}, coarseIter: 30}
	for op := fine; op.h*op.w > 64 && op.h > 2 && op.w > 2; {
		op = op.coarsen()
		m.ops = append(m.ops, op)
	}
	for _, op := range m.ops {
		n := op.h * op.w
		m.x, m.b, m.r = append(m.x, make([]float64, n)), append(m.b, make([]float64, n)), append(m.r, make([]float64, n))
	}
	return m
}

// vcycle approximately solves ops[l]·x = b from x = 0.
func (m *multigrid) vcycle(l int, b, x []float64) {
	op := m.ops[l]
	clear(x)
	if l == len(m.ops)-1 {
		for it := 0; it < m.coarseIter; it++ {
			op.gaussSeidel(x, b, true)
			op.gaussSeidel(x, b, false)
		}
		return
	}
	op.gaussSeidel(x, b, true)
	r := m.r[l]
	op.mul(x, r)
	for i := range r {
		r[i] = b[i] - r[i]
	}
	c := m.ops[l+1]
	op.restrict(r, m.b[l+1], c.w)
	m.vcycle(l+1, m.b[l+1], m.x[l+1])
	op.prolongAdd(m.x[l+1], x, c.w)
	op.gaussSeidel(x, b, false)
}

// solvePCG solves A·x = b (A = ops[0], b zero on inactive nodes) by conjugate
// gradients preconditioned with one V-cycle, until ‖b − A·x‖ ≤ tol·‖b‖. It
// returns the number of iterations.
func (m *multigrid) solvePCG(b, x []float64, tol float64) (int, error) {
	a := m.ops[0]
	n := len(b)
	bnorm := math.Sqrt(dot(b, b))
	clear(x)
	if bnorm == 0 {
		return 0, nil
	}
	r, z, p, q := append([]float64(nil), b...), make([]float64, n), make([]float64, n), make([]float64, n)
	m.vcycle(0, r, z)
	copy(p, z)
	rz := dot(r, z)
	const maxIter = 500
	for it := 0; it < maxIter; it++ {
		a.mul(p, q)
		alpha := rz / dot(p, q)
		for i := range x {
			x[i] += alpha * p[i]
			r[i] -= alpha * q[i]
		}
		if math.Sqrt(dot(r, r)) <= tol*bnorm {
			return it + 1, nil
		}
		m.vcycle(0, r, z)
		rzNew := dot(r, z)
		beta := rzNew / rz
		rz = rzNew
		for i := range p {
			p[i] = z[i] + beta*p[i]
		}
	}
	return maxIter, fmt.Errorf("multigrid-preconditioned conjugate gradients did not reach relative residual %g in %d iterations", tol, maxIter)
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i, v := range a {
		s += v * b[i]
	}
	return s
}
