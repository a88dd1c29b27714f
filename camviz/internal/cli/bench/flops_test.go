package bench

import "testing"

// TestConvFLOPs checks 2·batch·out²·cout·k²·cin by hand.
func TestConvFLOPs(t *testing.T) {
	for _, tc := range []struct {
		c         convShape
		out       int
		wantFLOPs float64
	}{
		// out = (4 + 2 − 3)/2 + 1 = 2; 2·2·(2·2)·3·9·2 = 864.
		{convShape{Batch: 2, Size: 4, Cin: 2, Cout: 3, K: 3, Stride: 2, Pad: 1}, 2, 864},
		// ResNet-18's 3×3 at 56: 2·56²·64·9·64 = 2·3136·36864 = 231 211 008.
		{resnetConvs[1], 56, 231211008},
		// The stem: out = (224 + 6 − 7)/2 + 1 = 112; 2·112²·64·49·3 = 236 027 904.
		{resnetConvs[0], 112, 236027904},
		// 3×3 at 7 with 512 channels: 2·49·512·9·512 = 231 211 008 too.
		{resnetConvs[4], 7, 231211008},
	} {
		if got := tc.c.OutSize(); got != tc.out {
			t.Errorf("%s: OutSize = %d, want %d", tc.c, got, tc.out)
		}
		if got := tc.c.FLOPs(); got != tc.wantFLOPs {
			t.Errorf("%s: FLOPs = %.0f, want %.0f", tc.c, got, tc.wantFLOPs)
		}
	}
}
