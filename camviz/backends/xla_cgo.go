//go:build cgo

package backends

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/go-xla/compute/xla"
)

// findPlugins lists the installed PJRT plugins by name (a variable so tests
// can simulate a machine without any).
var findPlugins = xla.GetAvailablePlugins

// newXLA creates the XLA backend for xlaConfig ("<plugin or path>[,options]"),
// after checking the plugin exists: go-xla's auto-install is disabled, so a
// missing plugin is an error that says how to get one, never a download.
func newXLA(envValue, xlaConfig string) (b compute.Backend, err error) {
	xla.EnableAutoInstall(false)
	plugin, opts, hasOpts := strings.Cut(xlaConfig, ",")
	switch {
	case isPluginPath(plugin):
		abs, err := filepath.Abs(plugin)
		if err != nil {
			return nil, fmt.Errorf("backends: %s=%q: bad plugin path: %w", EnvVar, envValue, err)
		}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("backends: %s=%q: PJRT plugin file %s not found (%v). %s",
				EnvVar, envValue, abs, err, howToGetPlugin)
		}
		xlaConfig = abs
		if hasOpts {
			xlaConfig += "," + opts
		}
	default:
		available := findPlugins()
		found := len(available) > 0 && (plugin == "" || slices.ContainsFunc(available, func(p string) bool {
			return p == plugin || strings.HasPrefix(p, plugin+"_v")
		}))
		if !found {
			want := fmt.Sprintf("the PJRT plugin %q", plugin)
			if plugin == "" {
				want = "a PJRT plugin"
			}
			have := "none is installed"
			if len(available) > 0 {
				have = fmt.Sprintf("the installed ones are %q", available)
			}
			return nil, fmt.Errorf("backends: %s=%q asks for XLA with %s, but %s. %s",
				EnvVar, envValue, want, have, howToGetPlugin)
		}
	}
	defer func() {
		if r := recover(); r != nil {
			b, err = nil, fmt.Errorf("backends: %s=%q: XLA backend creation panicked: %v", EnvVar, envValue, r)
		}
	}()
	b, err = xla.New(xlaConfig)
	if err != nil {
		return nil, fmt.Errorf("backends: %s=%q: creating the XLA backend: %w", EnvVar, envValue, err)
	}
	return b, nil
}
