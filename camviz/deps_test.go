package camviz_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNoBackendDependency checks that importing the method library does not pull in a
// backend: package camviz's dependencies (go list -deps, tests excluded) hold neither
// GoMLX's pure-Go backend nor go-xla. Backends come from package camviz/backends.
func TestNoBackendDependency(t *testing.T) {
	gocmd := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gocmd, "list", "-deps", "github.com/camviz/camviz/camviz").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !strings.Contains(string(out), "github.com/gomlx/gomlx/core/graph") {
		t.Fatalf("go list -deps gave %d packages, without gomlx/core/graph: not a dependency list\n%s", len(deps), out)
	}
	for _, d := range deps {
		if strings.Contains(d, "gobackend") || strings.Contains(d, "go-xla") || strings.HasSuffix(d, "camviz/backends") {
			t.Errorf("package camviz depends on %s: the method library must not import a backend (use camviz/backends where one is needed)", d)
		}
	}
}
