package kernelspec

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeInstall makes a checkout root and a bin folder with executables named
// tools, and returns a spec as the installer writes it.
func fakeInstall(t *testing.T, tools ...string) (*Spec, string) {
	t.Helper()
	root := t.TempDir()
	bin := ToolsBin(root)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools {
		if err := os.WriteFile(filepath.Join(bin, tool), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return &Spec{
		Argv: []string{filepath.Join(bin, "gonb"), "--kernel", "{connection_file}", GoWorkFlag(root)},
		Env:  map[string]string{"GOTOOLCHAIN": GoToolchain, "GOEXPERIMENT": GoExperiment, "PATH": bin},
	}, root
}

func TestCheckAcceptsInstalledKernel(t *testing.T) {
	spec, root := fakeInstall(t, "gonb", "go", "goimports", "gopls")
	if err := Check(spec, root); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func TestCheckNamesWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tools []string
		edit  func(s *Spec, root string) string // returns the root to check against
		want  string
	}{
		{"other checkout", []string{"gonb", "go", "goimports", "gopls"},
			func(s *Spec, root string) string { return root + "-elsewhere" }, "another checkout"},
		{"no gonb", []string{"go", "goimports", "gopls"},
			func(s *Spec, root string) string { return root }, "missing or not executable"},
		{"old toolchain", []string{"gonb", "go", "goimports", "gopls"},
			func(s *Spec, root string) string { s.Env["GOTOOLCHAIN"] = "go1.26.8"; return root }, `GOTOOLCHAIN is "go1.26.8"`},
		{"no simd", []string{"gonb", "go", "goimports", "gopls"},
			func(s *Spec, root string) string { delete(s.Env, "GOEXPERIMENT"); return root }, "GOEXPERIMENT"},
		{"no gopls", []string{"gonb", "go", "goimports"},
			func(s *Spec, root string) string { return root }, "gopls is not on its PATH"},
		{"empty argv", []string{"gonb"},
			func(s *Spec, root string) string { s.Argv = nil; return root }, "empty argv"},
	} {
		spec, root := fakeInstall(t, tc.tools...)
		err := Check(spec, tc.edit(spec, root))
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "go run ./kernels/install") {
			t.Errorf("%s: got %v, want an error mentioning %q and how to reinstall", tc.name, err, tc.want)
		}
	}
}

func TestRootFindsCheckout(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	// The test runs in kernels/internal/kernelspec of the checkout.
	wd, _ := os.Getwd()
	if want := filepath.Dir(filepath.Dir(filepath.Dir(wd))); root != want {
		t.Errorf("Root() = %s, want %s", root, want)
	}
}

func TestModulePath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "go.mod")
	if err := os.WriteFile(p, []byte("// comment\nmodule \"github.com/camviz/camviz\"\n\ngo 1.27.3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := modulePath(p); got != Module {
		t.Errorf("modulePath = %q, want %q", got, Module)
	}
	if got := modulePath(p + ".missing"); got != "" {
		t.Errorf("modulePath of a missing file = %q, want empty", got)
	}
}
