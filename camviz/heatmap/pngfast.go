package heatmap

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"io"
	"sync"
)

// PNG filter types (PNG specification, section 9).
const (
	pngFilterNone  = 0
	pngFilterSub   = 1
	pngFilterUp    = 2
	pngFilterPaeth = 4
)

// pngScratch is the reusable state of one fast encode.
type pngScratch struct {
	raw  []byte // filtered scanlines: 1 filter byte + 3·w bytes per row
	prev []byte // previous unfiltered RGB row
	cur  []byte // current unfiltered RGB row
	idat bytes.Buffer
	zw   [pngCompressions]*zlib.Writer // one per PNGCompression, made on first use
}

var pngScratchPool = sync.Pool{New: func() any { return &pngScratch{} }}

// opaqueRGBA reports whether every pixel of img is opaque.
func opaqueRGBA(img *image.RGBA) bool {
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		i := img.PixOffset(b.Min.X, y)
		row := img.Pix[i : i+4*b.Dx()]
		for j := 3; j < len(row); j += 4 {
			if row[j] != 0xff {
				return false
			}
		}
	}
	return true
}

// encodeOpaqueRGBA writes an opaque *image.RGBA as an 8-bit RGB PNG, compressed
// with zlib BestSpeed. Every row uses the Paeth filter except the first, which
// uses Sub. This avoids the standard encoder's per-row trial of all five filters
// and its interface calls, and gives files of the same size for smooth pictures
// such as heatmap overlays.
func encodeOpaqueRGBA(w io.Writer, img *image.RGBA) error {
	return encodeRGB(w, img, pngFilterPaeth, PNGBestSpeed)
}

// encodeRGB is encodeOpaqueRGBA with the filter of rows after the first chosen
// (pngFilterUp or pngFilterPaeth) and the compression.
func encodeRGB(w io.Writer, img *image.RGBA, rowFilter byte, compression PNGCompression) error {
	b := img.Bounds()
	width, height := b.Dx(), b.Dy()
	s := pngScratchPool.Get().(*pngScratch)
	defer pngScratchPool.Put(s)
	stride := 3 * width
	s.raw = grow(s.raw, (1+stride)*height)
	s.prev = grow(s.prev, stride)
	s.cur = grow(s.cur, stride)
	for y := 0; y < height; y++ {
		i := img.PixOffset(b.Min.X, b.Min.Y+y)
		src := img.Pix[i : i+4*width]
		cur := s.cur
		for x, j := 0, 0; x < len(src); x, j = x+4, j+3 {
			cur[j], cur[j+1], cur[j+2] = src[x], src[x+1], src[x+2]
		}
		out := s.raw[y*(1+stride) : (y+1)*(1+stride)]
		if y == 0 {
			out[0] = pngFilterSub
			filterSub(out[1:], cur)
		} else {
			out[0] = rowFilter
			if rowFilter == pngFilterUp {
				filterUp(out[1:], cur, s.prev)
			} else {
				filterPaeth(out[1:], cur, s.prev)
			}
		}
		s.prev, s.cur = cur, s.prev
	}
	s.idat.Reset()
	zw := s.zw[compression]
	if zw == nil {
		var err error
		if zw, err = zlib.NewWriterLevel(&s.idat, compression.zlibLevel()); err != nil {
			return err
		}
		s.zw[compression] = zw
	} else {
		zw.Reset(&s.idat)
	}
	if _, err := zw.Write(s.raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}

	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(width))
	binary.BigEndian.PutUint32(hdr[4:], uint32(height))
	hdr[8], hdr[9] = 8, 2 // bit depth 8, colour type 2 (RGB); compression, filter, interlace 0
	if _, err := io.WriteString(w, "\x89PNG\r\n\x1a\n"); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"IHDR", hdr[:]}, {"IDAT", s.idat.Bytes()}, {"IEND", nil}} {
		if err := writeChunk(w, c.name, c.data); err != nil {
			return err
		}
	}
	return nil
}

func grow(b []byte, n int) []byte {
	if cap(b) < n {
		return make([]byte, n)
	}
	return b[:n]
}

// writeChunk writes one PNG chunk: length, type, data, CRC-32 of type and data.
func writeChunk(w io.Writer, name string, data []byte) error {
	var head [8]byte
	binary.BigEndian.PutUint32(head[:4], uint32(len(data)))
	copy(head[4:], name)
	crc := crc32.NewIEEE()
	crc.Write(head[4:])
	crc.Write(data)
	var tail [4]byte
	binary.BigEndian.PutUint32(tail[:], crc.Sum32())
	for _, p := range [][]byte{head[:], data, tail[:]} {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// filterSub: out[i] = cur[i] − cur[i−3] (3 bytes per pixel).
func filterSub(out, cur []byte) {
	copy(out[:3], cur[:3])
	for i := 3; i < len(cur); i++ {
		out[i] = cur[i] - cur[i-3]
	}
}

// filterUp: out[i] = cur[i] − prev[i].
func filterUp(out, cur, prev []byte) {
	for i := range cur {
		out[i] = cur[i] - prev[i]
	}
}

// filterPaeth: out[i] = cur[i] − PaethPredictor(left, up, upper-left).
func filterPaeth(out, cur, prev []byte) {
	for i := 0; i < 3; i++ {
		out[i] = cur[i] - prev[i] // left and upper-left are 0: the predictor is up
	}
	for i := 3; i < len(cur); i++ {
		a, b, c := int(cur[i-3]), int(prev[i]), int(prev[i-3])
		pa, pb := b-c, a-c // |p−a|, |p−b| with p = a+b−c; |p−c| = |pa+pb|
		pc := absInt(pa + pb)
		pa, pb = absInt(pa), absInt(pb)
		p := a
		if pb < pa {
			p, pa = b, pb
		}
		if pc < pa {
			p = c
		}
		out[i] = cur[i] - byte(p)
	}
}

func absInt(x int) int {
	m := x >> 63
	return (x ^ m) - m
}
