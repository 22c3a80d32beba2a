package qdq

import (
	"fmt"
	"math"
	"strconv"

	"github.com/qdqvk/qdq/internal/quant"
)

// maxEmptyChannels bounds the channel count of an empty tensor. A tensor
// with elements has no more channels than elements, so its per-channel
// results are never larger than it; an empty one could claim any count.
const maxEmptyChannels = 1 << 24

// call is a validated call: the layout, the parameters and the given
// range as float64 values already rounded to the tensor's dtype.
type call struct {
	layout   quant.Layout
	params   quant.Params
	min, max []float64 // nil when the range comes from the data
	// ranges, when not nil, holds each channel's range over a larger
	// tensor this call is a part of (RunIntoRanges); min and max are then
	// nil.
	ranges []Range
}

// request is the backends' form of a validated call.
func request[C quant.Float](c call) quant.Request[C] {
	r := quant.Request[C]{Layout: c.layout, Params: c.params}
	if c.ranges != nil {
		r.Quant = make([]quant.Quant[C], len(c.ranges))
		for i, rg := range c.ranges {
			r.Quant[i] = quant.QuantOf(c.params, quant.Bounds[C]{Min: C(rg.Min), Max: C(rg.Max)})
		}
	}
	if c.min != nil {
		// The bounds were rounded to the dtype, so converting them to its
		// compute type is exact.
		r.Given = make([]quant.Bounds[C], len(c.min))
		for i := range c.min {
			r.Given[i] = quant.Bounds[C]{Min: C(c.min[i]), Max: C(c.max[i])}
		}
	}
	return r
}

// channelsOf widens per-channel results to the public form.
func channelsOf[C quant.Float](quants []quant.Quant[C]) []Channel {
	ch := make([]Channel, len(quants))
	for i, q := range quants {
		ch[i] = Channel{float64(q.Min), float64(q.Max), float64(q.Scale), float64(q.InverseScale)}
	}
	return ch
}

// compile validates opts against in, in TensorFlow's order, and returns
// the call to run.
func compile(in Tensor, opts Options) (call, error) {
	return compileFor(in.dtype, in.shape, in.Len(), opts)
}

// compileFor is compile for a tensor of n elements with the given dtype
// and shape.
func compileFor(dtype DType, shape []int, n int, opts Options) (call, error) {
	var c call
	bits, signed := opts.bits(), !opts.Unsigned
	if bits < 1 || (signed && bits >= 62) || (!signed && bits >= 63) {
		return c, newError(ErrNumBits, "num_bits is out of range: %d with signed_input_ %t", bits, signed)
	}
	if opts.RoundMode != HalfToEven && opts.RoundMode != HalfUp {
		return c, roundModeError(opts.RoundMode.String())
	}
	axis := opts.axis(len(shape))
	if err := checkAxis(opts, axis, len(shape)); err != nil {
		return c, err
	}
	if bits == 1 && signed && opts.NarrowRange {
		return c, newError(ErrNumBits, "num_bits 1 with signed_input and narrow_range leaves no quantization levels")
	}
	c.layout = quant.Layout{Outer: 1, Depth: 1, Inner: n}
	if axis >= 0 {
		c.layout = quant.LayoutOf(shape, axis)
		if depth := c.layout.Depth; n == 0 && depth > maxEmptyChannels {
			return c, newError(ErrShape, "axis %d of the empty tensor %v has %d channels: more than the %d whose results can be reported", axis, shape, depth, maxEmptyChannels)
		}
	}
	c.params = quant.Params{Signed: signed, NumBits: bits, Narrow: opts.NarrowRange, Round: opts.RoundMode.cpu()}
	if !opts.RangeGiven {
		return c, nil
	}
	return c, c.given(dtype, opts, axis)
}

// checkAxis checks the channel axis of a per-channel call, resolved to
// axis, against a tensor's rank.
func checkAxis(opts Options, axis, rank int) error {
	switch {
	case !opts.PerChannel:
		return nil
	case axis < 0:
		return newError(ErrAxis, "axis %d: the tensor has rank %d", opts.Axis, rank)
	case axis >= rank:
		return newError(ErrAxis, "axis %d: Shape must be at least rank %d but is rank %d", opts.Axis, uint64(axis)+1, rank)
	}
	return nil
}

// given validates the given range and stores it rounded to dtype, one
// value per channel along axis (-1: one for the tensor).
func (c *call) given(dtype DType, opts Options, axis int) error {
	want := c.layout.Depth
	for _, v := range []struct {
		name string
		vals []float64
	}{{"input_min", opts.InputMin}, {"input_max", opts.InputMax}} {
		switch {
		case axis < 0 && len(v.vals) != 1:
			return newError(ErrRangeShape, "%s must be a scalar when the range is per tensor (axis -1), got %d values", v.name, len(v.vals))
		case axis >= 0 && len(v.vals) != 1 && len(v.vals) != want:
			return newError(ErrRangeShape, "%s_tensor has incorrect size, was %d expected %d to match dim %d of the input", v.name, len(v.vals), want, axis)
		}
	}
	bits := 64
	if dtype != F64 {
		bits = 32
	}
	f := func(x float64) string { return formatTF(x, bits) }
	c.min, c.max = make([]float64, want), make([]float64, want)
	for i := range want {
		lo, hi := dtype.Round(at(opts.InputMin, i)), dtype.Round(at(opts.InputMax, i))
		switch {
		case !(lo <= hi):
			return newError(ErrRange, "Invalid range%s: input_min %s > input_max %s", channelOf(i, axis), f(lo), f(hi))
		case math.IsInf(lo, 0) || math.IsInf(hi, 0):
			return newError(ErrRange, "Invalid range%s: [%s, %s] is not finite in %v", channelOf(i, axis), f(lo), f(hi), dtype)
		}
		c.min[i], c.max[i] = lo, hi
	}
	return nil
}

// channelOf names channel i of axis in a range error, or nothing for a
// range per tensor (axis -1).
func channelOf(i, axis int) string {
	if axis < 0 {
		return ""
	}
	return fmt.Sprintf(" for channel %d of axis %d", i, axis)
}

// at returns vals[i], or the one value of vals.
func at(vals []float64, i int) float64 {
	if len(vals) == 1 {
		return vals[0]
	}
	return vals[i]
}

// formatTF formats x as TensorFlow's StrCat does: the shortest decimal
// that reads back as the same value, and nan, inf, -inf.
func formatTF(x float64, bits int) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return strconv.FormatFloat(x, 'g', -1, bits)
}
