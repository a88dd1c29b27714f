package datasets

import "image"

// unit8 maps an 8-bit channel c to FromImage's value for it, float32(c·0x101)/65535
// (the 16-bit colour of image/color's RGBA() over 65535), computed the same way so that
// the direct paths give bit-identical results.
var unit8 = func() (t [256]float32) {
	for c := range t {
		t[c] = float32(uint32(c)*0x101) / 65535
	}
	return t
}()

// fromImageDirect is FromImage for the pixel layouts image/png and most decoders
// produce (*image.RGBA, *image.NRGBA), read from the pixel slice instead of through
// img.At, which boxes a colour per pixel (65 k allocations for a 256² picture). It
// reports false for other images. NRGBA is premultiplied exactly as
// color.NRGBA.RGBA does: (c·0x101)·a/0xff in integers.
func fromImageDirect(img image.Image) (pix []float32, h, w int, ok bool) {
	switch m := img.(type) {
	case *image.RGBA:
		b := m.Bounds()
		h, w = b.Dy(), b.Dx()
		pix = make([]float32, h*w*3)
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):][:4*w]
			for x := 0; x < len(row); x += 4 {
				pix[i], pix[i+1], pix[i+2] = unit8[row[x]], unit8[row[x+1]], unit8[row[x+2]]
				i += 3
			}
		}
		return pix, h, w, true
	case *image.NRGBA:
		b := m.Bounds()
		h, w = b.Dy(), b.Dx()
		pix = make([]float32, h*w*3)
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):][:4*w]
			for x := 0; x < len(row); x += 4 {
				a := uint32(row[x+3])
				if a == 0xff {
					pix[i], pix[i+1], pix[i+2] = unit8[row[x]], unit8[row[x+1]], unit8[row[x+2]]
				} else {
					for k := range 3 {
						pix[i+k] = float32(uint32(row[x+k])*0x101*a/0xff) / 65535
					}
				}
				i += 3
			}
		}
		return pix, h, w, true
	}
	return nil, 0, 0, false
}
