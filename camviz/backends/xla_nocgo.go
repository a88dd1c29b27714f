//go:build !cgo

package backends

import (
	"fmt"

	"github.com/gomlx/compute"
)

// newXLA fails: XLA loads PJRT plugins through cgo, and this binary was built
// without it.
func newXLA(envValue, _ string) (compute.Backend, error) {
	return nil, fmt.Errorf("backends: %s=%q asks for XLA, but this program was built with CGO_ENABLED=0 and "+
		"XLA loads its PJRT plugin through cgo: rebuild with CGO_ENABLED=1 (and a C compiler). %s",
		EnvVar, envValue, howToGetPlugin)
}
