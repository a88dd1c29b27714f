// Package npy reads and writes NumPy .npy files (format versions 1.0-3.0) holding
// little-endian float32, float64, int64 or int32 arrays in C order. It is how camviz
// loads the pytorch-grad-cam reference maps and how the command-line tool writes maps.
package npy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Array is an n-dimensional array read from a .npy file. Data is always converted to
// float32 (int64/int32/float64 arrays are converted element by element; Converted
// says so), and Shape gives the dimensions in C order.
type Array struct {
	Shape []int
	Data  []float32
	// DType is the NumPy descr of the file, e.g. "<f4".
	DType string
}

// Size returns the number of elements the shape describes.
func (a *Array) Size() int { return sizeOf(a.Shape) }

func sizeOf(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

var (
	descrRe = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
	orderRe = regexp.MustCompile(`'fortran_order'\s*:\s*(True|False)`)
	shapeRe = regexp.MustCompile(`'shape'\s*:\s*\(([^)]*)\)`)
)

// ReadFile reads a .npy file from disk.
func ReadFile(path string) (*Array, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	a, err := Read(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("npy: reading %s: %w", path, err)
	}
	return a, nil
}

// maxHeaderLen bounds the header length a version 2 or 3 file may declare (a uint32):
// without it a hostile header makes Read allocate up to 4 GiB before reading anything
// (found by FuzzRead). Real headers are a few hundred bytes.
const maxHeaderLen = 1 << 20

// Read decodes a .npy stream: the whole stream is one array. The header's shape is
// checked against the bytes that follow before the array is allocated, so a hostile
// header cannot make Read allocate more than the stream holds; a short body, bytes
// after the data and shapes whose size overflows are errors.
func Read(r io.Reader) (*Array, error) {
	magic := make([]byte, 8)
	if _, err := io.ReadFull(r, magic); err != nil {
		return nil, fmt.Errorf("short header: %w", err)
	}
	if !bytes.Equal(magic[:6], []byte("\x93NUMPY")) {
		return nil, fmt.Errorf("not a .npy file (bad magic %q)", magic[:6])
	}
	var headerLen int
	switch magic[6] {
	case 1:
		var l uint16
		if err := binary.Read(r, binary.LittleEndian, &l); err != nil {
			return nil, err
		}
		headerLen = int(l)
	case 2, 3:
		var l uint32
		if err := binary.Read(r, binary.LittleEndian, &l); err != nil {
			return nil, err
		}
		headerLen = int(l)
	default:
		return nil, fmt.Errorf("unsupported .npy version %d.%d", magic[6], magic[7])
	}
	if headerLen > maxHeaderLen {
		return nil, fmt.Errorf("the header declares %d bytes, over the limit of %d (numpy's np.load refuses more than 10000 "+
			"by default): not a .npy file camviz can read", headerLen, maxHeaderLen)
	}
	header := make([]byte, headerLen)
	if _, err := io.ReadFull(r, header); err != nil {
		return nil, fmt.Errorf("short header: %w", err)
	}
	h := string(header)
	m := descrRe.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("header has no descr: %q", h)
	}
	a := &Array{DType: m[1]}
	if m := orderRe.FindStringSubmatch(h); m != nil && m[1] == "True" {
		return nil, fmt.Errorf("fortran_order arrays are not supported; save with np.ascontiguousarray")
	}
	m = shapeRe.FindStringSubmatch(h)
	if m == nil {
		return nil, fmt.Errorf("header has no shape: %q", h)
	}
	for _, part := range strings.Split(m[1], ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		d, err := strconv.Atoi(part)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("bad dimension %q in shape", part)
		}
		a.Shape = append(a.Shape, d)
	}
	n, ok := checkedSize(a.Shape)
	if !ok {
		return nil, fmt.Errorf("shape %v has more elements than a program can hold", a.Shape)
	}
	item := itemSize(a.DType)
	if item == 0 {
		return nil, fmt.Errorf("unsupported dtype %q (want <f4, <f8, <i8 or <i4)", a.DType)
	}
	if n > math.MaxInt64/item {
		return nil, fmt.Errorf("shape %v of %s is more bytes than a program can hold", a.Shape, a.DType)
	}
	// Read the body before allocating for it: a header can declare any shape, and only
	// the bytes that are really there are trusted. One byte more than needed is asked
	// for, to refuse trailing data.
	need := int64(n) * int64(item)
	body, err := io.ReadAll(io.LimitReader(r, need+1))
	if err != nil {
		return nil, fmt.Errorf("reading the data of shape %v: %w", a.Shape, err)
	}
	switch {
	case int64(len(body)) < need:
		return nil, fmt.Errorf("the header declares shape %v of %s (%d bytes of data) but the file holds only %d bytes of data: truncated or wrong header",
			a.Shape, a.DType, need, len(body))
	case int64(len(body)) > need:
		return nil, fmt.Errorf("the file has bytes after the %d bytes of data that shape %v of %s holds: refusing trailing data (a wrong header, or several arrays in one file)",
			need, a.Shape, a.DType)
	}
	a.Data = make([]float32, n)
	for i := range a.Data {
		b := body[i*item:]
		switch a.DType {
		case "<f4", "|f4":
			a.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		case "<f8":
			a.Data[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(b)))
		case "<i8":
			a.Data[i] = float32(int64(binary.LittleEndian.Uint64(b)))
		case "<i4":
			a.Data[i] = float32(int32(binary.LittleEndian.Uint32(b)))
		}
	}
	return a, nil
}

// itemSize is the byte size of one element of a supported dtype, 0 for others.
func itemSize(dtype string) int {
	switch dtype {
	case "<f4", "|f4", "<i4":
		return 4
	case "<f8", "<i8":
		return 8
	}
	return 0
}

// checkedSize is the product of shape, and false when it overflows an int.
func checkedSize(shape []int) (int, bool) {
	n := 1
	for _, d := range shape {
		if d != 0 && n > math.MaxInt/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

// Converted reports whether the file's values were converted to float32 (its dtype is
// float64, int64 or int32), for callers that want to say so.
func (a *Array) Converted() bool { return a.DType != "<f4" && a.DType != "|f4" }

// WriteFile writes data with the given shape as a float32 .npy file (format 1.0).
func WriteFile(path string, shape []int, data []float32) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	w := bufio.NewWriter(f)
	if err := Write(w, shape, data); err != nil {
		f.Close()
		return fmt.Errorf("npy: writing %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("npy: writing %s: %w", path, err)
	}
	return f.Close()
}

// Write encodes a float32 array as .npy (format 1.0, C order, little-endian).
func Write(w io.Writer, shape []int, data []float32) error {
	if sizeOf(shape) != len(data) {
		return fmt.Errorf("shape %v holds %d values, got %d", shape, sizeOf(shape), len(data))
	}
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	shapeStr := strings.Join(dims, ", ")
	if len(shape) == 1 {
		shapeStr += ","
	}
	header := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", shapeStr)
	// Pad so that magic(6)+version(2)+len(2)+header+'\n' is a multiple of 64.
	total := 10 + len(header) + 1
	pad := (64 - total%64) % 64
	header += strings.Repeat(" ", pad) + "\n"
	if len(header) > math.MaxUint16 {
		return fmt.Errorf("header too long")
	}
	if _, err := w.Write([]byte("\x93NUMPY\x01\x00")); err != nil {
		return err
	}
	if err := binary.Write(w, binary.LittleEndian, uint16(len(header))); err != nil {
		return err
	}
	if _, err := io.WriteString(w, header); err != nil {
		return err
	}
	return binary.Write(w, binary.LittleEndian, data)
}
