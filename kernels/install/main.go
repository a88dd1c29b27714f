// Command install sets up camviz's Jupyter kernel on this machine:
//
//  1. checks that Jupyter (Debian's jupyter, jupyter-nbconvert, python3-nbclient)
//     and the Go toolchain (GOTOOLCHAIN=go1.27.3) are there;
//  2. builds GoNB v0.11.5, goimports and gopls from the tools module
//     kernels/tools (go.mod pins exact versions) into .tools/bin of the checkout;
//  3. runs `gonb --install -go_work=<checkout>` into a staging folder, adds the
//     kernel's environment (GOTOOLCHAIN, GOEXPERIMENT=simd, PATH with the Go
//     toolchain and .tools/bin) and registers it with Jupyter as the kernel
//     "camviz" (`jupyter kernelspec install --user --replace`);
//  4. reads the registered kernelspec back and checks it.
//
// The -go_work flag makes GoNB start every notebook with a go.work that uses
// this checkout, so a cell's `import "github.com/camviz/camviz/camviz/heatmap"`
// compiles against the working tree. Running it again rebuilds nothing that is
// up to date and replaces the kernelspec: it is idempotent.
//
// Usage, from the checkout root:
//
//	GOTOOLCHAIN=go1.27.3 GOEXPERIMENT=simd go run ./kernels/install
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/camviz/camviz/kernels/internal/kernelspec"
)

func main() {
	if err := install(); err != nil {
		fmt.Fprintf(os.Stderr, "kernels/install: FAILED: %v\n", err)
		os.Exit(1)
	}
}

// report prints one line of what the installer did.
func report(what, format string, args ...any) {
	fmt.Printf("  %-11s %s\n", what+":", fmt.Sprintf(format, args...))
}

func install() error {
	fmt.Println("camviz kernel install")
	root, err := kernelspec.Root()
	if err != nil {
		return err
	}
	report("checkout", "%s", root)

	jupyter, err := checkJupyter()
	if err != nil {
		return err
	}
	goroot, err := checkGo(root)
	if err != nil {
		return err
	}
	bin := kernelspec.ToolsBin(root)
	if err := buildTools(root, bin); err != nil {
		return err
	}
	path := joinPath(bin, filepath.Join(goroot, "bin"), os.Getenv("PATH"))
	if err := registerKernel(jupyter, root, bin, path); err != nil {
		return err
	}

	spec, dir, err := kernelspec.Installed(jupyter)
	if err != nil {
		return fmt.Errorf("the kernelspec was installed but Jupyter does not list it: %w", err)
	}
	if err := kernelspec.Check(spec, root); err != nil {
		return fmt.Errorf("the installed kernelspec is wrong: %w", err)
	}
	report("kernelspec", "%q (%s) in %s", kernelspec.Name, spec.DisplayName, dir)
	report("argv", "%s", strings.Join(spec.Argv, " "))
	for _, k := range []string{"GOTOOLCHAIN", "GOEXPERIMENT", "PATH"} {
		report("env", "%s=%s", k, spec.Env[k])
	}
	fmt.Printf("camviz kernel installed: notebooks with kernelspec %q import %s from %s\n", kernelspec.Name, kernelspec.Module, root)
	return nil
}

// joinPath joins PATH lists, dropping empty and repeated folders (the first
// occurrence wins, as it does for lookups).
func joinPath(lists ...string) string {
	var dirs []string
	seen := map[string]bool{}
	for _, l := range lists {
		for _, d := range filepath.SplitList(l) {
			if d != "" && !seen[d] {
				seen[d] = true
				dirs = append(dirs, d)
			}
		}
	}
	return strings.Join(dirs, string(os.PathListSeparator))
}
