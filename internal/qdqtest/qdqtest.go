// Package qdqtest holds the helpers of the tests that run through the
// public API: tensors from values, bit-exact comparison, calls with guard
// elements around the output, the reference engine, and TensorFlow's own
// test vectors run end to end, errors included. The conformance suite of
// the backends themselves is internal/quanttest, which the cpu and gpu
// packages run.
package qdqtest

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/x448/float16"

	"github.com/qdqvk/qdq"
)

// Runner runs one call on the backend under test, writing into out.
type Runner func(ctx context.Context, out, in qdq.Tensor, opts qdq.Options) (qdq.Result, error)

// DTypes lists every dtype.
var DTypes = []qdq.DType{qdq.F32, qdq.F64, qdq.F16, qdq.BF16}

// Round returns x rounded once to dtype, as a float64.
func Round(dtype qdq.DType, x float64) float64 { return dtype.Round(x) }

// Tensor builds a tensor of dtype and shape from values, each rounded once
// to dtype.
func Tensor(t testing.TB, dtype qdq.DType, shape []int, vals []float64) qdq.Tensor {
	t.Helper()
	var (
		tn  qdq.Tensor
		err error
	)
	switch dtype {
	case qdq.F32:
		d := make([]float32, len(vals))
		for i, v := range vals {
			d[i] = float32(v)
		}
		tn, err = qdq.NewTensor(shape, d)
	case qdq.F64:
		tn, err = qdq.NewTensor(shape, append([]float64(nil), vals...))
	case qdq.F16:
		d := make([]float16.Float16, len(vals))
		for i, v := range vals {
			d[i] = qdq.Float16FromFloat64(v)
		}
		tn, err = qdq.NewTensor(shape, d)
	case qdq.BF16:
		d := make([]qdq.BFloat16, len(vals))
		for i, v := range vals {
			d[i] = qdq.BFloat16FromFloat64(v)
		}
		tn, err = qdq.NewTensor(shape, d)
	}
	require.NoError(t, err)
	return tn
}

// Values returns t's elements widened to float64.
func Values(t qdq.Tensor) []float64 {
	v := make([]float64, t.Len())
	for i := range v {
		v[i] = t.Float64At(i)
	}
	return v
}

// guard is how many elements surround every output to catch writes out of
// bounds.
const guard = 17

// Call runs one call through run into an output surrounded by guard
// elements, and fails the test if any guard changed.
func Call(t testing.TB, run Runner, in qdq.Tensor, opts qdq.Options) (qdq.Tensor, qdq.Result, error) {
	t.Helper()
	n := in.Len()
	shape := in.Shape()
	var (
		out   qdq.Tensor
		check func() bool
		err   error
	)
	switch in.DType() {
	case qdq.F32:
		buf := make([]float32, n+2*guard)
		for i := range buf {
			buf[i] = math.Float32frombits(0x7fa5a5a5) // a signalling NaN
		}
		out, err = qdq.NewTensor(shape, buf[guard:guard+n:guard+n])
		check = func() bool {
			return guardsIntact(buf, n, func(v float32) bool { return math.Float32bits(v) == 0x7fa5a5a5 })
		}
	case qdq.F64:
		buf := make([]float64, n+2*guard)
		for i := range buf {
			buf[i] = math.Float64frombits(0x7ff5a5a5a5a5a5a5)
		}
		out, err = qdq.NewTensor(shape, buf[guard:guard+n:guard+n])
		check = func() bool {
			return guardsIntact(buf, n, func(v float64) bool { return math.Float64bits(v) == 0x7ff5a5a5a5a5a5a5 })
		}
	default:
		buf := make([]uint16, n+2*guard)
		for i := range buf {
			buf[i] = 0x7da5
		}
		out, err = qdq.NewTensorBits(in.DType(), shape, buf[guard:guard+n:guard+n])
		check = func() bool { return guardsIntact(buf, n, func(v uint16) bool { return v == 0x7da5 }) }
	}
	require.NoError(t, err)
	res, err := run(context.Background(), out, in, opts)
	require.True(t, check(), "a guard element around the output was overwritten")
	return out, res, err
}

func guardsIntact[T any](buf []T, n int, ok func(T) bool) bool {
	for i := range guard {
		if !ok(buf[i]) || !ok(buf[guard+n+i]) {
			return false
		}
	}
	return true
}

// Same reports whether a and b are bit-identical in their storage dtype,
// NaN signs and payloads included, and returns the first index that
// differs.
func Same(a, b qdq.Tensor) (int, bool) {
	if a.DType() != b.DType() || a.Len() != b.Len() {
		return -1, false
	}
	for i := range a.Len() {
		if !SameValue(a.Float64At(i), b.Float64At(i)) {
			return i, false
		}
	}
	return 0, true
}

// SameValue compares two values widened to float64 from one dtype (widening is
// exact and keeps the sign of zero and a NaN's payload): equal bits.
func SameValue(a, b float64) bool {
	return math.Float64bits(a) == math.Float64bits(b)
}
