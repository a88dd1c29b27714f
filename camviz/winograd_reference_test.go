package camviz_test

import (
	"testing"

	"github.com/camviz/camviz/camviz/fastconv"
)

// TestReferenceWinograd reruns the pytorch-grad-cam reference comparisons on model A
// with every 3×3 convolution (forward and input gradients) lowered with Winograd's
// F(2×2, 3×3), the algorithm fastconv's WinogradAuto picks for wide layers: model A's
// 16-64 channels are below WinogradMinChannels, so the other tests run it on patches.
// Same tolerances as the patch lowering.
func TestReferenceWinograd(t *testing.T) {
	saved := fastconv.Winograd
	fastconv.Winograd = fastconv.WinogradF2
	defer func() { fastconv.Winograd = saved }()
	before, _ := fastconv.StatsOf(testBackend)
	t.Run("CAMAndGradCAM", TestReferenceCAMAndGradCAM)
	t.Run("MultiLayer", TestReferenceMultiLayer)
	t.Run("Family", TestFamilyReference)
	t.Run("Head", TestHeadReference)
	after, _ := fastconv.StatsOf(testBackend)
	if used := after.Winograd - before.Winograd; used == 0 {
		t.Errorf("no convolution took Winograd's algorithm (stats %+v): the test no longer covers it", after)
	} else {
		t.Logf("%d convolutions lowered with F(2×2, 3×3)", used)
	}
}
