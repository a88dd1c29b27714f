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
// float32 (int64/int32/float64 arrays are converted element by element), and Shape
// gives the dimensions in C order.
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

// Read decodes a .npy stream.
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
	n := sizeOf(a.Shape)
	a.Data = make([]float32, n)
	switch a.DType {
	case "<f4", "|f4":
		if err := binary.Read(r, binary.LittleEndian, a.Data); err != nil {
			return nil, fmt.Errorf("reading %d float32 values: %w", n, err)
		}
	case "<f8":
		buf := make([]float64, n)
		if err := binary.Read(r, binary.LittleEndian, buf); err != nil {
			return nil, fmt.Errorf("reading %d float64 values: %w", n, err)
		}
		for i, v := range buf {
			a.Data[i] = float32(v)
		}
	case "<i8":
		buf := make([]int64, n)
		if err := binary.Read(r, binary.LittleEndian, buf); err != nil {
			return nil, fmt.Errorf("reading %d int64 values: %w", n, err)
		}
		for i, v := range buf {
			a.Data[i] = float32(v)
		}
	case "<i4":
		buf := make([]int32, n)
		if err := binary.Read(r, binary.LittleEndian, buf); err != nil {
			return nil, fmt.Errorf("reading %d int32 values: %w", n, err)
		}
		for i, v := range buf {
			a.Data[i] = float32(v)
		}
	default:
		return nil, fmt.Errorf("unsupported dtype %q (want <f4, <f8, <i8 or <i4)", a.DType)
	}
	return a, nil
}

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
