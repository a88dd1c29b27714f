package camviz

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/gobackend"
)

// NewBackend returns the backend camviz computes on: GoMLX's pure-Go backend by default
// (nothing to install), or what GOMLX_BACKEND asks for.
func NewBackend() (compute.Backend, error) {
	return gobackend.New("")
}
