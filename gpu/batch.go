package gpu

import (
	"context"

	"github.com/qdqvk/qdq/gpu/internal/vk"
	"github.com/qdqvk/qdq/internal/quant"
)

// BatchFloat32 runs calls of one storage type computed in float32 (F32,
// F16 or BF16) in as few submissions as it can: up to 32
// tensors (256 MiB) at a time, their uploads, reductions, fused passes and
// downloads each recorded side by side so that the device overlaps them,
// with one host round trip between the reductions and the fused passes
// when some range comes from the data. A call too large to batch, or not
// exact on the device, gets ErrNotBatched or ErrInexact in its Err; the
// returned error is for the device or ctx failing.
func (c *Context) BatchFloat32(ctx context.Context, s quant.Storage, calls []*quant.Job[float32]) error {
	name := map[quant.Storage]string{quant.F32: "f32", quant.F16: "f16", quant.BF16: "bf16"}[s]
	if name == "" {
		return ErrNotBatched
	}
	return batch(ctx, c, format32(name), calls)
}

// BatchFloat64 is BatchFloat32 for float64; without shaderFloat64 every
// call gets ErrInexact.
func (c *Context) BatchFloat64(ctx context.Context, calls []*quant.Job[float64]) error {
	if !c.info.Float64 {
		for _, call := range calls {
			call.Err = ErrInexact
		}
		return nil
	}
	return batch(ctx, c, format64(), calls)
}

func batch[C quant.Float](ctx context.Context, c *Context, f format[C], calls []*quant.Job[C]) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ln, release, err := c.acquire(ctx)
	if err != nil {
		return err
	}
	defer release()

	var pending []*quant.Job[C]
	var sizes []int
	for _, call := range calls {
		call.Quants, call.Err = nil, batchable(c, f, call)
		if call.Err == nil {
			pending, sizes = append(pending, call), append(sizes, len(call.Src))
		}
	}
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := batchLen(sizes)
		b := &batchRun[C]{c: c, ln: ln, stats: statsOf(ctx), f: f}
		err := b.run(pending[:k])
		b.release()
		if err != nil {
			return deviceErr(err)
		}
		pending, sizes = pending[k:], sizes[k:]
	}
	return nil
}

// batchRun is one submission's worth of calls of a batch (two
// submissions when some range comes from the data), with the buffers it
// owns.
type batchRun[C quant.Float] struct {
	c     *Context
	ln    *lane
	stats *Stats
	f     format[C]
	owned []*vk.Buffer
	jobs  []*batchJob[C]
}

// batchJob is one call of a batchRun and its buffers.
type batchJob[C quant.Float] struct {
	call             *quant.Job[C]
	in, out, staging *vk.Buffer
	partial, ranges  *vk.Buffer
	quant            *vk.Buffer
}

// run records, submits and finishes the calls: uploads and reductions,
// then on the host each call's parameters and exactness, then the fused
// passes and downloads.
func (b *batchRun[C]) run(calls []*quant.Job[C]) error {
	upload, reduce, merge, err := b.record(calls)
	if err != nil {
		return err
	}
	if len(reduce) > 0 {
		if err := b.c.submitStages(b.ln, b.stats, nonEmpty(upload, reduce, merge)); err != nil {
			return err
		}
		upload = nil // the inputs stay in place for the fused passes
	}
	fused, download, err := b.fuse()
	if err != nil || len(fused) == 0 {
		return err
	}
	if err := b.c.submitStages(b.ln, b.stats, nonEmpty(upload, fused, download)); err != nil {
		return err
	}
	b.finish()
	return nil
}

// release frees the buffers of the run. A failed wait leaves the device
// possibly still using them: it must finish (or report itself lost)
// first.
func (b *batchRun[C]) release() {
	if b.c.lost.Load() {
		b.c.dev.WaitIdle()
	}
	for _, buf := range b.owned {
		b.c.dev.Free(buf)
	}
}

// alloc makes a buffer that the run owns.
func (b *batchRun[C]) alloc(size int, mapped bool) (*vk.Buffer, error) {
	buf, err := b.c.newBuffer(size, mapped)
	if err == nil {
		b.owned = append(b.owned, buf)
	}
	return buf, err
}

// record allocates each call's buffers, copies its input in, and returns
// the upload, reduction and merge steps, each stage side by side.
func (b *batchRun[C]) record(calls []*quant.Job[C]) (upload, reduce, merge []vk.Step, err error) {
	c, f := b.c, b.f
	b.jobs = make([]*batchJob[C], len(calls))
	for i, call := range calls {
		j := &batchJob[C]{call: call}
		b.jobs[i] = j
		up, err := b.load(j)
		if err != nil {
			return nil, nil, nil, err
		}
		upload = append(upload, up...)
		if call.Request.Given != nil {
			continue
		}
		l := call.Request.Layout
		if j.partial, err = b.alloc(f.rangeSize*l.Depth*reductionBlocks(l), false); err != nil {
			return nil, nil, nil, err
		}
		if j.ranges, err = b.alloc(f.rangeSize*l.Depth, true); err != nil {
			return nil, nil, nil, err
		}
		passes, err := c.reductionSteps(f.name, f.merge, j.in, j.partial, j.ranges, l)
		if err != nil {
			return nil, nil, nil, err
		}
		reduce, merge = append(reduce, passes[0]), append(merge, passes[1])
	}
	return upload, reduce, merge, nil
}

// load allocates a job's input, output and parameter buffers (and its
// staging buffer off the direct path) and puts its input in, returning
// the upload's copy step if any.
func (b *batchRun[C]) load(j *batchJob[C]) ([]vk.Step, error) {
	c, call := b.c, j.call
	words := (len(call.Dst) + 3) &^ 3
	var err error
	if j.in, err = b.alloc(len(call.Src), c.direct); err != nil {
		return nil, err
	}
	if j.out, err = b.alloc(words, c.direct); err != nil {
		return nil, err
	}
	if j.quant, err = b.alloc(b.f.quantSize*call.Request.Layout.Depth, true); err != nil {
		return nil, err
	}
	if c.direct {
		copy(j.in.Data, call.Src)
		return nil, nil
	}
	if j.staging, err = b.alloc(max(len(call.Src), words), true); err != nil {
		return nil, err
	}
	copy(j.staging.Data, call.Src)
	return []vk.Step{vk.CopyStep(j.staging, j.in, len(call.Src))}, nil
}

// fuse works out each call's parameters from its given or reduced range,
// declines the calls the device may not compute exactly (ErrInexact in
// their Err), and returns the fused passes and downloads of the others.
func (b *batchRun[C]) fuse() (fused, download []vk.Step, err error) {
	c, f := b.c, b.f
	for _, j := range b.jobs {
		call := j.call
		r := call.Request
		quants, bounds := parameters(r, func(c int) quant.Bounds[C] {
			return f.bounds(f.keys(j.ranges.Data[c*f.rangeSize:]))
		})
		if inexact(f, quants, bounds) >= 0 {
			call.Err = ErrInexact
			continue
		}
		call.Quants = quants
		for i, q := range quants {
			f.pack(q, j.quant.Data[i*f.quantSize:])
		}
		var clamp uint32
		if r.Given != nil {
			clamp = 1
		}
		p, err := c.pipeline(fusedModule(f.name), uint32(r.Params.Round), clamp)
		if err != nil {
			return nil, nil, err
		}
		fused = append(fused, c.fusedStep(p, j.in, j.out, j.quant, r.Layout, f.quantSize, f.words, len(call.Dst)))
		if !c.direct {
			download = append(download, vk.CopyStep(j.out, j.staging, len(call.Dst)))
		}
	}
	return fused, download, nil
}

// finish copies the results of the calls that ran out of their buffers.
func (b *batchRun[C]) finish() {
	for _, j := range b.jobs {
		if j.call.Err != nil {
			continue
		}
		from := j.out
		if !b.c.direct {
			from = j.staging
		}
		copy(j.call.Dst, from.Data[:len(j.call.Dst)])
	}
}

// nonEmpty returns the stages that have steps.
func nonEmpty(stages ...[]vk.Step) [][]vk.Step {
	var out [][]vk.Step
	for _, s := range stages {
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}
