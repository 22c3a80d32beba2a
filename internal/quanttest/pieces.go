package quanttest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// pieceLayouts are the tensors Pieces splits, to reach each way
// quant.Pieces cuts a layout (whole slabs, rows of one slab, parts of one
// row) and the empty layouts.
var pieceLayouts = []quant.Layout{
	{Outer: 1, Depth: 1, Inner: 10_007}, // one channel, split flat
	{Outer: 16, Depth: 1, Inner: 512},   // depth 1: per tensor
	{Outer: 1, Depth: 300, Inner: 33},   // rows of one slab
	{Outer: 24, Depth: 10, Inner: 70},   // several slabs
	{Outer: 500, Depth: 12, Inner: 3},   // short rows
	{Outer: 2000, Depth: 3, Inner: 1},   // tiny slabs
	{Outer: 3, Depth: 2000, Inner: 2},   // many short channels
	{Outer: 7, Depth: 0, Inner: 5},      // no channel
	{Outer: 0, Depth: 3, Inner: 3},      // channels without elements
	{Outer: 4, Depth: 2, Inner: 3000},   // within channels
	{Outer: 100, Depth: 100, Inner: 1},  // last axis
}

// pieceParams are the parameters each layout runs with.
var pieceParams = []quant.Params{signed8, {NumBits: 4, Round: quant.HalfUp}, {Signed: true, NumBits: 13, Narrow: true}}

// pieceLimits returns the piece sizes l is split at: a third of the
// tensor, a prime, and half a row, each giving at most 2,000 pieces.
func pieceLimits(l quant.Layout) []int {
	var limits []int
	for _, limit := range []int{1 + l.Len()/3, 97, 1 + l.Inner/2} {
		if l.Len()/limit <= 2000 && !slices.Contains(limits, limit) {
			limits = append(limits, limit)
		}
	}
	return limits
}

// Pieces runs tensors in pieces as a caller does with one too large for
// a single call: split with quant.Pieces, each piece's ranges found by b
// (as a quant.Ranger) and compared bit for bit with quant.Reference's,
// merged with quant.MergeBounds, turned into parameters with
// quant.QuantOf, and each piece run with them fixed (Request.Quant). The
// output and the parameters must be the bits of one call over the whole
// tensor (with -short, each layout runs with one set of parameters, in
// turn). It runs only when b is also a quant.Ranger; a piece b declines
// is counted (see Stats) and ends that tensor's comparison.
func Pieces(t *testing.T, b quant.Backend) Stats {
	var st Stats
	rg, ok := b.(quant.Ranger)
	if !ok {
		t.Logf("not run: %T is not a quant.Ranger", b)
		return st
	}
	r := rand.New(rand.NewPCG(7, 0x9ec))
	for i, l := range pieceLayouts {
		params := pieceParams
		if testing.Short() { // one set of parameters a layout, in turn
			params = pieceParams[i%len(pieceParams) : i%len(pieceParams)+1]
		}
		for _, p := range params {
			vals := randomValues(r, l.Len(), 3, p.Signed)
			for _, s := range Storages {
				t.Run(fmt.Sprintf("%dx%dx%d/%v/%d-bit", l.Outer, l.Depth, l.Inner, s, p.NumBits), func(t *testing.T) {
					cl := call{storage: s, layout: l, params: p, in: encodeAll(s, vals)}
					want := reference(t, cl)
					for _, limit := range pieceLimits(l) {
						if got, ran := inPieces(t, b, rg, &st, cl, limit); ran {
							same(t, want, got, cl, fmt.Sprintf("%+v in pieces of %d", p, limit))
						}
					}
				})
			}
		}
	}
	return st
}

// encodeAll returns vals rounded once to storage s, as s's bits.
func encodeAll(s quant.Storage, vals []float64) []uint64 {
	bits := make([]uint64, len(vals))
	for i, v := range vals {
		bits[i] = Encode(s, v)
	}
	return bits
}

// inPieces runs cl on b in pieces of at most limit elements; false when
// b declined a piece.
func inPieces(t testing.TB, b quant.Backend, rg quant.Ranger, st *Stats, cl call, limit int) (outcome, bool) {
	t.Helper()
	switch cl.storage {
	case quant.F32:
		return piecesAs(t, f32Format, b, rg, st, cl, limit)
	case quant.F64:
		return piecesAs(t, f64Format, b, rg, st, cl, limit)
	case quant.F16:
		return piecesAs(t, f16Format, b, rg, st, cl, limit)
	}
	return piecesAs(t, bf16Format, b, rg, st, cl, limit)
}

// piecesAs is inPieces for storage f.
func piecesAs[S any, C quant.Float](t testing.TB, f format[S, C], b quant.Backend, rg quant.Ranger, st *Stats, cl call, limit int) (outcome, bool) {
	t.Helper()
	ctx := context.Background()
	src := make([]S, len(cl.in))
	for i, u := range cl.in {
		src[i] = f.fromBits(u)
	}
	l := cl.layout
	merged := make([]quant.Bounds[C], l.Depth)
	for c := range merged {
		merged[c] = quant.EmptyBounds[C]()
	}
	for p := range quant.Pieces(l, limit) {
		part := src[p.First : p.First+p.Layout.Len()]
		got, err := f.ranges(rg)(ctx, part, p.Layout)
		require.NoError(t, err, "ranges of piece %+v", p)
		want, err := f.ranges(quant.Reference{})(ctx, part, p.Layout)
		require.NoError(t, err)
		require.Equal(t, boundsBits(want), boundsBits(got), "ranges of piece %+v (min, max bits)", p)
		for c, bd := range got {
			merged[p.Channel+c] = quant.MergeBounds(merged[p.Channel+c], bd)
		}
	}
	quants := make([]quant.Quant[C], l.Depth)
	for c := range quants {
		quants[c] = quant.QuantOf(cl.params, merged[c])
	}
	dst := make([]S, len(src))
	for p := range quant.Pieces(l, limit) {
		r := quant.Request[C]{Layout: p.Layout, Params: cl.params, Quant: quants[p.Channel : p.Channel+p.Layout.Depth]}
		out, q, err := guarded(t, ctx, f, f.method(b), src[p.First:p.First+p.Layout.Len()], r, false)
		if !st.note(t, err, fmt.Sprintf("piece %+v", p)) {
			return outcome{}, false
		}
		_, want := widen(r.Quant)
		_, got := widen(q)
		require.Equal(t, want, got, "piece %+v returns the parameters it was given", p)
		copy(dst[p.First:], out)
	}
	o := outcome{out: make([]uint64, len(dst))}
	for i, x := range dst {
		o.out[i] = f.bits(x)
	}
	o.quants, o.qbits = widen(quants)
	return o, true
}

// boundsBits returns each range's bits, for exact comparison.
func boundsBits[C quant.Float](b []quant.Bounds[C]) [][2]uint64 {
	bits := make([][2]uint64, len(b))
	for i, x := range b {
		bits[i] = [2]uint64{bitsOf(x.Min), bitsOf(x.Max)}
	}
	return bits
}
