package fastconv

import (
	"github.com/gomlx/compute"
	"github.com/gomlx/compute/shapes"
)

// Buffers and executables are wrapped so that every buffer reports the wrapper as its
// backend. GoMLX tensors remember the backend of the buffer they hold and refuse to move
// to a "different" backend instance: without this, a variable initialised by one graph
// (its buffer created by the inner backend) could not feed the next graph compiled on
// the wrapper, and training would fail. Inputs are unwrapped before they reach the inner
// backend, which type-asserts its own buffer type.

// buffer is an inner backend buffer that reports the wrapping Backend.
type buffer struct {
	compute.Buffer
	backend *Backend
}

// Backend returns the wrapping backend.
func (b *buffer) Backend() compute.Backend { return b.backend }

// CopyToDevice copies the buffer and wraps the copy.
func (b *buffer) CopyToDevice(deviceNum compute.DeviceNum) (compute.Buffer, error) {
	out, err := b.Buffer.CopyToDevice(deviceNum)
	return b.backend.wrapBuffer(out), err
}

func (b *Backend) wrapBuffer(buf compute.Buffer) compute.Buffer {
	if buf == nil {
		return nil
	}
	if _, ok := buf.(*buffer); ok {
		return buf
	}
	return &buffer{Buffer: buf, backend: b}
}

func unwrapBuffer(buf compute.Buffer) compute.Buffer {
	if w, ok := buf.(*buffer); ok {
		return w.Buffer
	}
	return buf
}

// BufferFromFlatData creates an inner buffer and wraps it.
func (b *Backend) BufferFromFlatData(deviceNum compute.DeviceNum, flat any, shape shapes.Shape) (compute.Buffer, error) {
	buf, err := b.Backend.BufferFromFlatData(deviceNum, flat, shape)
	return b.wrapBuffer(buf), err
}

// NewSharedBuffer creates an inner shared buffer and wraps it.
func (b *Backend) NewSharedBuffer(deviceNum compute.DeviceNum, shape shapes.Shape) (compute.Buffer, any, error) {
	buf, flat, err := b.Backend.NewSharedBuffer(deviceNum, shape)
	return b.wrapBuffer(buf), flat, err
}

// Compile compiles with the inner builder and wraps the executable; the
// constants' flat data recorded while building is released.
func (b *Builder) Compile() (compute.Executable, error) {
	exec, err := b.Builder.Compile()
	b.releaseConstants()
	if err != nil || exec == nil {
		return exec, err
	}
	return &executable{Executable: exec, backend: b.backend}, nil
}

// executable unwraps input buffers and wraps output buffers.
type executable struct {
	compute.Executable
	backend *Backend
}

// Execute runs the inner executable, one execution at a time per backend (see
// Backend.execMu).
func (e *executable) Execute(inputs []compute.Buffer, donate []bool, defaultDevice compute.DeviceNum) ([]compute.Buffer, error) {
	inner := make([]compute.Buffer, len(inputs))
	for i, in := range inputs {
		inner[i] = unwrapBuffer(in)
	}
	outs, err := e.executeLocked(inner, donate, defaultDevice)
	for i, o := range outs {
		outs[i] = e.backend.wrapBuffer(o)
	}
	return outs, err
}

// executeLocked runs the inner executable holding the backend's execMu, released even
// if the inner backend panics (GoMLX turns the panic into an error further up, and the
// backend must stay usable).
func (e *executable) executeLocked(inputs []compute.Buffer, donate []bool, defaultDevice compute.DeviceNum) ([]compute.Buffer, error) {
	e.backend.execMu.Lock()
	defer e.backend.execMu.Unlock()
	return e.Executable.Execute(inputs, donate, defaultDevice)
}
