package heatmap

import (
	"compress/zlib"
	"fmt"
	"image"
	"io"
)

// PNGCompression is the zlib compression of EncodePNGCompressed's fast path (opaque
// *image.RGBA pictures). The decoded pixels are the same for every choice; only the
// file's bytes, its size and the encoding time differ.
type PNGCompression int

const (
	// PNGBestSpeed is zlib level 1 (DEFLATE with fast LZ77 matching), what EncodePNG
	// uses: the smallest files of the two for flat pictures (colorized maps, grids).
	PNGBestSpeed PNGCompression = iota
	// PNGHuffmanOnly is zlib's Huffman-only mode (no LZ77 matching): 2.2-2.4× less
	// CPU than PNGBestSpeed on a 224² Jet overlay of a textured picture, and a smaller
	// file there (55.4 against 65.4 kB: photographs have few long repeats), but larger
	// on flat pictures such as a colorized map alone (docs/performance.md).
	PNGHuffmanOnly
	pngCompressions = iota
)

func (c PNGCompression) zlibLevel() int {
	if c == PNGHuffmanOnly {
		return zlib.HuffmanOnly
	}
	return zlib.BestSpeed
}

func (c PNGCompression) String() string {
	switch c {
	case PNGBestSpeed:
		return "PNGBestSpeed"
	case PNGHuffmanOnly:
		return "PNGHuffmanOnly"
	}
	return fmt.Sprintf("PNGCompression(%d)", int(c))
}

// EncodePNGCompressed is EncodePNG with the compression of its fast path chosen.
// Other images than opaque *image.RGBA go through image/png at BestSpeed whatever the
// choice (image/png has no Huffman-only level). An unknown compression is an error.
func EncodePNGCompressed(w io.Writer, img image.Image, c PNGCompression) error {
	if c < 0 || c >= pngCompressions {
		return fmt.Errorf("heatmap.EncodePNGCompressed: unknown compression %v; use PNGBestSpeed or PNGHuffmanOnly", c)
	}
	if nilImage(img) || w == nil {
		return fmt.Errorf("heatmap.EncodePNGCompressed: the image and the writer must be non-nil")
	}
	if rgba, ok := img.(*image.RGBA); ok && !rgba.Bounds().Empty() && opaqueRGBA(rgba) {
		return encodeRGB(w, rgba, pngFilterPaeth, c)
	}
	return pngEncoder.Encode(w, img)
}
