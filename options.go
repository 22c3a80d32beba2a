package qdq

import (
	"fmt"

	"github.com/qdqvk/qdq/internal/quant"
)

// RoundMode selects how scaled values round to integers. The zero value is
// HalfToEven, TensorFlow's default.
type RoundMode uint8

const (
	// HalfToEven rounds to the nearest integer, ties to even (rint).
	HalfToEven RoundMode = iota
	// HalfUp computes floor(z + 0.5) with z + 0.5 rounded to the compute
	// type first: ties go towards +Inf, so -2.5 gives -2.
	HalfUp
)

// String returns TensorFlow's name for m: "HALF_TO_EVEN" or "HALF_UP".
func (m RoundMode) String() string {
	switch m {
	case HalfToEven:
		return "HALF_TO_EVEN"
	case HalfUp:
		return "HALF_UP"
	}
	return fmt.Sprintf("RoundMode(%d)", uint8(m))
}

// cpu returns the cpu package's constant for m.
func (m RoundMode) cpu() quant.RoundMode {
	if m == HalfUp {
		return quant.HalfUp
	}
	return quant.HalfToEven
}

// ParseRoundMode returns the round mode TensorFlow calls s.
func ParseRoundMode(s string) (RoundMode, error) {
	switch s {
	case "HALF_TO_EVEN":
		return HalfToEven, nil
	case "HALF_UP":
		return HalfUp, nil
	}
	return 0, roundModeError(s)
}

func roundModeError(s string) error {
	return newError(ErrRoundMode, "Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is '%s'", s)
}

// Options are the attributes of QuantizeAndDequantizeV2, plus the given
// range. Start from DefaultOptions and change what differs: in a zero
// Options, SignedInput false means unsigned and Axis 0 means one range per
// index of axis 0, unlike TensorFlow's defaults (signed, axis -1); NumBits
// 0 is rejected.
type Options struct {
	// SignedInput selects the integer range [-2^(n-1), 2^(n-1)-1]
	// (or [-2^(n-1)+1, 2^(n-1)-1] with NarrowRange) instead of [0, 2^n-1].
	SignedInput bool
	// NumBits is n: 1..61 when signed, 1..62 when unsigned.
	NumBits int
	// RangeGiven uses InputMin and InputMax instead of the data's range,
	// and clamps the data to the (adjusted) range.
	RangeGiven bool
	// InputMin and InputMax are the given range: one value each when Axis
	// is -1, else one per channel. Each value is first rounded once to the
	// tensor's dtype, as TensorFlow's input_min and input_max tensors
	// have the input's type. They are never modified; the range actually
	// used is in the Result.
	InputMin, InputMax []float64
	// RoundMode is HalfToEven or HalfUp.
	RoundMode RoundMode
	// NarrowRange drops the most negative level in signed mode.
	NarrowRange bool
	// Axis is the channel axis, or -1 for one range over the whole tensor.
	Axis int
}

// DefaultOptions returns TensorFlow's defaults: signed, 8 bits, range from
// the data, HALF_TO_EVEN, not narrow, per tensor.
func DefaultOptions() Options {
	return Options{SignedInput: true, NumBits: 8, RoundMode: HalfToEven, Axis: -1}
}

// Check returns the error a call on a tensor of dtype and shape with o
// would return for its arguments, or nil: the checks of Run that need no
// data, in the same order, for a caller that wants to validate many
// tensors before reading any.
func (o Options) Check(dtype DType, shape []int) error {
	if dtype.Size() == 0 {
		return newError(ErrDType, "invalid dtype %v", dtype)
	}
	n, err := elements(shape)
	if err != nil {
		return err
	}
	_, err = compileFor(dtype, shape, n, o)
	return err
}
