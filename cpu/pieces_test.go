package cpu

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPiecesMatchOneCall splits tensors into pieces of whole outer
// indexes, finds each piece's ranges, merges them, and applies the
// resulting parameters piece by piece: the output and the parameters must
// be the bits one call over the whole tensor gives, with every kernel set
// and with the reference.
func TestPiecesMatchOneCall(t *testing.T) {
	layouts := []Layout{
		{1, 1, 100_000}, // one channel, split flat
		{64, 1, 2048},   // depth 1: per tensor
		{1, 300, 257},   // rows
		{96, 40, 700},   // few channels, long rows
		{2000, 48, 3},   // short rows
		{5000, 3, 1},    // tiny slabs
		{3, 20_000, 2},  // many short channels
		{7, 0, 5},       // empty
		{40, 2, 20_000}, // within channels
		{1000, 1000, 1}, // last axis
	}
	for _, l := range layouts {
		for _, params := range []Params{{Signed: true, NumBits: 8}, {NumBits: 4, Round: HalfUp}} {
			vals := minMaxData(uint64(l.Len()+l.Depth), l.Len())
			src := make([]float32, len(vals))
			for i, v := range vals {
				src[i] = float32(v * 3)
			}
			whole := make([]float32, len(src))
			r := Request[float32]{Layout: l, Params: params}
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
			ReferenceFloat32(ref, src, r)
			require.Equal(t, -1, firstDiff(whole, ref, false), "reference with fixed parameters, %v", l)
		}
	}
}

// inPieces runs r over src in pieces of size outer indexes at a time.
func inPieces(t *testing.T, f Fast, src []float32, r Request[float32], size int) ([]float32, []Quant[float32]) {
	l := r.Layout
	slab := l.Depth * l.Inner
	merged := make([]Bounds[float32], l.Depth)
	for c := range merged {
		merged[c] = EmptyBounds[float32]()
	}
	for o := 0; o < l.Outer; o += size {
		n := min(size, l.Outer-o)
		b, err := f.RangeFloat32(context.Background(), src[o*slab:(o+n)*slab], Layout{n, l.Depth, l.Inner})
		require.NoError(t, err)
		for c := range merged {
			merged[c] = MergeBounds(merged[c], b[c])
		}
	}
	r.Quant = make([]Quant[float32], l.Depth)
	for c := range merged {
		r.Quant[c] = QuantOf(r.Params, merged[c])
	}
	dst := make([]float32, len(src))
	for o := 0; o < l.Outer; o += size {
		n := min(size, l.Outer-o)
		piece := r
		piece.Layout = Layout{n, l.Depth, l.Inner}
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

func quantBits(q []Quant[float32]) [][4]uint32 {
	b := make([][4]uint32, len(q))
	for i, x := range q {
		b[i] = [4]uint32{math.Float32bits(x.Min), math.Float32bits(x.Max), math.Float32bits(x.Scale), math.Float32bits(x.Inv)}
	}
	return b
}
