package qdq

import (
	"fmt"
	"strings"

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

// cpu returns the backends' constant for m.
func (m RoundMode) cpu() quant.RoundMode {
	if m == HalfUp {
		return quant.HalfUp
	}
	return quant.HalfToEven
}

// ParseRoundMode returns the round mode TensorFlow calls s:
// "HALF_TO_EVEN" or "HALF_UP", in any case, with '-' or '_'. On error it
// returns an invalid RoundMode, which every call refuses.
func ParseRoundMode(s string) (RoundMode, error) {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_")) {
	case "HALF_TO_EVEN":
		return HalfToEven, nil
	case "HALF_UP":
		return HalfUp, nil
	}
	return RoundMode(255), roundModeError(s)
}

// MarshalText returns TensorFlow's name for m, as String does.
func (m RoundMode) MarshalText() ([]byte, error) {
	if m != HalfToEven && m != HalfUp {
		return nil, roundModeError(m.String())
	}
	return []byte(m.String()), nil
}

// UnmarshalText sets m to the round mode text names, as ParseRoundMode.
func (m *RoundMode) UnmarshalText(text []byte) error {
	v, err := ParseRoundMode(string(text))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

func roundModeError(s string) error {
	return newError(ErrRoundMode, "Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is '%s'", s)
}

// Options are the attributes of QuantizeAndDequantizeV2, plus the given
// range. The zero value is TensorFlow's defaults: 8 bits, signed, one
// range for the whole tensor found in the data, HALF_TO_EVEN, not narrow.
//
// In TensorFlow's terms, signed_input is !Unsigned, num_bits is NumBits
// (0 meaning 8), and axis is -1 unless PerChannel, when it is Axis counted
// from the front.
type Options struct {
	// NumBits is n, the width of the integer levels: 1..61 when signed,
	// 1..62 when unsigned. 0 means 8.
	NumBits int
	// Unsigned selects the integer levels [0, 2^n-1] instead of the signed
	// [-2^(n-1), 2^(n-1)-1] (or [-2^(n-1)+1, 2^(n-1)-1] with NarrowRange).
	Unsigned bool
	// NarrowRange drops the most negative level in signed mode.
	NarrowRange bool
	// RoundMode is HalfToEven or HalfUp.
	RoundMode RoundMode
	// PerChannel gives each index of Axis (each channel) its own range;
	// without it the whole tensor has one.
	PerChannel bool
	// Axis is the channel axis when PerChannel, counted from the end when
	// negative: -1 is the last axis, -2 the one before. It is ignored
	// without PerChannel.
	Axis int
	// RangeGiven uses InputMin and InputMax instead of the data's range,
	// and clamps the data to the (adjusted) range.
	RangeGiven bool
	// InputMin and InputMax are the given range: one value each, or with
	// PerChannel one per channel (one value applies to every channel).
	// Each value is first rounded once to the tensor's dtype, as
	// TensorFlow's input_min and input_max tensors have the input's type,
	// and must then be finite. They are never modified; the range actually
	// used is in the Result.
	InputMin, InputMax []float64
}

// DefaultOptions returns TensorFlow's defaults, the zero Options.
func DefaultOptions() Options { return Options{} }

// bits returns the number of bits o asks for, 0 meaning 8.
func (o Options) bits() int {
	if o.NumBits == 0 {
		return 8
	}
	return o.NumBits
}

// axis returns the channel axis o gives a tensor of the given rank, from
// the front, or -1 for one range over the whole tensor.
func (o Options) axis(rank int) int {
	switch {
	case !o.PerChannel:
		return -1
	case o.Axis < 0:
		return o.Axis + rank
	}
	return o.Axis
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
