// Package gpu is qdq's Vulkan host layer: it finds Vulkan devices through
// the system's Vulkan loader (libvulkan.so.1; only the runtime library is
// needed), describes them, chooses the one to run on, and runs the
// shaders of package shaders on it (Context), bit for bit as the cpu
// package computes.
//
// A Context computes ranges in integer keys and takes every scale from
// quant.ComputeQuant, so its only floating-point steps are the fused pass's
// multiplications and rounding. Calls it cannot make exact on the device
// return ErrInexact, for the caller to run on the CPU.
//
// Vulkan is reached through package vk (gpu/internal/vk), a thin cgo
// binding with no knowledge of qdq; the algorithm (plan, reduce,
// parameters, exactness, fused pass), the formats and the guard checks
// are plain Go, built and tested everywhere.
//
// The package builds everywhere. Without cgo, off Linux, or with the
// novulkan build tag, Open and Devices report ErrNoVulkan.
//
// The package is importable but it is not supported API: it implements
// the contract of an internal package, whose vocabulary its signatures
// use, and its exported names may change with any release. Use the root
// package qdq (Config.Backend GPU).
package gpu

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qdqvk/qdq/gpu/internal/vk"
	"github.com/qdqvk/qdq/internal/quant"
)

// ErrNoVulkan reports that no Vulkan loader or no Vulkan device could be
// used.
var ErrNoVulkan = errors.New("gpu: no usable Vulkan")

// ErrClosed reports a call on a closed Context.
var ErrClosed = errors.New("gpu: context closed")

// ErrNotBatched reports a call that a batch leaves to be run alone: it is
// empty or needs more than one piece.
var ErrNotBatched = quant.Decline("gpu: call not batched")

// ErrDevice reports that the device failed a call: it ran out of memory,
// or another Vulkan call failed. Nothing the call wrote may be used; the
// caller can run it on the CPU instead. It wraps quant.ErrDeclined. The
// Context stays usable unless the error is also ErrDeviceLost.
var ErrDevice = quant.Decline("gpu: device failure")

// ErrDeviceLost reports that the device was lost (or stopped answering):
// the Context fails every later call with it. It is an ErrDevice.
var ErrDeviceLost = fmt.Errorf("%w: device lost", ErrDevice)

// ErrInexact reports that a call cannot be computed bit-exactly on the
// device (for example when subnormal values could be flushed to zero), or
// not at all (a tensor beyond the device's limits): the caller runs it on
// the CPU instead. It wraps quant.ErrDeclined.
var ErrInexact = quant.Decline("gpu: not exact on this device")

// Stats collects what a call measured.
type Stats struct {
	// Kernel is the time the shaders ran on the device, from timestamps
	// (zero when the queue has none).
	Kernel time.Duration
}

type statsKey struct{}

// WithStats returns a context that makes calls add their measurements to
// s.
func WithStats(ctx context.Context, s *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}

// statsOf returns the Stats of ctx (WithStats), or nil.
func statsOf(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}

// deviceError is a failed Vulkan call, a *vk.Error.
type deviceError struct{ err error }

// Error returns the Vulkan error after "gpu: ".
func (e *deviceError) Error() string { return "gpu: " + e.err.Error() }

// Unwrap returns the *vk.Error.
func (e *deviceError) Unwrap() error { return e.err }

// Is reports whether e is target: every Vulkan failure is an ErrDevice
// (and so declines the call, quant.ErrDeclined); a lost device is also
// ErrDeviceLost.
func (e *deviceError) Is(target error) bool {
	return target == ErrDevice || target == quant.ErrDeclined || target == ErrDeviceLost && errors.Is(e.err, vk.ErrDeviceLost)
}

// deviceErr gives an error from package vk its meaning here: a failed
// Vulkan call is an ErrDevice (an ErrDeviceLost when the device was
// lost), and a device lacking what qdq needs (vk.ErrUnsupported) is
// ErrNoVulkan. Other errors, and nil, come back as they are.
func deviceErr(err error) error {
	var de *deviceError
	var ve *vk.Error
	switch {
	case err == nil || errors.As(err, &de):
		return err
	case errors.As(err, &ve):
		return &deviceError{err}
	case errors.Is(err, vk.ErrUnsupported):
		return fmt.Errorf("%w: %w", ErrNoVulkan, err)
	}
	return err
}
