package bench

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

//go:embed torch_resnet.py
var torchScript string

// torchResult is the JSON line torch_resnet.py prints.
type torchResult struct {
	ForwardMS    float64 `json:"forward_ms"`
	ForwardCPUMS float64 `json:"forward_cpu_ms"`
	GradCAMMS    float64 `json:"gradcam_ms"`
	GradCAMCPUMS float64 `json:"gradcam_cpu_ms"`
	Threads      int     `json:"threads"`
	Version      string  `json:"torch"`
	WaitPolicy   string  `json:"omp_wait_policy"`
}

// torchPolicies are the OpenMP wait policies torch runs with: the default (libgomp's
// threads spin a while after each parallel region, which costs dearly when another
// process wants the core) and PASSIVE (they sleep at once). The issue asks for both.
var torchPolicies = []string{"", "PASSIVE"}

// policyName is a wait policy as the table says it.
func policyName(p string) string {
	if p == "" {
		return "default OpenMP waiting"
	}
	return "OMP_WAIT_POLICY=" + p
}

// torchRun is one run of the torch script under one OpenMP wait policy, with what
// this (Go) process did meanwhile: its CPU time while the script ran shows whether
// camviz competed with torch for the cores.
type torchRun struct {
	Policy  string
	Result  torchResult
	Wall    time.Duration // of the whole script (start-up, model, every repetition)
	GoCPU   time.Duration // this process's CPU time (all threads) meanwhile
	LoadEnd string        // load average right after
}

// findTorchPython returns a Python interpreter that can import torch.
func findTorchPython() (string, error) {
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if err := exec.Command(py, "-c", "import torch").Run(); err == nil {
			return py, nil
		}
	}
	return "", fmt.Errorf("no python3 with torch found: install Debian's python3-torch " +
		"(apt-get install python3-torch) or run without -torch")
}

// envWithWaitPolicy is this process's environment with OMP_WAIT_POLICY set to policy
// ("" removes it, whatever the caller had set).
func envWithWaitPolicy(policy string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OMP_WAIT_POLICY=") {
			env = append(env, kv)
		}
	}
	if policy != "" {
		env = append(env, "OMP_WAIT_POLICY="+policy)
	}
	return env
}

// runTorch runs the embedded script (ResNet-18 forward and Grad-CAM at the last
// block with plain torch autograd, same size, batch 1 and repetitions as camviz's
// rows) with the given OpenMP wait policy.
func runTorch(py string, opts options, policy string) (torchRun, error) {
	size := opts.Spec.InputSize[0]
	args := []string{"-", strconv.Itoa(size), "1", strconv.Itoa(opts.Warmup), strconv.Itoa(opts.Reps),
		strconv.Itoa(runtime.NumCPU())}
	cmd := exec.Command(py, args...)
	cmd.Stdin = strings.NewReader(torchScript)
	cmd.Env = envWithWaitPolicy(policy)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	c0, t0 := cpuTime(), time.Now()
	out, err := cmd.Output()
	r := torchRun{Policy: policy, Wall: time.Since(t0), GoCPU: cpuTime() - c0, LoadEnd: loadAverage()}
	if err != nil {
		return r, fmt.Errorf("running the torch script with %s (%s): %w: %s", py, policyName(policy), err,
			strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &r.Result); err != nil {
		return r, fmt.Errorf("torch script output %q: %w", out, err)
	}
	return r, nil
}

// torchMeasure is what the torch rows need from the runs, measured before
// camviz's own rows (see quiesce).
type torchMeasure struct {
	Python    string
	Runs      []torchRun
	LoadStart string
}

// measureTorch runs the torch script under every wait policy, after quiesce.
func measureTorch(opts options) (*torchMeasure, error) {
	py, err := findTorchPython()
	if err != nil {
		return nil, err
	}
	quiesce()
	m := &torchMeasure{Python: py, LoadStart: loadAverage()}
	for _, p := range torchPolicies {
		r, err := runTorch(py, opts, p)
		if err != nil {
			return nil, err
		}
		m.Runs = append(m.Runs, r)
	}
	return m, nil
}

// quiesce leaves this process idle before a subprocess is timed: a collection
// now rather than during the subprocess, and the freed memory handed back to the
// system (debug.FreeOSMemory collects too).
func quiesce() {
	runtime.GC()
	debug.FreeOSMemory()
}

// best returns the run with the lower forward time.
func (m *torchMeasure) best() torchRun {
	b := m.Runs[0]
	for _, r := range m.Runs[1:] {
		if r.Result.ForwardMS < b.Result.ForwardMS {
			b = r
		}
	}
	return b
}

// torchRows reports the torch runs and compares the better of them with this
// run's camviz numbers (ms, batch 1).
func torchRows(m *torchMeasure, camvizForward, camvizGradCAM float64) []row {
	first := m.Runs[0].Result
	sec := fmt.Sprintf("PyTorch %s in this run (%s, %d threads, plain autograd; Debian's build, not the reference's)",
		first.Version, m.Python, first.Threads)
	var rows []row
	for _, r := range m.Runs {
		id := "default"
		if r.Policy != "" {
			id = strings.ToLower(r.Policy)
		}
		note := fmt.Sprintf("camviz's process used %.0f ms of CPU during the %.1f s script; load average %s after",
			ms(r.GoCPU), r.Wall.Seconds(), r.LoadEnd)
		rows = append(rows,
			row{ID: "torch/forward/" + id, Section: sec, Name: "torch forward, batch 1, " + policyName(r.Policy),
				Value: r.Result.ForwardMS, CPU: r.Result.ForwardCPUMS, Unit: "ms", Note: note},
			row{ID: "torch/gradcam/" + id, Section: sec, Name: "torch Grad-CAM at layer4, batch 1, " + policyName(r.Policy),
				Value: r.Result.GradCAMMS, CPU: r.Result.GradCAMCPUMS, Unit: "ms",
				Note: "autograd.grad of the score w.r.t. layer4's output only"})
	}
	b := m.best()
	against := fmt.Sprintf("against torch with %s, the faster of the two; torch ran before camviz's rows, load average %s before it",
		policyName(b.Policy), m.LoadStart)
	return append(rows,
		row{ID: "torch/ratio-forward", Section: sec, Name: "camviz forward / torch forward",
			Value: camvizForward / b.Result.ForwardMS, Unit: "x", Note: against},
		row{ID: "torch/ratio-gradcam", Section: sec, Name: "camviz Grad-CAM / torch Grad-CAM",
			Value: camvizGradCAM / b.Result.GradCAMMS, Unit: "x", Note: against},
	)
}

// torchAfterRows reports torch's forward time measured again after camviz's rows
// (-torch-after), beside the rows of the run before them.
func torchAfterRows(m *torchMeasure) []row {
	sec := "PyTorch again, after camviz's rows (-torch-after)"
	var rows []row
	for _, r := range m.Runs {
		id := "default"
		if r.Policy != "" {
			id = strings.ToLower(r.Policy)
		}
		rows = append(rows, row{ID: "torch-after/forward/" + id, Section: sec,
			Name: "torch forward, batch 1, " + policyName(r.Policy), Value: r.Result.ForwardMS, CPU: r.Result.ForwardCPUMS, Unit: "ms",
			Note: fmt.Sprintf("camviz's process used %.0f ms of CPU during the %.1f s script; load average %s before, %s after",
				ms(r.GoCPU), r.Wall.Seconds(), m.LoadStart, r.LoadEnd)})
	}
	return rows
}
