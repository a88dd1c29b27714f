package models

import (
	"encoding/binary"
	"slices"
	"testing"

	"github.com/gomlx/compute-onnx/support/protos"
)

// TestLabelSources checks the label readers on the forms the fixtures do not cover:
// ZipMap's classlabels_int64s, LabelEncoder v2's keys_int64s → values_strings (in any key
// order; keys that are not 0…n−1 give no labels) and an int64 label constant.
func TestLabelSources(t *testing.T) {
	zip := &protos.NodeProto{OpType: "ZipMap", Attribute: []*protos.AttributeProto{
		{Name: "classlabels_int64s", Type: protos.AttributeProto_INTS, Ints: []int64{3, 1, 4}}}}
	if got := zipMapLabels(zip); !slices.Equal(got, []string{"3", "1", "4"}) {
		t.Errorf("ZipMap int64 labels %q", got)
	}
	enc := func(keys []int64, values ...string) *protos.NodeProto {
		var vs [][]byte
		for _, v := range values {
			vs = append(vs, []byte(v))
		}
		return &protos.NodeProto{OpType: "LabelEncoder", Attribute: []*protos.AttributeProto{
			{Name: "keys_int64s", Type: protos.AttributeProto_INTS, Ints: keys},
			{Name: "values_strings", Type: protos.AttributeProto_STRINGS, Strings: vs}}}
	}
	if got := labelEncoderLabels(enc([]int64{2, 0, 1}, "bird", "cat", "dog")); !slices.Equal(got, []string{"cat", "dog", "bird"}) {
		t.Errorf("LabelEncoder v2 labels %q, want [cat dog bird]", got)
	}
	for _, keys := range [][]int64{{0, 2}, {0, 0}, {-1, 0}} {
		if got := labelEncoderLabels(enc(keys, "a", "b")); got != nil {
			t.Errorf("LabelEncoder keys %v gave labels %q, want none", keys, got)
		}
	}
	if got := tensorLabels(&protos.TensorProto{DataType: int32(protos.TensorProto_INT64), Int64Data: []int64{7, 9}}); !slices.Equal(got, []string{"7", "9"}) {
		t.Errorf("int64 label constant %q", got)
	}
}

// TestTensorInts checks the decoding of integer constants from their typed fields and
// from raw_data (little-endian), negative values included.
func TestTensorInts(t *testing.T) {
	raw64 := make([]byte, 16)
	binary.LittleEndian.PutUint64(raw64, uint64(1))
	binary.LittleEndian.PutUint64(raw64[8:], uint64(0xFFFFFFFFFFFFFFFF)) // -1
	raw32 := make([]byte, 8)
	binary.LittleEndian.PutUint32(raw32, 256)
	binary.LittleEndian.PutUint32(raw32[4:], 0xFFFFFFFE) // -2
	for _, c := range []struct {
		t    *protos.TensorProto
		want []int64
	}{
		{&protos.TensorProto{DataType: int32(protos.TensorProto_INT64), RawData: raw64}, []int64{1, -1}},
		{&protos.TensorProto{DataType: int32(protos.TensorProto_INT32), RawData: raw32}, []int64{256, -2}},
		{&protos.TensorProto{DataType: int32(protos.TensorProto_INT32), Int32Data: []int32{5, -3}}, []int64{5, -3}},
		{&protos.TensorProto{DataType: int32(protos.TensorProto_FLOAT), FloatData: []float32{1}}, nil},
	} {
		if got := tensorInts(c.t); !slices.Equal(got, c.want) {
			t.Errorf("tensorInts(%v) = %v, want %v", c.t, got, c.want)
		}
	}
}

// TestReshapeAndBroadcastDims checks the shape rules the legalization infers with.
func TestReshapeAndBroadcastDims(t *testing.T) {
	if got := reshapeDims([]int{2, 3, 4}, []int64{0, -1}, false); !slices.Equal(got, []int{2, 12}) {
		t.Errorf("reshape [2 3 4] by [0 -1] = %v", got)
	}
	if got := reshapeDims([]int{2, 3, 4}, []int64{5, -1}, false); got != nil {
		t.Errorf("reshape [2 3 4] by [5 -1] = %v, want none", got)
	}
	if got := broadcastDims([]int{1, 3, 1, 5}, []int{4, 1}); !slices.Equal(got, []int{1, 3, 4, 5}) {
		t.Errorf("broadcast = %v", got)
	}
	if got := broadcastDims([]int{2, 3}, []int{4}); got != nil {
		t.Errorf("broadcast [2 3] [4] = %v, want none", got)
	}
}
