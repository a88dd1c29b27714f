package fastconv

import (
	"sync"
	"sync/atomic"

	"github.com/camviz/camviz/camviz/tailslack"
	"github.com/gomlx/compute"
)

// Backend wraps another compute.Backend (normally the pure-Go backend) so that
// every ConvGeneral added to one of its graphs is lowered to patch extraction
// plus one DotGeneral (see the package documentation). Everything else is
// delegated unchanged to the wrapped backend: buffers, executables and all
// other ops are the inner backend's own, except that its executables run one
// at a time (see execMu).
//
// Create it with Wrap.
type Backend struct {
	compute.Backend

	lowered, fallback    atomic.Int64
	winograd, winogradF4 atomic.Int64

	regionsMu                 sync.Mutex
	scoreRegions              map[string]int // open ScoreRegion calls by graph name
	poolLowered, poolFallback atomic.Int64
	constFolded               atomic.Int64

	tailSlackErr error

	// paramVars counts the VariablesAsParameters calls in force.
	paramVars atomic.Int64

	// execMu runs the executables compiled on b one at a time. The Go backend (compute
	// v0.1.14) runs an execution's ops in parallel when it is the only one live and
	// sequentially otherwise, and its sequential mode leaves a scratch slice of input
	// buffers (funcExecBuffers.opInputBuffers) in the execution buffers it returns to the
	// executable's pool; a later parallel execution that gets those buffers then shares
	// that one slice between its executor goroutines, which overwrite each other's inputs:
	// "invalid memory address or nil pointer dereference" in a binary op, or silently wrong
	// inputs. camviz's TestExplainConcurrent (8 goroutines on one Explainer) failed that
	// way in about 1 run in 100, with the previous code as well. One execution at a time
	// keeps every execution in the parallel mode; on 2 cores it costs no throughput (a
	// parallel execution already uses both), on more cores concurrent callers lose the
	// backend's sequential executions side by side. docs/performance.md, upstream findings.
	execMu sync.Mutex
}

// Stats counts the ConvGeneral ops seen by a wrapped backend's graph builders.
type Stats struct {
	// Lowered is the number of ConvGeneral ops rewritten to patches + DotGeneral.
	Lowered int64
	// Fallback is the number of ConvGeneral ops handed to the inner backend's native op.
	Fallback int64
	// Winograd is how many of the Lowered ones use one of Winograd's
	// algorithms (see the Winograd mode), WinogradF4 how many of those F(4×4, 3×3).
	Winograd, WinogradF4 int64
	// PoolLowered and PoolFallback count the ReduceWindow ops (pooling) lowered to
	// strided slices (see Function.ReduceWindow) and handed to the native op.
	PoolLowered, PoolFallback int64
	// ConstFolded is the number of ops on constants computed when the graph was
	// built (see ConstFold).
	ConstFolded int64
}

// Wrap returns b wrapped so that ConvGeneral is lowered to patch extraction
// plus one DotGeneral. Wrapping an already wrapped backend returns it as is;
// Wrap(nil) returns nil.
//
// When b is GoMLX's pure-Go backend, Wrap also pads its buffer allocations
// (camviz/tailslack) so that its SIMD tail loads never read an unmapped page; if
// that cannot be installed (a compute version whose internals differ), the
// backend is wrapped unpadded and TailSlackError says why.
func Wrap(b compute.Backend) compute.Backend {
	if b == nil {
		return nil
	}
	if w, ok := b.(*Backend); ok {
		return w
	}
	return &Backend{Backend: b, tailSlackErr: tailslack.Install(b)}
}

// TailSlackError returns why the SIMD tail workaround (camviz/tailslack) could not
// be installed on the inner backend, or nil when it was (or was not needed).
func (b *Backend) TailSlackError() error { return b.tailSlackErr }

// Unwrap returns the inner backend.
func (b *Backend) Unwrap() compute.Backend { return b.Backend }

// Stats returns how many ConvGeneral ops were lowered and how many fell back
// to the native op, over all graphs built with this backend so far.
func (b *Backend) Stats() Stats {
	return Stats{Lowered: b.lowered.Load(), Fallback: b.fallback.Load(), Winograd: b.winograd.Load(), WinogradF4: b.winogradF4.Load(),
		PoolLowered: b.poolLowered.Load(), PoolFallback: b.poolFallback.Load(), ConstFolded: b.constFolded.Load()}
}

// StatsOf returns the Stats of b if b was created by Wrap; ok is false otherwise.
func StatsOf(b compute.Backend) (stats Stats, ok bool) {
	w, ok := b.(*Backend)
	if !ok {
		return Stats{}, false
	}
	return w.Stats(), true
}

// Description returns the inner backend's description, marked with fastconv.
func (b *Backend) Description() string {
	return b.Backend.Description() + " + fastconv (ConvGeneral lowered to patches + DotGeneral)"
}

// Builder returns a graph builder whose functions lower ConvGeneral.
func (b *Backend) Builder(name string) compute.Builder {
	inner := b.Backend.Builder(name)
	if inner == nil {
		return nil
	}
	return &Builder{Builder: inner, backend: b, name: name}
}

// Builder wraps the inner backend's compute.Builder; its functions are wrapped
// in Function.
type Builder struct {
	compute.Builder

	backend *Backend
	main    *Function
	name    string // the graph's name, for ScoreRegion

	// functions are the wrapped functions of this builder (main, others and
	// closures), whose recorded constants Compile releases.
	functions []*Function
}

// releaseConstants drops the flat data that the wrapped functions recorded for
// their constants, once the graph is compiled (ConstFold and Winograd's
// build-time kernel transform only need it while ops are added; the backend
// keeps its own copy of every constant).
func (b *Builder) releaseConstants() {
	for _, f := range b.functions {
		f.constants = nil
	}
	b.functions = nil
}

// newFunction wraps inner as a function of b.
func (b *Builder) newFunction(inner compute.Function, parent *Function) *Function {
	f := &Function{Function: inner, builder: b, parent: parent}
	b.functions = append(b.functions, f)
	return f
}

// Main returns the (wrapped) main function; the same value on every call.
func (b *Builder) Main() compute.Function {
	if b.main == nil {
		inner := b.Builder.Main()
		if inner == nil {
			return nil
		}
		b.main = b.newFunction(inner, nil)
	}
	return b.main
}

// NewFunction creates a new (wrapped) top-level function.
func (b *Builder) NewFunction(name string) (compute.Function, error) {
	inner, err := b.Builder.NewFunction(name)
	if err != nil {
		return nil, err
	}
	return b.newFunction(inner, nil), nil
}

// Function wraps the inner backend's compute.Function and overrides
// ConvGeneral. Values are the inner backend's own values, never wrapped.
type Function struct {
	compute.Function

	builder *Builder
	parent  *Function

	// constants maps the float constants added to this function to their
	// flat data (for Winograd's kernel transform at build time).
	constants map[compute.Value]any
}

// Constant adds a constant; float32 and float64 ones are remembered, so that
// a convolution whose kernel is one can transform it when the graph is built.
func (f *Function) Constant(flat any, dims ...int) (compute.Value, error) {
	v, err := f.Function.Constant(flat, dims...)
	if err != nil {
		return v, err
	}
	switch flat.(type) {
	case []float32, []float64:
		if f.constants == nil {
			f.constants = make(map[compute.Value]any)
		}
		f.constants[v] = flat
	}
	return v, nil
}

// unwrapFn returns the inner function of a wrapped function, or f itself.
func unwrapFn(f compute.Function) compute.Function {
	if w, ok := f.(*Function); ok {
		return w.Function
	}
	return f
}

// Builder returns the wrapped builder this function belongs to.
func (f *Function) Builder() compute.Builder { return f.builder }

// Parent returns the wrapped parent of a closure, or nil for top-level functions.
func (f *Function) Parent() compute.Function {
	if f.parent == nil {
		return nil
	}
	return f.parent
}

// Closure creates a (wrapped) closure of this function.
func (f *Function) Closure() (compute.Function, error) {
	inner, err := f.Function.Closure()
	if err != nil {
		return nil, err
	}
	return f.builder.newFunction(inner, f), nil
}

// Call calls fn, a function of the same builder.
func (f *Function) Call(fn compute.Function, inputs ...compute.Value) ([]compute.Value, error) {
	return f.Function.Call(unwrapFn(fn), inputs...)
}

// Sort sorts inputs with the comparator closure.
func (f *Function) Sort(comparator compute.Function, axis int, isStable bool, inputs ...compute.Value) ([]compute.Value, error) {
	return f.Function.Sort(unwrapFn(comparator), axis, isStable, inputs...)
}

// While runs body while cond holds.
func (f *Function) While(cond, body compute.Function, initialState ...compute.Value) ([]compute.Value, error) {
	return f.Function.While(unwrapFn(cond), unwrapFn(body), initialState...)
}

// If runs one of the two branch closures.
func (f *Function) If(pred compute.Value, trueBranch, falseBranch compute.Function) ([]compute.Value, error) {
	return f.Function.If(pred, unwrapFn(trueBranch), unwrapFn(falseBranch))
}

// ConvGeneral lowers the convolution to patches + DotGeneral when the
// configuration is covered (see Covered), and otherwise calls the inner
// backend's native ConvGeneral.
func (f *Function) ConvGeneral(input, kernel compute.Value, axes compute.ConvolveAxesConfig,
	strides []int, paddings [][2]int, inputDilations, kernelDilations []int,
	channelGroupCount, batchGroupCount int) (compute.Value, error) {
	native := func() (compute.Value, error) {
		f.builder.backend.fallback.Add(1)
		return f.Function.ConvGeneral(input, kernel, axes, strides, paddings,
			inputDilations, kernelDilations, channelGroupCount, batchGroupCount)
	}
	inShape, err := f.Function.Shape(input)
	if err != nil {
		return native()
	}
	kShape, err := f.Function.Shape(kernel)
	if err != nil {
		return native()
	}
	p, err := newPlan(inShape, kShape, axes, strides, paddings, inputDilations, kernelDilations,
		channelGroupCount, batchGroupCount)
	if err != nil {
		return native()
	}
	p.scoreRegion = f.builder.backend.inScoreRegion(f.builder.name)
	// The lowering's ops go through f, so that the kernel's layout changes fold
	// when it is a constant (ConstFold).
	kConst, _ := f.constData(kernel)
	out, err := p.lower(f, input, kernel, kConst)
	if err != nil {
		// The lowering only uses standard ops; if the inner backend refuses
		// one of them, the native op is still correct.
		return native()
	}
	f.builder.backend.lowered.Add(1)
	if p.winograd != nil {
		f.builder.backend.winograd.Add(1)
		if p.winograd == winogradF4 {
			f.builder.backend.winogradF4.Add(1)
		}
	}
	return out, nil
}

// Compile-time checks.
var (
	_ compute.Backend  = (*Backend)(nil)
	_ compute.Builder  = (*Builder)(nil)
	_ compute.Function = (*Function)(nil)
)
