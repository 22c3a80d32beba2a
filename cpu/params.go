package cpu

import (
	"math"
	"unsafe"
)

// Float is the set of compute types.
type Float interface {
	~float32 | ~float64
}

// RoundMode selects how scaled values are rounded to integers.
type RoundMode uint8

const (
	// HalfToEven rounds to the nearest integer, ties to even (IEEE
	// roundTiesToEven, as rint).
	HalfToEven RoundMode = iota
	// HalfUp computes floor(z + 0.5), with z + 0.5 first rounded to the
	// compute type, so ties go towards +Inf.
	HalfUp
)

// Params are the quantization attributes of one call.
type Params struct {
	Signed  bool      // signed_input
	NumBits int       // num_bits: 1..61 signed, 1..62 unsigned
	Narrow  bool      // narrow_range (signed only)
	Round   RoundMode // round_mode
}

// Levels returns the integer range [minQ, maxQ] of p, exactly as
// TensorFlow computes it in 64-bit integers.
func (p Params) Levels() (minQ, maxQ int64) {
	n := uint(p.NumBits)
	if !p.Signed {
		return 0, int64(uint64(1)<<n - 1)
	}
	maxQ = int64(uint64(1)<<(n-1) - 1)
	if p.Narrow {
		return -maxQ, maxQ
	}
	return -int64(uint64(1) << (n - 1)), maxQ
}

// Layout is the [outer, depth, inner] view of a tensor along its channel
// axis: outer is the product of the dimensions before the axis, depth the
// axis' size and inner the product of the dimensions after it.
type Layout struct {
	Outer, Depth, Inner int
}

// Len returns the number of elements the layout covers.
func (l Layout) Len() int { return l.Outer * l.Depth * l.Inner }

// Bounds is a caller-given range for one channel, already in the compute
// type.
type Bounds[C Float] struct {
	Min, Max C
}

// Request describes one call.
type Request[C Float] struct {
	Layout Layout
	Params Params
	// Given holds one range per channel (len Layout.Depth) when the range
	// is given, and is nil when the range comes from the data.
	Given []Bounds[C]
	// Quant, when not nil, holds each channel's parameters, worked out
	// beforehand: from a range found over a tensor too large to process
	// at once, by Range and MergeBounds and ComputeQuant. They are used as
	// they are; no range is found and nothing is clamped, exactly as if
	// the range had come from this call's data. Given must then be nil.
	Quant []Quant[C]
}

// Quant is the outcome of ComputeQuantizationRange for one channel: the
// range actually used (one bound adjusted so that zero is exact), the
// scale and the inverse scale. A channel with no non-NaN element has a
// NaN range.
type Quant[C Float] struct {
	Min, Max, Scale, Inv C
}

// maxFloat returns the largest finite value of C.
func maxFloat[C Float]() C {
	var c C
	if unsafe.Sizeof(c) == 4 {
		return C(math.Float32frombits(0x7f7fffff))
	}
	return C(math.Float64frombits(0x7fefffffffffffff))
}

// ComputeQuant reproduces TensorFlow's ComputeQuantizationRange: every
// step is one operation in C, rounded to nearest-even, with no fused
// multiply-add, and the inverse scale is its own division, never 1/scale.
// A NaN result has x86's bits on every architecture (see mul).
//
//	s_min = (min_q*min > 0) ? min_q/min : MAX
//	s_max = (max_q*max > 0) ? max_q/max : MAX
//	if s_min < s_max: scale = s_min; inv = min/min_q; max = max_q*inv
//	else:             scale = s_max; inv = max/max_q; min = min_q*inv
func ComputeQuant[C Float](minQ, maxQ int64, lo, hi C) Quant[C] {
	qmin, qmax := C(minQ), C(maxQ)
	sMin, sMax := maxFloat[C](), maxFloat[C]()
	if mul(qmin, lo) > 0 {
		sMin = div(qmin, lo)
	}
	if mul(qmax, hi) > 0 {
		sMax = div(qmax, hi)
	}
	if sMin < sMax {
		inv := div(lo, qmin)
		return Quant[C]{Min: lo, Max: mul(qmax, inv), Scale: sMin, Inv: inv}
	}
	inv := div(hi, qmax)
	return Quant[C]{Min: mul(qmin, inv), Max: hi, Scale: sMax, Inv: inv}
}
