package qdqtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
)

// Reference returns a runner for the CPU reference implementation, the
// oracle.
var reference = sync.OnceValue(func() *qdq.Engine {
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Reference: true})
	if err != nil {
		panic(err) // the CPU backend always exists
	}
	return e
})

// Reference runs a call on the reference implementation.
func Reference(t testing.TB, in qdq.Tensor, o qdq.Options) (qdq.Tensor, qdq.Result, error) {
	t.Helper()
	return Call(t, reference().RunInto, in, o)
}

// shaped is a shape and axis chosen to reach a particular way the fast
// path splits work.
type shaped struct {
	shape []int
	axis  int
}

// largeShapes reach every work split of the fast path with more elements
// than it runs on one goroutine.
var largeShapes = []shaped{
	{[]int{50021}, -1},        // per tensor
	{[]int{1, 40000}, 1},      // one element per channel
	{[]int{40000, 3}, 1},      // few channels, inner 1
	{[]int{3, 40000}, 0},      // few channels, long rows
	{[]int{64, 1000}, 0},      // many channels, one row each
	{[]int{10, 64, 100}, 1},   // many channels, several rows each
	{[]int{1000, 40, 4}, 1},   // many channels, short rows
	{[]int{2, 9000, 3}, 1},    // many channels, short rows, two slabs
	{[]int{4, 4, 4, 1000}, 3}, // axis last
	{[]int{7, 5, 3, 331}, 2},  // odd sizes
	{[]int{33000, 1}, 0},      // one element per channel, outer 1
	{[]int{5, 1, 7000}, 1},    // depth 1 with a middle axis
	{[]int{2, 17, 19, 61}, 0}, // few channels, mid-sized rows
	{[]int{65537}, 0},         // 65,537 channels of one element
	{[]int{2, 16, 1100}, 1},   // depth at the split threshold
	{[]int{3, 7, 1600}, 1},    // depth just under it
	{[]int{40000, 2, 1}, 1},   // tiny slabs
}

// genCase draws a random call: dtype, shape, axis, attributes and data.
func genCase(t testing.TB, r *rand.Rand) (qdq.Tensor, qdq.Options) {
	dtype := DTypes[r.IntN(len(DTypes))]
	var s shaped
	if r.IntN(6) == 0 {
		s = largeShapes[r.IntN(len(largeShapes))]
	} else {
		rank := r.IntN(5)
		s.shape = make([]int, rank)
		for i := range s.shape {
			s.shape[i] = r.IntN(7)
			if r.IntN(8) == 0 {
				s.shape[i] = 1 + r.IntN(40)
			}
		}
		s.axis = -1
		if rank > 0 && r.IntN(3) > 0 {
			s.axis = r.IntN(rank)
		}
	}
	n := 1
	for _, d := range s.shape {
		n *= d
	}
	o := qdq.Options{SignedInput: r.IntN(2) == 0, NarrowRange: r.IntN(3) == 0, Axis: s.axis}
	if r.IntN(2) == 0 {
		o.RoundMode = qdq.HalfUp
	}
	switch r.IntN(4) {
	case 0:
		o.NumBits = 1 + r.IntN(61)
	default:
		o.NumBits = 2 + r.IntN(15)
	}
	if o.NumBits == 1 && o.SignedInput {
		o.NarrowRange = false
	}
	scale := math.Ldexp(1, r.IntN(40)-20)
	vals := make([]float64, n)
	special := []float64{nan, 0, negZ, inf, -inf, 0x1p-140, -0x1p-149, 0x1p-20, 1e-300, 0.5, -0.5}
	pSpecial := []int{0, 50, 1000}[r.IntN(3)]
	for i := range vals {
		switch {
		case pSpecial > 0 && r.IntN(pSpecial) == 0:
			vals[i] = special[r.IntN(len(special))]
			if math.IsInf(vals[i], 0) && r.IntN(4) > 0 {
				vals[i] = nan // keep infinities rarer: they turn whole channels to NaN
			}
		case r.IntN(2) == 0:
			vals[i] = r.NormFloat64() * scale
		default:
			vals[i] = (r.Float64()*2 - 1) * scale
		}
		if !o.SignedInput && r.IntN(4) > 0 {
			vals[i] = math.Abs(vals[i])
		}
	}
	if r.IntN(5) < 2 {
		o.RangeGiven = true
		depth := 1
		if s.axis >= 0 {
			depth = s.shape[s.axis]
		}
		o.InputMin, o.InputMax = make([]float64, depth), make([]float64, depth)
		for c := range depth {
			a, b := Round(dtype, r.NormFloat64()*scale), Round(dtype, r.NormFloat64()*scale)
			if r.IntN(6) == 0 {
				b = a
			}
			o.InputMin[c], o.InputMax[c] = min(a, b), max(a, b)
		}
	}
	return Tensor(t, dtype, s.shape, vals), o
}

// Random compares run with the reference on randomised calls (fixed
// seeds): outputs and per-channel results bit for bit.
func Random(t *testing.T, run Runner) {
	cases := 400
	if testing.Short() {
		cases = 100
	}
	for seed := range uint64(cases) {
		r := rand.New(rand.NewPCG(seed, 0x51ed))
		in, o := genCase(t, r)
		name := fmt.Sprintf("seed %d %v %v axis %d", seed, in.DType(), in.Shape(), o.Axis)
		want, wantRes, wantErr := Reference(t, in, o)
		require.NoError(t, wantErr, name)
		got, gotRes, err := Call(t, run, in, o)
		require.NoError(t, err, name)
		i, ok := Same(want, got)
		if !ok {
			t.Fatalf("%s (%+v): element %d: got %v, want %v (input %v)", name, o, i, got.Float64At(i), want.Float64At(i), in.Float64At(i))
		}
		require.Len(t, gotRes.Channels, len(wantRes.Channels), name)
		for c, w := range wantRes.Channels {
			g := gotRes.Channels[c]
			ok := SameValue(w.Min, g.Min) && SameValue(w.Max, g.Max) && SameValue(w.Scale, g.Scale) && SameValue(w.InverseScale, g.InverseScale)
			require.True(t, ok, "%s: channel %d: got %+v, want %+v", name, c, g, w)
		}
	}
}

// HalfPrecision checks the rule for float16 and bfloat16: widen exactly,
// compute in float32, round the result once. A 16-bit call must equal the
// float32 call on the widened values, rounded.
func HalfPrecision(t *testing.T, run Runner) {
	for _, dtype := range []qdq.DType{qdq.F16, qdq.BF16} {
		for seed := range uint64(40) {
			r := rand.New(rand.NewPCG(seed, 0x16))
			in16, o := genCase(t, r)
			for in16.DType() != dtype {
				in16, o = genCase(t, r)
			}
			in32 := Tensor(t, qdq.F32, in16.Shape(), Values(in16))
			out16, res16, err := Call(t, run, in16, o)
			require.NoError(t, err)
			out32, res32, err := Call(t, run, in32, o)
			require.NoError(t, err)
			for i := range out16.Len() {
				want := Round(dtype, out32.Float64At(i))
				require.True(t, SameValue(want, out16.Float64At(i)), "%v seed %d element %d: got %v, want %v", dtype, seed, i, out16.Float64At(i), want)
			}
			assert.Equal(t, len(res32.Channels), len(res16.Channels))
			for c := range res16.Channels {
				a, b := res32.Channels[c], res16.Channels[c]
				assert.True(t, SameValue(a.Min, b.Min) && SameValue(a.Max, b.Max) && SameValue(a.Scale, b.Scale) &&
					SameValue(a.InverseScale, b.InverseScale), "%v seed %d channel %d: %+v vs float32 %+v", dtype, seed, c, b, a)
			}
		}
	}
}
