package heatmap

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"io"
	"sync"
)

// pngPool lets successive encodes reuse the encoder's buffers.
type pngPool struct{ p sync.Pool }

func (b *pngPool) Get() *png.EncoderBuffer {
	if e, ok := b.p.Get().(*png.EncoderBuffer); ok {
		return e
	}
	return nil
}
func (b *pngPool) Put(e *png.EncoderBuffer) { b.p.Put(e) }

var pngEncoder = &png.Encoder{CompressionLevel: png.BestSpeed, BufferPool: &pngPool{}}

// EncodePNG writes img to w as PNG with png.BestSpeed (zlib level 1) compression:
// opaque images as 8-bit RGB, others as 8-bit RGBA. An opaque *image.RGBA (what
// Colorize, Overlay and Grid.Render make) takes a fast path with a fixed Paeth
// filter; other images go through image/png. Buffers are reused between calls.
func EncodePNG(w io.Writer, img image.Image) error {
	if nilImage(img) || w == nil {
		return fmt.Errorf("heatmap.EncodePNG: the image and the writer must be non-nil")
	}
	if rgba, ok := img.(*image.RGBA); ok && !rgba.Bounds().Empty() && opaqueRGBA(rgba) {
		return encodeOpaqueRGBA(w, rgba)
	}
	return pngEncoder.Encode(w, img)
}

// PNGBytes returns img encoded as PNG (see EncodePNG).
func PNGBytes(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := EncodePNG(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
