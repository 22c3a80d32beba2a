package qdqtest

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
)

var (
	nan  = math.NaN()
	inf  = math.Inf(1)
	negZ = math.Copysign(0, -1)
	// made is the NaN the arithmetic makes (0·Inf), x86's default NaN:
	// the sign bit set, quiet, no payload, in every dtype.
	made = math.Float64frombits(0xfff8000000000000)
	// payload is a negative quiet NaN with a payload that survives the
	// narrowing to every dtype.
	payload = math.Float64frombits(0xfffd234560000000)
)

// opts returns DefaultOptions changed by fn.
func opts(fn func(*qdq.Options)) qdq.Options {
	o := qdq.DefaultOptions()
	if fn != nil {
		fn(&o)
	}
	return o
}

// given returns options with a per-tensor given range.
func given(lo, hi float64, fn func(*qdq.Options)) qdq.Options {
	return opts(func(o *qdq.Options) {
		o.RangeGiven, o.InputMin, o.InputMax = true, []float64{lo}, []float64{hi}
		if fn != nil {
			fn(o)
		}
	})
}

// table is a hand-made case: input, options and the expected output (and,
// where set, the first channel's result), for the listed dtypes.
type table struct {
	name   string
	dtypes []qdq.DType // nil: all four
	shape  []int       // nil: 1-D
	in     []float64
	opts   qdq.Options
	want   []float64 // nil: not checked
	ch     *qdq.Channel
	check  func(t *testing.T, out []float64, res qdq.Result)
}

func runTables(t *testing.T, run Runner, cases []table) {
	for _, c := range cases {
		dtypes := c.dtypes
		if dtypes == nil {
			dtypes = DTypes
		}
		for _, dtype := range dtypes {
			t.Run(c.name+"/"+dtype.String(), func(t *testing.T) {
				shape := c.shape
				if shape == nil {
					shape = []int{len(c.in)}
				}
				out, res, err := Call(t, run, Tensor(t, dtype, shape, c.in), c.opts)
				require.NoError(t, err)
				got := Values(out)
				for i, w := range c.want {
					assert.True(t, SameValue(Round(dtype, w), got[i]), "element %d: got %v, want %v", i, got[i], Round(dtype, w))
				}
				if c.ch != nil {
					require.NotEmpty(t, res.Channels)
					want := []float64{c.ch.Min, c.ch.Max, c.ch.Scale, c.ch.InverseScale}
					gotCh := res.Channels[0]
					for i, g := range []float64{gotCh.Min, gotCh.Max, gotCh.Scale, gotCh.InverseScale} {
						assert.True(t, SameValue(want[i], g), "channel field %d: got %v, want %v", i, g, want[i])
					}
				}
				if c.check != nil {
					c.check(t, got, res)
				}
			})
		}
	}
}

// f32 rounds to float32, for expected values computed in float32.
func f32(x float32) float64 { return float64(x) }

// WorkedExamples are the seed document's examples.
func WorkedExamples(t *testing.T, run Runner) {
	runTables(t, run, []table{
		{
			name: "[-10,5] scale 12.8 max 9.921875", dtypes: []qdq.DType{qdq.F32},
			in: []float64{-10, 5}, opts: opts(nil), want: []float64{-10, 5},
			ch: &qdq.Channel{Min: -10, Max: 9.921875, Scale: f32(12.8), InverseScale: 0.078125},
		},
		{
			name: "[-10,10] scale 12.7", dtypes: []qdq.DType{qdq.F32},
			in: []float64{-10, 10}, opts: opts(nil), want: []float64{-10, 10},
			check: func(t *testing.T, _ []float64, res qdq.Result) {
				ch := res.Channels[0]
				assert.Equal(t, f32(12.7), ch.Scale)
				assert.InDelta(t, -10.07874, ch.Min, 1e-5)
				inv := float32(10) / float32(127) // the max side wins
				assert.Equal(t, float64(float32(-128)*inv), ch.Min, "min = min_q * inverse, in float32")
				assert.Equal(t, 10.0, ch.Max)
			},
		},
		{
			name: "unsigned forces min to 0", dtypes: []qdq.DType{qdq.F32},
			in: []float64{-1, 2}, opts: opts(func(o *qdq.Options) { o.SignedInput = false }),
			ch: &qdq.Channel{Min: 0, Max: 2, Scale: 127.5, InverseScale: f32(2.0 / 255)},
			check: func(t *testing.T, out []float64, _ qdq.Result) {
				assert.Less(t, out[0], -1.0, "no clamping without a given range: -1 passes below min")
			},
		},
	})
}

// Decisions covers each row of the definition's "decisions" table.
func Decisions(t *testing.T, run Runner) {
	runTables(t, run, []table{
		{
			name: "NaN takes no part in the range and gives NaN",
			in:   []float64{nan, -1, 0.5}, opts: opts(nil), want: []float64{nan, -1, 0.5},
			ch: &qdq.Channel{Min: -1, Max: 127.0 / 128, Scale: 128, InverseScale: 1.0 / 128},
		},
		{
			name: "all-NaN channel is NaN", shape: []int{2, 2},
			in: []float64{nan, nan, 1, 2}, opts: opts(func(o *qdq.Options) { o.Axis = 0 }),
			want: []float64{nan, nan},
			check: func(t *testing.T, _ []float64, res qdq.Result) {
				require.Len(t, res.Channels, 2)
				assert.True(t, math.IsNaN(res.Channels[0].Min) && math.IsNaN(res.Channels[0].Max))
				assert.Equal(t, 2.0, res.Channels[1].Max)
			},
		},
		{
			name: "-0 orders below +0 whatever the order",
			in:   []float64{0, negZ, 0}, opts: opts(nil), want: []float64{0, negZ, 0},
			check: func(t *testing.T, _ []float64, res qdq.Result) {
				assert.True(t, !math.Signbit(res.Channels[0].Max) && res.Channels[0].Max == 0, "max is +0")
				assert.Equal(t, 0.0, res.Channels[0].InverseScale)
				assert.False(t, math.Signbit(res.Channels[0].InverseScale))
			},
		},
		{
			name: "all -0 gives +0 (inverse scale is -0)", dtypes: []qdq.DType{qdq.F32, qdq.F16, qdq.BF16},
			in: []float64{negZ, negZ}, opts: opts(nil), want: []float64{0, 0},
			ch: &qdq.Channel{Min: 0, Max: negZ, Scale: math.MaxFloat32, InverseScale: negZ},
		},
		{
			name: "+Inf in data makes every output NaN",
			in:   []float64{inf, 1, -2}, opts: opts(nil), want: []float64{made, made, made},
		},
		{
			name: "a NaN input comes out as itself, sign and payload kept",
			in:   []float64{payload, 1, -2, nan}, opts: opts(nil), want: []float64{payload, 127.0 / 127, -2, nan},
		},
		{
			name: "-Inf unsigned with a finite max stays -Inf",
			in:   []float64{-inf, 1, 2}, opts: opts(func(o *qdq.Options) { o.SignedInput = false }),
			want: []float64{-inf},
			check: func(t *testing.T, out []float64, _ qdq.Result) {
				assert.InDelta(t, 1, out[1], 0.01)
				assert.InDelta(t, 2, out[2], 0.01)
			},
		},
		{
			name: "NaN with a given range passes the clamp",
			in:   []float64{nan, 0.5, -3}, opts: given(-1, 1, nil), want: []float64{nan, 64.0 / 127, -128.0 / 127},
		},
		{
			name: "clamp uses the adjusted bound",
			in:   []float64{-2, 33}, opts: given(-1, 1, nil), want: []float64{-128.0 / 127},
			check: func(t *testing.T, out []float64, _ qdq.Result) { assert.InDelta(t, 1, out[1], 1e-2) },
		},
		{
			name: "negative values rounding to zero give -0",
			in:   []float64{-0.001, 127}, opts: opts(nil), want: []float64{negZ, 127},
		},
		{
			name: "denormals are not flushed", dtypes: []qdq.DType{qdq.F32},
			in: []float64{1e-36, 5e-37, -1e-36}, opts: opts(nil),
			check: func(t *testing.T, out []float64, res qdq.Result) {
				inv := res.Channels[0].InverseScale
				assert.Less(t, inv, 0x1p-126, "the inverse scale is subnormal")
				assert.Greater(t, inv, 0.0)
				assert.InDelta(t, 5e-37, out[1], inv)
				assert.NotZero(t, out[1])
			},
		},
		{
			name: "all zeros give zeros (scale MAX, inverse 0)", dtypes: []qdq.DType{qdq.F64},
			in: []float64{0, 0}, opts: opts(nil), want: []float64{0, 0},
			ch: &qdq.Channel{Min: negZ, Max: 0, Scale: math.MaxFloat64, InverseScale: 0},
		},
		{
			name: "constant input is reproduced", dtypes: []qdq.DType{qdq.F32, qdq.F16, qdq.BF16},
			in: []float64{3, 3}, opts: opts(nil), want: []float64{3, 3},
		},
		{
			name: "min == max given is a valid range",
			in:   []float64{0.25, 0.125, -1}, opts: given(0.5, 0.5, nil),
			want: []float64{32.0 / 127, 16.0 / 127, -64.0 / 127},
		},
		{
			name: "huge range", dtypes: []qdq.DType{qdq.F32},
			in: []float64{-3e38, 3e38, 1e30}, opts: opts(nil),
			check: func(t *testing.T, out []float64, res qdq.Result) {
				assert.InEpsilon(t, 3e38, out[1], 1e-6)
				assert.Equal(t, 0.0, out[2], "1e30 is below half a level")
				assert.False(t, math.IsInf(res.Channels[0].InverseScale, 0))
			},
		},
		{
			name: "tiny range overflows the scale to +Inf", dtypes: []qdq.DType{qdq.F32},
			in: []float64{1e-40, -1e-40, 0}, opts: opts(nil), want: []float64{inf, -inf, made},
			check: func(t *testing.T, _ []float64, res qdq.Result) {
				assert.True(t, math.IsInf(res.Channels[0].Scale, 1))
			},
		},
	})
	for _, dtype := range DTypes {
		t.Run("empty/"+dtype.String(), func(t *testing.T) {
			out, res, err := Call(t, run, Tensor(t, dtype, []int{3, 0}, nil), opts(func(o *qdq.Options) { o.Axis = 0 }))
			require.NoError(t, err)
			assert.Equal(t, 0, out.Len())
			assert.Equal(t, []int{3, 0}, out.Shape())
			require.Len(t, res.Channels, 3)
			for _, ch := range res.Channels {
				assert.True(t, math.IsNaN(ch.Min) && math.IsNaN(ch.Max), "an empty channel has a NaN range: %+v", ch)
			}
		})
		t.Run("rank 0/"+dtype.String(), func(t *testing.T) {
			out, _, err := Call(t, run, Tensor(t, dtype, []int{}, []float64{-3.5}), opts(nil))
			require.NoError(t, err)
			assert.Equal(t, []float64{-3.5}, Values(out))
		})
	}
}

// Errors covers each row of the definition's error table.
func Errors(t *testing.T, run Runner) {
	in := func(dtype qdq.DType) qdq.Tensor { return Tensor(t, dtype, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6}) }
	cases := []struct {
		name string
		opts qdq.Options
		kind error
		msg  string
	}{
		{"num_bits 0", opts(func(o *qdq.Options) { o.NumBits = 0 }), qdq.ErrNumBits, "num_bits is out of range: 0 with signed_input_ true"},
		{"num_bits -3", opts(func(o *qdq.Options) { o.NumBits = -3 }), qdq.ErrNumBits, "num_bits is out of range: -3"},
		{"num_bits 62 signed", opts(func(o *qdq.Options) { o.NumBits = 62 }), qdq.ErrNumBits, "num_bits is out of range: 62 with signed_input_ true"},
		{"num_bits 63 unsigned", opts(func(o *qdq.Options) { o.NumBits, o.SignedInput = 63, false }), qdq.ErrNumBits, "num_bits is out of range: 63 with signed_input_ false"},
		{"num_bits huge", opts(func(o *qdq.Options) { o.NumBits = math.MaxInt }), qdq.ErrNumBits, "num_bits is out of range"},
		{"num_bits 1 signed narrow", opts(func(o *qdq.Options) { o.NumBits, o.NarrowRange = 1, true }), qdq.ErrNumBits, "no quantization levels"},
		{"round mode", opts(func(o *qdq.Options) { o.RoundMode = 9 }), qdq.ErrRoundMode, "Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is 'RoundMode(9)'"},
		{"axis -2", opts(func(o *qdq.Options) { o.Axis = -2 }), qdq.ErrAxis, "Axis must be at least -1. Found -2"},
		{"axis -100", opts(func(o *qdq.Options) { o.Axis = -100 }), qdq.ErrAxis, "Axis must be at least -1. Found -100"},
		{"axis = rank", opts(func(o *qdq.Options) { o.Axis = 2 }), qdq.ErrAxis, "Shape must be at least rank 3 but is rank 2"},
		{"axis 2^31-1", opts(func(o *qdq.Options) { o.Axis = math.MaxInt32 }), qdq.ErrAxis, "Shape must be at least rank 2147483648 but is rank 2"},
		{"axis MaxInt", opts(func(o *qdq.Options) { o.Axis = math.MaxInt }), qdq.ErrAxis, "but is rank 2"},
		{"non-scalar min, axis -1", given(0, 1, func(o *qdq.Options) { o.InputMin = []float64{0, 0} }), qdq.ErrRangeShape, "input_min must be a scalar when axis is -1, got 2 values"},
		{"empty max, axis -1", given(0, 1, func(o *qdq.Options) { o.InputMax = nil }), qdq.ErrRangeShape, "input_max must be a scalar"},
		{"inverted range", given(1, 0, nil), qdq.ErrRange, "Invalid range: input_min 1 > input_max 0"},
		{"NaN range", given(nan, 1, nil), qdq.ErrRange, "Invalid range: input_min nan > input_max 1"},
		{"infinite range inverted", given(inf, -inf, nil), qdq.ErrRange, "Invalid range: input_min inf > input_max -inf"},
		{"per-channel size", given(0, 1, func(o *qdq.Options) { o.Axis = 1 }), qdq.ErrRangeShape, "input_min_tensor has incorrect size, was 1 expected 3 to match dim 1 of the input"},
		{"per-channel max size", opts(func(o *qdq.Options) {
			o.Axis, o.RangeGiven, o.InputMin, o.InputMax = 1, true, []float64{0, 0, 0}, []float64{1, 1}
		}), qdq.ErrRangeShape, "input_max_tensor has incorrect size, was 2 expected 3 to match dim 1 of the input"},
		{"per-channel inverted", opts(func(o *qdq.Options) {
			o.Axis, o.RangeGiven, o.InputMin, o.InputMax = 0, true, []float64{0, 2}, []float64{1, 1}
		}), qdq.ErrRange, "channel 1 of axis 0: input_min 2 > input_max 1"},
	}
	for _, dtype := range DTypes {
		for _, c := range cases {
			t.Run(c.name+"/"+dtype.String(), func(t *testing.T) {
				_, _, err := Call(t, run, in(dtype), c.opts)
				require.Error(t, err)
				assert.True(t, errors.Is(err, c.kind), "got %v, want a %v", err, c.kind)
				assert.Contains(t, err.Error(), c.msg)
				assert.Regexp(t, `^qdq: `, err.Error())
			})
		}
	}
	t.Run("invalid tensor", func(t *testing.T) {
		_, err := run(t.Context(), qdq.Tensor{}, qdq.Tensor{}, opts(nil))
		assert.True(t, errors.Is(err, qdq.ErrDType), "got %v", err)
	})
	t.Run("shape mismatch", func(t *testing.T) {
		_, err := qdq.NewTensor([]int{2, 2}, []float32{1, 2, 3})
		assert.True(t, errors.Is(err, qdq.ErrShape), "got %v", err)
		_, err = qdq.NewTensor([]int{-1}, []float32{})
		assert.True(t, errors.Is(err, qdq.ErrShape), "got %v", err)
		_, err = qdq.NewTensor([]int{1 << 40, 1 << 40}, []float32{})
		assert.True(t, errors.Is(err, qdq.ErrShape), "got %v", err)
	})
	t.Run("empty tensor with too many channels", func(t *testing.T) {
		in, err := qdq.NewTensor([]int{0, 1 << 40}, []float32{})
		require.NoError(t, err)
		_, err = run(t.Context(), in, in, opts(func(o *qdq.Options) { o.Axis = 1 }))
		assert.True(t, errors.Is(err, qdq.ErrShape), "got %v", err)
	})
	t.Run("output mismatch", func(t *testing.T) {
		in := Tensor(t, qdq.F32, []int{2}, []float64{1, 2})
		out := Tensor(t, qdq.F64, []int{2}, []float64{0, 0})
		_, err := run(t.Context(), out, in, opts(nil))
		assert.True(t, errors.Is(err, qdq.ErrShape), "got %v", err)
	})
}

// Rounding covers ties in both modes and the float rounding traps of
// HALF_UP.
func Rounding(t *testing.T, run Runner) {
	// With the given range [-128, 127] at 8 bits both sides give scale 1,
	// so z is the input itself.
	ties := []float64{2.5, -2.5, 3.5, -3.5, 0.5, -0.5, 1.5, -1.5, 126.5, -127.5}
	halfUp := func(o *qdq.Options) { o.RoundMode = qdq.HalfUp }
	cases := []table{
		{name: "ties HALF_TO_EVEN", in: ties, opts: given(-128, 127, nil),
			want: []float64{2, -2, 4, -4, 0, negZ, 2, -2, 126, -128}},
		{name: "ties HALF_UP", in: ties, opts: given(-128, 127, halfUp),
			want: []float64{3, -2, 4, -3, 1, 0, 2, -1, 127, -127}},
		{name: "0.49999997f HALF_UP rounds up", dtypes: []qdq.DType{qdq.F32},
			in: []float64{f32(0.49999997), -f32(0.49999997)}, opts: given(-128, 127, halfUp), want: []float64{1, 0}},
		{name: "0.49999997f HALF_TO_EVEN", dtypes: []qdq.DType{qdq.F32},
			in: []float64{f32(0.49999997)}, opts: given(-128, 127, nil), want: []float64{0}},
		{name: "0.49999999999999994 HALF_UP", dtypes: []qdq.DType{qdq.F64},
			in: []float64{0.49999999999999994}, opts: given(-128, 127, halfUp), want: []float64{1}},
		// 25 signed bits: [-2^24, 2^24-1] is exact in float32 and gives scale 1.
		{name: "odd integers above 2^23 HALF_UP", dtypes: []qdq.DType{qdq.F32},
			in:   []float64{8388609, -8388609, 8388611, 16777215},
			opts: given(-16777216, 16777215, func(o *qdq.Options) { o.NumBits, o.RoundMode = 25, qdq.HalfUp }),
			want: []float64{8388610, -8388608, 8388612, 16777216}},
		{name: "odd integers above 2^23 HALF_TO_EVEN", dtypes: []qdq.DType{qdq.F32},
			in:   []float64{8388609, -8388609, 8388611},
			opts: given(-16777216, 16777215, func(o *qdq.Options) { o.NumBits = 25 }),
			want: []float64{8388609, -8388609, 8388611}},
		{name: "odd integers above 2^52 HALF_UP", dtypes: []qdq.DType{qdq.F64},
			in:   []float64{1<<52 + 1, -(1<<52 + 1)},
			opts: given(-(1 << 53), 1<<53-1, func(o *qdq.Options) { o.NumBits, o.RoundMode = 54, qdq.HalfUp }),
			want: []float64{1<<52 + 2, -(1 << 52)}},
	}
	runTables(t, run, cases)
}

// NumBits checks every num_bits for both signs and the int64 to float
// conversion of 2^k-1, which rounds up to 2^k beyond the float's
// precision: with range [-1, 1] the scale is 2^(n-1)-1 while that is exact
// and 2^(n-1) after.
func NumBits(t *testing.T, run Runner) {
	for _, dtype := range []qdq.DType{qdq.F32, qdq.F64} {
		exactBelow := 25 // 2^24-1 is exact in float32
		if dtype == qdq.F64 {
			exactBelow = 54
		}
		for n := 1; n <= 61; n++ {
			res := mustRun(t, run, dtype, []float64{-1, 1, 0.3}, given(-1, 1, func(o *qdq.Options) { o.NumBits = n }))
			ch := res.Channels[0]
			want := math.Ldexp(1, n-1) - 1
			if n > exactBelow {
				want = math.Ldexp(1, n-1)
			}
			if n == 1 { // max_q = 0: the min side wins with scale 1
				want = 1
			}
			assert.Equal(t, want, ch.Scale, "%v signed num_bits %d", dtype, n)
		}
		for n := 1; n <= 62; n++ {
			res := mustRun(t, run, dtype, []float64{0, 1}, given(0, 1, func(o *qdq.Options) { o.NumBits, o.SignedInput = n, false }))
			want := math.Ldexp(1, n) - 1
			if n >= exactBelow {
				want = math.Ldexp(1, n)
			}
			assert.Equal(t, want, res.Channels[0].Scale, "%v unsigned num_bits %d", dtype, n)
			assert.Equal(t, 0.0, res.Channels[0].Min)
		}
	}
	t.Run("float64 beyond float32 precision", func(t *testing.T) {
		x := []float64{0.1, -0.7, 1.0 / 3}
		for _, n := range []int{25, 32, 40, 53} {
			out, _, err := Call(t, run, Tensor(t, qdq.F64, []int{3}, x), given(-1, 1, func(o *qdq.Options) { o.NumBits = n }))
			require.NoError(t, err)
			for i, v := range Values(out) {
				assert.InDelta(t, x[i], v, math.Ldexp(1, 1-n), "num_bits %d", n)
				assert.NotEqual(t, float64(float32(x[i])), v, "a float64 result, not a float32 one")
			}
		}
	})
}

func mustRun(t *testing.T, run Runner, dtype qdq.DType, vals []float64, o qdq.Options) qdq.Result {
	t.Helper()
	_, res, err := Call(t, run, Tensor(t, dtype, []int{len(vals)}, vals), o)
	require.NoError(t, err)
	return res
}
