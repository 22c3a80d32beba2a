package quant

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestKeysOrderAsValues checks that the sortable keys order as the
// values do, -0 just below +0, and that unkeying gives the bits back.
func TestKeysOrderAsValues(t *testing.T) {
	vals := []float64{math.Inf(-1), -math.MaxFloat64, -1e300, -3, -1, -0x1p-1074, math.Copysign(0, -1), 0, 0x1p-1074, 1e-300, 1, 3, math.MaxFloat64, math.Inf(1)}
	var k64 []int64
	var k32 []int32
	for _, v := range vals {
		k64 = append(k64, Key64(v))
		require.Equal(t, math.Float64bits(v), math.Float64bits(Unkey64(Key64(v))))
		f := float32(v)
		k32 = append(k32, Key32(f))
		require.Equal(t, math.Float32bits(f), math.Float32bits(Unkey32(Key32(f))))
	}
	require.True(t, slices.IsSorted(k64), "float64 keys %v", k64)
	require.True(t, slices.IsSorted(k32), "float32 keys %v", k32)
	require.Less(t, Key64(math.Copysign(0, -1)), Key64(0))
	require.Less(t, Key32(float32(math.Copysign(0, -1))), Key32(0))
	r := newRand(1)
	for range 10000 {
		a, b := math.Float64frombits(r.Uint64()), math.Float64frombits(r.Uint64())
		if a != a || b != b || a == b {
			continue
		}
		require.Equal(t, a < b, Key64(a) < Key64(b), "%g %g", a, b)
		x, y := math.Float32frombits(r.Uint32()), math.Float32frombits(r.Uint32())
		if x != x || y != y || x == y {
			continue
		}
		require.Equal(t, x < y, Key32(x) < Key32(y), "%g %g", x, y)
	}
}
