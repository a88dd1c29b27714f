package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/camviz/camviz/kernels/internal/kernelspec"
)

// goEnv is the environment of the installer's go commands: this process's,
// with the toolchain and experiment camviz needs.
func goEnv(extra ...string) []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GOTOOLCHAIN=") || strings.HasPrefix(kv, "GOEXPERIMENT=")
	})
	env = append(env, "GOTOOLCHAIN="+kernelspec.GoToolchain, "GOEXPERIMENT="+kernelspec.GoExperiment)
	return append(env, extra...)
}

// runCmd runs cmd, and on failure returns an error with its combined output.
func runCmd(cmd *exec.Cmd) (string, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("`%s` failed: %v\n%s", strings.Join(cmd.Args, " "), err, out.String())
	}
	return out.String(), nil
}

// checkJupyter finds jupyter and checks that nbconvert and kernelspec work.
func checkJupyter() (string, error) {
	jupyter, err := kernelspec.Jupyter()
	if err != nil {
		return "", err
	}
	for _, sub := range []string{"nbconvert", "kernelspec"} {
		out, err := runCmd(exec.Command(jupyter, sub, "--version"))
		if err != nil {
			return "", fmt.Errorf("jupyter %s does not work (%v); install it with `apt-get install -y %s`", sub, err, kernelspec.AptPackages)
		}
		report("jupyter", "%s %s %s", jupyter, sub, lastLine(out))
	}
	return jupyter, nil
}

// checkGo checks that go runs the toolchain camviz needs, and returns its GOROOT.
func checkGo(root string) (string, error) {
	if _, err := exec.LookPath("go"); err != nil {
		return "", fmt.Errorf("go is not on PATH (%v); install Go (1.26 or newer; it fetches %s from the module proxy)", err, kernelspec.GoToolchain)
	}
	cmd := exec.Command("go", "env", "GOVERSION", "GOROOT")
	cmd.Dir, cmd.Env = root, goEnv()
	out, err := runCmd(cmd)
	if err != nil {
		return "", fmt.Errorf("cannot start the Go toolchain %s: %w", kernelspec.GoToolchain, err)
	}
	f := strings.Fields(out)
	if len(f) != 2 || f[0] != kernelspec.GoToolchain {
		return "", fmt.Errorf("`go env GOVERSION GOROOT` with GOTOOLCHAIN=%s printed %q, want %s and a GOROOT", kernelspec.GoToolchain, out, kernelspec.GoToolchain)
	}
	report("go", "%s in %s", f[0], f[1])
	return f[1], nil
}

// buildTools builds the tools of kernels/tools/go.mod (gonb, goimports, gopls)
// into bin with `go install tool`; up-to-date binaries are left alone.
func buildTools(root, bin string) error {
	fmt.Printf("  %-11s building gonb, goimports, gopls into %s (the first build takes minutes)\n", "tools:", bin)
	cmd := exec.Command("go", "install", "tool")
	cmd.Dir, cmd.Env = filepath.Join(root, "kernels", "tools"), goEnv("GOBIN="+bin)
	if _, err := runCmd(cmd); err != nil {
		return fmt.Errorf("building the kernel's tools: %w", err)
	}
	for _, tool := range []string{"gonb", "goimports", "gopls"} {
		if st, err := os.Stat(filepath.Join(bin, tool)); err != nil || st.Mode()&0o111 == 0 {
			return fmt.Errorf("`go install tool` in kernels/tools did not produce an executable %s in %s", tool, bin)
		}
	}
	out, err := runCmd(exec.Command(filepath.Join(bin, "gonb"), "-V"))
	if err != nil {
		return err
	}
	report("tools", "gonb %s, goimports, gopls ready", lastLine(out))
	return nil
}

// registerKernel lets gonb write its kernelspec into a staging folder, adds
// camviz's name and environment, and installs it with `jupyter kernelspec install`.
func registerKernel(jupyter, root, bin, path string) error {
	staging, err := os.MkdirTemp("", "camviz-kernelspec-")
	if err != nil {
		return fmt.Errorf("cannot make a staging folder: %w", err)
	}
	defer os.RemoveAll(staging)

	cmd := exec.Command(filepath.Join(bin, "gonb"), "--install", kernelspec.GoWorkFlag(root))
	cmd.Env = goEnv("JUPYTER_DATA_DIR="+staging, "PATH="+path)
	if _, err := runCmd(cmd); err != nil {
		return fmt.Errorf("gonb could not write its kernelspec: %w", err)
	}
	dir := filepath.Join(staging, "kernels", "gonb")
	specPath := filepath.Join(dir, "kernel.json")
	data, err := os.ReadFile(specPath)
	if err != nil {
		return fmt.Errorf("gonb --install wrote no kernel.json where expected: %w", err)
	}
	var spec kernelspec.Spec
	if err := json.Unmarshal(data, &spec); err != nil {
		return fmt.Errorf("cannot parse gonb's kernel.json %s: %w", specPath, err)
	}
	if len(spec.Argv) == 0 {
		return fmt.Errorf("gonb's kernel.json %s has an empty argv", specPath)
	}
	// gonb copies itself into the kernelspec folder when its binary lies under
	// /tmp or a cache folder (as .tools/bin does in a checkout under /tmp); the
	// kernel runs the built binary instead, so the folder holds no stale copy.
	for _, copied := range []string{"gonb", "gonb~"} {
		if err := os.Remove(filepath.Join(dir, copied)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("cannot remove gonb's copy of itself from the staging folder: %w", err)
		}
	}
	spec.Argv[0] = filepath.Join(bin, "gonb")
	spec.DisplayName = kernelspec.DisplayName
	spec.Env = map[string]string{
		"GOTOOLCHAIN":  kernelspec.GoToolchain,
		"GOEXPERIMENT": kernelspec.GoExperiment,
		"PATH":         path,
	}
	if data, err = json.MarshalIndent(&spec, "", "  "); err != nil {
		return err
	}
	if err := os.WriteFile(specPath, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("cannot write %s: %w", specPath, err)
	}
	report("gonb", "kernelspec written by `gonb --install %s`", kernelspec.GoWorkFlag(root))
	out, err := runCmd(exec.Command(jupyter, "kernelspec", "install", "--user", "--replace", "--name", kernelspec.Name, dir))
	if err != nil {
		return fmt.Errorf("jupyter could not install the kernelspec: %w", err)
	}
	report("jupyter", "%s", lastLine(out))
	return nil
}

// lastLine returns the last non-empty line of s, trimmed.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
