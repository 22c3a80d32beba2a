package qdqtest

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/quanttest"
)

// tfOut explains why a case is not run: it tests something outside the
// forward op's kernel (gradients, graph-time shape inference) or an input
// that qdq's API cannot express (a num_bits tensor, a rank-0 per-channel
// range: Options.InputMin is always a list).
func tfOut(c *quanttest.TFCase) string {
	switch {
	case c.Kind != "forward":
		return c.Kind
	case c.Attrs.NumBits == nil:
		return "num_bits given as a tensor of the wrong shape"
	case c.ID == "py/quantization_ops_test/QuantizeAndDequantizeV3OpTest.test_invalid_input_min_max_with_axis_specified":
		return "rank-0 input_min with axis 0"
	}
	return ""
}

// TensorFlowVectors runs TensorFlow's forward test vectors: outputs within
// each test's own tolerance (bit-exact where the test asserts equality)
// and the same errors.
func TensorFlowVectors(t *testing.T, run Runner) {
	cases := quanttest.LoadTFCases(t)
	ran := 0
	for i := range cases {
		c := &cases[i]
		if why := tfOut(c); why != "" {
			t.Logf("%s: not run (%s)", c.ID, why)
			continue
		}
		for _, name := range c.DTypes() {
			ran++
			t.Run(c.ID+"/"+name, func(t *testing.T) { tfRun(t, run, c, name) })
		}
	}
	assert.GreaterOrEqual(t, ran, 45, "forward TensorFlow cases run")
}

func tfRun(t *testing.T, run Runner, c *quanttest.TFCase, name string) {
	dtype, err := qdq.ParseDType(name)
	require.NoError(t, err)
	// TensorFlow's axis -1 is one range per tensor; any other axis is
	// per channel, counted from the front (an axis below -1 is out of
	// range for any rank TensorFlow's tests use).
	opts := qdq.Options{
		Unsigned:    !c.Attrs.SignedInput,
		NumBits:     *c.Attrs.NumBits,
		RangeGiven:  c.Attrs.RangeGiven,
		NarrowRange: c.Attrs.NarrowRange,
		PerChannel:  c.Attrs.Axis != -1,
		Axis:        int(max(min(c.Attrs.Axis, math.MaxInt32), math.MinInt32)),
	}
	opts.RoundMode, err = qdq.ParseRoundMode(c.Attrs.RoundMode)
	require.NoError(t, err)
	if c.Attrs.RangeGiven {
		opts.InputMin, opts.InputMax, err = c.GivenRange()
		require.NoError(t, err)
	}
	givenMin := append([]float64(nil), opts.InputMin...)
	in := Tensor(t, dtype, c.Shape, c.Input)
	out, _, err := Call(t, run, in, opts)
	assert.Equal(t, givenMin, opts.InputMin, "input_min must not change")
	if c.ExpectedError != nil {
		require.Error(t, err)
		var qerr *qdq.Error
		require.True(t, errors.As(err, &qerr), "error %v is not a *qdq.Error", err)
		if strings.HasPrefix(c.ExpectedError.Substring, "Invalid range") {
			assert.Contains(t, err.Error(), c.ExpectedError.Substring)
		} else {
			assert.True(t, errors.Is(err, qdq.ErrAxis), "want an axis error, got %v", err)
		}
		return
	}
	require.NoError(t, err)
	tol, err := c.Within(name)
	require.NoError(t, err)
	got := Values(out)
	require.Len(t, got, len(c.Expected))
	for i, e := range c.Expected {
		if tol.Exact {
			assert.True(t, SameValue(Round(dtype, e), got[i]), "element %d: got %v, want exactly %v", i, got[i], e)
			continue
		}
		assert.LessOrEqual(t, math.Abs(e-got[i]), tol.Atol+tol.Rtol*math.Abs(got[i]), "element %d: got %v, want %v", i, got[i], e)
	}
}
