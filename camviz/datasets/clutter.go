package datasets

// Clutter is drawn in integers from a level in [0,100] (Clutter·100, rounded):
//
//   - a base grey g ∈ [70,185] (tinted per channel by up to ±18 when colour is on),
//     plus a linear illumination gradient of slope up to ±0.35·level/100 grey levels
//     per pixel-fraction of the image;
//   - up to 8·level/100 faint blobs (unions of 1-3 small discs) and as many 1-pixel
//     lines, each at a contrast of 8 to 8+30·level/100 grey levels from g, so they
//     stay well below the contrast of the objects (≥ minObjectContrast);
//   - after the object is drawn, per-pixel noise: a triangular luminance term with
//     amplitude 22·level/100 plus a uniform per-channel term a quarter as large.

// minObjectContrast is the smallest luma difference between an object colour and the
// base grey of its background.
const minObjectContrast = 70

// background fills r with the base grey, gradient and distractors and returns the
// base colour. color=false keeps everything grey.
func background(r *raster, p *prng, level int, color bool) rgb {
	g := p.between(70, 185)
	base := rgb{g, g, g}
	if color {
		for k := range base {
			base[k] += p.signed(18)
		}
	}
	grad := 35 * level / 100
	gx, gy := p.signed(grad), p.signed(grad)
	for y := 0; y < r.h; y++ {
		for x := 0; x < r.w; x++ {
			d := (gx*(2*x-r.w+1))/(2*r.w) + (gy*(2*y-r.h+1))/(2*r.h)
			r.set(x, y, base.add(d))
		}
	}
	maxContrast := 8 + 30*level/100
	distractorColor := func() rgb {
		d := p.between(8, maxContrast)
		if p.coin() {
			d = -d
		}
		c := base.add(d)
		if color {
			for k := range c {
				c[k] += p.signed(10)
			}
		}
		return c
	}
	size := min(r.h, r.w)
	nBlobs := p.between(0, 8*level/100)
	for range nBlobs {
		c := distractorColor()
		cx, cy := p.intn(r.w), p.intn(r.h)
		for range p.between(1, 3) {
			rad := p.between(1, max(2, size/14))
			r.disc(cx+p.signed(rad), cy+p.signed(rad), rad, c)
		}
	}
	nLines := p.between(0, 8*level/100)
	for range nLines {
		c := distractorColor()
		r.line(p.intn(r.w), p.intn(r.h), p.intn(r.w), p.intn(r.h), c)
	}
	return base
}

// addNoise adds the per-pixel noise of the given clutter level.
func addNoise(r *raster, p *prng, level int, color bool) {
	amp := 22 * level / 100
	if amp == 0 {
		return
	}
	half, chroma := amp/2, amp/4
	for y := 0; y < r.h; y++ {
		for x := 0; x < r.w; x++ {
			n := p.signed(half) + p.signed(amp-half)
			d := rgb{n, n, n}
			if color && chroma > 0 {
				for k := range d {
					d[k] += p.signed(chroma)
				}
			}
			r.addAt(x, y, d)
		}
	}
}

// contrastColor draws an object colour whose luma differs from the luma of base by
// at least about minObjectContrast (exactly, before clamping, for grey colours): a
// target luma on the darker or brighter side, then, with colour on, a random hue
// offset of random saturation around that luma.
func contrastColor(p *prng, base rgb, color bool) rgb {
	b := luma(base)
	lowOK := b-minObjectContrast >= 15
	highOK := b+minObjectContrast <= 245
	var t int
	if lowOK && (!highOK || p.coin()) {
		t = p.between(15, b-minObjectContrast)
	} else {
		t = p.between(b+minObjectContrast, 245)
	}
	c := rgb{t, t, t}
	if !color {
		return c
	}
	d := rgb{p.intn(256), p.intn(256), p.intn(256)}
	m := luma(d)
	sat := p.between(40, 100)
	for k := range c {
		c[k] = t + (d[k]-m)*sat/100
	}
	// Shift back so the clamped colour keeps the target luma as far as possible.
	c = c.clamped()
	return c.add(t - luma(c)).clamped()
}
