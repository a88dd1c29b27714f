package datasets

// Shape geometry is evaluated in fixed point, in units of 1/sub of a pixel, at the
// pixel centres (x·sub + sub/2, y·sub + sub/2). (dx, dy) is the offset of a pixel
// centre from the object centre and R the half-extent: every shape lies inside the
// square |dx| ≤ R, |dy| ≤ R.
const sub = 8

// Synthetic classes, in label order.
const (
	classSquare = iota
	classDisc
	classTriangle
	classCross
	classRing
	classBar
	classDiamond
	classFrame
	numShapeClasses
)

var shapeNames = [numShapeClasses]string{
	"square", "disc", "triangle", "cross", "ring", "striped-bar", "diamond", "frame",
}

// MaxSyntheticClasses is the largest NumClasses Synthetic supports.
const MaxSyntheticClasses = numShapeClasses

// sqrt2Num/sqrt2Den ≈ √2 (181/128 = 1.41406).
const sqrt2Num, sqrt2Den = 181, 128

// orient rotates (dx, dy) by o quarter turns.
func orient(dx, dy int64, o int) (int64, int64) {
	switch o & 3 {
	case 1:
		return dy, -dx
	case 2:
		return -dx, -dy
	case 3:
		return -dy, dx
	}
	return dx, dy
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// shapeAt reports whether offset (dx, dy) is inside the shape of class cls with
// half-extent R and orientation o, and for the striped bar which of its two stripe
// colours the point takes (stripe = true for the second colour).
//
//	square:    |dx| ≤ R and |dy| ≤ R
//	disc:      dx² + dy² ≤ R²
//	triangle:  2|u| ≤ v + R, v ≤ R, with (u, v) = (dx, dy) turned by o quarter turns
//	           (apex at v = −R, base 2R wide at v = R)
//	cross:     "+" (o even) with arms of half-width T = R/3: |dx| ≤ T, |dy| ≤ R or
//	           |dy| ≤ T, |dx| ≤ R; "×" (o odd): the "+" turned 45° and shrunk to fit
//	ring:      (0.55R)² ≤ dx² + dy² ≤ R²
//	bar:       |l| ≤ R, |s| ≤ 2R/5 (l along the long axis, horizontal or vertical),
//	           stripes across l of half-period max(2 px, R/4)
//	diamond:   |dx| + |dy| ≤ R
//	frame:     the square minus the square |dx|, |dy| < 0.55R
func shapeAt(cls int, dx, dy, R int64, o int) (in, stripe bool) {
	adx, ady := abs64(dx), abs64(dy)
	switch cls {
	case classSquare:
		return adx <= R && ady <= R, false
	case classDisc:
		return dx*dx+dy*dy <= R*R, false
	case classTriangle:
		u, v := orient(dx, dy, o)
		return v <= R && 2*abs64(u) <= v+R, false
	case classCross:
		t := R / 3
		if o&1 == 0 {
			return (adx <= t && ady <= R) || (ady <= t && adx <= R), false
		}
		// Rotated coordinates u = dx+dy, v = dx−dy are √2 times the 45°-turned ones.
		// An arm of half-width t and half-length L = R√2 − t fits inside |dx|,|dy| ≤ R.
		au, av := abs64(dx+dy)*sqrt2Den, abs64(dx-dy)*sqrt2Den
		tw := t * sqrt2Num              // t·√2, scaled by sqrt2Den
		tl := 2*R*sqrt2Den - t*sqrt2Num // (R√2 − t)·√2, scaled by sqrt2Den
		return (au <= tw && av <= tl) || (av <= tw && au <= tl), false
	case classRing:
		d2 := dx*dx + dy*dy
		ri := R * 55 / 100
		return d2 <= R*R && d2 >= ri*ri, false
	case classBar:
		l, s := adx, ady
		along := dx
		if o&1 == 1 {
			l, s, along = ady, adx, dy
		}
		if l > R || s > 2*R/5 {
			return false, false
		}
		half := max(2*sub, R/4)
		return true, ((along+R)/half)%2 == 1
	case classDiamond:
		return adx+ady <= R, false
	case classFrame:
		ri := R * 55 / 100
		return adx <= R && ady <= R && !(adx < ri && ady < ri), false
	}
	return false, false
}
