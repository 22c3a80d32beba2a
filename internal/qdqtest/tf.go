package qdqtest

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
)

// tfCase is one entry of testdata/tf_cases.json: TensorFlow's own test
// vectors, taken from its kernel tests.
type tfCase struct {
	ID       string          `json:"id"`
	Op       string          `json:"op"`
	Kind     string          `json:"kind"`
	DType    string          `json:"dtype"`
	Shape    []int           `json:"shape"`
	Input    []float64       `json:"input"`
	InputMin json.RawMessage `json:"input_min"`
	InputMax json.RawMessage `json:"input_max"`
	Attrs    struct {
		SignedInput bool   `json:"signed_input"`
		NumBits     *int   `json:"num_bits"`
		RangeGiven  bool   `json:"range_given"`
		RoundMode   string `json:"round_mode"`
		NarrowRange bool   `json:"narrow_range"`
		Axis        int64  `json:"axis"`
	} `json:"attrs"`
	Expected      []float64                  `json:"expected"`
	Tolerance     map[string]json.RawMessage `json:"tolerance"`
	ExpectedError *struct {
		Substring    string   `json:"substring"`
		SubstringAny []string `json:"substring_any"`
	} `json:"expected_error"`
}

// tolerance is |expected - got| <= Atol + Rtol*|got|; Exact asks for equal
// bits.
type tolerance struct {
	Exact      bool
	Atol, Rtol float64
}

func (c *tfCase) tolerance(dtype string) (tolerance, error) {
	var kind string
	if err := json.Unmarshal(c.Tolerance["kind"], &kind); err != nil {
		return tolerance{}, err
	}
	raw := c.Tolerance
	switch kind {
	case "exact":
		return tolerance{Exact: true}, nil
	case "approx_per_dtype":
		var per map[string]json.RawMessage
		if err := json.Unmarshal(c.Tolerance[dtype], &per); err != nil {
			return tolerance{}, err
		}
		raw = per
	}
	var tol tolerance
	if err := json.Unmarshal(raw["atol"], &tol.Atol); err != nil {
		return tol, err
	}
	if r, ok := raw["rtol"]; ok {
		if err := json.Unmarshal(r, &tol.Rtol); err != nil {
			return tol, err
		}
	}
	return tol, nil
}

// numbers decodes a number or a list of numbers.
func numbers(raw json.RawMessage) ([]float64, error) {
	var one float64
	if err := json.Unmarshal(raw, &one); err == nil {
		return []float64{one}, nil
	}
	var many []float64
	err := json.Unmarshal(raw, &many)
	return many, err
}

// loadTensorFlowCases reads testdata/tf_cases.json from the module root:
// found from this source file's path, or, for a test binary run elsewhere
// (a GPU machine), from the working directory or one of its parents.
func loadTensorFlowCases(t *testing.T) []tfCase {
	var places []string
	if _, file, _, ok := runtime.Caller(0); ok {
		places = append(places, filepath.Join(filepath.Dir(file), "..", ".."))
	}
	places = append(places, ".", "..", filepath.Join("..", ".."))
	var (
		data []byte
		err  error
	)
	for _, dir := range places {
		if data, err = os.ReadFile(filepath.Join(dir, "testdata", "tf_cases.json")); err == nil {
			break
		}
	}
	require.NoError(t, err, "testdata/tf_cases.json")
	var cases []tfCase
	require.NoError(t, json.Unmarshal(data, &cases))
	return cases
}

// tfOut explains why a case is not run: it tests something outside the
// forward op's kernel (gradients, graph-time shape inference) or an input
// that qdq's API cannot express (a num_bits tensor, a rank-0 per-channel
// range: Options.InputMin is always a list).
func tfOut(c *tfCase) string {
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
	cases := loadTensorFlowCases(t)
	ran := 0
	for i := range cases {
		c := &cases[i]
		if why := tfOut(c); why != "" {
			t.Logf("%s: not run (%s)", c.ID, why)
			continue
		}
		dtypes := []string{c.DType}
		if strings.HasPrefix(c.DType, "each of") { // XLA's tests run every float type
			dtypes = []string{"float32", "float64", "float16", "bfloat16"}
		}
		for _, name := range dtypes {
			ran++
			t.Run(c.ID+"/"+name, func(t *testing.T) { tfRun(t, run, c, name) })
		}
	}
	assert.GreaterOrEqual(t, ran, 45, "forward TensorFlow cases run")
}

func tfRun(t *testing.T, run Runner, c *tfCase, name string) {
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
		opts.InputMin, err = numbers(c.InputMin)
		require.NoError(t, err)
		opts.InputMax, err = numbers(c.InputMax)
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
	tol, err := c.tolerance(name)
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
