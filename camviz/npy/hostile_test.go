package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
)

// rawNpy builds a .npy stream with the given descr and shape text and body bytes.
func rawNpy(descr, shape string, body []byte) []byte {
	header := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	header += strings.Repeat(" ", (64-(10+len(header)+1)%64)%64) + "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	_ = binary.Write(&b, binary.LittleEndian, uint16(len(header)))
	b.WriteString(header)
	b.Write(body)
	return b.Bytes()
}

// TestReadHostileHeaders checks the hostile-input findings: a declared shape far
// bigger than the body (which used to allocate 1.2 TB and die), shapes whose element
// count overflows, and trailing bytes, each an error naming what is wrong.
func TestReadHostileHeaders(t *testing.T) {
	for _, c := range []struct {
		name, descr, shape string
		body               []byte
		want               string
	}{
		{"huge shape, short body", "<f4", "100000, 3, 1000, 1000", make([]byte, 64), "holds only 64 bytes"},
		{"product overflows int64", "<f4", "4294967296, 4294967296, 4", nil, "more elements than a program can hold"},
		{"bytes overflow int64", "<f8", "2305843009213693952,", nil, "more bytes than a program can hold"},
		{"product wraps to zero", "<f4", "4294967296, 4294967296", nil, "more elements than a program can hold"},
		{"trailing bytes", "<f4", "2,", make([]byte, 12), "bytes after the 8 bytes of data"},
		{"negative dimension", "<f4", "-1,", nil, "bad dimension"},
		{"unsupported dtype", "<c8", "1,", make([]byte, 8), "unsupported dtype"},
	} {
		a, err := Read(bytes.NewReader(rawNpy(c.descr, c.shape, c.body)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, %v; want an error containing %q", c.name, a, err, c.want)
		}
	}
}

// TestReadConverts checks float64 and int64 files: accepted, converted, and said so.
func TestReadConverts(t *testing.T) {
	body := make([]byte, 16)
	binary.LittleEndian.PutUint64(body, math.Float64bits(-2.5))
	binary.LittleEndian.PutUint64(body[8:], math.Float64bits(1e300))
	a, err := Read(bytes.NewReader(rawNpy("<f8", "2,", body)))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Converted() || a.Data[0] != -2.5 || !math.IsInf(float64(a.Data[1]), 1) {
		t.Fatalf("float64 [-2.5 1e300]: got %v converted=%v, want [-2.5 +Inf] converted", a.Data, a.Converted())
	}
	binary.LittleEndian.PutUint64(body, uint64(0xFFFFFFFFFFFFFFFD)) // int64 -3
	binary.LittleEndian.PutUint64(body[8:], 7)
	a, err = Read(bytes.NewReader(rawNpy("<i8", "1, 2", body)))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Converted() || a.Data[0] != -3 || a.Data[1] != 7 || len(a.Shape) != 2 {
		t.Fatalf("int64 [[-3 7]]: got %v %v", a.Shape, a.Data)
	}
	var buf bytes.Buffer
	if err := Write(&buf, []int{1}, []float32{1}); err != nil {
		t.Fatal(err)
	}
	if a, err := Read(&buf); err != nil || a.Converted() {
		t.Fatalf("float32 file: converted=%v err=%v, want not converted", a.Converted(), err)
	}
}

// TestReadHugeHeaderLength checks that a version-2 header declaring a 4 GiB header is
// refused before anything of that size is allocated (FuzzRead found it: each such input
// allocated ~4 GiB and stalled the fuzzer).
func TestReadHugeHeaderLength(t *testing.T) {
	data := append([]byte("\x93NUMPY\x02\x00"), 0xf0, 0xff, 0xff, 0xff)
	data = append(data, []byte("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }")...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Read(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "over the limit of 1048576") {
		t.Fatalf("Read of a header declaring %d bytes: error %v, want one naming the limit", 0xfffffff0, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("Read allocated %d bytes for a %d-byte input", grew, len(data))
	}
}
