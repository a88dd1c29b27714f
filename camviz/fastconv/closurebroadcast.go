package fastconv

import (
	"github.com/gomlx/compute"
)

// closureBroadcast returns v, the result of a BroadcastInDim added to f, as it is when
// f is a top-level function, and through an Identity when f is a closure (the body of a
// While, such as camviz's chunked Score-CAM passes), so that the inner Go backend's
// compile-time pass never edits the closure.
//
// Why: the Go backend (compute v0.1.14) compiles a closure when it returns (its
// schedule and each value's number of uses are fixed then), but Builder.Compile later
// runs ImplicitBroadcastFusion over every function, closures included: a binary,
// unary or Where op whose operand is a BroadcastInDim is rewired to the broadcast's
// operand. In an already compiled closure the rewired op then reads a value the
// schedule has freed: "input 1 for node Where not computed yet" (or, with parallel
// execution, a panic: send on closed channel). The pass does not look through an
// Identity, which costs nothing at run time: the broadcast's only use hands its buffer
// over. What is lost is the fusion's saving inside closures (the broadcast is
// materialised). docs/performance.md, "Upstream findings", has a reproduction.
func (f *Function) closureBroadcast(v compute.Value) (compute.Value, error) {
	if f.parent == nil {
		return v, nil
	}
	id, err := f.Function.Identity(v)
	if err != nil {
		return nil, err
	}
	if flat, ok := f.constants[v]; ok {
		f.constants[id] = flat
	}
	return id, nil
}
