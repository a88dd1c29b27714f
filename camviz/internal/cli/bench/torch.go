package bench

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

//go:embed torch_resnet.py
var torchScript string

// torchResult is the JSON line torch_resnet.py prints.
type torchResult struct {
	ForwardMS float64 `json:"forward_ms"`
	GradCAMMS float64 `json:"gradcam_ms"`
	Threads   int     `json:"threads"`
	Version   string  `json:"torch"`
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

// torchRows runs the embedded script (ResNet-18 forward and Grad-CAM at the
// last block with plain torch autograd, same size, batch 1 and repetitions)
// and compares it with this run's camviz numbers (ms, batch 1).
func torchRows(opts options, camvizForward, camvizGradCAM float64) ([]row, error) {
	py, err := findTorchPython()
	if err != nil {
		return nil, err
	}
	size := opts.Spec.InputSize[0]
	args := []string{"-", strconv.Itoa(size), "1", strconv.Itoa(opts.Warmup), strconv.Itoa(opts.Reps),
		strconv.Itoa(runtime.NumCPU())}
	cmd := exec.Command(py, args...)
	cmd.Stdin = strings.NewReader(torchScript)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("running the torch script with %s: %w: %s", py, err, strings.TrimSpace(stderr.String()))
	}
	var res torchResult
	if err := json.Unmarshal(bytes.TrimSpace(out), &res); err != nil {
		return nil, fmt.Errorf("torch script output %q: %w", out, err)
	}
	sec := fmt.Sprintf("PyTorch %s in this run (%s, %d threads, plain autograd; Debian's build, not the reference's)",
		res.Version, py, res.Threads)
	return []row{
		{ID: "torch/forward", Section: sec, Name: "torch forward, batch 1", Value: res.ForwardMS, Unit: "ms"},
		{ID: "torch/gradcam", Section: sec, Name: "torch Grad-CAM at layer4, batch 1", Value: res.GradCAMMS, Unit: "ms",
			Note: "autograd.grad of the score w.r.t. layer4's output only"},
		{ID: "torch/ratio-forward", Section: sec, Name: "camviz forward / torch forward",
			Value: camvizForward / res.ForwardMS, Unit: "x"},
		{ID: "torch/ratio-gradcam", Section: sec, Name: "camviz Grad-CAM / torch Grad-CAM",
			Value: camvizGradCAM / res.GradCAMMS, Unit: "x"},
	}, nil
}
