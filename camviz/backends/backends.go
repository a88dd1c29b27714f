// Package backends picks the compute.Backend camviz runs on.
//
// The default is GoMLX's pure-Go backend (github.com/gomlx/compute/gobackend)
// wrapped with camviz/fastconv, which lowers convolutions to patch extraction
// plus one matrix product: it needs nothing installed and, built with
// GOEXPERIMENT=simd, runs convolutions at matrix-product speed.
//
// $GOMLX_BACKEND selects another one:
//
//	"" or "go"         pure-Go backend with fastconv (the default)
//	"go:nofastconv"    pure-Go backend with its native ConvGeneral (for comparison)
//	"go:parallelops"   pure-Go backend with fastconv and the Go backend's own op
//	                   scheduling (for comparison; see GoConfig)
//	"go:sequential"    pure-Go backend with fastconv, its ops run one after the
//	                   other (camviz's configuration before 2026-11-30, for
//	                   comparison; see GoConfig)
//	"xla:cpu"          XLA through the PJRT CPU plugin
//	"xla:cuda"         XLA through the PJRT CUDA plugin
//	"xla:NAME[,OPTS]"  any PJRT plugin by name, with go-xla's options
//	"/path/plugin.so"  a PJRT plugin file (also "xla:/path/plugin.so")
//
// XLA needs a PJRT plugin file (pjrt_c_api_<name>_plugin.so), found in
// $PJRT_PLUGIN_LIBRARY_PATH, ~/.local/lib/go-xla or /usr/local/lib/go-xla.
// camviz never downloads plugins (go-xla's auto-install is disabled): where
// none is installed New returns an error saying how to get one.
package backends

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/camviz/camviz/camviz/fastconv"
	"github.com/camviz/camviz/camviz/tailslack"
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// GoConfig is the configuration camviz gives the pure-Go backend: two op
// executors, so that two independent ops (a patch gather and a product, the
// chunks of a cut convolution, a residual block's two branches) can run side by
// side, while each matrix product still fans out over the cores.
//
// Left to its default, the Go backend runs an execution's ops with up to
// min(8, parallelism) executor goroutines, and parallelism defaults to
// 2·GOMAXPROCS (it reports "parallelism=4" on 2 cores). The executors hold
// worker-pool slots for the whole execution while they wait for ready ops, so a
// matrix product, which fans out over the same pool, finds one slot free: on 2
// cores every product of a ResNet-18 forward pass ran on one goroutine (counted
// with runtime/trace: 60 products, 60 worker goroutines; with "ops_sequential"
// 239, four per product), and the process used about one core. With two
// executors the extra one holds one slot and a product gets three workers on
// 2 cores (TestProductsUseEveryCore). Against "ops_sequential" (camviz's
// setting before, "go:sequential"), ResNet-18's forward pass took 3-6% less
// CPU and wall time in 5 of 6 interleaved pairs at batch 1 and 6% less CPU at
// batch 8 on a loaded 2-core machine, and 11% less wall time when two cores
// were free (docs/performance.md).
//
// The execution mode stays the Go backend's dynamic one: an execution runs its
// ops in parallel only while it is the only one running, and sequentially
// otherwise. Forcing "ops_parallel" deadlocks concurrent executions (each
// parks its extra executor in a pool slot, and their products wait for a free
// slot forever: TestExplainConcurrent hung with it).
const GoConfig = "num_executors=2"

// SequentialGoConfig is the "go:sequential" configuration: ops one after the
// other, each product over every core.
const SequentialGoConfig = "ops_sequential"

// EnvVar is the environment variable that selects the backend.
const EnvVar = "GOMLX_BACKEND"

// choices lists the accepted values of $GOMLX_BACKEND, for error messages.
const choices = `"go" (default: pure Go + fastconv), "go:nofastconv", "go:parallelops", "go:sequential", "xla:cpu", "xla:cuda", ` +
	`"xla:<plugin name>[,options]" or the path of a PJRT plugin file`

// New returns the backend selected by $GOMLX_BACKEND (see the package
// documentation); unset or empty selects the pure-Go backend with fastconv.
func New() (compute.Backend, error) {
	return NewFromConfig(os.Getenv(EnvVar))
}

// NewFromConfig returns the backend for config, which takes the values of
// $GOMLX_BACKEND described in the package documentation.
func NewFromConfig(config string) (compute.Backend, error) {
	config = strings.TrimSpace(config)
	name, rest, _ := strings.Cut(config, ":")
	switch {
	case config == "" || config == "go" || config == "go:fastconv" || config == "go:parallelops" || config == "go:sequential":
		goConfig := GoConfig
		switch config {
		case "go:parallelops":
			goConfig = ""
		case "go:sequential":
			goConfig = SequentialGoConfig
		}
		b, err := gobackend.New(goConfig)
		if err != nil {
			return nil, fmt.Errorf("backends: creating the pure-Go backend: %w", err)
		}
		return fastconv.Wrap(b), nil
	case config == "go:nofastconv":
		b, err := gobackend.New(GoConfig)
		if err != nil {
			return nil, fmt.Errorf("backends: creating the pure-Go backend: %w", err)
		}
		// Pad its buffers against the SIMD tail fault (see camviz/tailslack); a
		// failure leaves the backend as upstream made it, which still computes.
		_ = tailslack.Install(b)
		return b, nil
	case name == "go":
		return nil, fmt.Errorf("backends: %s=%q: unknown option %q for the Go backend; valid choices: %s",
			EnvVar, config, rest, choices)
	case isPluginPath(config):
		return newXLA(config, config)
	case name == "xla" || name == "stablehlo" || name == "hlo" || name == "shlo" || name == "pjrt":
		return newXLA(config, rest)
	}
	return nil, fmt.Errorf("backends: %s=%q is not a known backend; valid choices: %s", EnvVar, config, choices)
}

// isPluginPath reports whether the plugin part of an XLA configuration (before
// any ",options") names a file rather than a plugin.
func isPluginPath(s string) bool {
	plugin, _, _ := strings.Cut(s, ",")
	return strings.ContainsRune(plugin, filepath.Separator) || strings.HasSuffix(plugin, ".so") ||
		strings.HasSuffix(plugin, ".dylib") || strings.HasSuffix(plugin, ".dll")
}

// howToGetPlugin tells the user how to make a PJRT plugin available.
const howToGetPlugin = `To use XLA, install the PJRT plugin file (named pjrt_c_api_<name>_plugin.so, e.g. ` +
	`pjrt_c_api_cpu_plugin.so) into ~/.local/lib/go-xla or /usr/local/lib/go-xla, or set ` +
	`PJRT_PLUGIN_LIBRARY_PATH to the folder that holds it, or set ` + EnvVar + ` to the plugin file's path. ` +
	`On a machine with internet access, "go run github.com/gomlx/go-xla/cmd/pjrt_installer@latest" ` +
	`downloads it (camviz never downloads plugins itself). ` +
	`Or unset ` + EnvVar + ` to use the pure-Go backend, which needs nothing installed.`

// Describe returns a one-line human description of b: its name, its
// description and whether fastconv lowers its convolutions.
func Describe(b compute.Backend) string {
	if b == nil {
		return "no backend (nil)"
	}
	conv := "fastconv off (native ConvGeneral)"
	if w, ok := b.(*fastconv.Backend); ok {
		b = w.Unwrap()
		conv = "fastconv on (ConvGeneral lowered to patches + DotGeneral)"
	}
	desc := strings.Join(strings.Fields(b.Description()), " ")
	return fmt.Sprintf("%s: %s, %s", b.String(), desc, conv)
}
