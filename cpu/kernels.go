package cpu

import "math"

// quantArrays holds per-element quantization parameters, one entry per
// element of the slice they are applied to.
type quantArrays[C Float] struct {
	Min, Max, Scale, Inv []C
}

// kernels is one implementation of the inner loops for storage type S and
// compute type C. Every kernel must give the reference's bits.
type kernels[S any, C Float] struct {
	name string
	// minMax folds src into the running range [lo, hi] with NaNs ignored
	// and -0 below +0. Start from lo = +Inf, hi = -Inf.
	minMax func(src []S, lo, hi C) (C, C)
	// minMaxEach does the same element-wise: lo[j], hi[j] take src[j].
	minMaxEach func(lo, hi []C, src []S)
	// apply fake-quantizes src into dst with one set of parameters.
	apply func(dst, src []S, q Quant[C], clamp bool, mode RoundMode)
	// applyEach fake-quantizes src[j] into dst[j] with the j-th entries of
	// q.
	applyEach func(dst, src []S, q quantArrays[C], clamp bool, mode RoundMode)
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

// Go's built-in min and max order -0 below +0 but return NaN for a NaN
// operand, so NaNs are skipped first.

func minMaxFloat[F float32 | float64](src []F, lo, hi F) (F, F) {
	for _, x := range src {
		if x == x {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	return lo, hi
}

func minMaxEachFloat[F float32 | float64](lo, hi []F, src []F) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	for j, x := range src {
		if x == x {
			lo[j], hi[j] = min(lo[j], x), max(hi[j], x)
		}
	}
}

func minMaxFloat16(src []uint16, lo, hi float32) (float32, float32) {
	t := half()
	for _, h := range src {
		if x := t[h]; x == x {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	return lo, hi
}

func minMaxEachFloat16(lo, hi []float32, src []uint16) {
	t := half()
	lo, hi = lo[:len(src)], hi[:len(src)]
	for j, h := range src {
		if x := t[h]; x == x {
			lo[j], hi[j] = min(lo[j], x), max(hi[j], x)
		}
	}
}

func minMaxBFloat16(src []uint16, lo, hi float32) (float32, float32) {
	for _, b := range src {
		if x := BFloat16ToFloat32(b); x == x {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	return lo, hi
}

func minMaxEachBFloat16(lo, hi []float32, src []uint16) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	for j, b := range src {
		if x := BFloat16ToFloat32(b); x == x {
			lo[j], hi[j] = min(lo[j], x), max(hi[j], x)
		}
	}
}

// fakeQuant is steps 4 and 5 of the definition for one element.
func fakeQuant[F float32 | float64](x F, q Quant[F], clamp bool, mode RoundMode) F {
	if clamp {
		m := x
		if q.Max < x {
			m = q.Max
		}
		x = m
		if m < q.Min {
			x = q.Min
		}
	}
	z := F(x * q.Scale)
	if mode == HalfUp {
		return F(F(math.Floor(float64(F(z+0.5)))) * q.Inv)
	}
	return F(F(math.RoundToEven(float64(z))) * q.Inv)
}

func applyFloat[F float32 | float64](dst, src []F, q Quant[F], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	for j, x := range src {
		dst[j] = fakeQuant(x, q, clamp, mode)
	}
}

func applyEachFloat[F float32 | float64](dst, src []F, q quantArrays[F], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	for j, x := range src {
		dst[j] = fakeQuant(x, Quant[F]{q.Min[j], q.Max[j], q.Scale[j], q.Inv[j]}, clamp, mode)
	}
}

func applyFloat16(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode) {
	t := half()
	dst = dst[:len(src)]
	for j, h := range src {
		dst[j] = Float32ToFloat16(fakeQuant(t[h], q, clamp, mode))
	}
}

func applyEachFloat16(dst, src []uint16, q quantArrays[float32], clamp bool, mode RoundMode) {
	t := half()
	dst = dst[:len(src)]
	for j, h := range src {
		dst[j] = Float32ToFloat16(fakeQuant(t[h], Quant[float32]{q.Min[j], q.Max[j], q.Scale[j], q.Inv[j]}, clamp, mode))
	}
}

func applyBFloat16(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	for j, b := range src {
		dst[j] = Float32ToBFloat16(fakeQuant(BFloat16ToFloat32(b), q, clamp, mode))
	}
}

func applyEachBFloat16(dst, src []uint16, q quantArrays[float32], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	for j, b := range src {
		dst[j] = Float32ToBFloat16(fakeQuant(BFloat16ToFloat32(b), Quant[float32]{q.Min[j], q.Max[j], q.Scale[j], q.Inv[j]}, clamp, mode))
	}
}
