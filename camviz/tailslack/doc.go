// Package tailslack works around a memory-layout-dependent SIGSEGV in the pure-Go
// backend (github.com/gomlx/compute v0.1.14 built with GOEXPERIMENT=simd, Go 1.27.3).
//
// # The fault
//
// The backend's SIMD element-wise ops and reductions (Add, Sub, Mul, Div, Max, Min, with
// and without broadcasting, ReduceSum/Max/Min/Product, several activations) process a
// tail shorter than the vector width with simd.LoadFloat32sPart, which on AVX-512 is
// archsimd.LoadFloat32x16Part:
//
//	mask := Mask32x16FromBits(0xffff >> (16 - l))
//	return LoadFloat32x16Array(paFloat32x16(s)).Masked(mask), l
//
// a full 64-byte load followed by a register mask. When the tail's slice ends within 60
// bytes of the end of a mapped page and the next page is not mapped (the end of the Go
// heap's mapped arena, or any buffer that is not on the Go heap), the load reads the
// unmapped page and the process dies with "unexpected fault address … fatal error:
// fault", which no recover can catch. The backend allocates buffers with
// make([]byte, TwoBitBucketLen(size)), so a buffer whose byte size is exactly a bucket
// size (2ᵏ or 3·2ᵏ⁻¹ bytes: a [1024,12] float32 tensor, a 1 MiB buffer) has no slack,
// and whether the page after it is mapped depends on where the heap happens to put it.
//
// # The workaround
//
// Install replaces the backend's buffer allocator, without changing the backend's code:
// the backend takes buffers from one sync.Pool per bucket size (its unexported
// bufferPools field) and only calls make when a pool is empty. Install stores a pool for
// every bucket size whose New allocates Slack (64) bytes more than the bucket and hands
// the backend the bucket-sized prefix, so every read a tail can do (at most 60 bytes past
// a slice's end) stays inside the allocation. The buffer's length, and so the pool it
// returns to, is unchanged; memory grows by 64 bytes per buffer.
//
// It reaches into the backend's unexported fields with reflection, so it checks the
// layout it expects (a sync.Map field bufferPools, a struct key with one int field, a
// Buffer with a []byte RawBytes) and returns an error, leaving the backend untouched,
// when a future version differs. camviz/fastconv.Wrap and camviz/backends install it on
// every pure-Go backend camviz creates. $CAMVIZ_SIMD_TAIL_SLACK=0 sets the slack to zero
// (the backend's own behaviour), for the regression test that shows the fault.
//
// The upstream fix belongs in archsimd: a *Part load of a short tail must not touch
// memory past the slice (AVX-512 has a fault-suppressing masked load, VMOVUPS/VMOVDQU32
// with a k-mask and zeroing, but Go 1.27.3's archsimd only exposes the masked store,
// StoreArrayMasked; a copy of the tail into a stack array also works), or compute's
// gobackend could pad its allocations as this package does. docs/performance.md's
// upstream section has the minimal reproduction.
package tailslack
