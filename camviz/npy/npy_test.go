package npy

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	data := []float32{1, -2.5, 3, 4, 5, 6}
	var buf bytes.Buffer
	if err := Write(&buf, []int{2, 3}, data); err != nil {
		t.Fatal(err)
	}
	if (buf.Len()-len(data)*4)%64 != 0 {
		t.Fatalf("header not 64-byte aligned: total %d", buf.Len())
	}
	a, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 2 || a.Shape[0] != 2 || a.Shape[1] != 3 {
		t.Fatalf("shape %v", a.Shape)
	}
	for i := range data {
		if a.Data[i] != data[i] {
			t.Fatalf("data[%d]=%v want %v", i, a.Data[i], data[i])
		}
	}
}

func TestReadReference(t *testing.T) {
	// The reference input is 0.2*randn + a bright square at rows 6-13, cols 18-25 (+1.5).
	a, err := ReadFile(filepath.Join("..", "..", "testdata", "reference", "model_a", "input_nchw.npy"))
	if err != nil {
		t.Fatal(err)
	}
	want := []int{1, 3, 32, 32}
	for i := range want {
		if a.Shape[i] != want[i] {
			t.Fatalf("shape %v, want %v", a.Shape, want)
		}
	}
	var in, out float64
	for c := 0; c < 3; c++ {
		for y := 0; y < 32; y++ {
			for x := 0; x < 32; x++ {
				v := float64(a.Data[(c*32+y)*32+x])
				if y >= 6 && y < 14 && x >= 18 && x < 26 {
					in += v
				} else {
					out += v
				}
			}
		}
	}
	in /= 3 * 64
	out /= 3 * (1024 - 64)
	if in < 1.3 || in > 1.7 || out < -0.1 || out > 0.1 {
		t.Fatalf("square mean %.3f (want ≈1.5), background mean %.3f (want ≈0)", in, out)
	}
}

func TestErrors(t *testing.T) {
	if _, err := Read(bytes.NewReader([]byte("not numpy at all"))); err == nil {
		t.Fatal("want error for bad magic")
	}
	if err := Write(&bytes.Buffer{}, []int{2, 2}, []float32{1}); err == nil {
		t.Fatal("want error for size mismatch")
	}
	if _, err := ReadFile("does-not-exist.npy"); err == nil {
		t.Fatal("want error for missing file")
	}
}
