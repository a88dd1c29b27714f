package bench

import (
	"fmt"
	"math/rand/v2"

	"github.com/camviz/camviz/camviz/backends"
	"github.com/gomlx/compute"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

// goalConv3x3 is the goal for the Go backend's 3×3 convolutions.
var goalConv3x3 = &goal{Limit: 25}

// randomTensor returns a tensor of standard normal values from rng.
func randomTensor(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	flat := make([]float32, n)
	for i := range flat {
		flat[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(flat, dims...)
}

// convRows measures every shape on the Go backend with camviz's lowering
// (fastconv: patches + one DotGeneral) and with its native ConvGeneral.
func convRows(opts options) ([]row, error) {
	const section = "Convolution, Go backend (GFLOP/s = 2·MACs / median time)"
	lowered, err := backends.NewFromConfig("go")
	if err != nil {
		return nil, err
	}
	native, err := backends.NewFromConfig("go:nofastconv")
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var rows []row
	for _, c := range opts.Convs {
		x := randomTensor(rng, c.Batch, c.Size, c.Size, c.Cin)
		k := randomTensor(rng, c.K, c.K, c.Cin, c.Cout)
		var speeds [2]float64
		for i, b := range []compute.Backend{lowered, native} {
			t, err := timeConv(b, c, x, k, opts)
			if err != nil {
				return nil, fmt.Errorf("convolution %s: %w", c, err)
			}
			speeds[i] = c.FLOPs() / t.Wall.Seconds() / 1e9
			r := row{ID: fmt.Sprintf("conv/%s/%s", c.Name, []string{"lowered", "native"}[i]), Section: section,
				Value: speeds[i], Unit: "GFLOP/s", CPU: ms(t.CPU)}
			if i == 0 {
				r.Name = c.Name + ", lowered (fastconv)"
				if c.K == 3 {
					r.Goal = goalConv3x3
				}
			} else {
				r.Name = c.Name + ", native"
				rows[len(rows)-1].Note = fmt.Sprintf("%.0f× native", speeds[0]/speeds[1])
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// timeConv times y = conv(x, k) (torch-style symmetric padding) on backend b.
func timeConv(b compute.Backend, c convShape, x, k *tensors.Tensor, opts options) (timing, error) {
	e, err := graph.NewExec(b, func(x, k *graph.Node) *graph.Node {
		return graph.Convolve(x, k).StridePerAxis(c.Stride, c.Stride).
			PaddingPerDim([][2]int{{c.Pad, c.Pad}, {c.Pad, c.Pad}}).Done()
	})
	if err != nil {
		return timing{}, err
	}
	defer e.Finalize()
	// A tensor is bound to the backend it first runs on: give each its own copy.
	xc, err := x.LocalClone()
	if err != nil {
		return timing{}, err
	}
	kc, err := k.LocalClone()
	if err != nil {
		return timing{}, err
	}
	return measure(opts.Warmup, opts.Reps, func() error {
		out, err := e.Call(xc, kc)
		if err != nil {
			return err
		}
		for _, o := range out {
			o.FinalizeAll()
		}
		return nil
	})
}
