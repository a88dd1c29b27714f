package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// TestInstalledBinaryExplainsFromAnyDirectory does what a user does: go install
// -trimpath of this command into an empty GOBIN, then "camviz explain --model gapcnn
// --input PIC --out DIR" run from a temporary directory outside the checkout. It passes
// only if the shipped model is embedded in the binary (nothing is found through the
// source tree). -short skips it (it builds the binary: about a minute on 2 cores).
func TestInstalledBinaryExplainsFromAnyDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips go install of the camviz command")
	}
	gobin := t.TempDir()
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	install := exec.Command(gocmd, "install", "-trimpath", "./camviz/cmd/camviz")
	install.Dir = filepath.Join("..", "..", "..") // the module root
	install.Env = append(os.Environ(), "GOBIN="+gobin)
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("GOBIN=%s go install -trimpath ./camviz/cmd/camviz: %v\n%s", gobin, err, out)
	}
	bin := filepath.Join(gobin, "camviz")

	work := t.TempDir() // outside the checkout: no go.mod or testdata above it
	pic := writePictures(t, work)[0]
	out := filepath.Join(work, "x")
	run := exec.Command(bin, "explain", "--model", "gapcnn", "--input", filepath.Base(pic), "--out", out)
	run.Dir = work
	output, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("camviz explain --model gapcnn --input %s --out %s (in %s): %v\n%s", filepath.Base(pic), out, work, err, output)
	}
	got := readArray(t, filepath.Join(out, "block3", "GradCAM.npy"))
	if !slices.Equal(got.Shape, []int{1, 64, 64}) {
		t.Fatalf("block3/GradCAM.npy has shape %v, want [1 64 64]", got.Shape)
	}
	// The same command in this process (same code, models found the same way) writes the same map.
	ref := filepath.Join(t.TempDir(), "ref")
	if code, _, stderr := runCLI(t, "explain", "--model", "gapcnn", "--input", pic, "--out", ref); code != 0 {
		t.Fatalf("in-process explain: exit %d: %s", code, stderr)
	}
	if e := absErr(got.Data, readArray(t, filepath.Join(ref, "block3", "GradCAM.npy")).Data); e > 1e-6 {
		t.Errorf("the installed binary's map differs from the in-process one by %.3g", e)
	}
	if !strings.Contains(string(output), "image 0: predicted") {
		t.Errorf("output does not name the prediction:\n%s", output)
	}
	for _, f := range []string{"index.html", filepath.Join("block3", "GradCAM.png")} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("installed binary wrote no %s: %v", f, err)
		}
	}
	version, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(version), "camviz ") {
		t.Errorf("camviz version: %q, %v", version, err)
	}
}
