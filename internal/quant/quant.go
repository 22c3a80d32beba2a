package quant

import (
	"math"
	"unsafe"
)

// Bounds is the range of one channel in the compute type: a caller-given
// range, or one found in the data (NaNs ignored, -0 below +0, Min > Max
// when the channel has no non-NaN value).
type Bounds[C Float] struct {
	Min, Max C
}

// EmptyBounds is the range of no values, to start a MergeBounds fold.
func EmptyBounds[C Float]() Bounds[C] { return Bounds[C]{C(math.Inf(1)), C(math.Inf(-1))} }

// MergeBounds folds the range b into a, as a Ranger reports ranges:
// NaN-free, -0 below +0, Min > Max for none.
func MergeBounds[C Float](a, b Bounds[C]) Bounds[C] {
	return Bounds[C]{Min: min(a.Min, b.Min), Max: max(a.Max, b.Max)}
}

// Quant is the outcome of ComputeQuantizationRange for one channel: the
// range actually used (one bound adjusted so that zero is exact), the
// scale and the inverse scale. Scale multiplies a value into the integer
// grid; InverseScale multiplies an integer back, and is the scale of
// PyTorch's fake_quantize. A channel with no non-NaN element has a NaN
// range.
type Quant[C Float] struct {
	Min, Max, Scale, InverseScale C
}

// QuantOf returns the parameters for a channel whose values span b (as
// a Ranger and MergeBounds report it), as a call finding the range itself
// would: a channel with no non-NaN value has a NaN range. It is the only
// code that turns a range found in the data into parameters; every
// backend calls it.
func QuantOf[C Float](p Params, b Bounds[C]) Quant[C] {
	lo, hi := b.Min, b.Max
	if lo > hi {
		lo, hi = C(math.NaN()), C(math.NaN())
	}
	minQ, maxQ := p.Levels()
	return ComputeQuant(minQ, maxQ, lo, hi)
}

// MaxFloat returns the largest finite value of C.
func MaxFloat[C Float]() C {
	var c C
	if unsafe.Sizeof(c) == 4 {
		return C(math.Float32frombits(0x7f7fffff))
	}
	return C(math.Float64frombits(0x7fefffffffffffff))
}

// ComputeQuant reproduces TensorFlow's ComputeQuantizationRange: every
// step is one operation in C, rounded to nearest-even, with no fused
// multiply-add, and the inverse scale is its own division, never 1/scale.
// A NaN result has x86's bits on every architecture (see Mul).
//
//	s_min = (min_q*min > 0) ? min_q/min : MAX
//	s_max = (max_q*max > 0) ? max_q/max : MAX
//	if s_min < s_max: scale = s_min; inv = min/min_q; max = max_q*inv
//	else:             scale = s_max; inv = max/max_q; min = min_q*inv
func ComputeQuant[C Float](minQ, maxQ int64, lo, hi C) Quant[C] {
	qmin, qmax := C(minQ), C(maxQ)
	sMin, sMax := MaxFloat[C](), MaxFloat[C]()
	if Mul(qmin, lo) > 0 {
		sMin = Div(qmin, lo)
	}
	if Mul(qmax, hi) > 0 {
		sMax = Div(qmax, hi)
	}
	if sMin < sMax {
		inv := Div(lo, qmin)
		return Quant[C]{Min: lo, Max: Mul(qmax, inv), Scale: sMin, InverseScale: inv}
	}
	inv := Div(hi, qmax)
	return Quant[C]{Min: Mul(qmin, inv), Max: hi, Scale: sMax, InverseScale: inv}
}
