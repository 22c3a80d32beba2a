package gpu

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/qdqvk/qdq/gpu/internal/vk"
	"github.com/qdqvk/qdq/internal/quant"
)

// run runs one call piece by piece: the reduction passes when the range
// comes from the data (their per-piece key ranges folded on the host), the
// channels' parameters on the host (quant.QuantOf, the CPU's own code),
// the exactness rule, then the fused pass.
func run[C quant.Float](ctx context.Context, c *Context, f format[C], dst, src []byte, n int, r quant.Request[C]) ([]quant.Quant[C], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Quant != nil {
		return nil, fmt.Errorf("%w: parameters fixed beforehand (a tensor processed in pieces) run on the CPU", ErrInexact)
	}
	ln, release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if n == 0 {
		quants, _ := parameters(r, func(int) quant.Bounds[C] { return quant.EmptyBounds[C]() })
		return quants, nil
	}
	quants, err := runOn(ctx, plan(c, ln, statsOf(ctx), f, dst, src, n, r))
	return quants, deviceErr(err)
}

// job is one call of run on a lane: its pieces, and the piece whose
// elements the lane's "in" buffer holds.
type job[C quant.Float] struct {
	c     *Context
	ln    *lane
	stats *Stats
	f     format[C]
	r     quant.Request[C]
	dst   []byte
	src   []byte
	n     int           // elements
	size  int           // bytes of one element
	parts []quant.Piece // what each dispatch sees
	// loaded is the piece whose elements the "in" buffer holds, or -1.
	loaded int
}

// plan cuts a call of n elements into the pieces its dispatches see.
func plan[C quant.Float](c *Context, ln *lane, stats *Stats, f format[C], dst, src []byte, n int, r quant.Request[C]) *job[C] {
	size := len(src) / n
	return &job[C]{c: c, ln: ln, stats: stats, f: f, r: r, dst: dst, src: src, n: n, size: size,
		parts: c.split(r.Layout, size, f.quantSize, f.rangeSize), loaded: -1}
}

// runOn runs a planned call: its range (given, or reduced from the data),
// its parameters, the exactness check, the fused pass.
func runOn[C quant.Float](ctx context.Context, j *job[C]) ([]quant.Quant[C], error) {
	if len(j.parts) > 1 && j.n > math.MaxUint32/2 {
		return nil, fmt.Errorf("%w: %d elements are beyond 32-bit indexes", ErrInexact, j.n)
	}
	// bounds holds, per channel, the interval the values reaching the
	// multiplication lie in.
	var quants []quant.Quant[C]
	var bounds []quant.Bounds[C]
	if j.r.Given != nil {
		quants, bounds = parameters(j.r, nil)
	} else {
		found, err := j.reduce(ctx)
		if err != nil {
			return nil, err
		}
		quants, bounds = parameters(j.r, found)
	}
	if i := inexact(j.f, quants, bounds); i >= 0 {
		q := quants[i]
		return nil, fmt.Errorf("%w: scale %g, inverse %g could meet subnormal values, which the device may flush", ErrInexact, q.Scale, q.InverseScale)
	}
	if err := j.apply(ctx, quants); err != nil {
		return nil, err
	}
	return quants, nil
}

// upload puts piece i's elements in the "in" buffer, directly or through
// the staging buffer, whose copy step it returns.
func (j *job[C]) upload(i int) (*vk.Buffer, []vk.Step, error) {
	c, p := j.c, j.parts[i]
	bytes := j.src[p.First*j.size : (p.First+p.Layout.Len())*j.size]
	in, err := c.reusable(j.ln, "in", len(bytes), c.direct)
	if err != nil || j.loaded == i {
		return in, nil, err
	}
	j.loaded = i
	if c.direct {
		copy(in.Data, bytes)
		return in, nil, nil
	}
	staging, err := c.reusable(j.ln, "staging", len(bytes), true)
	if err != nil {
		return nil, nil, err
	}
	copy(staging.Data, bytes)
	return in, []vk.Step{vk.CopyStep(staging, in, len(bytes))}, nil
}

// reduce runs the reduction passes over every piece and returns each
// channel's range found.
func (j *job[C]) reduce(ctx context.Context) (func(c int) quant.Bounds[C], error) {
	depth := j.r.Layout.Depth
	klo, khi := make([]int64, depth), make([]int64, depth)
	for i := range klo {
		klo[i], khi[i] = math.MaxInt64, math.MinInt64
	}
	for i := range j.parts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in, steps, err := j.upload(i)
		if err != nil {
			return nil, err
		}
		if err := j.reducePiece(in, steps, j.parts[i], klo, khi); err != nil {
			return nil, err
		}
	}
	return func(c int) quant.Bounds[C] { return j.f.bounds(klo[c], khi[c]) }, nil
}

// reducePiece runs the reduction passes over one piece (after the upload
// steps) and folds its channels' key ranges into klo and khi.
func (j *job[C]) reducePiece(in *vk.Buffer, steps []vk.Step, p quant.Piece, klo, khi []int64) error {
	c, f, l := j.c, j.f, p.Layout
	partial, err := c.reusable(j.ln, "partial", f.rangeSize*l.Depth*reductionBlocks(l), false)
	if err != nil {
		return err
	}
	ranges, err := c.reusable(j.ln, "ranges", f.rangeSize*l.Depth, true)
	if err != nil {
		return err
	}
	passes, err := c.reductionSteps(f.name, f.merge, in, partial, ranges, l)
	if err != nil {
		return err
	}
	if err := c.submit(j.ln, j.stats, append(steps, passes...)); err != nil {
		return err
	}
	for i := range l.Depth {
		lo, hi := f.keys(ranges.Data[i*f.rangeSize:])
		ch := p.Channel + i
		klo[ch], khi[ch] = min(klo[ch], lo), max(khi[ch], hi)
	}
	return nil
}

// apply runs the fused pass over every piece with the channels'
// parameters.
func (j *job[C]) apply(ctx context.Context, quants []quant.Quant[C]) error {
	var clamp uint32
	if j.r.Given != nil {
		clamp = 1
	}
	p, err := j.c.pipeline(fusedModule(j.f.name), uint32(j.r.Params.Round), clamp)
	if err != nil {
		return err
	}
	for i, part := range j.parts {
		if err := ctx.Err(); err != nil {
			return err
		}
		in, steps, err := j.upload(i)
		if err != nil {
			return err
		}
		out := j.dst[part.First*j.size : (part.First+part.Layout.Len())*j.size]
		if err := j.applyPiece(p, in, steps, part, quants, out); err != nil {
			return err
		}
	}
	return nil
}

// applyPiece runs the fused pass over one piece (after the upload steps)
// into dst, its bytes of the output.
func (j *job[C]) applyPiece(p *vk.Pipeline, in *vk.Buffer, steps []vk.Step, part quant.Piece, quants []quant.Quant[C], dst []byte) error {
	c, f, l := j.c, j.f, part.Layout
	qbuf, err := c.reusable(j.ln, "quant", f.quantSize*l.Depth, true)
	if err != nil {
		return err
	}
	for i, q := range quants[part.Channel : part.Channel+l.Depth] {
		f.pack(q, qbuf.Data[i*f.quantSize:])
	}
	guard := 0
	if c.guard {
		guard = guardBytes
	}
	// The shaders write whole 32-bit words: a 16-bit output of odd length
	// ends with a half word of padding, and the guard starts after it.
	words := (len(dst) + 3) &^ 3
	out, err := c.reusable(j.ln, "out", words+guard, c.direct)
	if err != nil {
		return err
	}
	if guard > 0 {
		if err := c.fillGuard(j.ln, out, words); err != nil {
			return err
		}
	}
	steps = append(steps, c.fusedStep(p, in, out, qbuf, l, f.quantSize, f.words, len(dst)))
	result := out
	if !c.direct {
		if result, err = c.reusable(j.ln, "staging", len(dst), true); err != nil {
			return err
		}
		steps = append(steps, vk.CopyStep(out, result, len(dst)))
	}
	if err := c.submit(j.ln, j.stats, steps); err != nil {
		return err
	}
	if guard > 0 {
		if err := c.checkGuard(j.ln, out, words); err != nil {
			return err
		}
	}
	copy(dst, result.Data[:len(dst)])
	return nil
}

// reductionSteps returns the two reduction passes over in for layout l:
// per-block key ranges into partial, then one per channel into ranges.
func (c *Context) reductionSteps(name, mergeModule string, in, partial, ranges *vk.Buffer, l quant.Layout) ([]vk.Step, error) {
	minmax, err := c.pipeline(minmaxModule(name, c.info.SubgroupArithmetic), 0, 0)
	if err != nil {
		return nil, err
	}
	merge, err := c.pipeline(mergeModule, 0, 0)
	if err != nil {
		return nil, err
	}
	span, blocks := l.Outer*l.Inner, reductionBlocks(l)
	maxGroups := c.info.MaxWorkGroupCount
	return []vk.Step{
		vk.DispatchStep(vk.Dispatch{Pipeline: minmax, Buffers: []*vk.Buffer{in, partial},
			Push:   push(uint32(l.Inner), uint32(l.Depth), uint32(span), uint32(blocks)),
			Groups: [3]uint32{uint32(min(blocks, int(maxGroups[0]))), uint32(min(l.Depth, int(maxGroups[1]))), 1}}),
		vk.DispatchStep(vk.Dispatch{Pipeline: merge, Buffers: []*vk.Buffer{partial, ranges},
			Push:   push(uint32(l.Depth), uint32(blocks)),
			Groups: [3]uint32{uint32(min(l.Depth, int(maxGroups[0]))), 1, 1}}),
	}, nil
}

// fusedStep returns the fused pass over in into out for layout l, with
// the channels' packed parameters in quant (and, per tensor, in the push
// constants); outBytes is the output's length.
func (c *Context) fusedStep(p *vk.Pipeline, in, out, quant *vk.Buffer, l quant.Layout, quantSize, wordsPerElement, outBytes int) vk.Step {
	words := push(uint32(l.Len()), uint32(l.Inner), uint32(l.Depth))
	if l.Depth == 1 { // per tensor: the parameters travel as push constants
		for i := range quantSize / 4 {
			words[4+i] = binary.LittleEndian.Uint32(quant.Data[4*i:])
		}
	}
	return vk.DispatchStep(vk.Dispatch{Pipeline: p, Buffers: []*vk.Buffer{in, out, quant}, Push: words,
		Groups: [3]uint32{c.groups(ceilDiv(outBytes, 4*wordsPerElement), 0), 1, 1}})
}

// push returns the push constants that start with counts.
func push(counts ...uint32) []uint32 {
	words := make([]uint32, pushWords)
	copy(words, counts)
	return words
}
