//go:build goexperiment.simd && amd64

package cpu

import (
	"math"

	"simd/archsimd"
)

// AVX2 kernels: 256-bit vectors of 8 float32 or 4 float64 lanes. Every
// loop handles whole vectors; the few elements left over go through the
// same loop once more in a zero-padded buffer (apply, applyEach) or
// through the scalar kernel (minMax, minMaxEach).

// avx2 kernel sets.
var (
	avx2Float32 = kernels[float32, float32]{
		name:       "avx2",
		minMax:     minMaxF32x8,
		minMaxEach: minMaxEachF32x8,
		apply:      applyF32x8,
		applyEach:  applyEachF32x8,
	}
	avx2Float64 = kernels[float64, float64]{
		name:       "avx2",
		minMax:     minMaxF64x4,
		minMaxEach: minMaxEachF64x4,
		apply:      applyF64x4,
		applyEach:  applyEachF64x4,
	}
	avx2Float16 = kernels[uint16, float32]{
		name:       "avx2",
		minMax:     minMaxF16x16,
		minMaxEach: minMaxEachF16x8,
		apply:      applyF16x8,
		applyEach:  applyEachF16x8,
	}
	avx2BFloat16 = kernels[uint16, float32]{
		name:       "avx2",
		minMax:     minMaxBF16x16,
		minMaxEach: minMaxEachBF16x8,
		apply:      applyBF16x8,
		applyEach:  applyEachBF16x8,
	}
)

// round8 is fakeQuant up to the rounding, for 8 lanes: the clamp with
// explicit compares (NaN passes through), one multiplication, then
// roundTiesToEven or floor(z+0.5) with the addition rounded first.
func round8(x, lo, hi, scale, half f32x8, clamp, up bool) f32x8 {
	if clamp {
		m := hi.Merge(x, hi.Less(x))
		x = lo.Merge(m, m.Less(lo))
	}
	z := x.Mul(scale)
	if up {
		return z.Add(half).Floor()
	}
	return z.RoundToEven()
}

// fixNaN8 returns r*inv as the scalar code computes it when both factors
// may be NaN: the scalar multiplication keeps r's NaN, while a vector
// multiplication's operand order is the compiler's choice.
func fixNaN8(r, out f32x8) f32x8 {
	return r.Merge(out, r.IsNaN())
}

// min8 folds x into the running minimum lo: NaNs are ignored, and of two
// equal values the bitwise OR is kept, so -0 wins over +0.
func min8(lo, x f32x8) f32x8 {
	t := lo.AsUint32x8().Or(x.AsUint32x8()).AsFloat32x8().Merge(lo, x.Equal(lo))
	return x.Merge(t, x.Less(lo))
}

// max8 folds x into the running maximum hi: NaNs are ignored, and of two
// equal values the bitwise AND is kept, so +0 wins over -0.
func max8(hi, x f32x8) f32x8 {
	t := hi.AsUint32x8().And(x.AsUint32x8()).AsFloat32x8().Merge(hi, x.Equal(hi))
	return x.Merge(t, hi.Less(x))
}

// Sortable keys of floats: flipping the magnitude bits of negative values
// orders the bit patterns, read as signed integers, like the values, with
// -0 just below +0. NaN keys lie beyond the keys of ±Inf, so NaN lanes
// are replaced by the largest key for the minimum and the smallest for
// the maximum. The flip is its own inverse.

// keyRange8 folds the float32 lanes x into the running key range
// [lo, hi]; absMask is math.MaxInt32 and bottom math.MinInt32.
func keyRange8(x f32x8, lo, hi, absMask, bottom i32x8) (i32x8, i32x8) {
	b := x.AsInt32x8()
	key := b.Xor(b.ShiftAllRight(31).And(absMask))
	nan := x.IsNaN()
	return lo.Min(absMask.Merge(key, nan)), hi.Max(bottom.Merge(key, nan))
}

// key32 returns the sortable key of f.
func key32(f float32) int32 {
	b := int32(math.Float32bits(f))
	return b ^ b>>31&math.MaxInt32
}

// unkey32 returns the float32 of key k.
func unkey32(k int32) float32 { return math.Float32frombits(uint32(k ^ k>>31&math.MaxInt32)) }

// minMaxF32x8 is the AVX2 minMax for float32, on sortable keys.
func minMaxF32x8(src []float32, lo, hi float32) (float32, float32) {
	if len(src) < 8 {
		return minMaxFloat(src, lo, hi)
	}
	absMask, bottom := archsimd.BroadcastInt32x8(math.MaxInt32), archsimd.BroadcastInt32x8(math.MinInt32)
	inf := float32(math.Inf(1))
	l0, h0 := archsimd.BroadcastInt32x8(key32(inf)), archsimd.BroadcastInt32x8(key32(-inf))
	l1, h1 := l0, h0
	i := 0
	for ; i+16 <= len(src); i += 16 {
		s := (*[16]float32)(src[i:])
		l0, h0 = keyRange8(archsimd.LoadFloat32x8((*[8]float32)(s[0:8])), l0, h0, absMask, bottom)
		l1, h1 = keyRange8(archsimd.LoadFloat32x8((*[8]float32)(s[8:16])), l1, h1, absMask, bottom)
	}
	if i+8 <= len(src) {
		l0, h0 = keyRange8(archsimd.LoadFloat32x8((*[8]float32)(src[i:])), l0, h0, absMask, bottom)
		i += 8
	}
	var l, h [8]int32
	l0.Min(l1).Store(&l)
	h0.Max(h1).Store(&h)
	kl, kh := l[0], h[0]
	for k := 1; k < 8; k++ {
		kl, kh = min(kl, l[k]), max(kh, h[k])
	}
	return minMaxFloat(src[i:], min(lo, unkey32(kl)), max(hi, unkey32(kh)))
}

// minMaxEachF32x8 is the AVX2 minMaxEach for float32.
func minMaxEachF32x8(lo, hi []float32, src []float32) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	i := 0
	for ; i+8 <= len(src); i += 8 {
		pl, ph := (*[8]float32)(lo[i:]), (*[8]float32)(hi[i:])
		x := archsimd.LoadFloat32x8((*[8]float32)(src[i:]))
		min8(archsimd.LoadFloat32x8(pl), x).Store(pl)
		max8(archsimd.LoadFloat32x8(ph), x).Store(ph)
	}
	minMaxEachFloat(lo[i:], hi[i:], src[i:])
}

// applyF32x8 is the AVX2 apply for float32.
func applyF32x8(dst, src []float32, q Quant[float32], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	n := len(src) &^ 7
	applyLoopF32x8(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf [8]float32
		copy(buf[:], src[n:])
		applyLoopF32x8(buf[:], buf[:], q, clamp, mode == HalfUp)
		copy(dst[n:], buf[:])
	}
}

// applyLoopF32x8 runs apply over whole vectors; len(src) is a multiple of
// 8.
func applyLoopF32x8(dst, src []float32, q Quant[float32], clamp, up bool) {
	lo, hi := archsimd.BroadcastFloat32x8(q.Min), archsimd.BroadcastFloat32x8(q.Max)
	scale, inv := archsimd.BroadcastFloat32x8(q.Scale), archsimd.BroadcastFloat32x8(q.Inv)
	half := archsimd.BroadcastFloat32x8(0.5)
	dst = dst[:len(src)]
	i := 0
	for ; i+32 <= len(src); i += 32 {
		s, d := (*[32]float32)(src[i:]), (*[32]float32)(dst[i:])
		a := archsimd.LoadFloat32x8((*[8]float32)(s[0:8]))
		b := archsimd.LoadFloat32x8((*[8]float32)(s[8:16]))
		c := archsimd.LoadFloat32x8((*[8]float32)(s[16:24]))
		e := archsimd.LoadFloat32x8((*[8]float32)(s[24:32]))
		round8(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float32)(d[0:8]))
		round8(b, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float32)(d[8:16]))
		round8(c, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float32)(d[16:24]))
		round8(e, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float32)(d[24:32]))
	}
	for ; i < len(src); i += 8 {
		a := archsimd.LoadFloat32x8((*[8]float32)(src[i:]))
		round8(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float32)(dst[i:]))
	}
}

// applyEachF32x8 is the AVX2 applyEach for float32.
func applyEachF32x8(dst, src []float32, q quantArrays[float32], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	q = quantArrays[float32]{q.Min[:len(src)], q.Max[:len(src)], q.Scale[:len(src)], q.Inv[:len(src)]}
	n := len(src) &^ 7
	applyEachLoopF32x8(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf, mn, mx, sc, inv [8]float32
		copy(buf[:], src[n:])
		copy(mn[:], q.Min[n:])
		copy(mx[:], q.Max[n:])
		copy(sc[:], q.Scale[n:])
		copy(inv[:], q.Inv[n:])
		applyEachLoopF32x8(buf[:], buf[:], quantArrays[float32]{mn[:], mx[:], sc[:], inv[:]}, clamp, mode == HalfUp)
		copy(dst[n:], buf[:])
	}
}

// applyEachLoopF32x8 runs applyEach over whole vectors; len(src) is a
// multiple of 8 and no longer than the arrays of q.
func applyEachLoopF32x8(dst, src []float32, q quantArrays[float32], clamp, up bool) {
	half := archsimd.BroadcastFloat32x8(0.5)
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 8 {
		var lo, hi f32x8
		if clamp {
			lo = archsimd.LoadFloat32x8((*[8]float32)(q.Min[i:]))
			hi = archsimd.LoadFloat32x8((*[8]float32)(q.Max[i:]))
		}
		scale := archsimd.LoadFloat32x8((*[8]float32)(q.Scale[i:]))
		inv := archsimd.LoadFloat32x8((*[8]float32)(q.Inv[i:]))
		a := archsimd.LoadFloat32x8((*[8]float32)(src[i:]))
		round8(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float32)(dst[i:]))
	}
}

// round4 is round8 for 4 float64 lanes.
func round4(x, lo, hi, scale, half f64x4, clamp, up bool) f64x4 {
	if clamp {
		m := hi.Merge(x, hi.Less(x))
		x = lo.Merge(m, m.Less(lo))
	}
	z := x.Mul(scale)
	if up {
		return z.Add(half).Floor()
	}
	return z.RoundToEven()
}

// min4 is min8 for 4 float64 lanes.
func min4(lo, x f64x4) f64x4 {
	t := lo.AsUint64x4().Or(x.AsUint64x4()).AsFloat64x4().Merge(lo, x.Equal(lo))
	return x.Merge(t, x.Less(lo))
}

// max4 is max8 for 4 float64 lanes.
func max4(hi, x f64x4) f64x4 {
	t := hi.AsUint64x4().And(x.AsUint64x4()).AsFloat64x4().Merge(hi, x.Equal(hi))
	return x.Merge(t, hi.Less(x))
}

// keyRange4 is keyRange8 for 4 float64 lanes. AVX2 has no 64-bit
// arithmetic shift or min/max, so a compare makes the sign mask and
// compares and blends make the min and max.
func keyRange4(x f64x4, lo, hi, zero, absMask, bottom archsimd.Int64x4) (archsimd.Int64x4, archsimd.Int64x4) {
	b := x.AsInt64x4()
	key := b.Xor(zero.Greater(b).ToInt64x4().And(absMask))
	nan := x.IsNaN()
	kmin, kmax := absMask.Merge(key, nan), bottom.Merge(key, nan)
	return kmin.Merge(lo, lo.Greater(kmin)), kmax.Merge(hi, kmax.Greater(hi))
}

func minMaxF64x4(src []float64, lo, hi float64) (float64, float64) {
	if len(src) < 4 {
		return minMaxFloat(src, lo, hi)
	}
	absMask, bottom := archsimd.BroadcastInt64x4(math.MaxInt64), archsimd.BroadcastInt64x4(math.MinInt64)
	var zero archsimd.Int64x4
	inf := math.Inf(1)
	l0, h0 := archsimd.BroadcastInt64x4(key64(inf)), archsimd.BroadcastInt64x4(key64(-inf))
	l1, h1 := l0, h0
	i := 0
	for ; i+8 <= len(src); i += 8 {
		s := (*[8]float64)(src[i:])
		l0, h0 = keyRange4(archsimd.LoadFloat64x4((*[4]float64)(s[0:4])), l0, h0, zero, absMask, bottom)
		l1, h1 = keyRange4(archsimd.LoadFloat64x4((*[4]float64)(s[4:8])), l1, h1, zero, absMask, bottom)
	}
	if i+4 <= len(src) {
		l0, h0 = keyRange4(archsimd.LoadFloat64x4((*[4]float64)(src[i:])), l0, h0, zero, absMask, bottom)
		i += 4
	}
	l := l1.Merge(l0, l0.Greater(l1))
	h := h1.Merge(h0, h1.Greater(h0))
	var ls, hs [4]int64
	l.Store(&ls)
	h.Store(&hs)
	kl, kh := ls[0], hs[0]
	for k := 1; k < 4; k++ {
		kl, kh = min(kl, ls[k]), max(kh, hs[k])
	}
	return minMaxFloat(src[i:], min(lo, unkey64(kl)), max(hi, unkey64(kh)))
}

// minMaxEachF64x4 is the AVX2 minMaxEach for float64.
func minMaxEachF64x4(lo, hi []float64, src []float64) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	i := 0
	for ; i+4 <= len(src); i += 4 {
		pl, ph := (*[4]float64)(lo[i:]), (*[4]float64)(hi[i:])
		x := archsimd.LoadFloat64x4((*[4]float64)(src[i:]))
		min4(archsimd.LoadFloat64x4(pl), x).Store(pl)
		max4(archsimd.LoadFloat64x4(ph), x).Store(ph)
	}
	minMaxEachFloat(lo[i:], hi[i:], src[i:])
}

// applyF64x4 is the AVX2 apply for float64.
func applyF64x4(dst, src []float64, q Quant[float64], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	n := len(src) &^ 3
	applyLoopF64x4(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf [4]float64
		copy(buf[:], src[n:])
		applyLoopF64x4(buf[:], buf[:], q, clamp, mode == HalfUp)
		copy(dst[n:], buf[:])
	}
}

// applyLoopF64x4 runs apply over whole vectors; len(src) is a multiple of
// 4.
func applyLoopF64x4(dst, src []float64, q Quant[float64], clamp, up bool) {
	lo, hi := archsimd.BroadcastFloat64x4(q.Min), archsimd.BroadcastFloat64x4(q.Max)
	scale, inv := archsimd.BroadcastFloat64x4(q.Scale), archsimd.BroadcastFloat64x4(q.Inv)
	half := archsimd.BroadcastFloat64x4(0.5)
	dst = dst[:len(src)]
	i := 0
	for ; i+16 <= len(src); i += 16 {
		s, d := (*[16]float64)(src[i:]), (*[16]float64)(dst[i:])
		a := archsimd.LoadFloat64x4((*[4]float64)(s[0:4]))
		b := archsimd.LoadFloat64x4((*[4]float64)(s[4:8]))
		c := archsimd.LoadFloat64x4((*[4]float64)(s[8:12]))
		e := archsimd.LoadFloat64x4((*[4]float64)(s[12:16]))
		round4(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[4]float64)(d[0:4]))
		round4(b, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[4]float64)(d[4:8]))
		round4(c, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[4]float64)(d[8:12]))
		round4(e, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[4]float64)(d[12:16]))
	}
	for ; i < len(src); i += 4 {
		a := archsimd.LoadFloat64x4((*[4]float64)(src[i:]))
		round4(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[4]float64)(dst[i:]))
	}
}

// applyEachF64x4 is the AVX2 applyEach for float64.
func applyEachF64x4(dst, src []float64, q quantArrays[float64], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	q = quantArrays[float64]{q.Min[:len(src)], q.Max[:len(src)], q.Scale[:len(src)], q.Inv[:len(src)]}
	n := len(src) &^ 3
	applyEachLoopF64x4(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf, mn, mx, sc, inv [4]float64
		copy(buf[:], src[n:])
		copy(mn[:], q.Min[n:])
		copy(mx[:], q.Max[n:])
		copy(sc[:], q.Scale[n:])
		copy(inv[:], q.Inv[n:])
		applyEachLoopF64x4(buf[:], buf[:], quantArrays[float64]{mn[:], mx[:], sc[:], inv[:]}, clamp, mode == HalfUp)
		copy(dst[n:], buf[:])
	}
}

// applyEachLoopF64x4 runs applyEach over whole vectors; len(src) is a
// multiple of 4 and no longer than the arrays of q.
func applyEachLoopF64x4(dst, src []float64, q quantArrays[float64], clamp, up bool) {
	half := archsimd.BroadcastFloat64x4(0.5)
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 4 {
		var lo, hi f64x4
		if clamp {
			lo = archsimd.LoadFloat64x4((*[4]float64)(q.Min[i:]))
			hi = archsimd.LoadFloat64x4((*[4]float64)(q.Max[i:]))
		}
		scale := archsimd.LoadFloat64x4((*[4]float64)(q.Scale[i:]))
		inv := archsimd.LoadFloat64x4((*[4]float64)(q.Inv[i:]))
		a := archsimd.LoadFloat64x4((*[4]float64)(src[i:]))
		round4(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[4]float64)(dst[i:]))
	}
}

// Sortable keys of 16-bit floats, as for float32.

// key16 returns the sortable key of 16-bit float bits h.
func key16(h uint16) int16 { return int16(h ^ uint16(int16(h)>>15)&0x7fff) }

// unkey16 returns the 16-bit float bits of key k.
func unkey16(k int16) uint16 { return uint16(k) ^ uint16(k>>15)&0x7fff }

// keyRange16 folds the 16-bit floats h into the running key range
// [lo, hi], leaving out NaNs (magnitude above nanAbove).
func keyRange16(h, lo, hi, absMask, nanAbove, top, bottom i16x16) (i16x16, i16x16) {
	key := h.Xor(h.ShiftAllRight(15).And(absMask))
	nan := h.And(absMask).Greater(nanAbove)
	return lo.Min(top.Merge(key, nan)), hi.Max(bottom.Merge(key, nan))
}

// minMax16x16 folds the whole vectors of src into [lo, hi] and returns how
// many elements it used; inf is the bits of +Inf and widen the scalar
// widening of the format.
func minMax16x16(src []uint16, lo, hi float32, inf uint16, widen func(uint16) float32) (float32, float32, int) {
	absMask := archsimd.BroadcastInt16x16(0x7fff)
	nanAbove := archsimd.BroadcastInt16x16(int16(inf))
	top, bottom := archsimd.BroadcastInt16x16(math.MaxInt16), archsimd.BroadcastInt16x16(math.MinInt16)
	l0, h0 := archsimd.BroadcastInt16x16(key16(inf)), archsimd.BroadcastInt16x16(key16(inf|0x8000))
	l1, h1 := l0, h0
	i := 0
	for ; i+32 <= len(src); i += 32 {
		s := (*[32]uint16)(src[i:])
		a := archsimd.LoadUint16x16((*[16]uint16)(s[0:16])).AsInt16x16()
		b := archsimd.LoadUint16x16((*[16]uint16)(s[16:32])).AsInt16x16()
		l0, h0 = keyRange16(a, l0, h0, absMask, nanAbove, top, bottom)
		l1, h1 = keyRange16(b, l1, h1, absMask, nanAbove, top, bottom)
	}
	if i+16 <= len(src) {
		a := archsimd.LoadUint16x16((*[16]uint16)(src[i:])).AsInt16x16()
		l0, h0 = keyRange16(a, l0, h0, absMask, nanAbove, top, bottom)
		i += 16
	}
	l0, h0 = l0.Min(l1), h0.Max(h1)
	var l, h [16]int16
	l0.Store(&l)
	h0.Store(&h)
	kl, kh := l[0], h[0]
	for k := 1; k < 16; k++ {
		kl, kh = min(kl, l[k]), max(kh, h[k])
	}
	return min(lo, widen(unkey16(kl))), max(hi, widen(unkey16(kh))), i
}

// minMaxF16x16 is the AVX2 minMax for float16, on sortable 16-bit keys.
func minMaxF16x16(src []uint16, lo, hi float32) (float32, float32) {
	if len(src) < 16 {
		return minMaxFloat16(src, lo, hi)
	}
	lo, hi, i := minMax16x16(src, lo, hi, 0x7c00, Float16ToFloat32)
	return minMaxFloat16(src[i:], lo, hi)
}

// minMaxBF16x16 is the AVX2 minMax for bfloat16, on sortable 16-bit keys.
func minMaxBF16x16(src []uint16, lo, hi float32) (float32, float32) {
	if len(src) < 16 {
		return minMaxBFloat16(src, lo, hi)
	}
	lo, hi, i := minMax16x16(src, lo, hi, 0x7f80, BFloat16ToFloat32)
	return minMaxBFloat16(src[i:], lo, hi)
}

// minMaxEachF16x8 is the AVX2 minMaxEach for float16.
func minMaxEachF16x8(lo, hi []float32, src []uint16) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	absMask16, special, inf, p112 := widenConsts8()
	i := 0
	for ; i+8 <= len(src); i += 8 {
		pl, ph := (*[8]float32)(lo[i:]), (*[8]float32)(hi[i:])
		x := halfToFloat8(archsimd.LoadUint16x8((*[8]uint16)(src[i:])).ExtendToUint32(), absMask16, special, inf, p112)
		min8(archsimd.LoadFloat32x8(pl), x).Store(pl)
		max8(archsimd.LoadFloat32x8(ph), x).Store(ph)
	}
	minMaxEachFloat16(lo[i:], hi[i:], src[i:])
}

// minMaxEachBF16x8 is the AVX2 minMaxEach for bfloat16.
func minMaxEachBF16x8(lo, hi []float32, src []uint16) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	i := 0
	for ; i+8 <= len(src); i += 8 {
		pl, ph := (*[8]float32)(lo[i:]), (*[8]float32)(hi[i:])
		x := archsimd.LoadUint16x8((*[8]uint16)(src[i:])).ExtendToUint32().ShiftAllLeft(16).AsFloat32x8()
		min8(archsimd.LoadFloat32x8(pl), x).Store(pl)
		max8(archsimd.LoadFloat32x8(ph), x).Store(ph)
	}
	minMaxEachBFloat16(lo[i:], hi[i:], src[i:])
}

// apply16 runs apply for a 16-bit format over whole blocks of 16 and
// pads the rest into a buffer for one more block.
func apply16(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode,
	loop func(dst, src []uint16, q Quant[float32], clamp, up bool), block int) {
	dst = dst[:len(src)]
	n := len(src) / block * block
	loop(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf [32]uint16
		b := buf[:block]
		copy(b, src[n:])
		loop(b, b, q, clamp, mode == HalfUp)
		copy(dst[n:], b)
	}
}

// applyEach16 is apply16 for applyEach.
func applyEach16(dst, src []uint16, q quantArrays[float32], clamp bool, mode RoundMode,
	loop func(dst, src []uint16, q quantArrays[float32], clamp, up bool), block int) {
	dst = dst[:len(src)]
	q = quantArrays[float32]{q.Min[:len(src)], q.Max[:len(src)], q.Scale[:len(src)], q.Inv[:len(src)]}
	n := len(src) / block * block
	loop(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf [32]uint16
		var mn, mx, sc, inv [32]float32
		b := buf[:block]
		copy(b, src[n:])
		copy(mn[:], q.Min[n:])
		copy(mx[:], q.Max[n:])
		copy(sc[:], q.Scale[n:])
		copy(inv[:], q.Inv[n:])
		loop(b, b, quantArrays[float32]{mn[:block], mx[:block], sc[:block], inv[:block]}, clamp, mode == HalfUp)
		copy(dst[n:], b)
	}
}

// widenConsts8 returns the constants of halfToFloat8.
func widenConsts8() (absMask16 u32x8, special i32x8, inf u32x8, p112 f32x8) {
	return archsimd.BroadcastUint32x8(0x7fff), archsimd.BroadcastInt32x8(halfSpecial),
		archsimd.BroadcastUint32x8(f32Inf), archsimd.BroadcastUint32x8(pow2to112).AsFloat32x8()
}

// narrowConsts8 returns the integer constants of floatToHalf8.
func narrowConsts8() (absMask, over, rebias, round, normal, inf, nanBase, quiet i32x8) {
	b := archsimd.BroadcastInt32x8
	return b(f32AbsMask), b(halfOverflow), b(halfRebias), b(halfRound), b(halfNormal), b(f32Inf), b(halfNaNBase), b(halfQuiet)
}

// bfConsts8 returns the constants of floatToBFloat8.
func bfConsts8() (round, one, quiet i32x8) {
	b := archsimd.BroadcastInt32x8
	return b(bf16Round), b(1), b(bf16Quiet)
}

// pack16x8 packs two vectors of sign-extended 16-bit values into one
// vector, in order.
func pack16x8(a, b i32x8) u16x16 {
	return a.Select128FromPair(0, 2, b).SaturateToInt16ConcatGrouped(a.Select128FromPair(1, 3, b)).AsUint16x16()
}

// applyBF16x8 is the AVX2 apply for bfloat16.
func applyBF16x8(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode) {
	apply16(dst, src, q, clamp, mode, applyLoopBF16x8, 16)
}

// applyLoopBF16x8 runs apply for bfloat16 over blocks of 16. The input is
// widened by interleaving with zeros within each 128-bit half, which the
// narrowing pack undoes.
func applyLoopBF16x8(dst, src []uint16, q Quant[float32], clamp, up bool) {
	lo, hi := archsimd.BroadcastFloat32x8(q.Min), archsimd.BroadcastFloat32x8(q.Max)
	scale, inv := archsimd.BroadcastFloat32x8(q.Scale), archsimd.BroadcastFloat32x8(q.Inv)
	half := archsimd.BroadcastFloat32x8(0.5)
	round, one, quiet := bfConsts8()
	fix := q.Inv != q.Inv
	var zero u16x16
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 16 {
		u := archsimd.LoadUint16x16((*[16]uint16)(src[i:]))
		ra := round8(zero.InterleaveLoGrouped(u).AsFloat32x8(), lo, hi, scale, half, clamp, up)
		rb := round8(zero.InterleaveHiGrouped(u).AsFloat32x8(), lo, hi, scale, half, clamp, up)
		a, b := ra.Mul(inv), rb.Mul(inv)
		if fix {
			a, b = fixNaN8(ra, a), fixNaN8(rb, b)
		}
		na := floatToBFloat8(a, round, one, quiet)
		nb := floatToBFloat8(b, round, one, quiet)
		na.SaturateToInt16ConcatGrouped(nb).AsUint16x16().Store((*[16]uint16)(dst[i:]))
	}
}

// applyEachBF16x8 is the AVX2 applyEach for bfloat16.
func applyEachBF16x8(dst, src []uint16, q quantArrays[float32], clamp bool, mode RoundMode) {
	applyEach16(dst, src, q, clamp, mode, applyEachLoopBF16x8, 16)
}

// applyEachLoopBF16x8 runs applyEach for bfloat16 over blocks of 16.
func applyEachLoopBF16x8(dst, src []uint16, q quantArrays[float32], clamp, up bool) {
	half := archsimd.BroadcastFloat32x8(0.5)
	round, one, quiet := bfConsts8()
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 16 {
		var loA, hiA, loB, hiB f32x8
		if clamp {
			loA = archsimd.LoadFloat32x8((*[8]float32)(q.Min[i:]))
			hiA = archsimd.LoadFloat32x8((*[8]float32)(q.Max[i:]))
			loB = archsimd.LoadFloat32x8((*[8]float32)(q.Min[i+8:]))
			hiB = archsimd.LoadFloat32x8((*[8]float32)(q.Max[i+8:]))
		}
		x := archsimd.LoadUint16x8((*[8]uint16)(src[i:])).ExtendToUint32().ShiftAllLeft(16).AsFloat32x8()
		y := archsimd.LoadUint16x8((*[8]uint16)(src[i+8:])).ExtendToUint32().ShiftAllLeft(16).AsFloat32x8()
		ra := round8(x, loA, hiA, archsimd.LoadFloat32x8((*[8]float32)(q.Scale[i:])), half, clamp, up)
		rb := round8(y, loB, hiB, archsimd.LoadFloat32x8((*[8]float32)(q.Scale[i+8:])), half, clamp, up)
		a := fixNaN8(ra, ra.Mul(archsimd.LoadFloat32x8((*[8]float32)(q.Inv[i:]))))
		b := fixNaN8(rb, rb.Mul(archsimd.LoadFloat32x8((*[8]float32)(q.Inv[i+8:]))))
		pack16x8(floatToBFloat8(a, round, one, quiet), floatToBFloat8(b, round, one, quiet)).Store((*[16]uint16)(dst[i:]))
	}
}

// applyF16x8 is the AVX2 apply for float16.
func applyF16x8(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode) {
	apply16(dst, src, q, clamp, mode, applyLoopF16x8, 16)
}

// applyLoopF16x8 runs apply for float16 over blocks of 16, with the same
// interleaved widening as applyLoopBF16x8.
func applyLoopF16x8(dst, src []uint16, q Quant[float32], clamp, up bool) {
	lo, hi := archsimd.BroadcastFloat32x8(q.Min), archsimd.BroadcastFloat32x8(q.Max)
	scale, inv := archsimd.BroadcastFloat32x8(q.Scale), archsimd.BroadcastFloat32x8(q.Inv)
	half := archsimd.BroadcastFloat32x8(0.5)
	absMask16, special, inf, p112 := widenConsts8()
	absMask, over, rebias, round, normal, infI, nanBase, quiet := narrowConsts8()
	fix := q.Inv != q.Inv
	var zero u16x16
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 16 {
		u := archsimd.LoadUint16x16((*[16]uint16)(src[i:]))
		x := halfToFloat8(u.InterleaveLoGrouped(zero).AsUint32x8(), absMask16, special, inf, p112)
		y := halfToFloat8(u.InterleaveHiGrouped(zero).AsUint32x8(), absMask16, special, inf, p112)
		ra := round8(x, lo, hi, scale, half, clamp, up)
		rb := round8(y, lo, hi, scale, half, clamp, up)
		a, b := ra.Mul(inv), rb.Mul(inv)
		if fix {
			a, b = fixNaN8(ra, a), fixNaN8(rb, b)
		}
		na := floatToHalf8(a, absMask, over, rebias, round, half, normal, infI, nanBase, quiet)
		nb := floatToHalf8(b, absMask, over, rebias, round, half, normal, infI, nanBase, quiet)
		na.SaturateToInt16ConcatGrouped(nb).AsUint16x16().Store((*[16]uint16)(dst[i:]))
	}
}

// applyEachF16x8 is the AVX2 applyEach for float16.
func applyEachF16x8(dst, src []uint16, q quantArrays[float32], clamp bool, mode RoundMode) {
	applyEach16(dst, src, q, clamp, mode, applyEachLoopF16x8, 16)
}

// applyEachLoopF16x8 runs applyEach for float16 over blocks of 16.
func applyEachLoopF16x8(dst, src []uint16, q quantArrays[float32], clamp, up bool) {
	half := archsimd.BroadcastFloat32x8(0.5)
	absMask16, special, inf, p112 := widenConsts8()
	absMask, over, rebias, round, normal, infI, nanBase, quiet := narrowConsts8()
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 16 {
		var loA, hiA, loB, hiB f32x8
		if clamp {
			loA = archsimd.LoadFloat32x8((*[8]float32)(q.Min[i:]))
			hiA = archsimd.LoadFloat32x8((*[8]float32)(q.Max[i:]))
			loB = archsimd.LoadFloat32x8((*[8]float32)(q.Min[i+8:]))
			hiB = archsimd.LoadFloat32x8((*[8]float32)(q.Max[i+8:]))
		}
		x := halfToFloat8(archsimd.LoadUint16x8((*[8]uint16)(src[i:])).ExtendToUint32(), absMask16, special, inf, p112)
		y := halfToFloat8(archsimd.LoadUint16x8((*[8]uint16)(src[i+8:])).ExtendToUint32(), absMask16, special, inf, p112)
		ra := round8(x, loA, hiA, archsimd.LoadFloat32x8((*[8]float32)(q.Scale[i:])), half, clamp, up)
		rb := round8(y, loB, hiB, archsimd.LoadFloat32x8((*[8]float32)(q.Scale[i+8:])), half, clamp, up)
		a := fixNaN8(ra, ra.Mul(archsimd.LoadFloat32x8((*[8]float32)(q.Inv[i:]))))
		b := fixNaN8(rb, rb.Mul(archsimd.LoadFloat32x8((*[8]float32)(q.Inv[i+8:]))))
		na := floatToHalf8(a, absMask, over, rebias, round, half, normal, infI, nanBase, quiet)
		nb := floatToHalf8(b, absMask, over, rebias, round, half, normal, infI, nanBase, quiet)
		pack16x8(na, nb).Store((*[16]uint16)(dst[i:]))
	}
}
