package evaluate

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/camviz/camviz/camviz/datasets"
	"github.com/camviz/camviz/camviz/heatmap"
)

// FuzzAccumulator feeds the model-free metric accumulators (MaxBoxAcc, MaxBoxAccV2,
// Top-1 Loc, PxAP, pointing game) arbitrary maps, masks and boxes decoded from the
// fuzz input: map values are any float32 bit pattern (NaN, ±Inf, subnormals, values
// outside [0, 1]), boxes may disagree with their masks, masks may be empty, sizes
// differ. Update must return an error or accept the batch, never panic; Summary's
// metric values (percentages) must lie in [0, 100].
func FuzzAccumulator(f *testing.F) {
	f.Add([]byte{3, 4, 2, 0xff, 0x0f, 0, 0, 0x80, 0x3f, 0, 0, 0xc0, 0x7f, 0, 0, 0x80, 0x7f})
	f.Add([]byte{1, 1, 1, 1})
	f.Add([]byte{8, 8, 3, 0xaa, 0x55, 0xff, 0, 0, 0, 0, 0x3f})
	f.Add([]byte{0, 5, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 4 {
			return
		}
		h, w, n := int(data[0]%9), int(data[1]%9), 1+int(data[2]%3)
		rest := data[3:]
		next := func() byte {
			if len(rest) == 0 {
				return 0
			}
			b := rest[0]
			rest = rest[1:]
			return b
		}
		nextFloat := func() float32 {
			var b [4]byte
			for i := range b {
				b[i] = next()
			}
			return math.Float32frombits(binary.LittleEndian.Uint32(b[:]))
		}
		acc, err := NewAccumulator(Config{Metrics: []Metric{MaxBoxAcc, MaxBoxAccV2, Top1Loc, PxAP, PointingGame}, TauStep: 0.1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		examples := make([]datasets.Example, n)
		maps := make([]*heatmap.Map, n)
		classes := make([]int, n)
		correct := make([]bool, n)
		for i := range n {
			mask := make([]bool, max(h*w, 0))
			bits := next()
			for p := range mask {
				mask[p] = bits&(1<<(p%8)) != 0
			}
			e := datasets.Example{Image: make([]float32, h*w*3), H: h, W: w, Mask: mask}
			e.Box = datasets.MaskBox(mask, h, w)
			if next()%5 == 0 { // sometimes a box that is not the mask's
				e.Box.Max.X += int(next() % 3)
			}
			examples[i] = e
			m := heatmap.NewMap(h, w)
			for p := range m.Data {
				m.Data[p] = nextFloat()
			}
			maps[i] = m
			correct[i] = next()%2 == 0
		}
		if err := acc.Update(examples, maps, classes, correct); err != nil {
			return
		}
		row, err := acc.Summary()
		if err != nil {
			return
		}
		for metric, v := range row.Values {
			if !(v >= 0 && v <= 100) && !math.IsNaN(v) {
				t.Fatalf("%s = %v, outside [0, 100]", metric, v)
			}
		}
	})
}
