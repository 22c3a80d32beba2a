//go:build goexperiment.simd && amd64

package qdq

import "simd/archsimd"

// compareFloat32 is the AVX2 form where the CPU has it: four float64
// lanes per step, two steps per iteration. The lanes of d-d stay zero
// while every difference is finite; a NaN there sends the whole slice to
// the scalar loop, which sorts out the NaN and infinite elements.
func compareFloat32(x, y []float32) ErrorStats {
	if !archsimd.X86.AVX2() || len(x) < 16 {
		return compareFloat32Scalar(x, y)
	}
	y = y[:len(x)]
	var sig0, sig1, no0, no1, abs0, abs1, max0, max1, bad archsimd.Float64x4
	zero := archsimd.BroadcastFloat64x4(0)
	i := 0
	for ; i+8 <= len(x); i += 8 {
		x0 := archsimd.LoadFloat32x4Slice(x[i:]).ConvertToFloat64()
		x1 := archsimd.LoadFloat32x4Slice(x[i+4:]).ConvertToFloat64()
		d0 := archsimd.LoadFloat32x4Slice(y[i:]).ConvertToFloat64().Sub(x0)
		d1 := archsimd.LoadFloat32x4Slice(y[i+4:]).ConvertToFloat64().Sub(x1)
		bad = bad.Add(d0.Sub(d0)).Add(d1.Sub(d1))
		a0, a1 := d0.Max(zero.Sub(d0)), d1.Max(zero.Sub(d1))
		sig0 = sig0.Add(x0.Mul(x0))
		sig1 = sig1.Add(x1.Mul(x1))
		no0 = no0.Add(d0.Mul(d0))
		no1 = no1.Add(d1.Mul(d1))
		abs0 = abs0.Add(a0)
		abs1 = abs1.Add(a1)
		max0 = max0.Max(a0)
		max1 = max1.Max(a1)
	}
	if bad.Equal(zero).ToBits() != 0b1111 { // a NaN lane is unequal to anything
		return compareFloat32Scalar(x, y)
	}
	var s accumulator
	for j := i; j < len(x); j++ {
		s.add(float64(x[j]), float64(y[j]))
	}
	var v [4]float64
	sum := func(a, b archsimd.Float64x4) float64 {
		a.Add(b).Store(&v)
		return (v[0] + v[1]) + (v[2] + v[3])
	}
	most := func(a, b archsimd.Float64x4) float64 {
		a.Max(b).Store(&v)
		return max(v[0], v[1], v[2], v[3])
	}
	st := s.stats()
	st.Add(ErrorStats{Elements: int64(i), Signal: sum(sig0, sig1), Noise: sum(no0, no1), SumAbs: sum(abs0, abs1), MaxAbs: most(max0, max1)})
	return st
}
