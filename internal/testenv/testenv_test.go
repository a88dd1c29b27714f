package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNeedApt runs NeedApt, Need and NeedPython in child processes: present → passes,
// missing → skip (one line naming the apt command or the remedy) without CI, fail with
// CI=true.
func TestNeedApt(t *testing.T) {
	if mode := os.Getenv("TESTENV_CHILD"); mode != "" {
		switch mode {
		case "missing":
			NeedApt(t, errors.New("frobnicator not found on PATH"), "apt-get install -y frobnicator")
		case "present":
			NeedApt(t, nil, "apt-get install -y frobnicator")
		case "need-missing":
			Need(t, errors.New("no /proc/self/status"), "Linux (VmHWM of /proc/self/status)")
		case "python-missing":
			NeedPython(t, "apt-get install -y python3-frobnicator", "camviz_no_such_module")
		case "generated-missing":
			g := &Generated{Install: "apt-get install -y python3-frobnicator",
				Gen: func() (string, error, error) { return "", errors.New("no frobnicator module"), nil }}
			g.Dir(t)
		}
		return
	}
	for _, c := range []struct {
		mode, ci string
		fail     bool
		want     []string
	}{
		{"present", "", false, []string{"--- PASS"}},
		{"missing", "", false, []string{"--- SKIP", "apt-get install -y frobnicator"}},
		{"missing", "true", true, []string{"--- FAIL", "apt-get install -y frobnicator"}},
		{"present", "true", false, []string{"--- PASS"}},
		{"need-missing", "", false, []string{"--- SKIP", "Linux (VmHWM of /proc/self/status)"}},
		{"need-missing", "true", true, []string{"--- FAIL", "Linux (VmHWM of /proc/self/status)"}},
		{"python-missing", "", false, []string{"--- SKIP", "apt-get install -y python3-frobnicator", "camviz_no_such_module"}},
		{"python-missing", "true", true, []string{"--- FAIL", "apt-get install -y python3-frobnicator"}},
		{"generated-missing", "", false, []string{"--- SKIP", "apt-get install -y python3-frobnicator", "no frobnicator module"}},
		{"generated-missing", "true", true, []string{"--- FAIL", "apt-get install -y python3-frobnicator"}},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedApt$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD="+c.mode, "CI="+c.ci)
		out, err := cmd.CombinedOutput()
		if (err != nil) != c.fail {
			t.Errorf("%s with CI=%q: err %v, output\n%s", c.mode, c.ci, err, out)
		}
		for _, w := range c.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s with CI=%q: the output lacks %q:\n%s", c.mode, c.ci, w, out)
			}
		}
	}
}

// TestPythonImports: a standard module imports, a made-up one is an error naming it and
// Python's last line.
func TestPythonImports(t *testing.T) {
	_, err := os.Stat(Python)
	NeedApt(t, err, "apt-get install -y python3")
	if err := PythonImports("json", "os"); err != nil {
		t.Errorf("json, os: %v", err)
	}
	err = PythonImports("json", "camviz_no_such_module")
	if err == nil || !strings.Contains(err.Error(), "cannot import json, camviz_no_such_module: ModuleNotFoundError: No module named 'camviz_no_such_module'") {
		t.Errorf("made-up module: %v", err)
	}
}

func TestCacheDir(t *testing.T) {
	t.Setenv("CAMVIZ_CACHE", "/tmp/cv")
	if got, err := CacheDir("a", "b"); err != nil || got != "/tmp/cv/a/b" {
		t.Errorf("CacheDir with $CAMVIZ_CACHE: %q, %v", got, err)
	}
	script := filepath.Join(t.TempDir(), "gen.py")
	if err := os.WriteFile(script, []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// sha256("print(1)\n") = cc42155088fca573… (sha256sum).
	if got, err := ScriptCacheDir("kind", script); err != nil || got != "/tmp/cv/kind/cc42155088fca573" {
		t.Errorf("ScriptCacheDir: %q, %v", got, err)
	}
	t.Setenv("CAMVIZ_CACHE", "")
	user, userErr := os.UserCacheDir()
	got, err := CacheDir("x")
	if userErr != nil {
		if err == nil {
			t.Errorf("no user cache folder (%v), yet CacheDir gave %q", userErr, got)
		}
	} else if err != nil || got != filepath.Join(user, "camviz", "x") {
		t.Errorf("CacheDir without $CAMVIZ_CACHE: %q, %v", got, err)
	}
}

// TestGeneratedRunsGenOnce: Gen runs on the first Dir call only, and every call returns
// its folder.
func TestGeneratedRunsGenOnce(t *testing.T) {
	calls := 0
	g := &Generated{Install: "apt-get install -y x", Gen: func() (string, error, error) { calls++; return "/tmp/made", nil, nil }}
	for range 3 {
		if got := g.Dir(t); got != "/tmp/made" {
			t.Errorf("Dir = %q", got)
		}
	}
	if calls != 1 {
		t.Errorf("Gen ran %d times, want 1", calls)
	}
}
