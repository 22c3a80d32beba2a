package cpu

import (
	"context"
	"math"
	"runtime"
	"unsafe"

	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/internal/work"
)

// Fast is the parallel, vectorised implementation. Its zero value uses
// every core (GOMAXPROCS) and the best kernels the CPU supports. A Fast is
// safe for concurrent use.
type Fast struct {
	// Workers is the most goroutines one call uses; 0 means GOMAXPROCS.
	Workers int
	// Kernels names the inner loops to use, one of KernelSets(); empty
	// means the best available. An unknown name falls back to "scalar".
	Kernels string
}

// kernelSet is one implementation of the inner loops for every storage
// type.
type kernelSet struct {
	name     string
	float32  *kernels[float32, float32]
	float64  *kernels[float64, float64]
	float16  *kernels[uint16, float32]
	bfloat16 *kernels[uint16, float32]
	// errorSums is ErrorSumsFloat32.
	errorSums func(x, y []float32) (ErrorSums, bool)
}

var scalarSet = kernelSet{"scalar", &scalarFloat32, &scalarFloat64, &scalarFloat16, &scalarBFloat16, errorSumsFloat32}

// simdSets holds the vector kernel sets this CPU can run, narrowest
// first. The assembly kernels' init (kernels_amd64.go, kernels_arm64.go)
// fills it; a build with the purego tag, or for an architecture without
// assembly kernels, leaves it empty.
var simdSets []kernelSet

// KernelSets names the kernel sets this build can run on this CPU: the
// portable "scalar" first, the best last ("avx2", then "avx512" on amd64;
// "neon" on arm64).
func KernelSets() []string {
	names := []string{scalarSet.name}
	for _, s := range simdSets {
		names = append(names, s.name)
	}
	return names
}

// set returns the kernel set f uses.
func (f Fast) set() *kernelSet {
	if f.Kernels == "" && len(simdSets) > 0 {
		return &simdSets[len(simdSets)-1]
	}
	for i := range simdSets {
		if simdSets[i].name == f.Kernels {
			return &simdSets[i]
		}
	}
	return &scalarSet
}

// KernelsInUse names the inner loops f uses.
func (f Fast) KernelsInUse() string { return f.set().name }

func (f Fast) workers() int {
	if f.Workers > 0 {
		return f.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// Float32 fake-quantizes src into dst (same length) and returns the
// per-channel results. When ctx is cancelled it stops after the work items
// in progress and returns ctx.Err(); dst is then partly written.
func (f Fast) Float32(ctx context.Context, dst, src []float32, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, f.workers(), f.set().float32, dst, src, r)
}

// Float64 is Float32 for float64.
func (f Fast) Float64(ctx context.Context, dst, src []float64, r quant.Request[float64]) ([]quant.Quant[float64], error) {
	return run(ctx, f.workers(), f.set().float64, dst, src, r)
}

// Float16 is Float32 for IEEE half bits, computed in float32.
func (f Fast) Float16(ctx context.Context, dst, src []uint16, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, f.workers(), f.set().float16, dst, src, r)
}

// BFloat16 is Float32 for bfloat16 bits, computed in float32.
func (f Fast) BFloat16(ctx context.Context, dst, src []uint16, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, f.workers(), f.set().bfloat16, dst, src, r)
}

const (
	// serialBelow is the element count under which one goroutine does all
	// the work.
	serialBelow = 1 << 15
	// shortRow is the inner size under which channels are handled
	// element-wise over whole slabs instead of row by row.
	shortRow = 16
	// smallSlab is the slab size (depth*inner) up to which short-row
	// layouts are handled several whole slabs per kernel call.
	smallSlab = 1024
	// itemsPerWorker is how many work items each worker gets on average,
	// for load balance.
	itemsPerWorker = 8
	// streamFrom is the output size in bytes from which the kernels store
	// with non-temporal moves: an output this large does not stay in the
	// cache for whoever reads it next, and streaming it saves reading each
	// of its cache lines in before it is written.
	streamFrom = 16 << 20
)

// plan holds what every phase of one call shares.
type plan[S any, C quant.Float] struct {
	k *kernels[S, C]
	// apply is k.apply, or k.stream for outputs of streamFrom bytes or
	// more.
	apply      func(dst, src []S, q quant.Quant[C], clamp bool, mode quant.RoundMode)
	dst, src   []S
	l          quant.Layout
	minQ, maxQ int64
	given      []quant.Bounds[C]
	fixed      []quant.Quant[C]
	mode       quant.RoundMode
	quants     []quant.Quant[C]
	// find is set when the range comes from the data; clamp when it is
	// given; write unless the call only finds ranges (dst is nil).
	find, clamp, write bool
	// found records each channel's range found in the data, when not nil.
	found []quant.Bounds[C]
}

func run[S any, C quant.Float](ctx context.Context, workers int, k *kernels[S, C], dst, src []S, r quant.Request[C]) ([]quant.Quant[C], error) {
	p := &plan[S, C]{k: k, dst: dst, src: src, l: r.Layout, given: r.Given, fixed: r.Quant, mode: r.Params.Round}
	p.find = r.Given == nil && r.Quant == nil
	p.clamp = r.Given != nil
	p.write = true
	p.apply = k.apply
	var s S
	if k.stream != nil && len(src)*int(unsafe.Sizeof(s)) >= streamFrom {
		p.apply = k.stream
	}
	p.minQ, p.maxQ = r.Params.Levels()
	p.quants = make([]quant.Quant[C], p.l.Depth)
	return p.run(ctx, workers)
}

// RangeFloat32 returns the range of each channel of src viewed with layout
// l, NaNs ignored and -0 below +0; a channel with no non-NaN element gets
// Min > Max (+Inf, -Inf). Fold the ranges of several parts of one channel
// with MergeBounds and give the result to QuantOf to get the parameters
// one call over the whole channel would use (Request.Quant).
func (f Fast) RangeFloat32(ctx context.Context, src []float32, l quant.Layout) ([]quant.Bounds[float32], error) {
	return ranges(ctx, f.workers(), f.set().float32, src, l)
}

// RangeFloat64 is RangeFloat32 for float64.
func (f Fast) RangeFloat64(ctx context.Context, src []float64, l quant.Layout) ([]quant.Bounds[float64], error) {
	return ranges(ctx, f.workers(), f.set().float64, src, l)
}

// RangeFloat16 is RangeFloat32 for IEEE half bits.
func (f Fast) RangeFloat16(ctx context.Context, src []uint16, l quant.Layout) ([]quant.Bounds[float32], error) {
	return ranges(ctx, f.workers(), f.set().float16, src, l)
}

// RangeBFloat16 is RangeFloat32 for bfloat16 bits.
func (f Fast) RangeBFloat16(ctx context.Context, src []uint16, l quant.Layout) ([]quant.Bounds[float32], error) {
	return ranges(ctx, f.workers(), f.set().bfloat16, src, l)
}

func ranges[S any, C quant.Float](ctx context.Context, workers int, k *kernels[S, C], src []S, l quant.Layout) ([]quant.Bounds[C], error) {
	p := &plan[S, C]{k: k, src: src, l: l, find: true}
	p.minQ, p.maxQ = 0, 1
	p.quants = make([]quant.Quant[C], l.Depth)
	p.found = make([]quant.Bounds[C], l.Depth)
	if _, err := p.run(ctx, workers); err != nil {
		return nil, err
	}
	return p.found, nil
}

func (p *plan[S, C]) run(ctx context.Context, workers int) ([]quant.Quant[C], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := p.l.Len()
	if n == 0 {
		for c := range p.quants {
			p.quants[c] = p.quant(c, C(math.Inf(1)), C(math.Inf(-1)))
		}
		return p.quants, nil
	}
	// More workers than work pieces only cost memory (and an absurd count
	// would overflow the work split).
	workers = max(1, min(workers, ceilDiv(n, serialBelow/2)))
	if n < serialBelow {
		workers = 1
	}
	if p.l.Depth == 1 {
		// One channel is the whole tensor, however it is laid out.
		p.l = quant.Layout{Outer: 1, Depth: 1, Inner: n}
	}
	var err error
	switch l := p.l; {
	case l.Inner < shortRow && l.Depth*l.Inner <= smallSlab:
		err = p.smallSlabs(ctx, workers)
	case l.Depth >= itemsPerWorker*workers:
		err = p.byChannelBlocks(ctx, workers)
	default:
		err = p.withinChannels(ctx, workers)
	}
	if err != nil {
		return nil, err
	}
	return p.quants, nil
}

// quant computes channel c's parameters from its given range or from the
// range [lo, hi] found in the data (lo > hi when it had no non-NaN value).
func (p *plan[S, C]) quant(c int, lo, hi C) quant.Quant[C] {
	if p.found != nil {
		p.found[c] = quant.Bounds[C]{Min: lo, Max: hi}
	}
	if p.fixed != nil {
		return p.fixed[c]
	}
	if p.given != nil {
		lo, hi = p.given[c].Min, p.given[c].Max
	} else if lo > hi {
		lo, hi = C(math.NaN()), C(math.NaN())
	}
	return quant.ComputeQuant(p.minQ, p.maxQ, lo, hi)
}

// row returns the inner elements of src and dst at (o, c).
func (p *plan[S, C]) row(o, c int) (dst, src []S) {
	at := (o*p.l.Depth + c) * p.l.Inner
	return p.dstAt(at, at+p.l.Inner), p.src[at : at+p.l.Inner]
}

// byChannelBlocks gives each work item a block of whole channels, so that
// one goroutine finds a channel's range and applies it.
func (p *plan[S, C]) byChannelBlocks(ctx context.Context, workers int) error {
	l := p.l
	block := ceilDiv(l.Depth, workers*itemsPerWorker)
	expanded := l.Inner < shortRow
	if expanded {
		// Keep the element-wise scratch small but the slab segments long.
		block = max(min(block, 8192/l.Inner), min(l.Depth, ceilDiv(1024, l.Inner)), 1)
	}
	blocks := ceilDiv(l.Depth, block)
	scratch := make([]scratchArrays[C], workers)
	return work.Do(ctx, workers, blocks, func(w, b int) {
		c0, c1 := b*block, min((b+1)*block, l.Depth)
		switch {
		case expanded:
			p.expandedBlock(&scratch[w], c0, c1, 0, l.Outer)
		case l.Outer == 1:
			// Each channel is one contiguous row: find its range and
			// apply it while the row is in cache.
			for c := c0; c < c1; c++ {
				dst, src := p.row(0, c)
				lo, hi := C(math.Inf(1)), C(math.Inf(-1))
				if p.find {
					lo, hi = p.k.minMax(src, lo, hi)
				}
				p.quants[c] = p.quant(c, lo, hi)
				if p.write {
					p.apply(dst, src, p.quants[c], p.clamp, p.mode)
				}
			}
		default:
			for c := c0; c < c1; c++ {
				lo, hi := C(math.Inf(1)), C(math.Inf(-1))
				if p.find {
					for o := range l.Outer {
						_, src := p.row(o, c)
						lo, hi = p.k.minMax(src, lo, hi)
					}
				}
				p.quants[c] = p.quant(c, lo, hi)
			}
			if !p.write {
				return
			}
			for o := range l.Outer {
				for c := c0; c < c1; c++ {
					dst, src := p.row(o, c)
					p.apply(dst, src, p.quants[c], p.clamp, p.mode)
				}
			}
		}
	})
}

// scratchArrays is one worker's element-wise scratch.
type scratchArrays[C quant.Float] struct {
	lo, hi []C
	q      quantArrays[C]
}

func (s *scratchArrays[C]) reset(n int) {
	if cap(s.lo) < n {
		s.lo, s.hi = make([]C, n), make([]C, n)
		s.q = quantArrays[C]{make([]C, n), make([]C, n), make([]C, n), make([]C, n)}
	}
	s.lo, s.hi = s.lo[:n], s.hi[:n]
	s.q = quantArrays[C]{s.q.Min[:n], s.q.Max[:n], s.q.Scale[:n], s.q.InverseScale[:n]}
	for j := range n {
		s.lo[j], s.hi[j] = C(math.Inf(1)), C(math.Inf(-1))
	}
}

// slab returns the contiguous elements of channels [c0, c1) at outer
// index o.
func (p *plan[S, C]) slab(o, c0, c1 int) (dst, src []S) {
	a, b := (o*p.l.Depth+c0)*p.l.Inner, (o*p.l.Depth+c1)*p.l.Inner
	return p.dstAt(a, b), p.src[a:b]
}

// dstAt returns dst[a:b], or nil when the call writes nothing.
func (p *plan[S, C]) dstAt(a, b int) []S {
	if !p.write {
		return nil
	}
	return p.dst[a:b]
}

// expandedBlock handles channels [c0, c1) over outer indexes [o0, o1)
// element-wise: every element of a slab segment has its own running range
// and parameters, so short rows need no per-row calls.
func (p *plan[S, C]) expandedBlock(s *scratchArrays[C], c0, c1, o0, o1 int) {
	inner := p.l.Inner
	s.reset((c1 - c0) * inner)
	if p.find {
		for o := o0; o < o1; o++ {
			_, src := p.slab(o, c0, c1)
			p.k.minMaxEach(s.lo, s.hi, src)
		}
	}
	for c := c0; c < c1; c++ {
		j := (c - c0) * inner
		lo, hi := foldRange(s.lo[j:j+inner], s.hi[j:j+inner])
		p.quants[c] = p.quant(c, lo, hi)
		s.q.fill(j, inner, p.quants[c])
	}
	if !p.write {
		return
	}
	for o := o0; o < o1; o++ {
		dst, src := p.slab(o, c0, c1)
		p.k.applyEach(dst, src, s.q, p.clamp, p.mode)
	}
}

func (q quantArrays[C]) fill(at, n int, v quant.Quant[C]) {
	for j := at; j < at+n; j++ {
		q.Min[j], q.Max[j], q.Scale[j], q.InverseScale[j] = v.Min, v.Max, v.Scale, v.InverseScale
	}
}

// foldRange combines running ranges; lo > hi marks "no value yet".
func foldRange[C quant.Float](lo, hi []C) (C, C) {
	l, h := C(math.Inf(1)), C(math.Inf(-1))
	for j := range lo {
		l, h = min(l, lo[j]), max(h, hi[j])
	}
	return l, h
}

// withinChannels handles few channels: each channel's elements are split
// into several work items, their ranges are combined, and then the items
// are applied in a second parallel phase.
func (p *plan[S, C]) withinChannels(ctx context.Context, workers int) error {
	l := p.l
	if l.Inner < shortRow {
		return p.smallSlabs(ctx, workers)
	}
	// Items are ranges of a channel's positions 0..outer*inner-1, where
	// position t is element (t/inner, c, t%inner).
	span := l.Outer * l.Inner
	per := ceilDiv(workers*itemsPerWorker, l.Depth)
	size := max(ceilDiv(span, per), serialBelow/2)
	per = ceilDiv(span, size)
	items := l.Depth * per
	forItem := func(item int, fn func(dst, src []S)) {
		c, t0 := item/per, (item%per)*size
		t1 := min(t0+size, span)
		for t := t0; t < t1; {
			o, i := t/l.Inner, t%l.Inner
			n := min(l.Inner-i, t1-t)
			dst, src := p.row(o, c)
			if dst != nil {
				dst = dst[i : i+n]
			}
			fn(dst, src[i:i+n])
			t += n
		}
	}
	if p.find {
		ranges := make([]quant.Bounds[C], items)
		err := work.Do(ctx, workers, items, func(_, item int) {
			lo, hi := C(math.Inf(1)), C(math.Inf(-1))
			forItem(item, func(_, src []S) { lo, hi = p.k.minMax(src, lo, hi) })
			ranges[item] = quant.Bounds[C]{Min: lo, Max: hi}
		})
		if err != nil {
			return err
		}
		for c := range l.Depth {
			lo, hi := C(math.Inf(1)), C(math.Inf(-1))
			for _, r := range ranges[c*per : (c+1)*per] {
				lo, hi = min(lo, r.Min), max(hi, r.Max)
			}
			p.quants[c] = p.quant(c, lo, hi)
		}
	} else {
		for c := range l.Depth {
			p.quants[c] = p.quant(c, 0, 0)
		}
	}
	if !p.write {
		return nil
	}
	return work.Do(ctx, workers, items, func(_, item int) {
		q := p.quants[item/per]
		forItem(item, func(dst, src []S) { p.apply(dst, src, q, p.clamp, p.mode) })
	})
}

// smallSlabs handles short rows with few channels or a small slab
// (depth*inner elements, every channel's row at one outer index): each
// kernel call covers a
// run of whole slabs, against scratch arrays that repeat the slab's
// per-element ranges and parameters, and work items are ranges of outer
// indexes.
func (p *plan[S, C]) smallSlabs(ctx context.Context, workers int) error {
	l := p.l
	slab := l.Depth * l.Inner
	tile := max(1, smallSlab/slab) // slabs per kernel call
	span := tile * slab
	size := max(ceilDiv(l.Outer, workers*itemsPerWorker), ceilDiv(serialBelow/2, slab))
	size = ceilDiv(size, tile) * tile
	items := ceilDiv(l.Outer, size)
	// runs calls fn on the elements of item's outer indexes, at most tile
	// slabs at a time.
	runs := func(item int, fn func(dst, src []S)) {
		for o := item * size; o < min((item+1)*size, l.Outer); o += tile {
			at, end := o*slab, min(o+tile, l.Outer)*slab
			fn(p.dstAt(at, end), p.src[at:end])
		}
	}
	lo, hi := make([]C, slab), make([]C, slab)
	for j := range slab {
		lo[j], hi[j] = C(math.Inf(1)), C(math.Inf(-1))
	}
	if p.find {
		parts := make([]scratchArrays[C], items)
		err := work.Do(ctx, workers, items, func(_, item int) {
			s := &parts[item]
			s.reset(span)
			runs(item, func(_, src []S) { p.k.minMaxEach(s.lo, s.hi, src) })
		})
		if err != nil {
			return err
		}
		for _, s := range parts {
			for j := range span {
				lo[j%slab], hi[j%slab] = min(lo[j%slab], s.lo[j]), max(hi[j%slab], s.hi[j])
			}
		}
	}
	q := quantArrays[C]{make([]C, span), make([]C, span), make([]C, span), make([]C, span)}
	for c := range l.Depth {
		j := c * l.Inner
		var cl, ch C
		if p.find {
			cl, ch = foldRange(lo[j:j+l.Inner], hi[j:j+l.Inner])
		}
		p.quants[c] = p.quant(c, cl, ch)
		for t := range tile {
			q.fill(t*slab+j, l.Inner, p.quants[c])
		}
	}
	if !p.write {
		return nil
	}
	return work.Do(ctx, workers, items, func(_, item int) {
		runs(item, func(dst, src []S) {
			n := len(src)
			p.k.applyEach(dst, src, q.slice(n), p.clamp, p.mode)
		})
	})
}

// slice returns the first n entries of q.
func (q quantArrays[C]) slice(n int) quantArrays[C] {
	return quantArrays[C]{q.Min[:n], q.Max[:n], q.Scale[:n], q.InverseScale[:n]}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Fast implements the backend contract.
var (
	_ quant.Backend = Fast{}
	_ quant.Ranger  = Fast{}
)
