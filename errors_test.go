package qdq_test

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

// given returns options with a per-tensor given range, changed by fn.
func given(lo, hi float64, fn func(*qdq.Options)) qdq.Options {
	o := qdq.Options{RangeGiven: true, InputMin: []float64{lo}, InputMax: []float64{hi}}
	if fn != nil {
		fn(&o)
	}
	return o
}

// with returns the zero Options changed by fn.
func with(fn func(*qdq.Options)) qdq.Options {
	var o qdq.Options
	fn(&o)
	return o
}

// TestArgumentErrors covers each row of the definition's error table, on
// a [2, 3] tensor of every dtype: the argument checks are the root's, the
// same for every backend, so they run once, here.
func TestArgumentErrors(t *testing.T) {
	inf := math.Inf(1)
	narrow := []qdq.DType{qdq.F32, qdq.F16, qdq.BF16}
	cases := []struct {
		name   string
		dtypes []qdq.DType // nil: all four
		opts   qdq.Options
		kind   error
		msg    string
	}{
		{"num_bits -3", nil, with(func(o *qdq.Options) { o.NumBits = -3 }), qdq.ErrNumBits, "num_bits is out of range: -3 with signed_input_ true"},
		{"num_bits 62 signed", nil, with(func(o *qdq.Options) { o.NumBits = 62 }), qdq.ErrNumBits, "num_bits is out of range: 62 with signed_input_ true"},
		{"num_bits 63 unsigned", nil, with(func(o *qdq.Options) { o.NumBits, o.Unsigned = 63, true }), qdq.ErrNumBits, "num_bits is out of range: 63 with signed_input_ false"},
		{"num_bits huge", nil, with(func(o *qdq.Options) { o.NumBits = math.MaxInt }), qdq.ErrNumBits, "num_bits is out of range"},
		{"num_bits 1 signed narrow", nil, with(func(o *qdq.Options) { o.NumBits, o.NarrowRange = 1, true }), qdq.ErrNumBits, "no quantization levels"},
		{"round mode", nil, with(func(o *qdq.Options) { o.RoundMode = 9 }), qdq.ErrRoundMode, "Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is 'RoundMode(9)'"},
		{"axis -3 of rank 2", nil, with(func(o *qdq.Options) { o.PerChannel, o.Axis = true, -3 }), qdq.ErrAxis, "axis -3: the tensor has rank 2"},
		{"axis -100", nil, with(func(o *qdq.Options) { o.PerChannel, o.Axis = true, -100 }), qdq.ErrAxis, "axis -100: the tensor has rank 2"},
		{"axis = rank", nil, with(func(o *qdq.Options) { o.PerChannel, o.Axis = true, 2 }), qdq.ErrAxis, "axis 2: Shape must be at least rank 3 but is rank 2"},
		{"axis 2^31-1", nil, with(func(o *qdq.Options) { o.PerChannel, o.Axis = true, math.MaxInt32 }), qdq.ErrAxis, "Shape must be at least rank 2147483648 but is rank 2"},
		{"axis MaxInt", nil, with(func(o *qdq.Options) { o.PerChannel, o.Axis = true, math.MaxInt }), qdq.ErrAxis, "but is rank 2"},
		{"non-scalar min, per tensor", nil, given(0, 1, func(o *qdq.Options) { o.InputMin = []float64{0, 0} }), qdq.ErrRangeShape, "input_min must be a scalar when the range is per tensor (axis -1), got 2 values"},
		{"empty max, per tensor", nil, given(0, 1, func(o *qdq.Options) { o.InputMax = nil }), qdq.ErrRangeShape, "input_max must be a scalar"},
		{"inverted range", nil, given(1, 0, nil), qdq.ErrRange, "Invalid range: input_min 1 > input_max 0"},
		{"NaN range", nil, given(math.NaN(), 1, nil), qdq.ErrRange, "Invalid range: input_min nan > input_max 1"},
		{"infinite range inverted", nil, given(inf, -inf, nil), qdq.ErrRange, "Invalid range: input_min inf > input_max -inf"},
		{"infinite max", nil, given(0, inf, nil), qdq.ErrRange, "Invalid range: [0, inf] is not finite"},
		{"infinite min", nil, given(-inf, 1, nil), qdq.ErrRange, "is not finite"},
		{"-1e300 is -Inf in float32", narrow, given(-1e300, 1, nil), qdq.ErrRange, "Invalid range: [-inf, 1] is not finite in"},
		{"per-channel size", nil, given(0, 1, func(o *qdq.Options) {
			o.PerChannel, o.Axis, o.InputMin = true, 1, []float64{0, 0}
		}), qdq.ErrRangeShape, "input_min_tensor has incorrect size, was 2 expected 3 to match dim 1 of the input"},
		{"per-channel max size", nil, with(func(o *qdq.Options) {
			o.PerChannel, o.Axis, o.RangeGiven, o.InputMin, o.InputMax = true, 1, true, []float64{0, 0, 0}, []float64{1, 1}
		}), qdq.ErrRangeShape, "input_max_tensor has incorrect size, was 2 expected 3 to match dim 1 of the input"},
		{"per-channel inverted", nil, with(func(o *qdq.Options) {
			o.PerChannel, o.RangeGiven, o.InputMin, o.InputMax = true, true, []float64{0, 2}, []float64{1, 1}
		}), qdq.ErrRange, "Invalid range for channel 1 of axis 0: input_min 2 > input_max 1"},
		{"per-channel infinite", nil, with(func(o *qdq.Options) {
			o.PerChannel, o.Axis, o.RangeGiven, o.InputMin, o.InputMax = true, -1, true, []float64{0}, []float64{1, inf, 1}
		}), qdq.ErrRange, "Invalid range for channel 1 of axis 1: [0, inf] is not finite"},
	}
	for _, dtype := range qdqtest.DTypes {
		in := qdqtest.Tensor(t, dtype, []int{2, 3}, []float64{1, 2, 3, 4, 5, 6})
		for _, c := range cases {
			if c.dtypes != nil && !slices.Contains(c.dtypes, dtype) {
				continue
			}
			t.Run(c.name+"/"+dtype.String(), func(t *testing.T) {
				min := slices.Clone(c.opts.InputMin)
				_, _, err := qdqtest.Call(t, cpuEngine.RunInto, in, c.opts)
				require.Error(t, err)
				assert.True(t, errors.Is(err, c.kind), "got %v, want a %v", err, c.kind)
				assert.Contains(t, err.Error(), c.msg)
				assert.Regexp(t, `^qdq: `, err.Error())
				assert.NotContains(t, err.Error()[5:], "qdq: ", "one prefix")
				assert.Equal(t, fmt.Sprint(min), fmt.Sprint(c.opts.InputMin), "input_min is never modified")
				cerr := c.opts.Check(dtype, []int{2, 3})
				require.Error(t, cerr, "Check finds what the call finds, without data")
				assert.Equal(t, err.Error(), cerr.Error())
			})
		}
	}
	t.Run("invalid tensor", func(t *testing.T) {
		_, err := cpuEngine.RunInto(t.Context(), qdq.Tensor{}, qdq.Tensor{}, qdq.Options{})
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
		_, err = cpuEngine.RunInto(t.Context(), in, in, qdq.Options{PerChannel: true, Axis: 1})
		assert.True(t, errors.Is(err, qdq.ErrShape), "got %v", err)
	})
	t.Run("output mismatch", func(t *testing.T) {
		in := qdqtest.Tensor(t, qdq.F32, []int{2}, []float64{1, 2})
		out := qdqtest.Tensor(t, qdq.F64, []int{2}, []float64{0, 0})
		_, err := cpuEngine.RunInto(t.Context(), out, in, qdq.Options{})
		assert.True(t, errors.Is(err, qdq.ErrDType), "got %v", err)
		out = qdqtest.Tensor(t, qdq.F32, []int{1, 2}, []float64{0, 0})
		_, err = cpuEngine.RunInto(t.Context(), out, in, qdq.Options{})
		assert.True(t, errors.Is(err, qdq.ErrShape), "got %v", err)
	})
}
