//go:build cgo

package backends

import (
	"strings"
	"testing"
)

// TestXLACPUWithoutPlugin simulates a machine with no PJRT plugin installed
// (this one has none either) and one with only the CPU plugin.
func TestXLACPUWithoutPlugin(t *testing.T) {
	saved := findPlugins
	defer func() { findPlugins = saved }()

	findPlugins = func() []string { return nil }
	for _, config := range []string{"xla:cpu", "xla:cuda", "xla"} {
		_, err := NewFromConfig(config)
		if err == nil {
			t.Fatalf("NewFromConfig(%q) with no plugin succeeded", config)
		}
		for _, want := range []string{"none is installed", "PJRT_PLUGIN_LIBRARY_PATH", "pjrt_installer", "~/.local/lib/go-xla"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("NewFromConfig(%q) error %q does not mention %q", config, err, want)
			}
		}
	}

	findPlugins = func() []string { return []string{"cpu"} }
	_, err := NewFromConfig("xla:cuda")
	if err == nil || !strings.Contains(err.Error(), `the installed ones are ["cpu"]`) {
		t.Errorf("xla:cuda with only the cpu plugin: error %v, want it to list the installed plugins", err)
	}
}
