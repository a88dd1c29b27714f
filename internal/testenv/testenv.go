// Package testenv decides what a test does when a tool from a Debian package is missing:
// on a developer's machine it skips, with one line that names the apt command; in CI
// (CI=true, which .ci/run sets) it fails, so that nothing is silently left out there.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: $CI is "true" (as set by .ci/run and by
// most CI services).
func InCI() bool { return os.Getenv("CI") == "true" }

// NeedApt stops t when a tool it needs is missing: err says what is missing (nil: it is
// there and the test goes on), install is the command that installs it, e.g.
// "apt-get install -y chromium". Outside CI the test is skipped with one line; with
// CI=true it fails.
func NeedApt(t testing.TB, err error, install string) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() {
		t.Fatalf("%v (CI=true: a missing tool is a failure; install it with %s)", err, install)
	}
	t.Skipf("skipped: needs `%s` (%v)", install, err)
}
