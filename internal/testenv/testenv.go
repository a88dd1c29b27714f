// Package testenv decides what a test does when something it needs is missing: on a
// developer's machine it skips, with one line that names what to install (the apt
// command) or what to do; in CI (CI=true, which .ci/run sets) it fails, so that nothing is
// silently left out there. It also finds Debian's Python with its modules, and the cache
// folder where tests keep what they generate.
package testenv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Python is Debian's Python 3, the one that has python3-torch, python3-onnx, python3-numpy
// and the rest when they are installed (pyenv's python3 on PATH has none of them).
const Python = "/usr/bin/python3"

// InCI reports whether the tests run in CI: $CI is "true" (as set by .ci/run and by
// most CI services).
func InCI() bool { return os.Getenv("CI") == "true" }

// NeedApt stops t when a tool it needs is missing: err says what is missing (nil: it is
// there and the test goes on), install is the command that installs it, e.g.
// "apt-get install -y chromium". Outside CI the test is skipped with one line; with
// CI=true it fails.
func NeedApt(t testing.TB, err error, install string) {
	t.Helper()
	need(t, err, install, "a missing tool is a failure; install it with "+install)
}

// Need is NeedApt for what no apt package provides (err != nil: it is missing): remedy says
// what the test needs or what to do, e.g. "Linux (VmHWM of /proc/self/status)". Outside CI
// the test is skipped with one line naming it; with CI=true it fails.
func Need(t testing.TB, err error, remedy string) {
	t.Helper()
	need(t, err, remedy, "a missing requirement is a failure; the test needs "+remedy)
}

func need(t testing.TB, err error, what, inCI string) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() {
		t.Fatalf("%v (CI=true: %s)", err, inCI)
	}
	t.Skipf("skipped: needs `%s` (%v)", what, err)
}

// PythonImports returns nil when [Python] imports every module, else an error naming the
// modules and the last line Python printed (e.g. "ModuleNotFoundError: No module named
// 'torch'").
func PythonImports(modules ...string) error {
	out, err := exec.Command(Python, "-c", "import "+strings.Join(modules, ", ")).CombinedOutput()
	if err == nil {
		return nil
	}
	why := err.Error()
	if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); lines[len(lines)-1] != "" {
		why = lines[len(lines)-1]
	}
	return fmt.Errorf("%s cannot import %s: %s", Python, strings.Join(modules, ", "), why)
}

// NeedPython stops t (NeedApt) unless [Python] imports every module; install is the apt
// command that provides them, e.g. "apt-get install -y python3-torch python3-torchvision".
func NeedPython(t testing.TB, install string, modules ...string) {
	t.Helper()
	NeedApt(t, PythonImports(modules...), install)
}

// CacheDir returns the folder where tests keep what they generate: $CAMVIZ_CACHE, else
// the user cache folder's camviz/, joined with elem. It does not create it.
func CacheDir(elem ...string) (string, error) {
	base := os.Getenv("CAMVIZ_CACHE")
	if base == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return "", fmt.Errorf("no cache folder (set $CAMVIZ_CACHE): %w", err)
		}
		base = filepath.Join(dir, "camviz")
	}
	return filepath.Join(append([]string{base}, elem...)...), nil
}

// ScriptCacheDir returns CacheDir(kind, <the first 8 bytes of the script's SHA-256 in
// hex>): a new version of the generator script generates into a new folder.
func ScriptCacheDir(kind, script string) (string, error) {
	src, err := os.ReadFile(script)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(src)
	return CacheDir(kind, hex.EncodeToString(sum[:8]))
}

// Generated is a folder of test artefacts made once per test binary (by Debian's Python,
// typically into ScriptCacheDir). Gen makes it, or finds it made, and returns its path;
// missing when what it needs is not installed (PythonImports' error), or err when it failed.
type Generated struct {
	// Install is the apt command that installs what Gen needs.
	Install string
	// Gen returns the folder, or missing, or err; it runs on the first Dir call only.
	Gen func() (dir string, missing, err error)

	once          sync.Once
	dir           string
	missing, fail error
}

// Dir returns the folder, running Gen on the first call; every call stops t as NeedApt does
// when Gen reported something missing, and fails it when Gen failed.
func (g *Generated) Dir(t testing.TB) string {
	t.Helper()
	g.once.Do(func() { g.dir, g.missing, g.fail = g.Gen() })
	NeedApt(t, g.missing, g.Install)
	if g.fail != nil {
		t.Fatal(g.fail)
	}
	return g.dir
}
