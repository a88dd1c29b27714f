package metrics

import (
	"encoding/json"
	"image"
	"math"
	"os"
	"testing"

	"github.com/camviz/camviz/camviz/heatmap"
)

// reference.json is made by testdata/gen_reference.py from the upstream
// libraries (OpenCV 4.6 through wsolevaluation's box code, numpy, scipy,
// scikit-image 0.19); see the script for what each field is.
type reference struct {
	BoxStep float64 `json:"box_step"`
	Boxes   []struct {
		H, W     int
		Map      []float32
		GT       [][4]int
		V1, V2   [][][4]int
		RawIoUV1 []float64 `json:"iou_v1"`
		RawIoUV2 []float64 `json:"iou_v2"`
	}
	MaxBoxAcc map[string][]float64
	PxAP      struct {
		Maps  [][]float32
		Masks [][]bool
		H, W  int
		Value float64
	}
	Pairs []struct {
		H, W     int
		A, B     []float32
		SSIM     float64
		Spearman float64
	}
	ROAD []struct {
		H, W, C int
		Cam     []float32
		ImgHWC  []float32 `json:"img_hwc"`
		P       float64
		MoRF    bool
		Keep    []bool
		OutHWC  []float64 `json:"out_hwc"`
	}
	RISE struct {
		Kernel []float64
		Img    []float32
		Blur   []float64
	}
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	data, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func inclusive(bs [][4]int) []image.Rectangle {
	out := make([]image.Rectangle, len(bs))
	for i, b := range bs {
		out[i] = InclusiveBox(b[0], b[1], b[2], b[3])
	}
	return out
}

// Boxes at every τ, V1 and V2, against wsolevaluation + OpenCV, then the
// MaxBoxAcc it reports over the set.
func TestReferenceWSOLBoxes(t *testing.T) {
	ref := loadReference(t)
	taus := thresholdGrid(ref.BoxStep)
	gts := make([][]image.Rectangle, len(ref.Boxes))
	maps := make([]*heatmap.Map, len(ref.Boxes))
	for i, c := range ref.Boxes {
		m := &heatmap.Map{H: c.H, W: c.W, Data: c.Map}
		maps[i], gts[i] = m, inclusive(c.GT)
		q, maxQ, err := wsolQuantize(m)
		if err != nil {
			t.Fatal(err)
		}
		for k, tau := range taus {
			cut := int(math.Floor(tau * float64(maxQ)))
			v1 := wsolBoxesAtCut(q, c.H, c.W, cut, false)
			if !sameSet(v1, inclusive(c.V1[k])) {
				t.Errorf("map %d τ=%.2f V1: got %v, OpenCV %v", i, tau, v1, inclusive(c.V1[k]))
			}
			v2 := wsolBoxesAtCut(q, c.H, c.W, cut, true)
			if !sameSet(v2, inclusive(c.V2[k])) {
				t.Errorf("map %d τ=%.2f V2: got %v, OpenCV %v", i, tau, v2, inclusive(c.V2[k]))
			}
			near(t, "IoU V1", bestIoU(v1, gts[i]), c.RawIoUV1[k], 1e-15)
			near(t, "IoU V2", bestIoU(v2, gts[i]), c.RawIoUV2[k], 1e-15)
		}
	}
	for key, multi := range map[string]bool{"iou_v1": false, "iou_v2": true} {
		acc, err := NewBoxAccumulator(BoxConfig{TauStep: ref.BoxStep, MultiContour: multi, WSOLCompat: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := acc.Update(maps, gts, nil); err != nil {
			t.Fatal(err)
		}
		res, _ := acc.Summary()
		for d, want := range ref.MaxBoxAcc[key] {
			near(t, key+" MaxBoxAcc", res.PerDelta[d].MaxBoxAcc, want, 1e-9)
		}
	}
}

func TestReferencePxAP(t *testing.T) {
	ref := loadReference(t)
	acc, _ := NewPxAPAccumulator(PxAPConfig{TauStep: 0.01})
	for i := range ref.PxAP.Maps {
		m := &heatmap.Map{H: ref.PxAP.H, W: ref.PxAP.W, Data: ref.PxAP.Maps[i]}
		if err := acc.Update([]*heatmap.Map{m}, ref.PxAP.Masks[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	res, err := acc.Summary()
	if err != nil {
		t.Fatal(err)
	}
	near(t, "PxAP", res.PxAP, ref.PxAP.Value, 1e-9)
}

func TestReferenceSSIMSpearman(t *testing.T) {
	ref := loadReference(t)
	for _, p := range ref.Pairs {
		a := &heatmap.Map{H: p.H, W: p.W, Data: p.A}
		b := &heatmap.Map{H: p.H, W: p.W, Data: p.B}
		s, err := SSIM(a, b, 1)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "SSIM vs skimage", s, p.SSIM, 1e-10)
		r, err := Spearman(a, b)
		if err != nil {
			t.Fatal(err)
		}
		near(t, "Spearman vs scipy", r, p.Spearman, 1e-12)
	}
}

func TestReferenceROAD(t *testing.T) {
	ref := loadReference(t)
	for i, c := range ref.ROAD {
		keep, err := ROADKeepMask(&heatmap.Map{H: c.H, W: c.W, Data: c.Cam}, c.P, c.MoRF)
		if err != nil {
			t.Fatal(err)
		}
		for p := range keep {
			if keep[p] != c.Keep[p] {
				t.Fatalf("case %d (p=%v, MoRF=%v): keep[%d] = %v, pytorch-grad-cam %v", i, c.P, c.MoRF, p, keep[p], c.Keep[p])
			}
		}
		out, err := NoisyLinearImpute(c.ImgHWC, c.H, c.W, c.C, keep, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for j, v := range out {
			worst = math.Max(worst, math.Abs(float64(v)-c.OutHWC[j]))
		}
		if worst > 2e-6 {
			t.Errorf("case %d: imputation differs from spsolve by %g", i, worst)
		}
	}
}

func TestReferenceRISEBlur(t *testing.T) {
	ref := loadReference(t)
	k := riseKernel1D()
	for y := 0; y < 11; y++ {
		for x := 0; x < 11; x++ {
			near(t, "gkern(11, 5)", k[y]*k[x], ref.RISE.Kernel[y*11+x], 1e-15)
		}
	}
	out := riseBlur(ref.RISE.Img, 13, 15, 1)
	for i, v := range out {
		near(t, "blur", float64(v), ref.RISE.Blur[i], 1e-6)
	}
}
