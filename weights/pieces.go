package weights

import (
	"context"
	"fmt"
	"slices"
	"unsafe"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/internal/work"
)

// input returns the tensor bytes [off, off+n) of the data buffer as a
// slice aligned for the job's dtype, recording any pooled copy in seg.
func (r *run) input(seg *segment, j *job, off, n int64) ([]byte, error) {
	b, copied, err := r.in.Bytes(r.hdr.DataOffset+off, n)
	if err != nil {
		return nil, fileError(r.src, j.t.Name, err)
	}
	r.in.Prefetch(r.hdr.DataOffset+off, n)
	if !copied && n > 0 && uintptr(unsafe.Pointer(&b[0]))%uintptr(j.dtype.Size()) != 0 {
		// A header whose length is not a multiple of 8 leaves the data
		// unaligned; the kernels need aligned elements.
		a := r.buffer(seg, n)
		copy(a, b)
		b = a
	}
	return b, nil
}

// buffer returns an aligned buffer of n bytes, pooled when it fits a
// piece, recorded in seg (when not nil) to be given back once written.
func (r *run) buffer(seg *segment, n int64) []byte {
	b := r.pool.get(n)
	if seg != nil {
		seg.bufs = append(seg.bufs, b)
	}
	return b
}

// tensors views src and dst, the bytes of a piece of j with layout l, as
// tensors, with the options that run the piece as the layout's own
// tensor: shape [outer, depth, inner] along axis 1, or the flat piece of
// a tensor with one range.
func tensors(j *job, l quant.Layout, dst, src []byte) (out, in qdq.Tensor, o qdq.Options, err error) {
	o = j.opts
	shape := []int{l.Outer, l.Depth, l.Inner}
	if o.PerChannel {
		o.Axis = 1
	} else {
		shape = []int{l.Len()}
	}
	if in, err = qdq.TensorFromBytes(j.dtype, shape, src); err != nil {
		return out, in, o, err
	}
	out, err = qdq.TensorFromBytes(j.dtype, shape, dst)
	return out, in, o, err
}

// runWhole fake-quantizes a whole tensor in one engine call.
func (r *run) runWhole(ctx context.Context, seg *segment) error {
	j := seg.job
	size := j.t.End - j.t.Begin
	src, err := r.input(seg, j, j.t.Begin, size)
	if err != nil {
		return err
	}
	dst := r.buffer(seg, size)
	in, err := qdq.TensorFromBytes(j.dtype, j.t.Shape, src)
	if err != nil {
		return fileError(r.src, j.t.Name, err)
	}
	out, err := qdq.TensorFromBytes(j.dtype, j.t.Shape, dst)
	if err != nil {
		return fileError(r.src, j.t.Name, err)
	}
	if seg.res, err = r.e.RunInto(ctx, out, in, j.opts); err != nil {
		return fileError(r.src, j.t.Name, err)
	}
	if seg.stats, err = qdq.Measure(in, out); err != nil {
		return fileError(r.src, j.t.Name, err)
	}
	seg.data = dst
	return nil
}

// producePieces queues a tensor too large for one call as pieces of whole
// slabs or rows (part of a row where a row is larger than a piece).
// Unless the range is given, a first pass finds every channel's range.
func (r *run) producePieces(ctx context.Context, j *job) error {
	size := int64(j.dtype.Size())
	elems := int(max(r.piece/size, 1))
	var ranges []qdq.Range
	if !j.opts.RangeGiven {
		var err error
		if ranges, err = r.findRanges(ctx, j, elems); err != nil {
			return err
		}
	}
	fallback := ""
	if r.e.Backend() == qdq.GPU {
		fallback = fmt.Sprintf("its %d bytes are beyond a third of the memory limit, so it ran in pieces on the CPU", j.t.End-j.t.Begin)
	}
	for p := range quant.Pieces(j.layout, elems) {
		off := j.t.Begin + int64(p.First)*size
		n := int64(p.Layout.Len()) * size
		seg := &segment{job: j, off: off, last: off+n == j.t.End, c0: p.Channel}
		err := r.launch(ctx, seg, 2*n, func() error {
			src, err := r.input(seg, j, off, n)
			if err != nil {
				return err
			}
			dst := r.buffer(seg, n)
			if err := r.runPiece(ctx, seg, p, dst, src, ranges); err != nil {
				return fileError(r.src, j.t.Name, err)
			}
			if ranges != nil {
				seg.res.Fallback = fallback // ranges fixed beforehand always run on the CPU
			}
			seg.data = dst
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// runPiece fake-quantizes piece p of seg's tensor from src into dst, with
// the tensor's channels' ranges (nil when the range is given). A GPU
// engine takes a piece with a given range whole, as does the reference;
// otherwise the piece runs in cache-sized pieces of its own spread over
// the workers, the error of each measured while it is in cache.
func (r *run) runPiece(ctx context.Context, seg *segment, p quant.Piece, dst, src []byte, ranges []qdq.Range) error {
	j := seg.job
	if r.e.Kernels() == "reference" || (r.e.Backend() == qdq.GPU && ranges == nil) || !fewChannels(p.Layout) {
		out, in, o, err := tensors(j, p.Layout, dst, src)
		if err != nil {
			return err
		}
		o = pieceOptions(o, j.opts, p)
		if ranges != nil {
			seg.res, err = r.e.RunIntoRanges(ctx, out, in, o, ranges[p.Channel:p.Channel+p.Layout.Depth])
		} else {
			seg.res, err = r.e.RunInto(ctx, out, in, o)
		}
		if err != nil {
			return err
		}
		seg.stats, err = qdq.Measure(in, out)
		return err
	}
	var err error
	seg.res, seg.stats, err = r.runCachePieces(ctx, j, p, dst, src, ranges)
	return err
}

// pieceOptions returns the options of piece p of a tensor run with opts
// (o with its axis set for the piece's layout): the piece's channels'
// given ranges.
func pieceOptions(o, opts qdq.Options, p quant.Piece) qdq.Options {
	if opts.RangeGiven && opts.PerChannel {
		o.InputMin, o.InputMax = channels(opts.InputMin, p), channels(opts.InputMax, p)
	}
	return o
}

// channels returns the values of piece p's channels, or the one value
// that applies to every channel.
func channels(vals []float64, p quant.Piece) []float64 {
	if len(vals) == 1 {
		return vals
	}
	return vals[p.Channel : p.Channel+p.Layout.Depth]
}

// cachePieceElems is the size of the pieces runCachePieces gives each
// worker: small enough that a piece's input and output are still in cache
// when its error
// is measured, and that the engine runs it on one goroutine (it splits
// calls of 2^15 elements or more), a multiple of 64 elements so that
// every piece starts aligned for the widest vectors.
const cachePieceElems = 1<<15 - 64

// fewChannels reports whether the cache-sized pieces of l hold at least
// 64 elements of each of their channels. Each call reports every
// channel's parameters, so cache-sized pieces of a layout with many short
// channels (the last axis of a wide matrix) would make more garbage than
// they hold data: such a piece runs as one call instead, spread over the
// workers by the engine.
func fewChannels(l quant.Layout) bool {
	slab := l.Depth * l.Inner
	perChannel := l.Inner // a piece of whole rows, or of a row
	if slab <= cachePieceElems {
		perChannel = cachePieceElems / slab * l.Inner
	}
	return l.Depth == 1 || min(perChannel, l.Outer*l.Inner) >= 64
}

// runCachePieces runs piece p in pieces of about cachePieceElems elements
// spread over the engine's workers, through RunIntoRanges when the range
// comes from the data (ranges over the whole tensor) and RunInto when it
// is given; each worker measures its piece's error right after computing
// it.
func (r *run) runCachePieces(ctx context.Context, j *job, p quant.Piece, dst, src []byte, ranges []qdq.Range) (qdq.Result, qdq.ErrorStats, error) {
	small := slices.Collect(quant.Pieces(p.Layout, cachePieceElems))
	stats := make([]qdq.ErrorStats, len(small))
	results := make([]qdq.Result, len(small))
	errs := make([]error, len(small))
	size := j.dtype.Size()
	err := work.Do(ctx, r.e.Workers(), len(small), func(_, i int) {
		results[i], stats[i], errs[i] = r.runCachePiece(ctx, j, p, small[i], dst, src, size, ranges)
	})
	if err != nil {
		return qdq.Result{}, qdq.ErrorStats{}, err
	}
	res := qdq.Result{Backend: qdq.CPU, Channels: make([]qdq.Channel, p.Layout.Depth)}
	var total qdq.ErrorStats
	for i, q := range small {
		if errs[i] != nil {
			return qdq.Result{}, qdq.ErrorStats{}, errs[i]
		}
		// Summed in a fixed order, so the figures do not depend on timing;
		// pieces of one channel report the same parameters.
		total.Add(stats[i])
		copy(res.Channels[q.Channel:], results[i].Channels)
	}
	return res, total, nil
}

// runCachePiece runs piece q of piece p (offsets relative to p).
func (r *run) runCachePiece(ctx context.Context, j *job, p, q quant.Piece, dst, src []byte, size int, ranges []qdq.Range) (qdq.Result, qdq.ErrorStats, error) {
	a, b := q.First*size, (q.First+q.Layout.Len())*size
	out, in, o, err := tensors(j, q.Layout, dst[a:b], src[a:b])
	if err != nil {
		return qdq.Result{}, qdq.ErrorStats{}, err
	}
	first := p.Channel + q.Channel // q's first channel in the tensor
	var res qdq.Result
	if ranges != nil {
		res, err = r.e.RunIntoRanges(ctx, out, in, o, ranges[first:first+q.Layout.Depth])
	} else {
		res, err = r.e.RunInto(ctx, out, in, pieceOptions(o, j.opts, quant.Piece{Layout: q.Layout, Channel: first}))
	}
	if err != nil {
		return qdq.Result{}, qdq.ErrorStats{}, err
	}
	stats, err := qdq.Measure(in, out)
	return res, stats, err
}

// findRanges finds every channel's range over the tensor, piece by piece.
func (r *run) findRanges(ctx context.Context, j *job, elems int) ([]qdq.Range, error) {
	size := int64(j.dtype.Size())
	ranges := make([]qdq.Range, j.layout.Depth)
	for c := range ranges {
		ranges[c] = qdq.EmptyRange()
	}
	// A tensor within a quarter of the budget keeps its pages mapped for
	// the second pass; a larger one gives them back as it goes.
	release := j.t.End-j.t.Begin > r.budget.size/4
	for p := range quant.Pieces(j.layout, elems) {
		off, n := j.t.Begin+int64(p.First)*size, int64(p.Layout.Len())*size
		seg := &segment{}
		src, err := r.input(seg, j, off, n)
		if err != nil {
			return nil, err
		}
		err = r.foldRanges(ctx, j, p, src, ranges)
		if release {
			r.in.Release(r.hdr.DataOffset+off, n)
		}
		for _, b := range seg.bufs {
			r.pool.put(b)
		}
		if err != nil {
			return nil, fileError(r.src, j.t.Name, err)
		}
	}
	return ranges, nil
}

// foldRanges merges the ranges of piece p, whose bytes are src, into
// ranges.
func (r *run) foldRanges(ctx context.Context, j *job, p quant.Piece, src []byte, ranges []qdq.Range) error {
	_, in, o, err := tensors(j, p.Layout, src, src)
	if err != nil {
		return err
	}
	got, err := r.e.Ranges(ctx, in, o)
	if err != nil {
		return err
	}
	for c, g := range got {
		ranges[p.Channel+c] = ranges[p.Channel+c].Merge(g)
	}
	return nil
}
