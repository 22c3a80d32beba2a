//go:build cgo && linux && !novulkan

package gpu

import (
	"context"

	"github.com/qdqvk/qdq/internal/quant"
)

// maxBatch is the most calls one batch submission holds.
const maxBatch = 32

// batchBytes bounds the buffers of one batch submission.
const batchBytes = 256 << 20

// BatchFloat32 runs calls of one storage type computed in float32 (F32,
// F16 or BF16) in as few submissions as it can: up to 32
// tensors (256 MiB) at a time, their uploads, reductions, fused passes and
// downloads each recorded side by side so that the device overlaps them,
// with one host round trip between the reductions and the fused passes
// when some range comes from the data. A call too large to batch, or not
// exact on the device, gets ErrNotBatched or ErrInexact in its Err; the
// returned error is for the device or ctx failing.
func (c *Context) BatchFloat32(ctx context.Context, s quant.Storage, calls []*quant.Call[float32]) error {
	name := map[quant.Storage]string{quant.F32: "f32", quant.F16: "f16", quant.BF16: "bf16"}[s]
	if name == "" {
		return ErrNotBatched
	}
	return batch(ctx, c, c.format32(name), calls)
}

// BatchFloat64 is BatchFloat32 for float64; without shaderFloat64 every
// call gets ErrInexact.
func (c *Context) BatchFloat64(ctx context.Context, calls []*quant.Call[float64]) error {
	if !c.info.Float64 {
		for _, call := range calls {
			call.Err = ErrInexact
		}
		return nil
	}
	return batch(ctx, c, c.format64(), calls)
}

func batch[C quant.Float](ctx context.Context, c *Context, f format[C], calls []*quant.Call[C]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ln, release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()

	var pending []*quant.Call[C]
	for _, call := range calls {
		call.Quants, call.Err = nil, nil
		n := call.Request.Layout.Len()
		switch {
		case n == 0:
			call.Err = ErrNotBatched // nothing to run on the device
		case len(c.split(call.Request.Layout, len(call.Src)/n, f.quantSize, f.rangeSize)) > 1:
			call.Err = ErrNotBatched
		default:
			pending = append(pending, call)
		}
	}
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		k, bytes := 0, 0
		for k < len(pending) && k < maxBatch && (k == 0 || bytes+3*len(pending[k].Src) <= batchBytes) {
			bytes += 3 * len(pending[k].Src)
			k++
		}
		if err := batchGroup(c, ln, statsOf(ctx), f, pending[:k]); err != nil {
			return err
		}
		pending = pending[k:]
	}
	return nil
}

// batchGroup runs one submission's worth of calls (two when some range
// comes from the data).
func batchGroup[C quant.Float](c *Context, ln *lane, stats *Stats, f format[C], calls []*quant.Call[C]) error {
	var owned []*buffer
	defer func() {
		if c.lost.Load() {
			// A wait failed: the device may still be using the
			// buffers, so it must finish (or report itself lost) first.
			c.waitIdle()
		}
		for _, b := range owned {
			c.free(b)
		}
	}()
	alloc := func(size int, mapped bool) (*buffer, error) {
		b, err := c.newBuffer(size, mapped)
		if err == nil {
			owned = append(owned, b)
		}
		return b, err
	}
	type job struct {
		call             *quant.Call[C]
		in, out, staging *buffer
		partial, ranges  *buffer
		quant            *buffer
		bounds           []quant.Bounds[C]
	}
	jobs := make([]*job, len(calls))
	var upload, reduce, merge []step
	for i, call := range calls {
		j := &job{call: call}
		jobs[i] = j
		l := call.Request.Layout
		words := (len(call.Dst) + 3) &^ 3
		var err error
		if j.in, err = alloc(len(call.Src), c.direct); err != nil {
			return err
		}
		if j.out, err = alloc(words, c.direct); err != nil {
			return err
		}
		if j.quant, err = alloc(f.quantSize*l.Depth, true); err != nil {
			return err
		}
		if c.direct {
			copy(j.in.data, call.Src)
		} else {
			if j.staging, err = alloc(max(len(call.Src), words), true); err != nil {
				return err
			}
			copy(j.staging.data, call.Src)
			upload = append(upload, copyStep(j.staging, j.in, len(call.Src)))
		}
		if call.Request.Given != nil {
			continue
		}
		if j.partial, err = alloc(f.rangeSize*l.Depth*reductionBlocks(l), false); err != nil {
			return err
		}
		if j.ranges, err = alloc(f.rangeSize*l.Depth, true); err != nil {
			return err
		}
		passes, err := c.reductionSteps(f.name, f.merge, j.in, j.partial, j.ranges, l)
		if err != nil {
			return err
		}
		reduce, merge = append(reduce, passes[0]), append(merge, passes[1])
	}
	if len(reduce) > 0 {
		if err := c.submitStages(ln, stats, nonEmpty(upload, reduce, merge)); err != nil {
			return err
		}
		upload = nil // the inputs stay in place for the fused passes
	}
	var fused, download []step
	for _, j := range jobs {
		call := j.call
		r := call.Request
		call.Quants, j.bounds = parameters(r, func(c int) quant.Bounds[C] {
			return f.bounds(f.keys(j.ranges.data[c*f.rangeSize:]))
		})
		for i, q := range call.Quants {
			if !f.exact(q, j.bounds[i].Min, j.bounds[i].Max) {
				call.Quants, call.Err = nil, ErrInexact
				break
			}
		}
		if call.Err != nil {
			continue
		}
		for i, q := range call.Quants {
			f.pack(q, j.quant.data[i*f.quantSize:])
		}
		var clamp uint32
		if r.Given != nil {
			clamp = 1
		}
		p, err := c.pipeline("qdq_"+f.name, uint32(r.Params.Round), clamp)
		if err != nil {
			return err
		}
		fused = append(fused, c.fusedStep(p, j.in, j.out, j.quant, r.Layout, f.quantSize, f.words, len(call.Dst)))
		if !c.direct {
			download = append(download, copyStep(j.out, j.staging, len(call.Dst)))
		}
	}
	if len(fused) == 0 {
		return nil
	}
	if err := c.submitStages(ln, stats, nonEmpty(upload, fused, download)); err != nil {
		return err
	}
	for _, j := range jobs {
		if j.call.Err != nil {
			continue
		}
		from := j.out
		if !c.direct {
			from = j.staging
		}
		copy(j.call.Dst, from.data[:len(j.call.Dst)])
	}
	return nil
}

// nonEmpty returns the stages that have steps.
func nonEmpty(stages ...[]step) [][]step {
	var out [][]step
	for _, s := range stages {
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}
