package testenv

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNeedApt runs NeedApt in child processes: present → passes, missing → skip (one
// line naming the apt command) without CI, fail with CI=true.
func TestNeedApt(t *testing.T) {
	if mode := os.Getenv("TESTENV_CHILD"); mode != "" {
		var err error
		if mode == "missing" {
			err = errors.New("frobnicator not found on PATH")
		}
		NeedApt(t, err, "apt-get install -y frobnicator")
		return
	}
	for _, c := range []struct {
		mode, ci string
		fail     bool
		want     string
	}{
		{"present", "", false, "--- PASS"},
		{"missing", "", false, "--- SKIP"},
		{"missing", "true", true, "--- FAIL"},
		{"present", "true", false, "--- PASS"},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedApt$", "-test.v")
		cmd.Env = append(os.Environ(), "TESTENV_CHILD="+c.mode, "CI="+c.ci)
		out, err := cmd.CombinedOutput()
		if (err != nil) != c.fail || !strings.Contains(string(out), c.want) {
			t.Errorf("%s with CI=%q: err %v, output\n%s\nwant %s", c.mode, c.ci, err, out, c.want)
		}
		if c.mode == "missing" && !strings.Contains(string(out), "apt-get install -y frobnicator") {
			t.Errorf("%s with CI=%q: the output does not name the apt command:\n%s", c.mode, c.ci, out)
		}
	}
}
