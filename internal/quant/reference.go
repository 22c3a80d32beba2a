package quant

import (
	"context"
	"math"
)

// Reference is the executable definition: it fake-quantizes the plainest
// way, one channel at a time and one element at a time, each step written
// as the definition states it. It is the oracle every backend is tested
// against, and a Backend and Ranger itself (one goroutine, no vector
// code). Its zero value is ready to use.
type Reference struct{}

// Float32 fake-quantizes src into dst and returns the per-channel
// parameters.
func (Reference) Float32(ctx context.Context, dst, src []float32, r Request[float32]) ([]Quant[float32], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return reference(dst, src, r, identity[float32], identity[float32]), nil
}

// Float64 is Float32 for float64.
func (Reference) Float64(ctx context.Context, dst, src []float64, r Request[float64]) ([]Quant[float64], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return reference(dst, src, r, identity[float64], identity[float64]), nil
}

// Float16 is Float32 for IEEE half bits: each element is widened to
// float32, fake-quantized in float32 and rounded once back.
func (Reference) Float16(ctx context.Context, dst, src []uint16, r Request[float32]) ([]Quant[float32], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return reference(dst, src, r, Float16ToFloat32, Float32ToFloat16), nil
}

// BFloat16 is Float16 for bfloat16 bits.
func (Reference) BFloat16(ctx context.Context, dst, src []uint16, r Request[float32]) ([]Quant[float32], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return reference(dst, src, r, BFloat16ToFloat32, Float32ToBFloat16), nil
}

// RangeFloat32 returns each channel's range, folded with IEEE
// MinimumNumber and MaximumNumber.
func (Reference) RangeFloat32(ctx context.Context, src []float32, l Layout) ([]Bounds[float32], error) {
	return referenceRanges(ctx, src, l, identity[float32])
}

// RangeFloat64 is RangeFloat32 for float64.
func (Reference) RangeFloat64(ctx context.Context, src []float64, l Layout) ([]Bounds[float64], error) {
	return referenceRanges(ctx, src, l, identity[float64])
}

// RangeFloat16 is RangeFloat32 for IEEE half bits.
func (Reference) RangeFloat16(ctx context.Context, src []uint16, l Layout) ([]Bounds[float32], error) {
	return referenceRanges(ctx, src, l, Float16ToFloat32)
}

// RangeBFloat16 is RangeFloat32 for bfloat16 bits.
func (Reference) RangeBFloat16(ctx context.Context, src []uint16, l Layout) ([]Bounds[float32], error) {
	return referenceRanges(ctx, src, l, BFloat16ToFloat32)
}

func referenceRanges[S any, C Float](ctx context.Context, src []S, l Layout, widen func(S) C) ([]Bounds[C], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bounds := make([]Bounds[C], l.Depth)
	for c := range l.Depth {
		lo, hi := C(math.NaN()), C(math.NaN())
		for o := range l.Outer {
			for i := range l.Inner {
				x := widen(src[(o*l.Depth+c)*l.Inner+i])
				lo, hi = MinimumNumber(lo, x), MaximumNumber(hi, x)
			}
		}
		if lo != lo { // no value
			bounds[c] = EmptyBounds[C]()
		} else {
			bounds[c] = Bounds[C]{lo, hi}
		}
	}
	return bounds, nil
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
						lo, hi = MinimumNumber(lo, x), MaximumNumber(hi, x)
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
				z := Mul(v, q.Scale)
				dst[k] = narrow(Mul(roundTo(z, r.Params.Round), q.InverseScale))
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

// MinimumNumber is IEEE 754-2019 minimumNumber: a NaN operand is ignored,
// and -0 orders below +0.
func MinimumNumber[C Float](a, b C) C {
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

// MaximumNumber is IEEE 754-2019 maximumNumber: a NaN operand is ignored,
// and +0 orders above -0.
func MaximumNumber[C Float](a, b C) C {
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
