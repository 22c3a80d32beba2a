package quanttest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TFCase is one entry of testdata/tf_cases.json: TensorFlow's own test
// vectors, taken from its kernel tests. This package runs them at the
// backend level; internal/qdqtest runs them through the public API.
type TFCase struct {
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
	ExpectedError *TFError                   `json:"expected_error"`
}

// TFError is the error a TensorFlow test expects: its message contains
// Substring, or one of SubstringAny.
type TFError struct {
	Substring    string   `json:"substring"`
	SubstringAny []string `json:"substring_any"`
}

// Tolerance is |expected - got| <= Atol + Rtol*|got|; Exact asks for equal
// bits.
type Tolerance struct {
	Exact      bool
	Atol, Rtol float64
}

// DTypes names the float types the case runs in: its own, or all four
// for XLA's tests, which run every float type.
func (c *TFCase) DTypes() []string {
	if strings.HasPrefix(c.DType, "each of") {
		return []string{"float32", "float64", "float16", "bfloat16"}
	}
	return []string{c.DType}
}

// Within returns the case's tolerance for the named float type.
func (c *TFCase) Within(dtype string) (Tolerance, error) {
	var kind string
	if err := json.Unmarshal(c.Tolerance["kind"], &kind); err != nil {
		return Tolerance{}, err
	}
	raw := c.Tolerance
	switch kind {
	case "exact":
		return Tolerance{Exact: true}, nil
	case "approx_per_dtype":
		var per map[string]json.RawMessage
		if err := json.Unmarshal(c.Tolerance[dtype], &per); err != nil {
			return Tolerance{}, err
		}
		raw = per
	}
	var tol Tolerance
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

// GivenRange decodes the case's input_min and input_max, each a number
// or a list of numbers.
func (c *TFCase) GivenRange() (lo, hi []float64, err error) {
	if lo, err = numbers(c.InputMin); err != nil {
		return nil, nil, err
	}
	hi, err = numbers(c.InputMax)
	return lo, hi, err
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

// LoadTFCases reads testdata/tf_cases.json from the module root: found
// from this source file's path, or, for a test binary run elsewhere (a
// GPU machine), from the working directory or one of its parents.
func LoadTFCases(t testing.TB) []TFCase {
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
	var cases []TFCase
	require.NoError(t, json.Unmarshal(data, &cases))
	return cases
}
