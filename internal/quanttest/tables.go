package quanttest

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

var (
	nan  = math.NaN()
	inf  = math.Inf(1)
	negZ = math.Copysign(0, -1)
	// made is the NaN the arithmetic makes (0·Inf), x86's default NaN:
	// the sign bit set, quiet, no payload, in every storage.
	made = math.Float64frombits(0xfff8000000000000)
	// payload is a negative quiet NaN with a payload that survives the
	// narrowing to every storage.
	payload = math.Float64frombits(0xfffd234560000000)
)

var (
	// signed8 is the operation's default: signed 8 bits, HALF_TO_EVEN.
	signed8 = quant.Params{Signed: true, NumBits: 8}
	// unsigned8 is unsigned 8 bits.
	unsigned8 = quant.Params{NumBits: 8}
	// signed8HalfUp is signed 8 bits, HALF_UP.
	signed8HalfUp = quant.Params{Signed: true, NumBits: 8, Round: quant.HalfUp}
	// float32 only; float64 only; every storage computed in float32.
	onlyF32  = []quant.Storage{quant.F32}
	onlyF64  = []quant.Storage{quant.F64}
	notF64   = []quant.Storage{quant.F32, quant.F16, quant.BF16}
	minusOne = []float64{-1}
	one      = []float64{1}
)

// f32 rounds to float32, for expected values computed in float32.
func f32(x float32) float64 { return float64(x) }

// WorkedExamples are the seed document's examples.
func WorkedExamples(t *testing.T, b quant.Backend) Stats {
	return RunCases(t, b, []Case{
		{
			Name: "[-10,5] scale 12.8 max 9.921875", Storages: onlyF32, Axis: PerTensor, Params: signed8,
			In: []float64{-10, 5}, Want: []float64{-10, 5},
			Quant: &quant.Quant[float64]{Min: -10, Max: 9.921875, Scale: f32(12.8), InverseScale: 0.078125},
		},
		{
			Name: "[-10,10] scale 12.7", Storages: onlyF32, Axis: PerTensor, Params: signed8,
			In: []float64{-10, 10}, Want: []float64{-10, 10},
			Check: func(t *testing.T, _ []float64, q []quant.Quant[float64]) {
				assert.Equal(t, f32(12.7), q[0].Scale)
				assert.InDelta(t, -10.07874, q[0].Min, 1e-5)
				inv := float32(10) / float32(127) // the max side wins
				assert.Equal(t, float64(float32(-128)*inv), q[0].Min, "min = min_q * inverse, in float32")
				assert.Equal(t, 10.0, q[0].Max)
			},
		},
		{
			Name: "unsigned forces min to 0", Storages: onlyF32, Axis: PerTensor, Params: unsigned8,
			In:    []float64{-1, 2},
			Quant: &quant.Quant[float64]{Min: 0, Max: 2, Scale: 127.5, InverseScale: f32(2.0 / 255)},
			Check: func(t *testing.T, out []float64, _ []quant.Quant[float64]) {
				assert.Less(t, out[0], -1.0, "no clamping without a given range: -1 passes below min")
			},
		},
	})
}

// Decisions covers each row of the definition's decision table, and the
// empty and rank-0 tensors.
func Decisions(t *testing.T, b quant.Backend) Stats {
	st := RunCases(t, b, decisions)
	st.Add(RunCases(t, b, decisionsWithRanges))
	return st
}

// decisions are the rows with the range from the data.
var decisions = []Case{
	{
		Name: "NaN takes no part in the range and gives NaN", Axis: PerTensor, Params: signed8,
		In: []float64{nan, -1, 0.5}, Want: []float64{nan, -1, 0.5},
		Quant: &quant.Quant[float64]{Min: -1, Max: 127.0 / 128, Scale: 128, InverseScale: 1.0 / 128},
	},
	{
		Name: "all-NaN channel is NaN", Shape: []int{2, 2}, Axis: 0, Params: signed8,
		In: []float64{nan, nan, 1, 2}, Want: []float64{nan, nan},
		Check: func(t *testing.T, _ []float64, q []quant.Quant[float64]) {
			require.Len(t, q, 2)
			assert.True(t, math.IsNaN(q[0].Min) && math.IsNaN(q[0].Max))
			assert.Equal(t, 2.0, q[1].Max)
		},
	},
	{
		Name: "-0 orders below +0 whatever the order", Axis: PerTensor, Params: signed8,
		In: []float64{0, negZ, 0}, Want: []float64{0, negZ, 0},
		Check: func(t *testing.T, _ []float64, q []quant.Quant[float64]) {
			assert.True(t, !math.Signbit(q[0].Max) && q[0].Max == 0, "max is +0")
			assert.Equal(t, 0.0, q[0].InverseScale)
			assert.False(t, math.Signbit(q[0].InverseScale))
		},
	},
	{
		Name: "all -0 gives +0 (inverse scale is -0)", Storages: notF64, Axis: PerTensor, Params: signed8,
		In: []float64{negZ, negZ}, Want: []float64{0, 0},
		Quant: &quant.Quant[float64]{Min: 0, Max: negZ, Scale: math.MaxFloat32, InverseScale: negZ},
	},
	{
		Name: "+Inf in data makes every output NaN", Axis: PerTensor, Params: signed8,
		In: []float64{inf, 1, -2}, Want: []float64{made, made, made},
	},
	{
		Name: "a NaN input comes out as itself, sign and payload kept", Axis: PerTensor, Params: signed8,
		In: []float64{payload, 1, -2, nan}, Want: []float64{payload, 127.0 / 127, -2, nan},
	},
	{
		Name: "-Inf unsigned with a finite max stays -Inf", Axis: PerTensor, Params: unsigned8,
		In: []float64{-inf, 1, 2}, Want: []float64{-inf},
		Check: func(t *testing.T, out []float64, _ []quant.Quant[float64]) {
			assert.InDelta(t, 1, out[1], 0.01)
			assert.InDelta(t, 2, out[2], 0.01)
		},
	},
	{
		Name: "negative values rounding to zero give -0", Axis: PerTensor, Params: signed8,
		In: []float64{-0.001, 127}, Want: []float64{negZ, 127},
	},
	{
		Name: "denormals are not flushed", Storages: onlyF32, Axis: PerTensor, Params: signed8,
		In: []float64{1e-36, 5e-37, -1e-36},
		Check: func(t *testing.T, out []float64, q []quant.Quant[float64]) {
			inv := q[0].InverseScale
			assert.Less(t, inv, 0x1p-126, "the inverse scale is subnormal")
			assert.Greater(t, inv, 0.0)
			assert.InDelta(t, 5e-37, out[1], inv)
			assert.NotZero(t, out[1])
		},
	},
	{
		Name: "all zeros give zeros (scale MAX, inverse 0)", Storages: onlyF64, Axis: PerTensor, Params: signed8,
		In: []float64{0, 0}, Want: []float64{0, 0},
		Quant: &quant.Quant[float64]{Min: negZ, Max: 0, Scale: math.MaxFloat64, InverseScale: 0},
	},
	{
		Name: "constant input is reproduced", Storages: notF64, Axis: PerTensor, Params: signed8,
		In: []float64{3, 3}, Want: []float64{3, 3},
	},
	{
		Name: "huge range", Storages: onlyF32, Axis: PerTensor, Params: signed8,
		In: []float64{-3e38, 3e38, 1e30},
		Check: func(t *testing.T, out []float64, q []quant.Quant[float64]) {
			assert.InEpsilon(t, 3e38, out[1], 1e-6)
			assert.Equal(t, 0.0, out[2], "1e30 is below half a level")
			assert.False(t, math.IsInf(q[0].InverseScale, 0))
		},
	},
	{
		Name: "tiny range overflows the scale to +Inf", Storages: onlyF32, Axis: PerTensor, Params: signed8,
		In: []float64{1e-40, -1e-40, 0}, Want: []float64{inf, -inf, made},
		Check: func(t *testing.T, _ []float64, q []quant.Quant[float64]) {
			assert.True(t, math.IsInf(q[0].Scale, 1))
		},
	},
	{
		Name: "empty", Shape: []int{3, 0}, Axis: 0, Params: signed8,
		Check: func(t *testing.T, out []float64, q []quant.Quant[float64]) {
			assert.Empty(t, out)
			require.Len(t, q, 3)
			for _, ch := range q {
				assert.True(t, math.IsNaN(ch.Min) && math.IsNaN(ch.Max), "an empty channel has a NaN range: %+v", ch)
			}
		},
	},
	{
		Name: "rank 0", Shape: []int{}, Axis: PerTensor, Params: signed8,
		In: []float64{-3.5}, Want: []float64{-3.5},
	},
}

// decisionsWithRanges are the rows with a given range.
var decisionsWithRanges = []Case{
	{
		Name: "NaN with a given range passes the clamp", Axis: PerTensor, Params: signed8, Min: minusOne, Max: one,
		In: []float64{nan, 0.5, -3}, Want: []float64{nan, 64.0 / 127, -128.0 / 127},
	},
	{
		Name: "clamp uses the adjusted bound", Axis: PerTensor, Params: signed8, Min: minusOne, Max: one,
		In: []float64{-2, 33}, Want: []float64{-128.0 / 127},
		Check: func(t *testing.T, out []float64, _ []quant.Quant[float64]) { assert.InDelta(t, 1, out[1], 1e-2) },
	},
	{
		Name: "min == max given is a valid range", Axis: PerTensor, Params: signed8, Min: []float64{0.5}, Max: []float64{0.5},
		In: []float64{0.25, 0.125, -1}, Want: []float64{32.0 / 127, 16.0 / 127, -64.0 / 127},
	},
}

// Rounding covers ties in both modes and the float rounding traps of
// HALF_UP.
func Rounding(t *testing.T, b quant.Backend) Stats {
	// With the given range [-128, 127] at 8 bits both sides give scale 1,
	// so z is the input itself.
	ties := []float64{2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5, -1.5, 126.5, -127.5}
	lo, hi := []float64{-128}, []float64{127}
	// 25 signed bits: [-2^24, 2^24-1] is exact in float32 and gives scale 1.
	lo25, hi25 := []float64{-16777216}, []float64{16777215}
	return RunCases(t, b, []Case{
		{Name: "ties HALF_TO_EVEN", Axis: PerTensor, Params: signed8, Min: lo, Max: hi, In: ties,
			Want: []float64{2, -2, 4, -4, 0, negZ, 2, -2, 126, -128}},
		{Name: "ties HALF_UP", Axis: PerTensor, Params: signed8HalfUp, Min: lo, Max: hi, In: ties,
			Want: []float64{3, -2, 4, -3, 1, 0, 2, -1, 127, -127}},
		{Name: "0.49999997f HALF_UP rounds up", Storages: onlyF32, Axis: PerTensor, Params: signed8HalfUp, Min: lo, Max: hi,
			In: []float64{f32(0.49999997), -f32(0.49999997)}, Want: []float64{1, 0}},
		{Name: "0.49999997f HALF_TO_EVEN", Storages: onlyF32, Axis: PerTensor, Params: signed8, Min: lo, Max: hi,
			In: []float64{f32(0.49999997)}, Want: []float64{0}},
		{Name: "0.49999999999999994 HALF_UP", Storages: onlyF64, Axis: PerTensor, Params: signed8HalfUp, Min: lo, Max: hi,
			In: []float64{0.49999999999999994}, Want: []float64{1}},
		{Name: "odd integers above 2^23 HALF_UP", Storages: onlyF32, Axis: PerTensor,
			Params: quant.Params{Signed: true, NumBits: 25, Round: quant.HalfUp}, Min: lo25, Max: hi25,
			In: []float64{8388609, -8388609, 8388611, 16777215}, Want: []float64{8388610, -8388608, 8388612, 16777216}},
		{Name: "odd integers above 2^23 HALF_TO_EVEN", Storages: onlyF32, Axis: PerTensor,
			Params: quant.Params{Signed: true, NumBits: 25}, Min: lo25, Max: hi25,
			In: []float64{8388609, -8388609, 8388611}, Want: []float64{8388609, -8388609, 8388611}},
		{Name: "odd integers above 2^52 HALF_UP", Storages: onlyF64, Axis: PerTensor,
			Params: quant.Params{Signed: true, NumBits: 54, Round: quant.HalfUp}, Min: []float64{-(1 << 53)}, Max: []float64{1<<53 - 1},
			In: []float64{1<<52 + 1, -(1<<52 + 1)}, Want: []float64{1<<52 + 2, -(1 << 52)}},
	})
}

// NumBits checks every bit count for both signs and the int64 to float
// conversion of 2^k-1, which rounds up to 2^k beyond the float's
// precision: with range [-1, 1] the scale is 2^(n-1)-1 while that is exact
// and 2^(n-1) after.
func NumBits(t *testing.T, b quant.Backend) Stats {
	var st Stats
	for _, s := range []quant.Storage{quant.F32, quant.F64} {
		exactBelow := 25 // 2^24-1 is exact in float32
		if s == quant.F64 {
			exactBelow = 54
		}
		for n := 1; n <= 61; n++ {
			c := Case{Axis: PerTensor, Params: quant.Params{Signed: true, NumBits: n}, Min: minusOne, Max: one, In: []float64{-1, 1, 0.3}}
			want := math.Ldexp(1, n-1) - 1
			if n > exactBelow {
				want = math.Ldexp(1, n-1)
			}
			if n == 1 { // max_q = 0: the min side wins with scale 1
				want = 1
			}
			if q, ok := scaleOf(t, b, &st, s, &c); ok {
				assert.Equal(t, want, q.Scale, "%v signed num_bits %d", s, n)
			}
		}
		for n := 1; n <= 62; n++ {
			c := Case{Axis: PerTensor, Params: quant.Params{NumBits: n}, Min: []float64{0}, Max: one, In: []float64{0, 1}}
			want := math.Ldexp(1, n) - 1
			if n >= exactBelow {
				want = math.Ldexp(1, n)
			}
			if q, ok := scaleOf(t, b, &st, s, &c); ok {
				assert.Equal(t, want, q.Scale, "%v unsigned num_bits %d", s, n)
				assert.Equal(t, 0.0, q.Min)
			}
		}
	}
	t.Run("float64 beyond float32 precision", func(t *testing.T) {
		x := []float64{0.1, -0.7, 1.0 / 3}
		for _, n := range []int{25, 32, 40, 53} {
			c := Case{Axis: PerTensor, Params: quant.Params{Signed: true, NumBits: n}, Min: minusOne, Max: one, In: x}
			o := c.call(t, quant.F64).run(t, context.Background(), b)
			if !st.note(t, o.err, "float64") {
				continue
			}
			for i, v := range o.values(quant.F64) {
				assert.InDelta(t, x[i], v, math.Ldexp(1, 1-n), "num_bits %d", n)
				assert.NotEqual(t, float64(float32(x[i])), v, "a float64 result, not a float32 one")
			}
		}
	})
	return st
}

// scaleOf runs c in storage s and returns channel 0's parameters, when
// the call ran.
func scaleOf(t *testing.T, b quant.Backend, st *Stats, s quant.Storage, c *Case) (quant.Quant[float64], bool) {
	t.Helper()
	o := c.call(t, s).run(t, context.Background(), b)
	if !st.note(t, o.err, "num_bits") {
		return quant.Quant[float64]{}, false
	}
	require.Len(t, o.quants, 1)
	return o.quants[0], true
}
