package bench

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

//go:embed pgc_scorecam.py
var pgcScript string

// goalScoreCAMvsPGC is the bound: camviz's Score-CAM at most 0.8× pytorch-grad-cam's
// own, measured in the same run.
var goalScoreCAMvsPGC = &goal{Limit: 0.8, AtMost: true}

// pgcResult is the JSON line pgc_scorecam.py prints.
type pgcResult struct {
	Seconds    float64 `json:"scorecam_s"`
	CPUSeconds float64 `json:"scorecam_cpu_s"`
	BatchSize  int     `json:"batch_size"`
	Reps       int     `json:"reps"`
	Threads    int     `json:"threads"`
	Version    string  `json:"torch"`
	WaitPolicy string  `json:"omp_wait_policy"`
	Dir        string  `json:"pgc"`
}

// pgcMeasure is one pytorch-grad-cam Score-CAM measurement, with what this process
// did meanwhile.
type pgcMeasure struct {
	Result    pgcResult
	GoCPU     time.Duration
	LoadStart string
	LoadEnd   string
}

// checkPGC fails early when paths (the -pgc value: folders separated by ':') cannot
// give pytorch_grad_cam to py.
func checkPGC(py, paths string) error {
	if paths == "" {
		return nil
	}
	cmd := exec.Command(py, "-c", "import sys; sys.path[:0] = sys.argv[1].split(':'); import pytorch_grad_cam", paths)
	if out, err := cmd.CombinedOutput(); err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return fmt.Errorf("-pgc %s: %s cannot import pytorch_grad_cam from it (%s): give a checkout of "+
			"jacobgil/pytorch-grad-cam, and ttach's folder after a ':' if it is not installed", paths, py, lines[len(lines)-1])
	}
	return nil
}

// measurePGC runs pytorch-grad-cam's Score-CAM (pgc_scorecam.py, with torch_resnet.py's
// network beside it in a temporary folder) under the given OpenMP wait policy.
func measurePGC(py, paths string, opts options, policy string) (*pgcMeasure, error) {
	dir, err := os.MkdirTemp("", "camviz-bench-pgc")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for name, text := range map[string]string{"torch_resnet.py": torchScript, "pgc_scorecam.py": pgcScript} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return nil, err
		}
	}
	cmd := exec.Command(py, filepath.Join(dir, "pgc_scorecam.py"), paths, strconv.Itoa(opts.Spec.InputSize[0]),
		strconv.Itoa(runtime.NumCPU()), strconv.Itoa(opts.ScoreReps))
	cmd.Env = envWithWaitPolicy(policy)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	quiesce()
	m := &pgcMeasure{LoadStart: loadAverage()}
	c0 := cpuTime()
	out, err := cmd.Output()
	m.GoCPU, m.LoadEnd = cpuTime()-c0, loadAverage()
	if err != nil {
		return nil, fmt.Errorf("running pytorch-grad-cam's Score-CAM with %s: %w: %s", py, err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &m.Result); err != nil {
		return nil, fmt.Errorf("pgc_scorecam.py output %q: %w", out, err)
	}
	return m, nil
}

// pgcRows reports pytorch-grad-cam's Score-CAM time and camviz's (the later call at the
// default budget: wall seconds and CPU ms) against it, by wall time (the goal's) and by
// CPU time (what stays comparable when the machine is shared).
func pgcRows(m *pgcMeasure, camvizScoreCAM, camvizCPUms float64) []row {
	r := m.Result
	sec := fmt.Sprintf("pytorch-grad-cam's own Score-CAM in this run (%s; torch %s, %d threads, %s)",
		r.Dir, r.Version, r.Threads, policyName(r.WaitPolicy))
	return []row{
		{ID: "pgc/scorecam", Section: sec, Name: "pytorch-grad-cam Score-CAM at layer4[-1], batch 1", Value: r.Seconds,
			CPU: 1000 * r.CPUSeconds, Unit: "s",
			Note: fmt.Sprintf("ScoreCAM(model, [layer4[-1]]), batch size %d, ClassifierOutputTarget(argmax); median of %d "+
				"call(s) after a warm-up forward; ran before camviz's rows, load average %s before and %s after; "+
				"camviz's process used %.0f ms of CPU meanwhile", r.BatchSize, r.Reps, m.LoadStart, m.LoadEnd, ms(m.GoCPU))},
		{ID: "pgc/ratio-scorecam", Section: sec, Name: "camviz Score-CAM / PGC Score-CAM",
			Value: camvizScoreCAM / r.Seconds, Unit: "x", Goal: goalScoreCAMvsPGC,
			Note: "camviz: the later call at the default memory budget"},
		{ID: "pgc/ratio-scorecam-cpu", Section: sec, Name: "camviz Score-CAM CPU / PGC Score-CAM CPU",
			Value: camvizCPUms / (1000 * r.CPUSeconds), Unit: "x",
			Note: "process CPU time (all threads); with default OpenMP waiting torch's includes its threads' spinning"},
	}
}
