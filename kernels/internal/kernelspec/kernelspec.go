// Package kernelspec knows where camviz's Jupyter kernel lives: the checkout
// root, the tools bin folder, the Go toolchain the kernel runs, and the
// kernelspec that `go run ./kernels/install` registers with Jupyter. It is
// shared by the installer (kernels/install) and the headless runner
// (kernels/run), so that both agree on what a correct installation is.
package kernelspec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

const (
	// Name is the kernelspec name notebooks use in metadata.kernelspec.name.
	Name = "camviz"
	// DisplayName is what Jupyter shows in its kernel menu.
	DisplayName = "Go (camviz)"
	// Module is the module path of the checkout the kernel wires notebooks to.
	Module = "github.com/camviz/camviz"
	// GoToolchain is the Go release the kernel compiles cells with (GOTOOLCHAIN).
	GoToolchain = "go1.27.3"
	// GoExperiment is the GOEXPERIMENT the kernel compiles cells with.
	GoExperiment = "simd"
	// AptPackages is what Debian needs for Jupyter and headless execution.
	AptPackages = "jupyter jupyter-nbconvert python3-nbclient python3-ipykernel"
	// InstallHint tells the user how to (re)install the kernel.
	InstallHint = "run `go run ./kernels/install` from the checkout root (with GOTOOLCHAIN=" + GoToolchain + " GOEXPERIMENT=" + GoExperiment + ")"
)

// Spec is a Jupyter kernel.json (the fields GoNB writes).
type Spec struct {
	Argv          []string          `json:"argv"`
	DisplayName   string            `json:"display_name"`
	Language      string            `json:"language"`
	InterruptMode string            `json:"interrupt_mode,omitempty"`
	Env           map[string]string `json:"env,omitempty"`
}

// GoWorkFlag is the GoNB flag that starts every notebook with a go.work that
// uses the checkout at root, so `import "github.com/camviz/camviz/..."`
// resolves to that checkout.
func GoWorkFlag(root string) string { return "-go_work=" + root }

// ToolsBin is the folder the installer builds gonb, goimports and gopls into.
func ToolsBin(root string) string { return filepath.Join(root, ".tools", "bin") }

// Root walks up from the working directory to the folder whose go.mod declares
// Module, and returns it as an absolute path.
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("kernelspec: cannot read the working directory: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if modulePath(filepath.Join(d, "go.mod")) == Module {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("kernelspec: no go.mod declaring module %s above %s; run this from inside the camviz checkout", Module, dir)
		}
	}
}

// modulePath returns the module path declared by the go.mod at path, or "".
func modulePath(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`)
		}
	}
	return ""
}

// Jupyter returns the path of the jupyter command, or an error that says how
// to install it.
func Jupyter() (string, error) {
	p, err := exec.LookPath("jupyter")
	if err != nil {
		return "", fmt.Errorf("jupyter is not on PATH (%v); install it with `apt-get update && apt-get install -y %s`", err, AptPackages)
	}
	return p, nil
}

// Installed returns the kernelspec Jupyter knows under Name and its folder.
func Installed(jupyter string) (*Spec, string, error) {
	cmd := exec.Command(jupyter, "kernelspec", "list", "--json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("`jupyter kernelspec list --json` failed: %v\n%s", err, stderr.String())
	}
	var list struct {
		Kernelspecs map[string]struct {
			ResourceDir string `json:"resource_dir"`
			Spec        Spec   `json:"spec"`
		} `json:"kernelspecs"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, "", fmt.Errorf("cannot parse `jupyter kernelspec list --json`: %v", err)
	}
	ks, ok := list.Kernelspecs[Name]
	if !ok {
		return nil, "", fmt.Errorf("Jupyter has no kernel named %q; %s", Name, InstallHint)
	}
	return &ks.Spec, ks.ResourceDir, nil
}

// Check returns nil if spec is a working camviz kernel for the checkout at
// root: its gonb binary exists, it wires notebooks to root, and its
// environment selects the right Go toolchain and finds goimports and gopls.
func Check(spec *Spec, root string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("kernel %q: %s; %s", Name, fmt.Sprintf(format, args...), InstallHint)
	}
	if len(spec.Argv) == 0 {
		return fail("kernel.json has an empty argv")
	}
	if st, err := os.Stat(spec.Argv[0]); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return fail("its program %s is missing or not executable", spec.Argv[0])
	}
	if !slices.Contains(spec.Argv, GoWorkFlag(root)) {
		got := "no -go_work flag"
		if i := slices.IndexFunc(spec.Argv, func(a string) bool { return strings.HasPrefix(a, "-go_work=") }); i >= 0 {
			got = spec.Argv[i]
		}
		return fail("it wires notebooks to another checkout (%s, want %s)", got, GoWorkFlag(root))
	}
	if g := spec.Env["GOTOOLCHAIN"]; g != GoToolchain {
		return fail("its GOTOOLCHAIN is %q, want %q", g, GoToolchain)
	}
	if g := spec.Env["GOEXPERIMENT"]; g != GoExperiment {
		return fail("its GOEXPERIMENT is %q, want %q", g, GoExperiment)
	}
	for _, tool := range []string{"go", "goimports", "gopls"} {
		if !onPath(tool, spec.Env["PATH"]) {
			return fail("%s is not on its PATH %q", tool, spec.Env["PATH"])
		}
	}
	return nil
}

// onPath reports whether an executable named tool is in one of path's folders.
func onPath(tool, path string) bool {
	for _, dir := range filepath.SplitList(path) {
		if st, err := os.Stat(filepath.Join(dir, tool)); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return true
		}
	}
	return false
}
