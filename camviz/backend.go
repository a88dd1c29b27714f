package camviz

import (
	"github.com/camviz/camviz/camviz/backends"
	"github.com/gomlx/compute"
)

// NewBackend returns the backend camviz computes on: by default GoMLX's pure-Go backend
// with camviz's fast convolutions (nothing to install); $GOMLX_BACKEND selects another
// ("go:nofastconv", "xla:cpu", "xla:cuda" or a PJRT plugin path). Asking for XLA where no
// PJRT plugin is installed returns an error that says how to get one. See package
// camviz/backends.
func NewBackend() (compute.Backend, error) {
	return backends.New()
}
