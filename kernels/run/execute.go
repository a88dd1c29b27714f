package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/camviz/camviz/kernels/internal/kernelspec"
)

// runner executes and checks notebooks.
type runner struct {
	jupyter      string
	opt          options
	outDir       string
	camvizKernel error // result of checking the camviz kernelspec, once checked
	checked      bool
}

// run executes the notebook at path into out, checks the executed copy and,
// with -inplace, copies it over path if it passed.
func (r *runner) run(path, out string) (result, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return result{}, err
	}
	var nb notebook
	if err := json.Unmarshal(src, &nb); err != nil {
		return result{}, fmt.Errorf("not a notebook: %v", err)
	}
	kernel := r.opt.kernel
	if kernel == "" {
		kernel = nb.Metadata.Kernelspec.Name
	}
	if kernel == "" {
		return result{}, fmt.Errorf("the notebook names no kernel (metadata.kernelspec.name); set it to %q or pass -kernel", kernelspec.Name)
	}
	if kernel == kernelspec.Name {
		if err := r.checkCamvizKernel(); err != nil {
			return result{}, err
		}
	}
	if err := r.execute(path, out, kernel); err != nil {
		return result{}, err
	}
	executed, err := os.ReadFile(out)
	if err != nil {
		return result{}, fmt.Errorf("nbconvert wrote no executed notebook: %v", err)
	}
	res, err := checkNotebook(executed)
	if err != nil || len(res.Problems) > 0 || !r.opt.inplace {
		return res, err
	}
	return res, replaceFile(path, executed)
}

// checkCamvizKernel checks, once, that the camviz kernel is installed for this checkout.
func (r *runner) checkCamvizKernel() error {
	if r.checked {
		return r.camvizKernel
	}
	r.checked = true
	root, err := kernelspec.Root()
	if err == nil {
		var spec *kernelspec.Spec
		if spec, _, err = kernelspec.Installed(r.jupyter); err == nil {
			err = kernelspec.Check(spec, root)
		}
	}
	r.camvizKernel = err
	return err
}

// execute runs nbconvert on path, writing the executed notebook to out.
func (r *runner) execute(path, out, kernel string) error {
	args := []string{"nbconvert", "--to", "notebook", "--execute", "--allow-errors",
		fmt.Sprintf("--ExecutePreprocessor.timeout=%d", int(r.opt.timeout.Seconds())),
		"--ExecutePreprocessor.startup_timeout=120",
		"--ExecutePreprocessor.record_timing=False", // no timestamps: saved notebooks diff cleanly
		"--ExecutePreprocessor.kernel_name=" + kernel,
		"--output-dir", filepath.Dir(out), "--output", strings.TrimSuffix(filepath.Base(out), ".ipynb"),
		path}
	cmd := exec.Command(r.jupyter, args...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("`jupyter %s` failed (%v):\n%s", strings.Join(args, " "), err, indent(firstLines(lastLines(log.String(), 40), 40)))
	}
	return nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// replaceFile atomically replaces path's contents with data.
func replaceFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".run-*.ipynb")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil {
		_ = os.Chmod(tmp.Name(), st.Mode().Perm())
	}
	return os.Rename(tmp.Name(), path)
}
