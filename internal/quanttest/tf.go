package quanttest

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// tfCase is one entry of testdata/tf_cases.json: TensorFlow's own test
// vectors, taken from its kernel tests.
type tfCase struct {
	ID       string          `json:"id"`
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
	ExpectedError json.RawMessage            `json:"expected_error"`
}

// tolerance is |expected - got| <= Atol + Rtol*|got|; Exact asks for equal
// bits.
type tolerance struct {
	Exact      bool
	Atol, Rtol float64
}

// tolerance returns the case's tolerance for the named storage.
func (c *tfCase) tolerance(storage string) (tolerance, error) {
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
		if err := json.Unmarshal(c.Tolerance[storage], &per); err != nil {
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

// tfOut explains why a case is not run here: it tests something outside
// the forward op's kernel (gradients, graph-time shape inference), or it
// expects an error. Those are API validation (a num_bits tensor of the
// wrong shape, an invalid range or axis), which a backend never sees: the
// root package's tests run them.
func tfOut(c *tfCase) string {
	switch {
	case c.Kind != "forward":
		return c.Kind
	case len(c.ExpectedError) > 0 && string(c.ExpectedError) != "null":
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
	cases := loadTensorFlowCases(t)
	ran := 0
	for i := range cases {
		c := &cases[i]
		if why := tfOut(c); why != "" {
			t.Logf("%s: not run here (%s)", c.ID, why)
			continue
		}
		names := []string{c.DType}
		if strings.HasPrefix(c.DType, "each of") { // XLA's tests run every float type
			names = []string{"float32", "float64", "float16", "bfloat16"}
		}
		for _, name := range names {
			ran++
			t.Run(c.ID+"/"+name, func(t *testing.T) { tfRun(t, b, &st, c, name) })
		}
	}
	assert.GreaterOrEqual(t, ran, 45, "valid forward TensorFlow cases run")
	return st
}

// tfRun runs one vector in the named storage.
func tfRun(t *testing.T, b quant.Backend, st *Stats, c *tfCase, name string) {
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
		row.Min, err = numbers(c.InputMin)
		require.NoError(t, err)
		row.Max, err = numbers(c.InputMax)
		require.NoError(t, err)
	}
	o := row.call(t, s).run(t, context.Background(), b)
	if !st.note(t, o.err, c.ID) {
		return
	}
	tol, err := c.tolerance(name)
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
