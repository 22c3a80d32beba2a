package qdq

import (
	"context"
	"fmt"
	"math"

	"github.com/qdqvk/qdq/internal/quant"
)

// Range is the span of one channel's values as a call finds it: NaNs
// ignored, -0 below +0. A channel with no value (empty, or all NaN) has
// Min > Max, as EmptyRange.
type Range struct {
	Min, Max float64
}

// EmptyRange returns the range of no values, to start a Merge fold.
func EmptyRange() Range { return Range{Min: math.Inf(1), Max: math.Inf(-1)} }

// Merge returns the range of the values of r and s together.
func (r Range) Merge(s Range) Range { return Range{Min: min(r.Min, s.Min), Max: max(r.Max, s.Max)} }

// Ranges returns the range of each channel of in, as opts.PerChannel and
// opts.Axis define channels (the other options do not matter): the first
// pass over a tensor that arrives in parts. Merge the ranges of a
// channel's parts and give the merged ranges to RunIntoRanges with each
// part: the results are the bits one call over the whole tensor gives. The values are the compute type's
// (float32 for float32, float16 and bfloat16; float64 for float64)
// widened exactly. Ranges runs on the CPU, whatever the engine's backend:
// it is bound by memory bandwidth.
func (e *Engine) Ranges(ctx context.Context, in Tensor, opts Options) ([]Range, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.leave()
	if err := in.check(); err != nil {
		return nil, err
	}
	axis := opts.axis(len(in.shape))
	if err := checkAxis(opts, axis, len(in.shape)); err != nil {
		return nil, err
	}
	l := quant.LayoutOf(in.shape, axis)
	var r quant.Ranger = e.cpu
	if e.ref {
		r = quant.Reference{}
	}
	var (
		rs  []Range
		err error
	)
	switch in.dtype {
	case F32:
		rs, err = rangesOf(r.RangeFloat32(ctx, in.f32, l))
	case F64:
		rs, err = rangesOf(r.RangeFloat64(ctx, in.f64, l))
	case F16:
		rs, err = rangesOf(r.RangeFloat16(ctx, in.b16, l))
	default:
		rs, err = rangesOf(r.RangeBFloat16(ctx, in.b16, l))
	}
	if err != nil {
		return nil, fmt.Errorf("qdq: %w", err)
	}
	return rs, nil
}

// rangesOf widens a Ranger's result to the public form.
func rangesOf[C quant.Float](bounds []quant.Bounds[C], err error) ([]Range, error) {
	if err != nil {
		return nil, err
	}
	rs := make([]Range, len(bounds))
	for i, b := range bounds {
		rs[i] = Range{Min: float64(b.Min), Max: float64(b.Max)}
	}
	return rs, nil
}

// RunIntoRanges is RunInto for one part of a larger tensor: each channel
// is run with the parameters its range over the whole tensor gives
// (ranges, one per channel of in as opts defines them, merged from Ranges over
// the parts), exactly as a single call over the whole tensor would run it.
// Values not of the compute type are first rounded to it. opts.RangeGiven
// must be false. A GPU engine runs these calls on the CPU
// (Result.Fallback says so).
func (e *Engine) RunIntoRanges(ctx context.Context, out, in Tensor, opts Options, ranges []Range) (Result, error) {
	if err := e.enter(); err != nil {
		return Result{}, err
	}
	defer e.leave()
	if opts.RangeGiven {
		return Result{}, newError(ErrRange, "RunIntoRanges takes the ranges found in the data; with range_given use RunInto")
	}
	c, err := e.prepare(in, opts)
	if err != nil {
		return Result{}, err
	}
	if err := checkOutput(out, in); err != nil {
		return Result{}, err
	}
	if len(ranges) != c.layout.Depth {
		return Result{}, newError(ErrRangeShape, "%d ranges for %d channels", len(ranges), c.layout.Depth)
	}
	c.ranges = ranges
	return e.run(ctx, out, in, c)
}
