package npy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead feeds Read arbitrary bytes, seeded with valid files of every dtype, the
// reference input and their truncations: Read must return an array whose data fills
// its shape, or an error, never panic or allocate more than the input justifies
// (a declared shape larger than the body used to allocate it first).
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	_ = Write(&buf, []int{2, 3}, []float32{1, -2, 3, 4, 5, 6})
	valid := buf.Bytes()
	f.Add(valid)
	for _, n := range []int{0, 7, 10, 20, len(valid) - 1} {
		f.Add(valid[:n])
	}
	for _, d := range []string{"<f8", "<i8", "<i4", "|f4"} {
		f.Add(rawNpy(d, "2, 2", make([]byte, 4*itemSize(d))))
	}
	f.Add(rawNpy("<f4", "100000, 3, 1000, 1000", make([]byte, 16)))
	f.Add(rawNpy("<f4", "4294967296, 4294967296", nil))
	if ref, err := os.ReadFile(filepath.Join("..", "..", "testdata", "reference", "model_a", "input_nchw.npy")); err == nil {
		f.Add(ref)
		f.Add(ref[:len(ref)/2])
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		if n, ok := checkedSize(a.Shape); !ok || n != len(a.Data) {
			t.Fatalf("shape %v but %d values", a.Shape, len(a.Data))
		}
		if len(a.Data)*itemSize(a.DType) > len(data) {
			t.Fatalf("%d values of %s from %d bytes", len(a.Data), a.DType, len(data))
		}
		var out bytes.Buffer
		if err := Write(&out, a.Shape, a.Data); err != nil {
			t.Fatalf("writing back what was read: %v", err)
		}
		b, err := Read(&out)
		if err != nil || len(b.Data) != len(a.Data) {
			t.Fatalf("round trip: %v (%d values, want %d)", err, len(b.Data), len(a.Data))
		}
	})
}
