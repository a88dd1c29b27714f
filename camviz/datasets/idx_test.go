package datasets

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
)

// tinyIDX is a hand-made IDX file: unsigned bytes, 3 dims [2 2 3], values 1..12.
var tinyIDX = []byte{
	0, 0, 0x08, 3,
	0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
}

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadIDX(t *testing.T) {
	for name, file := range map[string][]byte{"plain": tinyIDX, "gzip": gz(t, tinyIDX)} {
		idx, err := ReadIDX(bytes.NewReader(file), 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(idx.Dims) != 3 || idx.Dims[0] != 2 || idx.Dims[1] != 2 || idx.Dims[2] != 3 {
			t.Errorf("%s: dims %v, want [2 2 3]", name, idx.Dims)
		}
		if !bytes.Equal(idx.Data, tinyIDX[16:]) {
			t.Errorf("%s: data %v, want 1..12", name, idx.Data)
		}
		// limit = 1 keeps the first 2×3 block.
		idx, err = ReadIDX(bytes.NewReader(file), 1)
		if err != nil || idx.Dims[0] != 1 || !bytes.Equal(idx.Data, []byte{1, 2, 3, 4, 5, 6}) {
			t.Errorf("%s limit 1: %v %v, want dims [1 2 3] and 1..6", name, idx, err)
		}
	}
	var buf bytes.Buffer
	if err := WriteIDX(&buf, []int{2, 2, 3}, tinyIDX[16:]); err != nil || !bytes.Equal(buf.Bytes(), tinyIDX) {
		t.Errorf("WriteIDX = % x (%v), want % x", buf.Bytes(), err, tinyIDX)
	}
	if err := WriteIDX(&buf, []int{2, 2}, tinyIDX[16:]); err == nil {
		t.Error("WriteIDX with 4-value dims and 12 values: no error")
	}
}

func TestReadIDXErrors(t *testing.T) {
	cases := map[string][]byte{
		"magic":     append([]byte{1, 0}, tinyIDX[2:]...),
		"float":     append([]byte{0, 0, 0x0D}, tinyIDX[3:]...),
		"truncated": tinyIDX[:20],
		"short":     {0, 0},
		"huge":      {0, 0, 8, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	}
	want := map[string]string{
		"magic": "not an IDX file", "float": "0x0d", "truncated": "needs 12 data bytes, the file has only 4",
		"short": "magic", "huge": "exceed 2 GiB",
	}
	for name, file := range cases {
		_, err := ReadIDX(bytes.NewReader(file), 0)
		if err == nil || !strings.Contains(err.Error(), want[name]) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, want[name])
		}
	}
}
