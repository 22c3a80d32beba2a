package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunKnownBadInputs gives qdq run each of TensorFlow's advisories
// against this op, and each gap the spec lists, as flags: exit status 2,
// one line naming the problem, no output.
func TestRunKnownBadInputs(t *testing.T) {
	dir := t.TempDir()
	vec := writeNpy(t, dir, "vec.npy", "<f4", []int{2}, []float32{2.5, 2.5})
	mat := writeNpy(t, dir, "mat.npy", "<f4", []int{3, 2}, []float32{1, 2, 3, 4, 5, 6})
	out := filepath.Join(dir, "out.npy")
	for _, tc := range []struct {
		name string
		args []string
		msg  string
	}{
		{"TFSA-2020-027 axis 10", []string{"-range-given", "-min", "0,0", "-max", "1,1", "-axis", "10", vec}, "Shape must be at least rank 11 but is rank 1"},
		{"TFSA-2021-040 axis 3", []string{"-bits", "30", "-axis", "3", vec}, "Shape must be at least rank 4 but is rank 1"},
		{"TFSA-2021-099 axis -2", []string{"-axis", "-2", "-signed=false", "-bits", "1", vec}, "axis -2: the tensor has rank 1"},
		{"TFSA-2021-119 axis -100", []string{"-axis", "-100", mat}, "axis -100: the tensor has rank 2"},
		{"TFSA-2022-062 empty input_min", []string{"-range-given", "-min", "", "-max", "1", vec}, "-range-given needs both -min and -max"},
		{"TFSA-2022-112 num_bits 0", []string{"-bits", "0", vec}, "num_bits is out of range: 0"},
		{"TFSA-2022-168 axis 2^31-1", []string{"-axis", "2147483647", vec}, "Shape must be at least rank 2147483648"},
		{"axis beyond int64", []string{"-axis", "9223372036854775808", vec}, "value out of range"},
		{"axis = rank", []string{"-axis", "2", mat}, "Shape must be at least rank 3 but is rank 2"},
		{"non-scalar range with axis -1", []string{"-range-given", "-min", "-1,-1", "-max", "1", vec}, "input_min must be a scalar"},
		{"per-channel range of the wrong size", []string{"-range-given", "-min", "-1,-1", "-max", "1,1", "-axis", "0", mat}, "input_min_tensor has incorrect size, was 2 expected 3"},
		{"inverted range", []string{"-range-given", "-min", "1", "-max", "-1", vec}, "Invalid range: input_min 1 > input_max -1"},
		{"inverted per-channel range", []string{"-range-given", "-min", "-1,2,-1", "-max", "1,1,1", "-axis", "0", mat}, "channel 1 of axis 0"},
		{"NaN range", []string{"-range-given", "-min", "NaN", "-max", "1", vec}, "input_min nan"},
		{"num_bits 1 signed narrow", []string{"-bits", "1", "-narrow", vec}, "leaves no quantization levels"},
		{"num_bits 62 signed", []string{"-bits", "62", vec}, "num_bits is out of range: 62"},
		{"num_bits 63 unsigned", []string{"-bits", "63", "-signed=false", vec}, "num_bits is out of range: 63"},
		{"num_bits 64", []string{"-bits", "64", vec}, "num_bits is out of range: 64"},
		{"num_bits negative", []string{"-bits", "-8", vec}, "num_bits is out of range: -8"},
		{"num_bits huge", []string{"-bits", "9223372036854775807", vec}, "num_bits is out of range: 9223372036854775807"},
		{"round mode", []string{"-round", "HALF_DOWN", vec}, "HALF_DOWN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := qdqCLI(append(append([]string{"run"}, tc.args...), out)...)
			assert.Equal(t, 2, code, stderr)
			assert.Empty(t, stdout)
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
			assert.True(t, strings.HasPrefix(stderr, "qdq: "), stderr)
			assert.Contains(t, stderr, tc.msg)
			_, err := os.Stat(out)
			require.ErrorIs(t, err, os.ErrNotExist, "no output on error")
		})
	}
}
