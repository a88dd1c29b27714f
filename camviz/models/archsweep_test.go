package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/camviz/camviz/camviz"
	"github.com/camviz/camviz/camviz/npy"
	"github.com/camviz/camviz/internal/testenv"
)

// sweepScript generates the architecture sweep (see its doc string).
const sweepScript = "../../scripts/gen_arch_sweep.py"

// sweepAptHint is what to install when the generator cannot run.
const sweepAptHint = "apt-get install -y python3-torch python3-torchvision python3-onnx"

// sweepArch is one entry of the generator's meta.json.
type sweepArch struct {
	Arch      string `json:"arch"`
	Layer     string `json:"layer"`
	Layout    string `json:"layout"`
	Size      int    `json:"size"`
	Classes   []int  `json:"classes"`
	ActsShape []int  `json:"acts_shape"`
	MapShape  []int  `json:"map_shape"`
	// Amplification is, per image, max |raw| / max relu(raw): how much the final map's
	// min-max normalisation magnifies errors in the raw map.
	Amplification []float64 `json:"amplification"`
}

func readSweepMeta(t *testing.T, dir string) sweepArch {
	t.Helper()
	var meta sweepArch
	data, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

// sweep is the generated architecture sweep: sweep.Dir(t) generates it on first use into
// $CAMVIZ_CACHE/arch-sweep/<hash of the script> (default: the user cache folder's
// camviz/), resuming an interrupted generation; a new script version regenerates into a
// new folder, and nothing is committed. Without Debian's torch the test skips with one
// line naming the apt packages, unless CI=true, where it fails.
var sweep = &testenv.Generated{Install: sweepAptHint, Gen: generateSweep}

// generateSweep returns the sweep's folder; missing is set (and dir empty) when it has to
// be generated and Debian's torch, torchvision or onnx cannot be imported.
func generateSweep() (dir string, missing, err error) {
	dir, err = testenv.ScriptCacheDir("arch-sweep", sweepScript)
	if err != nil {
		return "", nil, fmt.Errorf("architecture sweep: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep.json")); err == nil {
		return dir, nil, nil
	}
	if missing := testenv.PythonImports("torch", "torchvision", "onnx"); missing != nil {
		return "", missing, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	// One generator at a time per folder (go test runs packages, and users run tests, in
	// parallel); --resume keeps what an interrupted run (a test timeout) already exported,
	// and sweep.json, written last, marks the sweep complete.
	lock, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", nil, fmt.Errorf("architecture sweep: locking %s: %w", dir, err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, err := os.Stat(filepath.Join(dir, "sweep.json")); err == nil {
		return dir, nil, nil // another process generated it meanwhile
	}
	out, err := exec.Command(testenv.Python, sweepScript, "--out", dir, "--resume").CombinedOutput()
	if err != nil {
		return "", nil, fmt.Errorf("architecture sweep: %s %s --out %s --resume failed: %w\n%s", testenv.Python, sweepScript, dir, err, out)
	}
	return dir, nil, nil
}

func readSweepNpy(t *testing.T, dir, name string) *npy.Array {
	t.Helper()
	a, err := npy.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// sweepRow is one line of the per-architecture table.
type sweepRow struct {
	arch, layer, layout, mapShape, amp string
	loads, matches                     bool
	logitRel, rawRel, finalAbs         float64
	load, explain                      time.Duration
	problem                            string
}

// TestArchSweep loads every architecture of the sweep (torchvision classifiers with
// random weights and non-trivial BatchNorm statistics, Swin-T and a small ViT, exported at
// opset 17) and checks camviz against torch: logits to 1e-4 of their largest magnitude
// and Grad-CAM finals at pytorch-grad-cam's recommended target layer to 1e-4 absolute
// (references in float64). Token and channels-last layers are mapped by the inferred
// layout. It logs a table: loads / matches / max errors / time.
func TestArchSweep(t *testing.T) {
	dir := sweep.Dir(t)
	var metas []sweepArch
	data, err := os.ReadFile(filepath.Join(dir, "sweep.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &metas); err != nil {
		t.Fatal(err)
	}
	if len(metas) < 16 {
		t.Fatalf("the sweep has %d architectures, want 16", len(metas))
	}
	backend := newTestBackend(t)
	var rows []sweepRow
	for _, meta := range metas {
		row := sweepRow{arch: meta.Arch, layer: meta.Layer, layout: meta.Layout, mapShape: fmt.Sprint(meta.MapShape), amp: fmt.Sprint(meta.Amplification),
			logitRel: math.NaN(), rawRel: math.NaN(), finalAbs: math.NaN()}
		t.Run(meta.Arch, func(t *testing.T) {
			ad := filepath.Join(dir, meta.Arch)
			start := time.Now()
			m, err := LoadONNX(filepath.Join(ad, "model.onnx"))
			row.load = time.Since(start)
			if err != nil {
				row.problem = sweepProblem(err)
				t.Fatalf("load: %v", err)
			}
			row.loads = true
			input := readSweepNpy(t, ad, "input.npy")
			wantLogits := readSweepNpy(t, ad, "logits.npy")
			wantRaw := readSweepNpy(t, ad, "raw.npy")
			wantFinal := readSweepNpy(t, ad, "gradcam.npy")
			if err := nonDegenerate(wantFinal); err != nil {
				row.problem = err.Error()
				t.Fatal(err)
			}
			start = time.Now()
			ex, err := m.Explainer(backend, []string{"target"}, camviz.MethodGradCAM)
			if err != nil {
				row.problem = sweepProblem(err)
				t.Fatal(err)
			}
			res, err := ex.ExplainFloats(input.Data, input.Shape, camviz.ClassTarget(meta.Classes...))
			row.explain = time.Since(start)
			if err != nil {
				row.problem = sweepProblem(err)
				t.Fatal(err)
			}
			var logits []float32
			for _, l := range res.Logits {
				logits = append(logits, l...)
			}
			row.logitRel = maxAbsDiff(logits, wantLogits.Data) / maxAbs(wantLogits.Data)
			raw, err := res.Raw("target", camviz.MethodGradCAM)
			if err != nil {
				row.problem = sweepProblem(err)
				t.Fatal(err)
			}
			if got := []int{len(raw), raw[0].H, raw[0].W}; fmt.Sprint(got) != fmt.Sprint(meta.MapShape) {
				row.problem = fmt.Sprintf("map shape %v, want %v", got, meta.MapShape)
				t.Fatal(row.problem)
			}
			row.rawRel = maxAbsDiff(flatMaps(raw), wantRaw.Data) / maxAbs(wantRaw.Data)
			final, err := res.Final("target", camviz.MethodGradCAM)
			if err != nil {
				row.problem = sweepProblem(err)
				t.Fatal(err)
			}
			row.finalAbs = maxAbsDiff(flatMaps(final), wantFinal.Data)
			switch {
			case row.logitRel > 1e-4:
				row.problem = fmt.Sprintf("logits differ by %.3g of their scale", row.logitRel)
			case row.finalAbs > 1e-4:
				row.problem = fmt.Sprintf("Grad-CAM finals differ by %.3g", row.finalAbs)
			default:
				row.matches = true
			}
			if !row.matches {
				t.Error(row.problem)
			}
		})
		rows = append(rows, row)
	}
	t.Log("architecture sweep (references: torch " + dir + "):\n" + sweepTable(rows))
}

// nonDegenerate fails when a reference map of the batch [n, H, W] is all zeros (its
// class's gradient vanished), which would make the comparison vacuous.
func nonDegenerate(final *npy.Array) error {
	per := len(final.Data) / final.Shape[0]
	for b := 0; b < final.Shape[0]; b++ {
		if maxAbs(final.Data[b*per:(b+1)*per]) < 0.5 {
			return fmt.Errorf("the reference Grad-CAM of image %d is all zeros: the check would be vacuous; "+
				"explain another class in scripts/gen_arch_sweep.py", b)
		}
	}
	return nil
}

// sweepProblem is the useful part of an error for the table: what follows the last
// "panicked: " of GoMLX's wrapping, if any, on one line.
func sweepProblem(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "panicked: "); i >= 0 {
		s = s[i+len("panicked: "):]
	}
	return firstLine(s)
}

func maxAbsDiff(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	m := 0.0
	for i := range got {
		m = max(m, math.Abs(float64(got[i])-float64(want[i])))
	}
	return m
}

// sweepTable formats the rows as a Markdown table.
func sweepTable(rows []sweepRow) string {
	var b strings.Builder
	b.WriteString("| architecture | target layer | layout | map | loads | matches | logits max rel | raw max rel | final max abs | amplification | load s | explain s | problem |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	yes := map[bool]string{true: "yes", false: "NO"}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %.2g | %.2g | %.2g | %s | %.1f | %.1f | %s |\n",
			r.arch, r.layer, r.layout, r.mapShape, yes[r.loads], yes[r.matches], r.logitRel, r.rawRel, r.finalAbs, r.amp,
			r.load.Seconds(), r.explain.Seconds(), r.problem)
	}
	return b.String()
}
