package fastconv

import (
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
)

// TestChunkRows checks the patch chunking of ResNet-18's convolutions against
// hand-computed row counts: at most ChunkPatchBytes of patches per chunk, but
// never fewer than ChunkMinRows product rows (batch × output positions).
func TestChunkRows(t *testing.T) {
	if ChunkPatchBytes != 4<<20 || ChunkMinRows != 512 {
		t.Fatalf("defaults changed (ChunkPatchBytes %d, ChunkMinRows %d): update the expected rows below",
			ChunkPatchBytes, ChunkMinRows)
	}
	byName := map[string]resnetLayer{}
	for _, l := range resnet18Forward {
		byName[l.name] = l.resnetLayer
	}
	for _, tc := range []struct {
		layer string
		batch int
		rows  int // output rows (of the first spatial axis) per chunk
	}{
		// Patch row bytes = batch·Wo·K·K·Cin·4.
		{"stem7x7s2_224x3", 1, 63},  // 112·147·4 = 65856 B per row: 4 MiB / 65856 = 63 rows
		{"3x3_56x64", 1, 32},        // 56·576·4 = 129024 B: 32 rows; 7.2 MB in chunks of 32 and 24 rows
		{"3x3_28x128", 1, 28},       // 28·1152·4 = 129024 B: 32 rows ≥ 28, one chunk
		{"3x3_7x512", 1, 7},         // one chunk of 49 rows (< ChunkMinRows anyway)
		{"3x3_7x512", 8, 7},         // 8·7·4608·4 = 1 MiB per row: 4 rows, but 392 < 512 product rows: all 7
		{"3x3_14x256", 8, 5},        // 8·14·2304·4 = 1032192 B: 4 rows = 448 product rows < 512: 5 rows
		{"3x3_56x64", 8, 4},         // 8·56·576·4 = 1032192 B: 4 rows (1792 product rows)
		{"1x1s2_14x256to512", 1, 7}, // pointwise shapes still plan one chunk
	} {
		l := byName[tc.layer]
		c := l.convCase(tc.batch)
		p, err := newPlan(shapes.Make(dtypes.Float32, c.inDims...), shapes.Make(dtypes.Float32, c.kDims...), c.axes,
			c.strides, c.pads, nil, nil, 1, 1)
		if err != nil {
			t.Fatalf("%s: %v", tc.layer, err)
		}
		if got := p.chunkRows(); got != tc.rows {
			t.Errorf("%s batch %d: chunkRows() = %d, want %d", tc.layer, tc.batch, got, tc.rows)
		}
	}
}
