package qdq

import (
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
		ch[i] = Channel{float64(q.Min), float64(q.Max), float64(q.Scale), float64(q.Inv)}
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
	if opts.NumBits < 1 || (opts.SignedInput && opts.NumBits >= 62) || (!opts.SignedInput && opts.NumBits >= 63) {
		return c, newError(ErrNumBits, "num_bits is out of range: %d with signed_input_ %t", opts.NumBits, opts.SignedInput)
	}
	if opts.RoundMode != HalfToEven && opts.RoundMode != HalfUp {
		return c, roundModeError(opts.RoundMode.String())
	}
	if err := checkAxis(opts.Axis, len(shape)); err != nil {
		return c, err
	}
	if opts.NumBits == 1 && opts.SignedInput && opts.NarrowRange {
		return c, newError(ErrNumBits, "num_bits 1 with signed_input and narrow_range leaves no quantization levels")
	}
	c.layout = quant.Layout{Outer: 1, Depth: 1, Inner: n}
	if opts.Axis >= 0 {
		c.layout = quant.LayoutOf(shape, opts.Axis)
		if depth := c.layout.Depth; n == 0 && depth > maxEmptyChannels {
			return c, newError(ErrShape, "axis %d of the empty tensor %v has %d channels: more than the %d whose results can be reported", opts.Axis, shape, depth, maxEmptyChannels)
		}
	}
	c.params = quant.Params{Signed: opts.SignedInput, NumBits: opts.NumBits, Narrow: opts.NarrowRange, Round: opts.RoundMode.cpu()}
	if !opts.RangeGiven {
		return c, nil
	}
	return c, c.given(dtype, opts)
}

// checkAxis checks a channel axis against a tensor's rank, in
// TensorFlow's words.
func checkAxis(axis, rank int) error {
	if axis < -1 {
		return newError(ErrAxis, "Axis must be at least -1. Found %d", axis)
	}
	if axis >= rank {
		return newError(ErrAxis, "Shape must be at least rank %d but is rank %d", uint64(axis)+1, rank)
	}
	return nil
}

// given validates the given range and stores it rounded to dtype.
func (c *call) given(dtype DType, opts Options) error {
	want := c.layout.Depth
	if opts.Axis == -1 {
		for _, v := range []struct {
			name string
			vals []float64
		}{{"input_min", opts.InputMin}, {"input_max", opts.InputMax}} {
			if len(v.vals) != 1 {
				return newError(ErrRangeShape, "%s must be a scalar when axis is -1, got %d values", v.name, len(v.vals))
			}
		}
	} else {
		for _, v := range []struct {
			name string
			vals []float64
		}{{"input_min", opts.InputMin}, {"input_max", opts.InputMax}} {
			if len(v.vals) != want {
				return newError(ErrRangeShape, "%s_tensor has incorrect size, was %d expected %d to match dim %d of the input", v.name, len(v.vals), want, opts.Axis)
			}
		}
	}
	round := dtype.Round
	c.min, c.max = make([]float64, want), make([]float64, want)
	bits := 64
	if dtype != F64 {
		bits = 32
	}
	for i := range want {
		lo, hi := round(opts.InputMin[i]), round(opts.InputMax[i])
		if !(lo <= hi) {
			f := func(x float64) string { return formatTF(x, bits) }
			if opts.Axis == -1 {
				return newError(ErrRange, "Invalid range: input_min %s > input_max %s", f(lo), f(hi))
			}
			return newError(ErrRange, "Invalid range for channel %d of axis %d: input_min %s > input_max %s", i, opts.Axis, f(lo), f(hi))
		}
		c.min[i], c.max[i] = lo, hi
	}
	return nil
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
