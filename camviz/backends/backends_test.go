package backends

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
)

func TestDefaultIsWrappedGoBackend(t *testing.T) {
	t.Setenv(EnvVar, "")
	if err := os.Unsetenv(EnvVar); err != nil {
		t.Fatal(err)
	}
	b, err := New()
	if err != nil {
		t.Fatalf("New() with %s unset: %v", EnvVar, err)
	}
	w, ok := b.(*fastconv.Backend)
	if !ok || w.Unwrap().String() != "go" {
		t.Fatalf("default backend is %T (%s), want fastconv wrapping the Go backend", b, Describe(b))
	}
	if d := Describe(b); !strings.HasPrefix(d, "go: ") || !strings.Contains(d, "fastconv on") || strings.Contains(d, "\n") {
		t.Errorf("Describe(default) = %q, want one line starting with \"go: \" saying fastconv on", d)
	}
	for _, config := range []string{"go", " go ", "go:fastconv", "go:parallelops", "go:sequential"} {
		b, err := NewFromConfig(config)
		if err != nil {
			t.Fatalf("NewFromConfig(%q): %v", config, err)
		}
		if _, ok := b.(*fastconv.Backend); !ok {
			t.Errorf("NewFromConfig(%q) = %s, want fastconv on", config, Describe(b))
		}
	}
}

func TestNoFastconv(t *testing.T) {
	t.Setenv(EnvVar, "go:nofastconv")
	b, err := New()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.(*fastconv.Backend); ok || b.String() != "go" {
		t.Fatalf("go:nofastconv gave %s, want the plain Go backend", Describe(b))
	}
	if d := Describe(b); !strings.Contains(d, "fastconv off") {
		t.Errorf("Describe(go:nofastconv) = %q, want fastconv off", d)
	}
}

// TestDefaultComputesConv runs a convolution through the default backend:
// 1-D, x = [1, 2, 3, 4], kernel [1, 10] → y[i] = x[i] + 10·x[i+1] = [21, 32, 43].
func TestDefaultComputesConv(t *testing.T) {
	b, err := NewFromConfig("")
	if err != nil {
		t.Fatal(err)
	}
	x := tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 1, 4, 1)
	k := tensors.FromFlatDataAndDimensions([]float32{1, 10}, 2, 1, 1)
	y, err := graph.CallOnce(b, func(x, k *graph.Node) *graph.Node { return graph.Convolve(x, k).Done() }, x, k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tensors.CopyFlatData[float32](y)
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{21, 32, 43}
	for i := range want {
		if len(got) != len(want) || got[i] != want[i] {
			t.Fatalf("conv = %v, want %v", got, want)
		}
	}
	if s, _ := fastconv.StatsOf(b); s.Lowered != 1 || s.Fallback != 0 {
		t.Errorf("stats %+v, want the convolution lowered", s)
	}
}

func TestUnknownListsChoices(t *testing.T) {
	for _, config := range []string{"tpu-magic", "go:turbo", "onnx"} {
		_, err := NewFromConfig(config)
		if err == nil {
			t.Fatalf("NewFromConfig(%q) succeeded, want an error", config)
		}
		for _, want := range []string{config, "valid choices", `"go"`, `"go:nofastconv"`, `"xla:cpu"`, `"xla:cuda"`, "PJRT plugin file"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("NewFromConfig(%q) error %q does not mention %q", config, err, want)
			}
		}
	}
}

// TestXLAWithoutPluginFailsFast asks for plugins that exist on no machine:
// the error must say how to get one, and come at once (no download attempt).
func TestXLAWithoutPluginFailsFast(t *testing.T) {
	for _, config := range []string{"xla:camviz_missing_plugin", "/nonexistent/pjrt_c_api_cpu_plugin.so",
		"xla:/nonexistent/pjrt_c_api_cpu_plugin.so,tf32=false"} {
		start := time.Now()
		_, err := NewFromConfig(config)
		elapsed := time.Since(start)
		if err == nil {
			t.Fatalf("NewFromConfig(%q) succeeded, want an error", config)
		}
		for _, want := range []string{config, "PJRT_PLUGIN_LIBRARY_PATH", "pjrt_installer", "unset " + EnvVar} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("NewFromConfig(%q) error %q does not mention %q", config, err, want)
			}
		}
		// Not a speed measurement: a slow answer here means a download was attempted.
		if elapsed > 2*time.Second {
			t.Errorf("NewFromConfig(%q) took %s, want an immediate error", config, elapsed)
		}
	}
}

func TestDescribeNil(t *testing.T) {
	if d := Describe(nil); d != "no backend (nil)" {
		t.Errorf("Describe(nil) = %q", d)
	}
}
