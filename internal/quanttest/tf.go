package quanttest

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// tfOut explains why a case is not run here: it tests something outside
// the forward op's kernel (gradients, graph-time shape inference), or it
// expects an error. Those are API validation (a num_bits tensor of the
// wrong shape, an invalid range or axis), which a backend never sees: the
// root package's tests run them.
func tfOut(c *TFCase) string {
	switch {
	case c.Kind != "forward":
		return c.Kind
	case c.ExpectedError != nil:
		return "expects an error: API validation, run by the root package's tests"
	case c.Attrs.NumBits == nil:
		return "num_bits given as a tensor"
	}
	return ""
}

// tfStorages maps TensorFlow's dtype names to storages.
var tfStorages = map[string]quant.Storage{"float32": quant.F32, "float64": quant.F64, "float16": quant.F16, "bfloat16": quant.BF16}

// TensorFlowVectors runs TensorFlow's forward test vectors with valid
// inputs: outputs within each test's own tolerance (bit-exact where the
// test asserts equality). The vectors that expect an error are API
// validation and are left to the root package's tests.
func TensorFlowVectors(t *testing.T, b quant.Backend) Stats {
	var st Stats
	cases := LoadTFCases(t)
	ran := 0
	for i := range cases {
		c := &cases[i]
		if why := tfOut(c); why != "" {
			t.Logf("%s: not run here (%s)", c.ID, why)
			continue
		}
		for _, name := range c.DTypes() {
			ran++
			t.Run(c.ID+"/"+name, func(t *testing.T) { tfRun(t, b, &st, c, name) })
		}
	}
	assert.GreaterOrEqual(t, ran, 45, "valid forward TensorFlow cases run")
	return st
}

// tfRun runs one vector in the named storage.
func tfRun(t *testing.T, b quant.Backend, st *Stats, c *TFCase, name string) {
	s, ok := tfStorages[name]
	require.True(t, ok, "dtype %q", name)
	row := Case{
		Shape: c.Shape, Axis: int(c.Attrs.Axis), In: c.Input,
		Params: quant.Params{Signed: c.Attrs.SignedInput, NumBits: *c.Attrs.NumBits, Narrow: c.Attrs.NarrowRange},
	}
	switch c.Attrs.RoundMode {
	case "HALF_UP":
		row.Params.Round = quant.HalfUp
	case "HALF_TO_EVEN":
	default:
		t.Fatalf("round mode %q", c.Attrs.RoundMode)
	}
	if c.Attrs.RangeGiven {
		var err error
		row.Min, row.Max, err = c.GivenRange()
		require.NoError(t, err)
	}
	o := row.call(t, s).run(t, context.Background(), b)
	if !st.note(t, o.err, c.ID) {
		return
	}
	tol, err := c.Within(name)
	require.NoError(t, err)
	require.Len(t, o.out, len(c.Expected))
	got := o.values(s)
	for i, e := range c.Expected {
		if tol.Exact {
			assert.Equal(t, Encode(s, e), o.out[i], "element %d: got %v, want exactly %v", i, got[i], e)
			continue
		}
		assert.LessOrEqual(t, math.Abs(e-got[i]), tol.Atol+tol.Rtol*math.Abs(got[i]), "element %d: got %v, want %v", i, got[i], e)
	}
}
