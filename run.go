package qdq

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/qdqvk/qdq/gpu"
	"github.com/qdqvk/qdq/internal/quant"
)

// Channel is what one channel used: the range (one bound adjusted so that
// zero is exact), the scale and the inverse scale, each the compute-type
// value widened exactly to float64. A range found in data with no non-NaN
// element is NaN.
//
// Scale multiplies a value onto the integer grid and InverseScale
// multiplies an integer back: InverseScale is the scale of PyTorch's
// fake_quantize_per_tensor_affine and of ONNX QuantizeLinear (the step
// between levels), with a zero point of 0: the grid always holds zero
// exactly. TensorFlow computes InverseScale by its own division, never as
// 1/Scale.
type Channel struct {
	Min, Max, Scale, InverseScale float64
}

// Result describes a finished call.
type Result struct {
	Backend  Backend   // where the call ran
	Channels []Channel // one per channel; one when Axis is -1
	// Fallback says why the call ran on the CPU although a GPU was
	// asked for: why a GPU engine declined it (values the device cannot
	// treat exactly, a tensor beyond its limits, a device failure), or why
	// an Auto engine found no usable GPU. It is empty otherwise.
	Fallback string
	// KernelTime is how long the GPU's shaders ran, from its timestamps
	// (zero on the CPU, or where the device has no timestamps).
	KernelTime time.Duration
}

// Run fake-quantizes in and returns a new tensor of the same dtype and
// shape.
func (e *Engine) Run(ctx context.Context, in Tensor, opts Options) (Tensor, Result, error) {
	if err := e.enter(); err != nil {
		return Tensor{}, Result{}, err
	}
	defer e.leave()
	c, err := e.prepare(in, opts)
	if err != nil {
		return Tensor{}, Result{}, err
	}
	out := ZerosLike(in)
	res, err := e.run(ctx, out, in, c)
	if err != nil {
		return Tensor{}, Result{}, err
	}
	return out, res, nil
}

// RunInto fake-quantizes in into out, which must have in's dtype and
// shape. out may be in itself (in place) but must not otherwise overlap
// it. On error out's contents are unspecified. A cancelled ctx stops the
// call between work items and returns an error wrapping ctx.Err().
func (e *Engine) RunInto(ctx context.Context, out, in Tensor, opts Options) (Result, error) {
	if err := e.enter(); err != nil {
		return Result{}, err
	}
	defer e.leave()
	c, err := e.prepare(in, opts)
	if err != nil {
		return Result{}, err
	}
	if err := checkOutput(out, in); err != nil {
		return Result{}, err
	}
	return e.run(ctx, out, in, c)
}

// checkOutput checks that out can receive in's result.
func checkOutput(out, in Tensor) error {
	if err := out.check(); err != nil {
		return about("output", err)
	}
	if out.dtype != in.dtype {
		return newError(ErrDType, "output is %v but input is %v", out.dtype, in.dtype)
	}
	if !slices.Equal(out.shape, in.shape) {
		return newError(ErrShape, "output has shape %v but input %v", out.shape, in.shape)
	}
	if partialOverlap(out, in) {
		return newError(ErrShape, "output overlaps the input without being the same memory")
	}
	return nil
}

// prepare checks the input and the options.
func (e *Engine) prepare(in Tensor, opts Options) (call, error) {
	if err := in.check(); err != nil {
		return call{}, err
	}
	return compile(in, opts)
}

// run runs a validated call: on the GPU when the engine has one, and on
// the CPU when it has none or the GPU declined the call.
func (e *Engine) run(ctx context.Context, out, in Tensor, c call) (Result, error) {
	fallback := e.reason // why an Auto engine runs on the CPU
	if e.gpu != nil {
		var stats gpu.Stats
		ch, err := runOn(gpu.WithStats(ctx, &stats), e.gpu, out, in, c)
		switch {
		case err == nil:
			return Result{Backend: GPU, Channels: ch, KernelTime: stats.Kernel}, nil
		case e.closed.Load():
			return Result{}, newError(ErrClosed, "engine is closed")
		case !errors.Is(err, quant.ErrDeclined):
			return Result{}, fmt.Errorf("qdq: %w", err)
		}
		// Not exact on the device, or the device failed (out of memory,
		// lost): the CPU computes the whole output again.
		fallback = err.Error()
	}
	ch, err := runOn(ctx, e.cpuBackend(), out, in, c)
	if err != nil {
		return Result{}, fmt.Errorf("qdq: %w", err)
	}
	return Result{Backend: CPU, Channels: ch, Fallback: fallback}, nil
}

// cpuBackend returns the CPU implementation the engine runs: the fast
// one, or the reference.
func (e *Engine) cpuBackend() quant.Backend {
	if e.ref {
		return quant.Reference{}
	}
	return e.cpu
}

// runOn runs one call on backend b.
func runOn(ctx context.Context, b quant.Backend, out, in Tensor, c call) ([]Channel, error) {
	switch in.dtype {
	case F32:
		return runTyped(ctx, b.Float32, out.f32, in.f32, c)
	case F64:
		return runTyped(ctx, b.Float64, out.f64, in.f64, c)
	case F16:
		return runTyped(ctx, b.Float16, out.b16, in.b16, c)
	}
	return runTyped(ctx, b.BFloat16, out.b16, in.b16, c)
}

// runTyped runs one call through one of a backend's methods.
func runTyped[S any, C quant.Float](ctx context.Context, fn backendFunc[S, C], dst, src []S, c call) ([]Channel, error) {
	quants, err := fn(ctx, dst, src, request[C](c))
	if err != nil {
		return nil, err
	}
	return channelsOf(quants), nil
}

// backendFunc is the shape of a quant.Backend method.
type backendFunc[S any, C quant.Float] func(context.Context, []S, []S, quant.Request[C]) ([]quant.Quant[C], error)

// partialOverlap reports whether a's and b's elements share memory without
// being exactly the same slice.
func partialOverlap(a, b Tensor) bool {
	pa, na := a.memory()
	pb, nb := b.memory()
	if na == 0 || nb == 0 || pa == pb {
		return false
	}
	return pa < pb+nb && pb < pa+na
}

// defaultEngine backs Apply and ApplyInto.
var defaultEngine = sync.OnceValue(func() *Engine {
	e, _ := NewEngine(Config{}) // Auto never fails
	return e
})

// Apply fake-quantizes src, viewed with the given shape (nil means one
// dimension of len(src), as for NewTensor), and returns the result in a
// new slice. It runs on a shared engine with the Auto backend.
func Apply[T Element](src []T, shape []int, opts Options) ([]T, Result, error) {
	dst := make([]T, len(src))
	res, err := ApplyInto(dst, src, shape, opts)
	if err != nil {
		return nil, Result{}, err
	}
	return dst, res, nil
}

// ApplyBits is Apply for float16 or bfloat16 elements held as their bit
// patterns (as read from a file), dtype saying which.
func ApplyBits(dtype DType, src []uint16, shape []int, opts Options) ([]uint16, Result, error) {
	in, err := NewTensorBits(dtype, shape, src)
	if err != nil {
		return nil, Result{}, err
	}
	out, res, err := defaultEngine().Run(context.Background(), in, opts)
	if err != nil {
		return nil, Result{}, err
	}
	return out.Bits16(), res, nil
}

// ApplyInto is Apply writing into dst, which must have len(src) elements
// and may be src itself.
func ApplyInto[T Element](dst, src []T, shape []int, opts Options) (Result, error) {
	in, err := NewTensor(shape, src)
	if err != nil {
		return Result{}, err
	}
	out, err := NewTensor(shape, dst)
	if err != nil {
		return Result{}, about("output", err)
	}
	return defaultEngine().RunInto(context.Background(), out, in, opts)
}
