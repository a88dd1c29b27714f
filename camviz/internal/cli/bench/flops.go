package bench

import "fmt"

// convShape is one 2-D convolution of ResNet-18, channels last: a batch of
// size×size×cin inputs, k×k kernels to cout channels, stride and symmetric padding.
type convShape struct {
	Name                   string
	Batch, Size, Cin, Cout int
	K, Stride, Pad         int
}

// OutSize is the output's spatial size ⌊(size + 2·pad − k)/stride⌋ + 1.
func (c convShape) OutSize() int { return (c.Size+2*c.Pad-c.K)/c.Stride + 1 }

// FLOPs counts 2 floating-point operations (a multiply and an add) per
// multiply-add: 2·batch·out²·cout·k²·cin.
func (c convShape) FLOPs() float64 {
	o := c.OutSize()
	return 2 * float64(c.Batch) * float64(o*o) * float64(c.Cout) * float64(c.K*c.K) * float64(c.Cin)
}

func (c convShape) String() string {
	return fmt.Sprintf("%s (%d×%d×%d → %d, %d×%d/%d, batch %d)", c.Name, c.Size, c.Size, c.Cin, c.Cout, c.K, c.K,
		c.Stride, c.Batch)
}

// resnetConvs are the convolution shapes the bench measures: ResNet-18's 7×7/2
// stem on a 224×224 image and a 3×3 layer of each stage, batch 1.
var resnetConvs = []convShape{
	{Name: "stem 7×7/2", Batch: 1, Size: 224, Cin: 3, Cout: 64, K: 7, Stride: 2, Pad: 3},
	{Name: "3×3 @56", Batch: 1, Size: 56, Cin: 64, Cout: 64, K: 3, Stride: 1, Pad: 1},
	{Name: "3×3 @28", Batch: 1, Size: 28, Cin: 128, Cout: 128, K: 3, Stride: 1, Pad: 1},
	{Name: "3×3 @14", Batch: 1, Size: 14, Cin: 256, Cout: 256, K: 3, Stride: 1, Pad: 1},
	{Name: "3×3 @7", Batch: 1, Size: 7, Cin: 512, Cout: 512, K: 3, Stride: 1, Pad: 1},
}
