package cpu

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// TestPiecesMatchOneCall splits tensors into pieces of whole outer
// indexes, finds each piece's ranges, merges them, and applies the
// resulting parameters piece by piece: the output and the parameters must
// be the bits one call over the whole tensor gives, with every kernel set
// and with the reference.
func TestPiecesMatchOneCall(t *testing.T) {
	layouts := []quant.Layout{
		{Outer: 1, Depth: 1, Inner: 100_000}, // one channel, split flat
		{Outer: 64, Depth: 1, Inner: 2048},   // depth 1: per tensor
		{Outer: 1, Depth: 300, Inner: 257},   // rows
		{Outer: 96, Depth: 40, Inner: 700},   // few channels, long rows
		{Outer: 2000, Depth: 48, Inner: 3},   // short rows
		{Outer: 5000, Depth: 3, Inner: 1},    // tiny slabs
		{Outer: 3, Depth: 20_000, Inner: 2},  // many short channels
		{Outer: 7, Depth: 0, Inner: 5},       // empty
		{Outer: 40, Depth: 2, Inner: 20_000}, // within channels
		{Outer: 1000, Depth: 1000, Inner: 1}, // last axis
	}
	for _, l := range layouts {
		for _, params := range []quant.Params{{Signed: true, NumBits: 8}, {NumBits: 4, Round: quant.HalfUp}} {
			vals := minMaxData(uint64(l.Len()+l.Depth), l.Len())
			src := make([]float32, len(vals))
			for i, v := range vals {
				src[i] = float32(v * 3)
			}
			whole := make([]float32, len(src))
			r := quant.Request[float32]{Layout: l, Params: params}
			want, err := Fast{}.Float32(context.Background(), whole, src, r)
			require.NoError(t, err)
			for _, kernels := range KernelSets() {
				f := Fast{Kernels: kernels, Workers: 3}
				got, quants := inPieces(t, f, src, r, 1+l.Outer/3)
				require.Equal(t, -1, firstDiff(whole, got, false), "%v %+v %s", l, params, kernels)
				require.Equal(t, quantBits(want), quantBits(quants), "%v %+v %s", l, params, kernels)
			}
			ref := make([]float32, len(src))
			r.Quant = want
			_, err = quant.Reference{}.Float32(context.Background(), ref, src, r)
			require.NoError(t, err)
			require.Equal(t, -1, firstDiff(whole, ref, false), "reference with fixed parameters, %v", l)
		}
	}
}

// inPieces runs r over src in pieces of size outer indexes at a time.
func inPieces(t *testing.T, f Fast, src []float32, r quant.Request[float32], size int) ([]float32, []quant.Quant[float32]) {
	l := r.Layout
	slab := l.Depth * l.Inner
	merged := make([]quant.Bounds[float32], l.Depth)
	for c := range merged {
		merged[c] = quant.EmptyBounds[float32]()
	}
	for o := 0; o < l.Outer; o += size {
		n := min(size, l.Outer-o)
		b, err := f.RangeFloat32(context.Background(), src[o*slab:(o+n)*slab], quant.Layout{Outer: n, Depth: l.Depth, Inner: l.Inner})
		require.NoError(t, err)
		for c := range merged {
			merged[c] = quant.MergeBounds(merged[c], b[c])
		}
	}
	r.Quant = make([]quant.Quant[float32], l.Depth)
	for c := range merged {
		r.Quant[c] = quant.QuantOf(r.Params, merged[c])
	}
	dst := make([]float32, len(src))
	for o := 0; o < l.Outer; o += size {
		n := min(size, l.Outer-o)
		piece := r
		piece.Layout = quant.Layout{Outer: n, Depth: l.Depth, Inner: l.Inner}
		got, err := f.Float32(context.Background(), dst[o*slab:(o+n)*slab], src[o*slab:(o+n)*slab], piece)
		require.NoError(t, err)
		require.Equal(t, quantBits(r.Quant), quantBits(got))
	}
	return dst, r.Quant
}

// firstDiff returns the first index where a and b differ in bits (any
// NaN matching any NaN when anyNaN is set), or -1.
func firstDiff(a, b []float32, anyNaN bool) int {
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	for i := range a {
		if anyNaN && a[i] != a[i] && b[i] != b[i] {
			continue
		}
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i
		}
	}
	return -1
}

func quantBits(q []quant.Quant[float32]) [][4]uint32 {
	b := make([][4]uint32, len(q))
	for i, x := range q {
		b[i] = [4]uint32{math.Float32bits(x.Min), math.Float32bits(x.Max), math.Float32bits(x.Scale), math.Float32bits(x.Inv)}
	}
	return b
}
