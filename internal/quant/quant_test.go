package quant

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLevels(t *testing.T) {
	cases := []struct {
		p          Params
		minQ, maxQ int64
	}{
		{Params{Signed: true, NumBits: 8}, -128, 127},
		{Params{Signed: true, NumBits: 8, Narrow: true}, -127, 127},
		{Params{NumBits: 8}, 0, 255},
		{Params{Signed: true, NumBits: 1}, -1, 0},
		{Params{NumBits: 62}, 0, 1<<62 - 1},
		{Params{Signed: true, NumBits: 61}, -1 << 60, 1<<60 - 1},
	}
	for _, c := range cases {
		lo, hi := c.p.Levels()
		require.Equal(t, [2]int64{c.minQ, c.maxQ}, [2]int64{lo, hi}, "%+v", c.p)
	}
}

// TestQuantOfEmptyIsNaN checks that a channel with no value gets a NaN
// range and inverse scale (the scale stays the largest float, as no
// comparison with NaN holds), and that merging ranges is a fold from EmptyBounds.
func TestQuantOfEmptyIsNaN(t *testing.T) {
	p := Params{Signed: true, NumBits: 8}
	q := QuantOf(p, EmptyBounds[float32]())
	require.True(t, q.Min != q.Min && q.Max != q.Max && q.InverseScale != q.InverseScale && q.Scale == MaxFloat[float32](), "%+v", q)
	b := MergeBounds(EmptyBounds[float64](), Bounds[float64]{Min: -1, Max: 2})
	b = MergeBounds(b, Bounds[float64]{Min: math.Copysign(0, -1), Max: 3})
	require.Equal(t, Bounds[float64]{Min: -1, Max: 3}, b)
	require.Equal(t, ComputeQuant[float64](-128, 127, -1, 3), QuantOf(p, b))
}

// TestReferenceRanges checks the reference's ranges: NaNs ignored, -0
// below +0, an all-NaN channel empty.
func TestReferenceRanges(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	nan := float32(math.NaN())
	src := []float32{nan, 0, negZero, 2, nan, nan, 1, -5}
	got, err := Reference{}.RangeFloat32(context.Background(), src, Layout{Outer: 2, Depth: 2, Inner: 2})
	require.NoError(t, err)
	// Channel 0: nan, 0, nan, nan; channel 1: -0, 2, 1, -5.
	require.Equal(t, float32(0), got[0].Min)
	require.False(t, math.Signbit(float64(got[0].Min)))
	require.Equal(t, Bounds[float32]{Min: -5, Max: 2}, got[1])
	got, err = Reference{}.RangeFloat32(context.Background(), []float32{nan, nan}, Layout{Outer: 1, Depth: 1, Inner: 2})
	require.NoError(t, err)
	require.Equal(t, EmptyBounds[float32](), got[0])
	got, err = Reference{}.RangeFloat32(context.Background(), []float32{0, negZero}, Layout{Outer: 1, Depth: 1, Inner: 2})
	require.NoError(t, err)
	require.True(t, math.Signbit(float64(got[0].Min)) && !math.Signbit(float64(got[0].Max)), "%v", got[0])
}

func TestReferenceHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Reference{}.Float32(ctx, make([]float32, 4), make([]float32, 4), Request[float32]{Layout: Layout{Outer: 1, Depth: 1, Inner: 4}, Params: Params{Signed: true, NumBits: 8}})
	require.ErrorIs(t, err, context.Canceled)
}

func TestStorage(t *testing.T) {
	for s, want := range map[Storage][2]any{F32: {"float32", 4}, F64: {"float64", 8}, F16: {"float16", 2}, BF16: {"bfloat16", 2}, 0: {"invalid", 0}} {
		require.Equal(t, want, [2]any{s.String(), s.Size()})
	}
}
