package cpu

import (
	"math"
	"sync"

	"github.com/qdqvk/qdq/internal/quant"
)

// quantArrays holds per-element quantization parameters, one entry per
// element of the slice they are applied to.
type quantArrays[C quant.Float] struct {
	Min, Max, Scale, InverseScale []C
}

// kernels is one implementation of the inner loops for storage type S and
// compute type C. Every kernel must give the reference's bits.
type kernels[S any, C quant.Float] struct {
	name string
	// minMax folds src into the running range [lo, hi] with NaNs ignored
	// and -0 below +0. Start from lo = +Inf, hi = -Inf.
	minMax func(src []S, lo, hi C) (C, C)
	// minMaxEach does the same element-wise: lo[j], hi[j] take src[j].
	minMaxEach func(lo, hi []C, src []S)
	// apply fake-quantizes src into dst with one set of parameters.
	apply func(dst, src []S, q quant.Quant[C], clamp bool, mode quant.RoundMode)
	// applyEach fake-quantizes src[j] into dst[j] with the j-th entries of
	// q.
	applyEach func(dst, src []S, q quantArrays[C], clamp bool, mode quant.RoundMode)
	// stream, when not nil, is apply with non-temporal stores, which
	// write dst to memory without reading it into the cache first: for
	// outputs too large to stay in the cache.
	stream func(dst, src []S, q quant.Quant[C], clamp bool, mode quant.RoundMode)
}

// Portable scalar kernels.
var (
	scalarFloat32 = kernels[float32, float32]{
		name:       "scalar",
		minMax:     minMaxFloat[float32],
		minMaxEach: minMaxEachFloat[float32],
		apply:      applyFloat[float32],
		applyEach:  applyEachFloat[float32],
	}
	scalarFloat64 = kernels[float64, float64]{
		name:       "scalar",
		minMax:     minMaxFloat[float64],
		minMaxEach: minMaxEachFloat[float64],
		apply:      applyFloat[float64],
		applyEach:  applyEachFloat[float64],
	}
	scalarFloat16 = kernels[uint16, float32]{
		name:       "scalar",
		minMax:     minMaxFloat16,
		minMaxEach: minMaxEachFloat16,
		apply:      applyFloat16,
		applyEach:  applyEachFloat16,
	}
	scalarBFloat16 = kernels[uint16, float32]{
		name:       "scalar",
		minMax:     minMaxBFloat16,
		minMaxEach: minMaxEachBFloat16,
		apply:      applyBFloat16,
		applyEach:  applyEachBFloat16,
	}
)

// The range loops compare with < and >, which skip NaNs (every comparison
// with a NaN is false) but do not order -0 below +0. When a bound ends up
// zero, fixZeros settles its sign with a second look at the data, which
// only data whose minimum or maximum is exactly zero pays for.

func minMaxFloat[F float32 | float64](src []F, lo, hi F) (F, F) {
	l, h := lo, hi
	for _, x := range src {
		if x < l {
			l = x
		}
		if x > h {
			h = x
		}
	}
	if l == 0 || h == 0 {
		l, h = fixZeros(l, h, lo, hi, func(yield func(F) bool) {
			for _, x := range src {
				if x == 0 && !yield(x) {
					return
				}
			}
		})
	}
	return l, h
}

// fixZeros returns the range [l, h] with the sign of a zero bound set as
// IEEE minimumNumber and maximumNumber would: -0 if any zero among the
// running bounds lo, hi and the data's zeros is -0 (for l), +0 if any is +0
// (for h).
func fixZeros[F float32 | float64](l, h, lo, hi F, zeros func(yield func(F) bool)) (F, F) {
	negZero, posZero := F(math.Copysign(0, -1)), F(0)
	wantNeg, wantPos := l == 0, h == 0
	sawNeg := lo == 0 && math.Signbit(float64(lo))
	sawPos := hi == 0 && !math.Signbit(float64(hi))
	for z := range zeros {
		if math.Signbit(float64(z)) {
			sawNeg = true
		} else {
			sawPos = true
		}
		if sawNeg && sawPos {
			break
		}
	}
	if wantNeg {
		l = posZero
		if sawNeg {
			l = negZero
		}
	}
	if wantPos {
		h = negZero
		if sawPos {
			h = posZero
		}
	}
	return l, h
}

func minMaxEachFloat[F float32 | float64](lo, hi []F, src []F) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	for j, x := range src {
		if x == x {
			lo[j], hi[j] = min(lo[j], x), max(hi[j], x)
		}
	}
}

// zeros16 yields the zeros among 16-bit float patterns (the same for half
// and bfloat16: 0x0000 and 0x8000).
func zeros16(src []uint16) func(yield func(float32) bool) {
	return func(yield func(float32) bool) {
		for _, b := range src {
			if b&0x7fff == 0 && !yield(quant.BFloat16ToFloat32(b)) {
				return
			}
		}
	}
}

func minMaxFloat16(src []uint16, lo, hi float32) (float32, float32) {
	t := quant.HalfTable()
	l, h := lo, hi
	for _, b := range src {
		x := t[b]
		if x < l {
			l = x
		}
		if x > h {
			h = x
		}
	}
	if l == 0 || h == 0 {
		l, h = fixZeros(l, h, lo, hi, zeros16(src))
	}
	return l, h
}

func minMaxEachFloat16(lo, hi []float32, src []uint16) {
	t := quant.HalfTable()
	lo, hi = lo[:len(src)], hi[:len(src)]
	for j, h := range src {
		if x := t[h]; x == x {
			lo[j], hi[j] = min(lo[j], x), max(hi[j], x)
		}
	}
}

func minMaxBFloat16(src []uint16, lo, hi float32) (float32, float32) {
	l, h := lo, hi
	for _, b := range src {
		x := quant.BFloat16ToFloat32(b)
		if x < l {
			l = x
		}
		if x > h {
			h = x
		}
	}
	if l == 0 || h == 0 {
		l, h = fixZeros(l, h, lo, hi, zeros16(src))
	}
	return l, h
}

func minMaxEachBFloat16(lo, hi []float32, src []uint16) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	for j, b := range src {
		if x := quant.BFloat16ToFloat32(b); x == x {
			lo[j], hi[j] = min(lo[j], x), max(hi[j], x)
		}
	}
}

// fakeQuant is steps 4 and 5 of the definition for one element.
func fakeQuant[F float32 | float64](x F, q quant.Quant[F], clamp bool, mode quant.RoundMode) F {
	if clamp {
		x = clampTF(x, q)
	}
	z := quant.Mul(x, q.Scale)
	if mode == quant.HalfUp {
		return quant.Mul(F(math.Floor(float64(F(z+0.5)))), q.InverseScale)
	}
	return quant.Mul(F(math.RoundToEven(float64(z))), q.InverseScale)
}

func applyFloat[F float32 | float64](dst, src []F, q quant.Quant[F], clamp bool, mode quant.RoundMode) {
	dst = dst[:len(src)]
	// One loop per case, so the common one (no clamp, HALF_TO_EVEN) has
	// no branches; each computes what fakeQuant does.
	switch {
	case !clamp && mode == quant.HalfToEven:
		for j, x := range src {
			dst[j] = quant.Mul(F(math.RoundToEven(float64(quant.Mul(x, q.Scale)))), q.InverseScale)
		}
	case !clamp:
		for j, x := range src {
			dst[j] = quant.Mul(F(math.Floor(float64(F(quant.Mul(x, q.Scale)+0.5)))), q.InverseScale)
		}
	case mode == quant.HalfToEven:
		for j, x := range src {
			dst[j] = quant.Mul(F(math.RoundToEven(float64(quant.Mul(clampTF(x, q), q.Scale)))), q.InverseScale)
		}
	default:
		for j, x := range src {
			dst[j] = fakeQuant(x, q, clamp, mode)
		}
	}
}

// clampTF is Eigen's cwiseMin(max) then cwiseMax(min): a NaN passes.
func clampTF[F float32 | float64](x F, q quant.Quant[F]) F {
	m := x
	if q.Max < x {
		m = q.Max
	}
	if m < q.Min {
		return q.Min
	}
	return m
}

func applyEachFloat[F float32 | float64](dst, src []F, q quantArrays[F], clamp bool, mode quant.RoundMode) {
	dst = dst[:len(src)]
	for j, x := range src {
		dst[j] = fakeQuant(x, quant.Quant[F]{Min: q.Min[j], Max: q.Max[j], Scale: q.Scale[j], InverseScale: q.InverseScale[j]}, clamp, mode)
	}
}

// lutFrom is the length from which the portable 16-bit apply kernels
// tabulate their function over all 65,536 inputs once and then look every
// element up, which is several times faster than converting each one.
const lutFrom = 1 << 18

// tables recycles the 128 KiB lookup tables.
var tables = sync.Pool{New: func() any { return new([1 << 16]uint16) }}

// viaTable applies the element-wise function that apply computes, by
// computing it once for every 16-bit pattern.
func viaTable(dst, src []uint16, apply func(dst, src []uint16)) {
	lut := tables.Get().(*[1 << 16]uint16)
	defer tables.Put(lut)
	var all [1 << 16]uint16
	for i := range all {
		all[i] = uint16(i)
	}
	apply(lut[:], all[:])
	dst = dst[:len(src)]
	for j, h := range src {
		dst[j] = lut[h]
	}
}

func applyFloat16(dst, src []uint16, q quant.Quant[float32], clamp bool, mode quant.RoundMode) {
	if len(src) >= lutFrom {
		viaTable(dst, src, func(dst, src []uint16) { applyFloat16(dst, src, q, clamp, mode) })
		return
	}
	t := quant.HalfTable()
	dst = dst[:len(src)]
	for j, h := range src {
		dst[j] = quant.Float32ToFloat16(fakeQuant(t[h], q, clamp, mode))
	}
}

func applyEachFloat16(dst, src []uint16, q quantArrays[float32], clamp bool, mode quant.RoundMode) {
	t := quant.HalfTable()
	dst = dst[:len(src)]
	for j, h := range src {
		dst[j] = quant.Float32ToFloat16(fakeQuant(t[h], quant.Quant[float32]{Min: q.Min[j], Max: q.Max[j], Scale: q.Scale[j], InverseScale: q.InverseScale[j]}, clamp, mode))
	}
}

func applyBFloat16(dst, src []uint16, q quant.Quant[float32], clamp bool, mode quant.RoundMode) {
	if len(src) >= lutFrom {
		viaTable(dst, src, func(dst, src []uint16) { applyBFloat16(dst, src, q, clamp, mode) })
		return
	}
	dst = dst[:len(src)]
	for j, b := range src {
		dst[j] = quant.Float32ToBFloat16(fakeQuant(quant.BFloat16ToFloat32(b), q, clamp, mode))
	}
}

func applyEachBFloat16(dst, src []uint16, q quantArrays[float32], clamp bool, mode quant.RoundMode) {
	dst = dst[:len(src)]
	for j, b := range src {
		dst[j] = quant.Float32ToBFloat16(fakeQuant(quant.BFloat16ToFloat32(b), quant.Quant[float32]{Min: q.Min[j], Max: q.Max[j], Scale: q.Scale[j], InverseScale: q.InverseScale[j]}, clamp, mode))
	}
}
