package cpu

import (
	"math"
	"testing"

	"github.com/qdqvk/qdq/internal/quant"
)

// BenchmarkPortableKernels measures each portable kernel on one core over
// 1Mi elements; bytes are read + written. The SIMD build's
// BenchmarkKernels measures the vector kernels next to these.
func BenchmarkPortableKernels(b *testing.B) {
	const n = 1 << 20
	r := newRand(9)
	f32, f64 := make([]float32, n), make([]float64, n)
	h16, b16 := make([]uint16, n), make([]uint16, n)
	for i := range n {
		f64[i] = r.NormFloat64()
		f32[i] = float32(f64[i])
		h16[i], b16[i] = quant.Float32ToFloat16(f32[i]), quant.Float32ToBFloat16(f32[i])
	}
	q32 := quant.ComputeQuant[float32](-128, 127, -4, 4)
	q64 := quant.ComputeQuant[float64](-128, 127, -4, 4)
	each32 := quantArrays[float32]{make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)}
	each32.fill(0, n, q32)
	lo, hi := make([]float32, n), make([]float32, n)
	inf := float32(math.Inf(1))
	out32, out64, out16 := make([]float32, n), make([]float64, n), make([]uint16, n)
	cases := []struct {
		name  string
		bytes int
		fn    func()
	}{
		{"float32/minMax", 4, func() { scalarFloat32.minMax(f32, inf, -inf) }},
		{"float32/apply", 8, func() { scalarFloat32.apply(out32, f32, q32, false, quant.HalfToEven) }},
		{"float32/apply-clamp", 8, func() { scalarFloat32.apply(out32, f32, q32, true, quant.HalfToEven) }},
		{"float64/minMax", 8, func() { scalarFloat64.minMax(f64, math.Inf(1), math.Inf(-1)) }},
		{"float64/apply", 16, func() { scalarFloat64.apply(out64, f64, q64, false, quant.HalfToEven) }},
		{"float16/minMax", 2, func() { scalarFloat16.minMax(h16, inf, -inf) }},
		{"float16/apply-short", 4, func() { applyShortRows(&scalarFloat16, out16, h16, q32) }},
		{"float16/applyEach", 4, func() { scalarFloat16.applyEach(out16, h16, each32, false, quant.HalfToEven) }},
		{"float16/minMaxEach", 2, func() { scalarFloat16.minMaxEach(lo, hi, h16) }},
		{"bfloat16/minMax", 2, func() { scalarBFloat16.minMax(b16, inf, -inf) }},
		{"bfloat16/apply-short", 4, func() { applyShortRows(&scalarBFloat16, out16, b16, q32) }},
		{"bfloat16/applyEach", 4, func() { scalarBFloat16.applyEach(out16, b16, each32, false, quant.HalfToEven) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(c.bytes * n))
			for b.Loop() {
				c.fn()
			}
		})
	}
}

// applyShortRows applies in rows of 16Ki elements, below the lookup-table
// threshold, as per-channel calls on [4096, 16384] do.
func applyShortRows(k *kernels[uint16, float32], dst, src []uint16, q quant.Quant[float32]) {
	for at := 0; at < len(src); at += 1 << 14 {
		k.apply(dst[at:at+1<<14], src[at:at+1<<14], q, false, quant.HalfToEven)
	}
}
