//go:build goexperiment.simd && amd64

package cpu

import (
	"math"

	"simd/archsimd"
)

// AVX-512 kernels: 512-bit vectors of 16 float32 or 8 float64 lanes, with
// mask registers for the blends. They mirror the AVX2 kernels; rounding
// uses VRNDSCALE with no fraction bits, which rounds exactly like
// VROUND.

// avx512 kernel sets.
var (
	avx512Float32 = kernels[float32, float32]{
		name:       "avx512",
		minMax:     minMaxF32x16,
		minMaxEach: minMaxEachF32x16,
		apply:      applyF32x16,
		applyEach:  applyEachF32x16,
	}
	avx512Float64 = kernels[float64, float64]{
		name:       "avx512",
		minMax:     minMaxF64x8,
		minMaxEach: minMaxEachF64x8,
		apply:      applyF64x8,
		applyEach:  applyEachF64x8,
	}
	avx512Float16 = kernels[uint16, float32]{
		name:       "avx512",
		minMax:     minMaxF16x32,
		minMaxEach: minMaxEachF16x16,
		apply:      applyF16x16,
		applyEach:  applyEachF16x16,
	}
	avx512BFloat16 = kernels[uint16, float32]{
		name:       "avx512",
		minMax:     minMaxBF16x32,
		minMaxEach: minMaxEachBF16x16,
		apply:      applyBF16x16,
		applyEach:  applyEachBF16x16,
	}
)

// round16 is round8 for 16 float32 lanes.
func round16(x, lo, hi, scale, half f32x16, clamp, up bool) f32x16 {
	if clamp {
		m := hi.Merge(x, hi.Less(x))
		x = lo.Merge(m, m.Less(lo))
	}
	z := x.Mul(scale)
	if up {
		return z.Add(half).FloorScaled(0)
	}
	return z.RoundToEvenScaled(0)
}

// fixNaN16 is fixNaN8 for 16 lanes.
func fixNaN16(r, out f32x16) f32x16 {
	return r.Merge(out, r.IsNaN())
}

// min16 is min8 for 16 lanes.
func min16(lo, x f32x16) f32x16 {
	t := lo.AsUint32x16().Or(x.AsUint32x16()).AsFloat32x16().Merge(lo, x.Equal(lo))
	return x.Merge(t, x.Less(lo))
}

// max16 is max8 for 16 lanes.
func max16(hi, x f32x16) f32x16 {
	t := hi.AsUint32x16().And(x.AsUint32x16()).AsFloat32x16().Merge(hi, x.Equal(hi))
	return x.Merge(t, hi.Less(x))
}

// keyRange32x16 is keyRange8 for 16 lanes.
func keyRange32x16(x f32x16, lo, hi, absMask, bottom i32x16) (i32x16, i32x16) {
	b := x.AsInt32x16()
	key := b.Xor(b.ShiftAllRight(31).And(absMask))
	nan := x.IsNaN()
	return lo.Min(absMask.Merge(key, nan)), hi.Max(bottom.Merge(key, nan))
}

// minMaxF32x16 is the AVX-512 minMax for float32, on sortable keys.
func minMaxF32x16(src []float32, lo, hi float32) (float32, float32) {
	if len(src) < 16 {
		return minMaxFloat(src, lo, hi)
	}
	absMask, bottom := archsimd.BroadcastInt32x16(math.MaxInt32), archsimd.BroadcastInt32x16(math.MinInt32)
	inf := float32(math.Inf(1))
	l0, h0 := archsimd.BroadcastInt32x16(key32(inf)), archsimd.BroadcastInt32x16(key32(-inf))
	l1, h1 := l0, h0
	i := 0
	for ; i+32 <= len(src); i += 32 {
		s := (*[32]float32)(src[i:])
		l0, h0 = keyRange32x16(archsimd.LoadFloat32x16((*[16]float32)(s[0:16])), l0, h0, absMask, bottom)
		l1, h1 = keyRange32x16(archsimd.LoadFloat32x16((*[16]float32)(s[16:32])), l1, h1, absMask, bottom)
	}
	if i+16 <= len(src) {
		l0, h0 = keyRange32x16(archsimd.LoadFloat32x16((*[16]float32)(src[i:])), l0, h0, absMask, bottom)
		i += 16
	}
	var l, h [16]int32
	l0.Min(l1).Store(&l)
	h0.Max(h1).Store(&h)
	kl, kh := l[0], h[0]
	for k := 1; k < 16; k++ {
		kl, kh = min(kl, l[k]), max(kh, h[k])
	}
	return minMaxFloat(src[i:], min(lo, unkey32(kl)), max(hi, unkey32(kh)))
}

// minMaxEachF32x16 is the AVX-512 minMaxEach for float32.
func minMaxEachF32x16(lo, hi []float32, src []float32) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	i := 0
	for ; i+16 <= len(src); i += 16 {
		pl, ph := (*[16]float32)(lo[i:]), (*[16]float32)(hi[i:])
		x := archsimd.LoadFloat32x16((*[16]float32)(src[i:]))
		min16(archsimd.LoadFloat32x16(pl), x).Store(pl)
		max16(archsimd.LoadFloat32x16(ph), x).Store(ph)
	}
	minMaxEachFloat(lo[i:], hi[i:], src[i:])
}

// applyF32x16 is the AVX-512 apply for float32.
func applyF32x16(dst, src []float32, q Quant[float32], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	n := len(src) &^ 15
	applyLoopF32x16(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf [16]float32
		copy(buf[:], src[n:])
		applyLoopF32x16(buf[:], buf[:], q, clamp, mode == HalfUp)
		copy(dst[n:], buf[:])
	}
}

// applyLoopF32x16 runs apply over whole vectors; len(src) is a multiple
// of 16.
func applyLoopF32x16(dst, src []float32, q Quant[float32], clamp, up bool) {
	lo, hi := archsimd.BroadcastFloat32x16(q.Min), archsimd.BroadcastFloat32x16(q.Max)
	scale, inv := archsimd.BroadcastFloat32x16(q.Scale), archsimd.BroadcastFloat32x16(q.Inv)
	half := archsimd.BroadcastFloat32x16(0.5)
	dst = dst[:len(src)]
	i := 0
	for ; i+32 <= len(src); i += 32 {
		s, d := (*[32]float32)(src[i:]), (*[32]float32)(dst[i:])
		a := archsimd.LoadFloat32x16((*[16]float32)(s[0:16]))
		b := archsimd.LoadFloat32x16((*[16]float32)(s[16:32]))
		round16(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[16]float32)(d[0:16]))
		round16(b, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[16]float32)(d[16:32]))
	}
	for ; i < len(src); i += 16 {
		a := archsimd.LoadFloat32x16((*[16]float32)(src[i:]))
		round16(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[16]float32)(dst[i:]))
	}
}

// applyEachF32x16 is the AVX-512 applyEach for float32.
func applyEachF32x16(dst, src []float32, q quantArrays[float32], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	q = quantArrays[float32]{q.Min[:len(src)], q.Max[:len(src)], q.Scale[:len(src)], q.Inv[:len(src)]}
	n := len(src) &^ 15
	applyEachLoopF32x16(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf, mn, mx, sc, inv [16]float32
		copy(buf[:], src[n:])
		copy(mn[:], q.Min[n:])
		copy(mx[:], q.Max[n:])
		copy(sc[:], q.Scale[n:])
		copy(inv[:], q.Inv[n:])
		applyEachLoopF32x16(buf[:], buf[:], quantArrays[float32]{mn[:], mx[:], sc[:], inv[:]}, clamp, mode == HalfUp)
		copy(dst[n:], buf[:])
	}
}

// applyEachLoopF32x16 runs applyEach over whole vectors; len(src) is a
// multiple of 16 and no longer than the arrays of q.
func applyEachLoopF32x16(dst, src []float32, q quantArrays[float32], clamp, up bool) {
	half := archsimd.BroadcastFloat32x16(0.5)
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 16 {
		var lo, hi f32x16
		if clamp {
			lo = archsimd.LoadFloat32x16((*[16]float32)(q.Min[i:]))
			hi = archsimd.LoadFloat32x16((*[16]float32)(q.Max[i:]))
		}
		scale := archsimd.LoadFloat32x16((*[16]float32)(q.Scale[i:]))
		inv := archsimd.LoadFloat32x16((*[16]float32)(q.Inv[i:]))
		a := archsimd.LoadFloat32x16((*[16]float32)(src[i:]))
		round16(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[16]float32)(dst[i:]))
	}
}

// round8d is round8 for 8 float64 lanes.
func round8d(x, lo, hi, scale, half f64x8, clamp, up bool) f64x8 {
	if clamp {
		m := hi.Merge(x, hi.Less(x))
		x = lo.Merge(m, m.Less(lo))
	}
	z := x.Mul(scale)
	if up {
		return z.Add(half).FloorScaled(0)
	}
	return z.RoundToEvenScaled(0)
}

// min8d is min8 for 8 float64 lanes.
func min8d(lo, x f64x8) f64x8 {
	t := lo.AsUint64x8().Or(x.AsUint64x8()).AsFloat64x8().Merge(lo, x.Equal(lo))
	return x.Merge(t, x.Less(lo))
}

// max8d is max8 for 8 float64 lanes.
func max8d(hi, x f64x8) f64x8 {
	t := hi.AsUint64x8().And(x.AsUint64x8()).AsFloat64x8().Merge(hi, x.Equal(hi))
	return x.Merge(t, hi.Less(x))
}

// keyRange64x8 is keyRange8 for 8 float64 lanes.
func keyRange64x8(x f64x8, lo, hi, absMask, bottom archsimd.Int64x8) (archsimd.Int64x8, archsimd.Int64x8) {
	b := x.AsInt64x8()
	key := b.Xor(b.ShiftAllRight(63).And(absMask))
	nan := x.IsNaN()
	return lo.Min(absMask.Merge(key, nan)), hi.Max(bottom.Merge(key, nan))
}

// key64 returns the sortable key of f.
func key64(f float64) int64 {
	b := int64(math.Float64bits(f))
	return b ^ b>>63&math.MaxInt64
}

// unkey64 returns the float64 of key k.
func unkey64(k int64) float64 { return math.Float64frombits(uint64(k ^ k>>63&math.MaxInt64)) }

// minMaxF64x8 is the AVX-512 minMax for float64, on sortable keys.
func minMaxF64x8(src []float64, lo, hi float64) (float64, float64) {
	if len(src) < 8 {
		return minMaxFloat(src, lo, hi)
	}
	absMask, bottom := archsimd.BroadcastInt64x8(math.MaxInt64), archsimd.BroadcastInt64x8(math.MinInt64)
	inf := math.Inf(1)
	l0, h0 := archsimd.BroadcastInt64x8(key64(inf)), archsimd.BroadcastInt64x8(key64(-inf))
	l1, h1 := l0, h0
	i := 0
	for ; i+16 <= len(src); i += 16 {
		s := (*[16]float64)(src[i:])
		l0, h0 = keyRange64x8(archsimd.LoadFloat64x8((*[8]float64)(s[0:8])), l0, h0, absMask, bottom)
		l1, h1 = keyRange64x8(archsimd.LoadFloat64x8((*[8]float64)(s[8:16])), l1, h1, absMask, bottom)
	}
	if i+8 <= len(src) {
		l0, h0 = keyRange64x8(archsimd.LoadFloat64x8((*[8]float64)(src[i:])), l0, h0, absMask, bottom)
		i += 8
	}
	var l, h [8]int64
	l0.Min(l1).Store(&l)
	h0.Max(h1).Store(&h)
	kl, kh := l[0], h[0]
	for k := 1; k < 8; k++ {
		kl, kh = min(kl, l[k]), max(kh, h[k])
	}
	return minMaxFloat(src[i:], min(lo, unkey64(kl)), max(hi, unkey64(kh)))
}

// minMaxEachF64x8 is the AVX-512 minMaxEach for float64.
func minMaxEachF64x8(lo, hi []float64, src []float64) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	i := 0
	for ; i+8 <= len(src); i += 8 {
		pl, ph := (*[8]float64)(lo[i:]), (*[8]float64)(hi[i:])
		x := archsimd.LoadFloat64x8((*[8]float64)(src[i:]))
		min8d(archsimd.LoadFloat64x8(pl), x).Store(pl)
		max8d(archsimd.LoadFloat64x8(ph), x).Store(ph)
	}
	minMaxEachFloat(lo[i:], hi[i:], src[i:])
}

// applyF64x8 is the AVX-512 apply for float64.
func applyF64x8(dst, src []float64, q Quant[float64], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	n := len(src) &^ 7
	applyLoopF64x8(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf [8]float64
		copy(buf[:], src[n:])
		applyLoopF64x8(buf[:], buf[:], q, clamp, mode == HalfUp)
		copy(dst[n:], buf[:])
	}
}

// applyLoopF64x8 runs apply over whole vectors; len(src) is a multiple of
// 8.
func applyLoopF64x8(dst, src []float64, q Quant[float64], clamp, up bool) {
	lo, hi := archsimd.BroadcastFloat64x8(q.Min), archsimd.BroadcastFloat64x8(q.Max)
	scale, inv := archsimd.BroadcastFloat64x8(q.Scale), archsimd.BroadcastFloat64x8(q.Inv)
	half := archsimd.BroadcastFloat64x8(0.5)
	dst = dst[:len(src)]
	i := 0
	for ; i+16 <= len(src); i += 16 {
		s, d := (*[16]float64)(src[i:]), (*[16]float64)(dst[i:])
		a := archsimd.LoadFloat64x8((*[8]float64)(s[0:8]))
		b := archsimd.LoadFloat64x8((*[8]float64)(s[8:16]))
		round8d(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float64)(d[0:8]))
		round8d(b, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float64)(d[8:16]))
	}
	for ; i < len(src); i += 8 {
		a := archsimd.LoadFloat64x8((*[8]float64)(src[i:]))
		round8d(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float64)(dst[i:]))
	}
}

// applyEachF64x8 is the AVX-512 applyEach for float64.
func applyEachF64x8(dst, src []float64, q quantArrays[float64], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	q = quantArrays[float64]{q.Min[:len(src)], q.Max[:len(src)], q.Scale[:len(src)], q.Inv[:len(src)]}
	n := len(src) &^ 7
	applyEachLoopF64x8(dst[:n], src[:n], q, clamp, mode == HalfUp)
	if n < len(src) {
		var buf, mn, mx, sc, inv [8]float64
		copy(buf[:], src[n:])
		copy(mn[:], q.Min[n:])
		copy(mx[:], q.Max[n:])
		copy(sc[:], q.Scale[n:])
		copy(inv[:], q.Inv[n:])
		applyEachLoopF64x8(buf[:], buf[:], quantArrays[float64]{mn[:], mx[:], sc[:], inv[:]}, clamp, mode == HalfUp)
		copy(dst[n:], buf[:])
	}
}

// applyEachLoopF64x8 runs applyEach over whole vectors; len(src) is a
// multiple of 8 and no longer than the arrays of q.
func applyEachLoopF64x8(dst, src []float64, q quantArrays[float64], clamp, up bool) {
	half := archsimd.BroadcastFloat64x8(0.5)
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 8 {
		var lo, hi f64x8
		if clamp {
			lo = archsimd.LoadFloat64x8((*[8]float64)(q.Min[i:]))
			hi = archsimd.LoadFloat64x8((*[8]float64)(q.Max[i:]))
		}
		scale := archsimd.LoadFloat64x8((*[8]float64)(q.Scale[i:]))
		inv := archsimd.LoadFloat64x8((*[8]float64)(q.Inv[i:]))
		a := archsimd.LoadFloat64x8((*[8]float64)(src[i:]))
		round8d(a, lo, hi, scale, half, clamp, up).Mul(inv).Store((*[8]float64)(dst[i:]))
	}
}

// keyRange16x32 is keyRange16 for 32 lanes.
func keyRange16x32(h, lo, hi, absMask, nanAbove, bottom i16x32) (i16x32, i16x32) {
	key := h.Xor(h.ShiftAllRight(15).And(absMask))
	nan := h.And(absMask).Greater(nanAbove)
	return lo.Min(absMask.Merge(key, nan)), hi.Max(bottom.Merge(key, nan))
}

// minMax16x32 is minMax16x16 for 32 lanes.
func minMax16x32(src []uint16, lo, hi float32, inf uint16, widen func(uint16) float32) (float32, float32, int) {
	absMask := archsimd.BroadcastInt16x32(0x7fff)
	nanAbove := archsimd.BroadcastInt16x32(int16(inf))
	bottom := archsimd.BroadcastInt16x32(math.MinInt16)
	l0, h0 := archsimd.BroadcastInt16x32(key16(inf)), archsimd.BroadcastInt16x32(key16(inf|0x8000))
	l1, h1 := l0, h0
	i := 0
	for ; i+64 <= len(src); i += 64 {
		s := (*[64]uint16)(src[i:])
		a := archsimd.LoadUint16x32((*[32]uint16)(s[0:32])).AsInt16x32()
		b := archsimd.LoadUint16x32((*[32]uint16)(s[32:64])).AsInt16x32()
		l0, h0 = keyRange16x32(a, l0, h0, absMask, nanAbove, bottom)
		l1, h1 = keyRange16x32(b, l1, h1, absMask, nanAbove, bottom)
	}
	if i+32 <= len(src) {
		a := archsimd.LoadUint16x32((*[32]uint16)(src[i:])).AsInt16x32()
		l0, h0 = keyRange16x32(a, l0, h0, absMask, nanAbove, bottom)
		i += 32
	}
	var l, h [32]int16
	l0.Min(l1).Store(&l)
	h0.Max(h1).Store(&h)
	kl, kh := l[0], h[0]
	for k := 1; k < 32; k++ {
		kl, kh = min(kl, l[k]), max(kh, h[k])
	}
	return min(lo, widen(unkey16(kl))), max(hi, widen(unkey16(kh))), i
}

// minMaxF16x32 is the AVX-512 minMax for float16, on sortable 16-bit
// keys.
func minMaxF16x32(src []uint16, lo, hi float32) (float32, float32) {
	if len(src) < 32 {
		return minMaxFloat16(src, lo, hi)
	}
	lo, hi, i := minMax16x32(src, lo, hi, 0x7c00, Float16ToFloat32)
	return minMaxFloat16(src[i:], lo, hi)
}

// minMaxBF16x32 is the AVX-512 minMax for bfloat16, on sortable 16-bit
// keys.
func minMaxBF16x32(src []uint16, lo, hi float32) (float32, float32) {
	if len(src) < 32 {
		return minMaxBFloat16(src, lo, hi)
	}
	lo, hi, i := minMax16x32(src, lo, hi, 0x7f80, BFloat16ToFloat32)
	return minMaxBFloat16(src[i:], lo, hi)
}

// widenConsts16 returns the constants of halfToFloat16.
func widenConsts16() (absMask16 u32x16, special i32x16, inf u32x16, p112 f32x16) {
	return archsimd.BroadcastUint32x16(0x7fff), archsimd.BroadcastInt32x16(halfSpecial),
		archsimd.BroadcastUint32x16(f32Inf), archsimd.BroadcastUint32x16(pow2to112).AsFloat32x16()
}

// narrowConsts16 returns the integer constants of floatToHalf16.
func narrowConsts16() (absMask, over, rebias, round, normal, inf, nanBase, quiet i32x16) {
	b := archsimd.BroadcastInt32x16
	return b(f32AbsMask), b(halfOverflow), b(halfRebias), b(halfRound), b(halfNormal), b(f32Inf), b(halfNaNBase), b(halfQuiet)
}

// bfConsts16 returns the constants of floatToBFloat16x16.
func bfConsts16() (round, one, quiet i32x16) {
	b := archsimd.BroadcastInt32x16
	return b(bf16Round), b(1), b(bf16Quiet)
}

// minMaxEachF16x16 is the AVX-512 minMaxEach for float16.
func minMaxEachF16x16(lo, hi []float32, src []uint16) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	absMask16, special, inf, p112 := widenConsts16()
	i := 0
	for ; i+16 <= len(src); i += 16 {
		pl, ph := (*[16]float32)(lo[i:]), (*[16]float32)(hi[i:])
		x := halfToFloat16(archsimd.LoadUint16x16((*[16]uint16)(src[i:])).ExtendToUint32(), absMask16, special, inf, p112)
		min16(archsimd.LoadFloat32x16(pl), x).Store(pl)
		max16(archsimd.LoadFloat32x16(ph), x).Store(ph)
	}
	minMaxEachFloat16(lo[i:], hi[i:], src[i:])
}

// minMaxEachBF16x16 is the AVX-512 minMaxEach for bfloat16.
func minMaxEachBF16x16(lo, hi []float32, src []uint16) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	// A per-lane shift: Go 1.26 miscompiles an immediate shift whose
	// result a blend takes where the mask is set, as min16 does.
	sixteen := archsimd.BroadcastUint32x16(16)
	i := 0
	for ; i+16 <= len(src); i += 16 {
		pl, ph := (*[16]float32)(lo[i:]), (*[16]float32)(hi[i:])
		x := archsimd.LoadUint16x16((*[16]uint16)(src[i:])).ExtendToUint32().ShiftLeft(sixteen).AsFloat32x16()
		min16(archsimd.LoadFloat32x16(pl), x).Store(pl)
		max16(archsimd.LoadFloat32x16(ph), x).Store(ph)
	}
	minMaxEachBFloat16(lo[i:], hi[i:], src[i:])
}

// applyBF16x16 is the AVX-512 apply for bfloat16.
func applyBF16x16(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode) {
	apply16(dst, src, q, clamp, mode, applyLoopBF16x16, 16)
}

// applyLoopBF16x16 runs apply for bfloat16 over blocks of 16.
func applyLoopBF16x16(dst, src []uint16, q Quant[float32], clamp, up bool) {
	lo, hi := archsimd.BroadcastFloat32x16(q.Min), archsimd.BroadcastFloat32x16(q.Max)
	scale, inv := archsimd.BroadcastFloat32x16(q.Scale), archsimd.BroadcastFloat32x16(q.Inv)
	half := archsimd.BroadcastFloat32x16(0.5)
	round, one, quiet := bfConsts16()
	fix := q.Inv != q.Inv
	dst = dst[:len(src)]
	i := 0
	for ; i+32 <= len(src); i += 32 {
		s, d := (*[32]uint16)(src[i:]), (*[32]uint16)(dst[i:])
		x := archsimd.LoadUint16x16((*[16]uint16)(s[:16])).ExtendToUint32().ShiftAllLeft(16).AsFloat32x16()
		y := archsimd.LoadUint16x16((*[16]uint16)(s[16:])).ExtendToUint32().ShiftAllLeft(16).AsFloat32x16()
		rx := round16(x, lo, hi, scale, half, clamp, up)
		ry := round16(y, lo, hi, scale, half, clamp, up)
		a, b := rx.Mul(inv), ry.Mul(inv)
		if fix {
			a, b = fixNaN16(rx, a), fixNaN16(ry, b)
		}
		floatToBFloat16x16(a, round, one, quiet).SaturateToInt16().AsUint16x16().Store((*[16]uint16)(d[:16]))
		floatToBFloat16x16(b, round, one, quiet).SaturateToInt16().AsUint16x16().Store((*[16]uint16)(d[16:]))
	}
	for ; i < len(src); i += 16 {
		x := archsimd.LoadUint16x16((*[16]uint16)(src[i:])).ExtendToUint32().ShiftAllLeft(16).AsFloat32x16()
		r := round16(x, lo, hi, scale, half, clamp, up)
		a := r.Mul(inv)
		if fix {
			a = fixNaN16(r, a)
		}
		floatToBFloat16x16(a, round, one, quiet).SaturateToInt16().AsUint16x16().Store((*[16]uint16)(dst[i:]))
	}
}

// applyEachBF16x16 is the AVX-512 applyEach for bfloat16.
func applyEachBF16x16(dst, src []uint16, q quantArrays[float32], clamp bool, mode RoundMode) {
	applyEach16(dst, src, q, clamp, mode, applyEachLoopBF16x16, 16)
}

// applyEachLoopBF16x16 runs applyEach for bfloat16 over blocks of 16.
func applyEachLoopBF16x16(dst, src []uint16, q quantArrays[float32], clamp, up bool) {
	half := archsimd.BroadcastFloat32x16(0.5)
	round, one, quiet := bfConsts16()
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 16 {
		var lo, hi f32x16
		if clamp {
			lo = archsimd.LoadFloat32x16((*[16]float32)(q.Min[i:]))
			hi = archsimd.LoadFloat32x16((*[16]float32)(q.Max[i:]))
		}
		x := archsimd.LoadUint16x16((*[16]uint16)(src[i:])).ExtendToUint32().ShiftAllLeft(16).AsFloat32x16()
		r := round16(x, lo, hi, archsimd.LoadFloat32x16((*[16]float32)(q.Scale[i:])), half, clamp, up)
		a := fixNaN16(r, r.Mul(archsimd.LoadFloat32x16((*[16]float32)(q.Inv[i:]))))
		floatToBFloat16x16(a, round, one, quiet).SaturateToInt16().AsUint16x16().Store((*[16]uint16)(dst[i:]))
	}
}

// applyF16x16 is the AVX-512 apply for float16.
func applyF16x16(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode) {
	apply16(dst, src, q, clamp, mode, applyLoopF16x16, 16)
}

// applyLoopF16x16 runs apply for float16 over blocks of 16.
func applyLoopF16x16(dst, src []uint16, q Quant[float32], clamp, up bool) {
	lo, hi := archsimd.BroadcastFloat32x16(q.Min), archsimd.BroadcastFloat32x16(q.Max)
	scale, inv := archsimd.BroadcastFloat32x16(q.Scale), archsimd.BroadcastFloat32x16(q.Inv)
	half := archsimd.BroadcastFloat32x16(0.5)
	absMask16, special, inf, p112 := widenConsts16()
	absMask, over, rebias, round, normal, infI, nanBase, quiet := narrowConsts16()
	fix := q.Inv != q.Inv
	dst = dst[:len(src)]
	i := 0
	for ; i+32 <= len(src); i += 32 {
		s, d := (*[32]uint16)(src[i:]), (*[32]uint16)(dst[i:])
		x := halfToFloat16(archsimd.LoadUint16x16((*[16]uint16)(s[:16])).ExtendToUint32(), absMask16, special, inf, p112)
		y := halfToFloat16(archsimd.LoadUint16x16((*[16]uint16)(s[16:])).ExtendToUint32(), absMask16, special, inf, p112)
		rx := round16(x, lo, hi, scale, half, clamp, up)
		ry := round16(y, lo, hi, scale, half, clamp, up)
		a, b := rx.Mul(inv), ry.Mul(inv)
		if fix {
			a, b = fixNaN16(rx, a), fixNaN16(ry, b)
		}
		floatToHalf16(a, absMask, over, rebias, round, half, normal, infI, nanBase, quiet).SaturateToInt16().AsUint16x16().Store((*[16]uint16)(d[:16]))
		floatToHalf16(b, absMask, over, rebias, round, half, normal, infI, nanBase, quiet).SaturateToInt16().AsUint16x16().Store((*[16]uint16)(d[16:]))
	}
	for ; i < len(src); i += 16 {
		x := halfToFloat16(archsimd.LoadUint16x16((*[16]uint16)(src[i:])).ExtendToUint32(), absMask16, special, inf, p112)
		r := round16(x, lo, hi, scale, half, clamp, up)
		a := r.Mul(inv)
		if fix {
			a = fixNaN16(r, a)
		}
		floatToHalf16(a, absMask, over, rebias, round, half, normal, infI, nanBase, quiet).SaturateToInt16().AsUint16x16().Store((*[16]uint16)(dst[i:]))
	}
}

// applyEachF16x16 is the AVX-512 applyEach for float16.
func applyEachF16x16(dst, src []uint16, q quantArrays[float32], clamp bool, mode RoundMode) {
	applyEach16(dst, src, q, clamp, mode, applyEachLoopF16x16, 16)
}

// applyEachLoopF16x16 runs applyEach for float16 over blocks of 16.
func applyEachLoopF16x16(dst, src []uint16, q quantArrays[float32], clamp, up bool) {
	half := archsimd.BroadcastFloat32x16(0.5)
	absMask16, special, inf, p112 := widenConsts16()
	absMask, over, rebias, round, normal, infI, nanBase, quiet := narrowConsts16()
	dst = dst[:len(src)]
	for i := 0; i < len(src); i += 16 {
		var lo, hi f32x16
		if clamp {
			lo = archsimd.LoadFloat32x16((*[16]float32)(q.Min[i:]))
			hi = archsimd.LoadFloat32x16((*[16]float32)(q.Max[i:]))
		}
		x := halfToFloat16(archsimd.LoadUint16x16((*[16]uint16)(src[i:])).ExtendToUint32(), absMask16, special, inf, p112)
		r := round16(x, lo, hi, archsimd.LoadFloat32x16((*[16]float32)(q.Scale[i:])), half, clamp, up)
		a := fixNaN16(r, r.Mul(archsimd.LoadFloat32x16((*[16]float32)(q.Inv[i:]))))
		floatToHalf16(a, absMask, over, rebias, round, half, normal, infI, nanBase, quiet).SaturateToInt16().AsUint16x16().Store((*[16]uint16)(dst[i:]))
	}
}
