package cpu

import "math"

// ReferenceFloat32 fake-quantizes src into dst (same length) the plainest
// way: one channel at a time, one element at a time, each step written as
// the definition states it. It returns the per-channel results.
func ReferenceFloat32(dst, src []float32, r Request[float32]) []Quant[float32] {
	return reference(dst, src, r, identity[float32], identity[float32])
}

// ReferenceFloat64 is ReferenceFloat32 for float64.
func ReferenceFloat64(dst, src []float64, r Request[float64]) []Quant[float64] {
	return reference(dst, src, r, identity[float64], identity[float64])
}

// ReferenceFloat16 is ReferenceFloat32 for IEEE half bits: each element is
// widened to float32, fake-quantized in float32 and rounded once back.
func ReferenceFloat16(dst, src []uint16, r Request[float32]) []Quant[float32] {
	return reference(dst, src, r, Float16ToFloat32, Float32ToFloat16)
}

// ReferenceBFloat16 is ReferenceFloat16 for bfloat16 bits.
func ReferenceBFloat16(dst, src []uint16, r Request[float32]) []Quant[float32] {
	return reference(dst, src, r, BFloat16ToFloat32, Float32ToBFloat16)
}

func identity[T any](x T) T { return x }

func reference[S any, C Float](dst, src []S, r Request[C], widen func(S) C, narrow func(C) S) []Quant[C] {
	l := r.Layout
	minQ, maxQ := r.Params.Levels()
	quants := make([]Quant[C], l.Depth)
	index := func(o, c, i int) int { return (o*l.Depth+c)*l.Inner + i }
	for c := range l.Depth {
		// Steps 2 and 3: the range, given or from the channel's elements,
		// then the scale and inverse scale; or parameters fixed beforehand.
		var q Quant[C]
		if r.Quant != nil {
			q = r.Quant[c]
		} else {
			var lo, hi C
			if r.Given != nil {
				lo, hi = r.Given[c].Min, r.Given[c].Max
			} else {
				lo, hi = C(math.NaN()), C(math.NaN())
				for o := range l.Outer {
					for i := range l.Inner {
						x := widen(src[index(o, c, i)])
						lo, hi = minimumNumber(lo, x), maximumNumber(hi, x)
					}
				}
			}
			q = ComputeQuant(minQ, maxQ, lo, hi)
		}
		quants[c] = q
		// Steps 4 to 6, element by element.
		for o := range l.Outer {
			for i := range l.Inner {
				k := index(o, c, i)
				v := widen(src[k])
				if r.Given != nil {
					m := v
					if q.Max < v {
						m = q.Max
					}
					v = m
					if m < q.Min {
						v = q.Min
					}
				}
				z := mul(v, q.Scale)
				dst[k] = narrow(mul(roundTo(z, r.Params.Round), q.Inv))
			}
		}
	}
	return quants
}

// roundTo rounds z to an integer in C as the round mode says.
func roundTo[C Float](z C, mode RoundMode) C {
	if mode == HalfUp {
		return C(math.Floor(float64(C(z + 0.5))))
	}
	return C(math.RoundToEven(float64(z)))
}

// minimumNumber is IEEE 754-2019 minimumNumber: a NaN operand is ignored,
// and -0 orders below +0.
func minimumNumber[C Float](a, b C) C {
	switch {
	case a != a:
		return b
	case b != b:
		return a
	case a == b: // equal, or zeros of either sign
		if math.Signbit(float64(a)) {
			return a
		}
		return b
	case a < b:
		return a
	}
	return b
}

// maximumNumber is IEEE 754-2019 maximumNumber: a NaN operand is ignored,
// and +0 orders above -0.
func maximumNumber[C Float](a, b C) C {
	switch {
	case a != a:
		return b
	case b != b:
		return a
	case a == b:
		if math.Signbit(float64(a)) {
			return b
		}
		return a
	case a > b:
		return a
	}
	return b
}
