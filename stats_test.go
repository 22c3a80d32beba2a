package qdq

import (
	"fmt"
	"math"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"

	"github.com/qdqvk/qdq/cpu"
)

func f32bytes(v []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 4*len(v))
}

func TestErrorStats(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	x := []float32{1, -2, 0.5, nan, inf, 3, 0}
	y := []float32{1.25, -2, 0.25, nan, nan, nan, 0}
	s := errorStats(cpu.Fast{}, F32, f32bytes(x), f32bytes(y))
	assert.Equal(t, int64(4), s.Elements)
	assert.Equal(t, int64(2), s.NonFinite)
	assert.Equal(t, int64(1), s.Lost)
	assert.Equal(t, 1.0+4+0.25, s.Signal)
	assert.Equal(t, 0.0625+0.0625, s.Noise)
	assert.Equal(t, 0.25, s.MaxAbs)
	assert.Equal(t, 0.125, s.MeanAbs())
	assert.InDelta(t, 10*math.Log10(5.25/0.125), s.SQNR(), 1e-12)

	exact := errorStats(cpu.Fast{}, F32, f32bytes(x[:3]), f32bytes(x[:3]))
	assert.True(t, math.IsInf(exact.SQNR(), 1), "no error is an infinite SQNR")
	assert.True(t, math.IsNaN(ErrorStats{}.SQNR()), "nothing compared")
	assert.True(t, math.IsNaN(ErrorStats{}.MeanAbs()))
}

// TestErrorStatsSplits checks that the parallel split adds up to one
// serial pass over a long tensor, in every dtype.
func TestErrorStatsSplits(t *testing.T) {
	const n = 300_001
	x, y := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)))
		y[i] = float32(math.Round(float64(x[i])*100) / 100)
	}
	x[77], y[1000] = float32(math.Inf(-1)), float32(math.NaN())
	got := errorStats(cpu.Fast{}, F32, f32bytes(x), f32bytes(y))
	var want accumulator
	for i := range x {
		want.add(float64(x[i]), float64(y[i]))
	}
	w := want.stats()
	assert.Equal(t, w.Elements, got.Elements)
	assert.Equal(t, int64(1), got.NonFinite)
	assert.Equal(t, int64(1), got.Lost)
	assert.Equal(t, w.MaxAbs, got.MaxAbs)
	assert.InEpsilon(t, w.Noise, got.Noise, 1e-9)
	assert.InEpsilon(t, w.Signal, got.Signal, 1e-9)

	x64 := make([]float64, n)
	y64 := make([]float64, n)
	h, hy := make([]uint16, n), make([]uint16, n)
	for i := range x {
		x64[i], y64[i] = float64(x[i]), float64(y[i])
		h[i], hy[i] = uint16(Float16FromFloat64(float64(x[i]))), uint16(Float16FromFloat64(float64(y[i])))
	}
	b64 := func(v []float64) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 8*len(v)) }
	b16 := func(v []uint16) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 2*len(v)) }
	g64 := errorStats(cpu.Fast{}, F64, b64(x64), b64(y64))
	assert.Equal(t, w.Elements, g64.Elements)
	assert.InEpsilon(t, w.Noise, g64.Noise, 1e-9)
	g16 := errorStats(cpu.Fast{}, F16, b16(h), b16(hy))
	assert.Equal(t, w.Elements, g16.Elements)
	assert.Equal(t, int64(1), g16.Lost)
	assert.Greater(t, g16.Noise, 0.0)
}

func BenchmarkErrorStats(b *testing.B) {
	x, y := make([]float32, 1<<22), make([]float32, 1<<22)
	for i := range x {
		x[i] = float32(i%1000) * 0.001
		y[i] = x[i] + 0.0001
	}
	b.SetBytes(int64(8 * len(x)))
	for b.Loop() {
		errorStats(cpu.Fast{}, F32, f32bytes(x), f32bytes(y))
	}
}

func BenchmarkCompareFloat32InCache(b *testing.B) {
	x, y := make([]float32, 1<<15), make([]float32, 1<<15)
	for i := range x {
		x[i] = float32(i%1000) * 0.001
		y[i] = x[i] + 0.0001
	}
	b.SetBytes(int64(8 * len(x)))
	for b.Loop() {
		compareFloat32(cpu.Fast{}, x, y)
	}
}

// TestCompareFloat32MatchesScalar checks every kernel set's float32
// comparison against the portable one at every length up to 70, with and
// without special values.
func TestCompareFloat32MatchesScalar(t *testing.T) {
	for _, set := range cpu.KernelSets() {
		f := cpu.Fast{Kernels: set}
		for n := range 71 {
			for _, special := range []int{-1, 0, n / 2, n - 1} {
				x, y := make([]float32, n), make([]float32, n)
				for i := range x {
					x[i] = float32(math.Sin(float64(i*7 + n)))
					y[i] = float32(math.Round(float64(x[i])*64) / 64)
				}
				if special >= 0 && special < n {
					x[special] = float32(math.Inf(1))
					y[n-1-special] = float32(math.NaN())
				}
				got, want := compareFloat32(f, x, y), compareFloat32Scalar(x, y)
				what := fmt.Sprintf("%s n %d special %d", set, n, special)
				assert.Equal(t, want.Elements, got.Elements, what)
				assert.Equal(t, want.NonFinite, got.NonFinite, what)
				assert.Equal(t, want.Lost, got.Lost, what)
				assert.Equal(t, want.MaxAbs, got.MaxAbs, what)
				assert.InDelta(t, want.Noise, got.Noise, 1e-12, what)
				assert.InDelta(t, want.Signal, got.Signal, 1e-9, what)
				assert.InDelta(t, want.SumAbs, got.SumAbs, 1e-9, what)
			}
		}
	}
}

// TestErrorSumsAgreeAcrossKernelSets: on a million pairs each kernel set
// gives the same sums every time, and the sets agree to 1e-12 relative.
func TestErrorSumsAgreeAcrossKernelSets(t *testing.T) {
	const n = 1<<20 + 13
	x, y := make([]float32, n), make([]float32, n)
	for i := range x {
		x[i] = float32(math.Sin(float64(i)) * 3)
		y[i] = float32(math.Round(float64(x[i])*40) / 40)
	}
	want, ok := cpu.Fast{Kernels: "scalar"}.ErrorSumsFloat32(x, y)
	assert.True(t, ok)
	for _, set := range cpu.KernelSets() {
		f := cpu.Fast{Kernels: set}
		got, ok := f.ErrorSumsFloat32(x, y)
		assert.True(t, ok, set)
		again, _ := f.ErrorSumsFloat32(x, y)
		assert.Equal(t, got, again, "%s: not reproducible", set)
		assert.Equal(t, want.N, got.N, set)
		assert.Equal(t, want.MaxAbs, got.MaxAbs, set)
		assert.InEpsilon(t, want.Signal, got.Signal, 1e-12, set)
		assert.InEpsilon(t, want.Noise, got.Noise, 1e-12, set)
		assert.InEpsilon(t, want.SumAbs, got.SumAbs, 1e-12, set)
	}
}
