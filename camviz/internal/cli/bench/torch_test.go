package bench

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/camviz/camviz/camviz/models"
)

// torchPythonOrSkip returns the Python with torch, or skips (fails in CI).
func torchPythonOrSkip(t *testing.T) string {
	t.Helper()
	py, err := findTorchPython()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v: CI must install python3-torch", err)
		}
		t.Skip("needs Debian's torch: apt-get install -y python3-torch")
	}
	return py
}

// TestTorchRowsBothWaitPolicies runs the torch script on a tiny input under both wait
// policies, with the caller's OMP_WAIT_POLICY set to something else, and checks the
// script saw exactly the policy each run asked for, the rows name it, and the ratios
// are against the faster run.
func TestTorchRowsBothWaitPolicies(t *testing.T) {
	torchPythonOrSkip(t)
	t.Setenv("OMP_WAIT_POLICY", "ACTIVE") // must not leak into either run
	opts := options{Reps: 2, Warmup: 1, Spec: models.ResNet18Spec(10, 32)}
	m, err := measureTorch(opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Runs) != 2 {
		t.Fatalf("%d torch runs, want 2 (default and PASSIVE)", len(m.Runs))
	}
	for i, want := range []string{"", "PASSIVE"} {
		r := m.Runs[i]
		if r.Policy != want || r.Result.WaitPolicy != want {
			t.Errorf("run %d: asked for OMP_WAIT_POLICY %q, script saw %q (want %q)", i, r.Policy, r.Result.WaitPolicy, want)
		}
		if !(r.Result.ForwardMS > 0) || !(r.Result.ForwardCPUMS > 0) || !(r.Result.GradCAMMS > 0) {
			t.Errorf("run %d: times %+v, want positive", i, r.Result)
		}
	}
	const camvizFwd, camvizGC = 10.0, 12.0
	rows := torchRows(m, camvizFwd, camvizGC)
	rep := report{Rows: rows}
	best := m.best()
	for _, r := range m.Runs {
		if r.Result.ForwardMS < best.Result.ForwardMS {
			t.Errorf("best() chose %.2f ms, but a run took %.2f ms", best.Result.ForwardMS, r.Result.ForwardMS)
		}
	}
	ratio, _ := rep.find("torch/ratio-forward")
	if want := camvizFwd / best.Result.ForwardMS; ratio.Value != want {
		t.Errorf("forward ratio %v, want %v", ratio.Value, want)
	}
	if !strings.Contains(ratio.Note, policyName(best.Policy)) || !strings.Contains(ratio.Note, "load average") {
		t.Errorf("ratio note %q: want it to name the policy %q and the load average", ratio.Note, policyName(best.Policy))
	}
	for _, id := range []string{"torch/forward/default", "torch/forward/passive", "torch/gradcam/default", "torch/gradcam/passive"} {
		if r, ok := rep.find(id); !ok || !(r.Value > 0) {
			t.Errorf("row %q missing or not positive: %+v", id, r)
		}
	}
}

// TestCheckPGCNamesTheFix: a -pgc folder without pytorch_grad_cam fails early with
// an error that says what to give.
func TestCheckPGCNamesTheFix(t *testing.T) {
	py := torchPythonOrSkip(t)
	err := checkPGC(py, t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "jacobgil/pytorch-grad-cam") || !strings.Contains(err.Error(), "ttach") {
		t.Fatalf("checkPGC on an empty folder: %v, want an error naming pytorch-grad-cam and ttach", err)
	}
}

// TestPGCRows runs pytorch-grad-cam's own Score-CAM on a 32² input when
// CAMVIZ_PGC (the -pgc value) names a checkout: it is not part of camviz, so
// the test cannot run without one.
func TestPGCRows(t *testing.T) {
	paths := os.Getenv("CAMVIZ_PGC")
	if paths == "" {
		t.Skip("set CAMVIZ_PGC=DIR[:TTACH_DIR] (a checkout of jacobgil/pytorch-grad-cam) to run pytorch-grad-cam's Score-CAM")
	}
	py := torchPythonOrSkip(t)
	if err := checkPGC(py, paths); err != nil {
		t.Fatal(err)
	}
	opts := options{ScoreReps: 1, Spec: models.ResNet18Spec(10, 32)}
	m, err := measurePGC(py, paths, opts, "PASSIVE")
	if err != nil {
		t.Fatal(err)
	}
	if m.Result.BatchSize != 16 || m.Result.WaitPolicy != "PASSIVE" || !(m.Result.Seconds > 0) {
		t.Errorf("result %+v: want batch size 16 (the library's default), PASSIVE, a positive time", m.Result)
	}
	rows := pgcRows(m, 2*m.Result.Seconds, 3000*m.Result.CPUSeconds)
	if rows[1].Value != 2 || rows[1].Goal != goalScoreCAMvsPGC {
		t.Errorf("ratio row %+v, want 2 against the 0.8× goal", rows[1])
	}
	if math.Abs(rows[2].Value-3) > 1e-9 {
		t.Errorf("CPU ratio row %+v, want 3", rows[2])
	}
}
