package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/npy"
)

// qdqCLI runs the command line and returns its exit status and output.
func qdqCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = cli(args, &o, &e)
	return code, o.String(), e.String()
}

func writeNpy(t *testing.T, dir, name, descr string, shape []int, data any) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, npy.Write(f, descr, shape, data))
	require.NoError(t, f.Close())
	return path
}

func readNpy(t *testing.T, path string) *npy.Array {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	st, err := f.Stat()
	require.NoError(t, err)
	a, err := npy.Read(bufio.NewReader(f), st.Size())
	require.NoError(t, err)
	return a
}

func TestRunMatchesLibrary(t *testing.T) {
	dir := t.TempDir()
	data := []float32{-1, -0.5, 0, 0.3, 0.8, 0.555, 2.5, -7}
	cases := []struct {
		name  string
		args  []string
		shape []int
		opts  qdq.Options
	}{
		{"defaults", nil, []int{8}, qdq.DefaultOptions()},
		{"4 bits half up narrow", []string{"-bits", "4", "-round", "HALF_UP", "-narrow"}, []int{2, 4},
			qdq.Options{NumBits: 4, RoundMode: qdq.HalfUp, NarrowRange: true}},
		{"unsigned", []string{"-signed=false"}, []int{8}, qdq.Options{Unsigned: true}},
		{"per channel", []string{"-axis", "1"}, []int{2, 4}, qdq.Options{PerChannel: true, Axis: 1}},
		{"given, float32 parse", []string{"-range-given", "-min", "-0.1", "-max", "0x1.8p-3"}, []int{8},
			qdq.Options{RangeGiven: true,
				InputMin: []float64{float64(float32(-0.1))}, InputMax: []float64{0.1875}}},
		{"given broadcast per channel", []string{"-axis", "0", "-range-given", "-min", "-1", "-max", "1"}, []int{2, 4},
			qdq.Options{PerChannel: true, RangeGiven: true, InputMin: []float64{-1}, InputMax: []float64{1}}},
		{"given list", []string{"-axis", "0", "-range-given", "-min", "-1,-2", "-max", "1,3"}, []int{2, 4},
			qdq.Options{PerChannel: true, RangeGiven: true, InputMin: []float64{-1, -2}, InputMax: []float64{1, 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := writeNpy(t, dir, "in.npy", "<f4", c.shape, data)
			out := filepath.Join(dir, "out.npy")
			code, _, stderr := qdqCLI(append(append([]string{"run"}, c.args...), in, out)...)
			require.Equal(t, 0, code, stderr)
			want, _, err := qdq.Apply(data, c.shape, c.opts)
			require.NoError(t, err)
			got := readNpy(t, out)
			assert.Equal(t, c.shape, got.Shape)
			assert.Equal(t, "<f4", got.Descr)
			for i := range want {
				assert.Equal(t, math.Float32bits(want[i]), math.Float32bits(got.F32[i]), "element %d", i)
			}
		})
	}
}

func TestRunDTypesAndShapes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		descr string
		shape []int
		data  any
		args  []string
	}{
		{"<f8", []int{3}, []float64{-1, 0.25, 3}, nil},
		{"<f4", []int{}, []float32{-3.5}, nil},
		{"<f4", []int{0, 3}, []float32{}, []string{"-axis", "1"}},
		{"<f2", []int{2, 2}, []uint16{0x3c00, 0xbc00, 0x3800, 0x0000}, nil},
		{"<u2", []int{3}, []uint16{0x3f80, 0xbf80, 0x3f00}, []string{"-dtype", "bfloat16"}},
		{"|V2", []int{3}, []uint16{0x3f80, 0xbf80, 0x3f00}, []string{"-dtype", "bfloat16"}},
	}
	for _, c := range cases {
		t.Run(c.descr, func(t *testing.T) {
			in := writeNpy(t, dir, "in.npy", c.descr, c.shape, c.data)
			out := filepath.Join(dir, "out.npy")
			code, _, stderr := qdqCLI(append(append([]string{"run"}, c.args...), in, out)...)
			require.Equal(t, 0, code, stderr)
			got := readNpy(t, out)
			assert.Equal(t, c.descr, got.Descr)
			assert.Equal(t, c.shape, got.Shape)
		})
	}
}

func TestRunErrorsLeaveOutputAlone(t *testing.T) {
	dir := t.TempDir()
	in := writeNpy(t, dir, "in.npy", "<f4", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6})
	u2 := writeNpy(t, dir, "u2.npy", "<u2", []int{2}, []uint16{1, 2})
	bad := filepath.Join(dir, "bad.npy")
	require.NoError(t, os.WriteFile(bad, []byte("\x93NUMPY\x01\x00garbage"), 0o644))
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"bits", []string{"-bits", "0", in}, "num_bits is out of range: 0 with signed_input_ true"},
		{"bits unsigned", []string{"-bits", "63", "-signed=false", in}, "num_bits is out of range: 63 with signed_input_ false"},
		{"round", []string{"-round", "UP", in}, "Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is 'UP'"},
		{"axis", []string{"-axis", "-3", in}, "axis -3: the tensor has rank 2"},
		{"axis rank", []string{"-axis", "2", in}, "Shape must be at least rank 3 but is rank 2"},
		{"inverted", []string{"-range-given", "-min", "1", "-max", "0", in}, "Invalid range: input_min 1 > input_max 0"},
		{"channels", []string{"-axis", "1", "-range-given", "-min", "0,0", "-max", "1,1", in}, "input_min_tensor has incorrect size, was 2 expected 3"},
		{"list per tensor", []string{"-range-given", "-min", "0,0", "-max", "1", in}, "input_min must be a scalar"},
		{"not a number", []string{"-range-given", "-min", "zero", "-max", "1", in}, `-min: "zero" is not a number`},
		{"min without range", []string{"-min", "0", in}, "-min and -max need -range-given"},
		{"range without min", []string{"-range-given", in}, "-range-given needs both -min and -max"},
		{"missing input", []string{filepath.Join(dir, "nope.npy")}, "no such file"},
		{"malformed", []string{bad}, "npy: invalid format"},
		{"u2 without dtype", []string{u2}, "pass -dtype bfloat16"},
		{"dtype other", []string{"-dtype", "float32", in}, "only bfloat16"},
		{"dtype mismatch", []string{"-dtype", "bfloat16", in}, "holds float32"},
		{"backend", []string{"-backend", "tpu", in}, `unknown backend "tpu"`},
		{"flag", []string{"-frobnicate", in}, "flag provided but not defined: -frobnicate"},
		{"flag value", []string{"-bits", "abc", in}, `invalid value "abc" for flag -bits`},
		{"float32 overflow", []string{"-range-given", "-min", "-1e39", "-max", "1", in}, "-min: -1e39 overflows float32"},
		{"arity", []string{in}, "run needs IN and OUT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, "out-"+strings.ReplaceAll(c.name, " ", "-")+".npy")
			args := append([]string{"run"}, c.args...)
			if c.name != "arity" {
				args = append(args, out)
			}
			code, stdout, stderr := qdqCLI(args...)
			assert.Equal(t, 2, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, c.msg)
			assert.Regexp(t, `^qdq: [^\n]+\n$`, stderr, "exactly one line on stderr")
			_, err := os.Stat(out)
			assert.True(t, os.IsNotExist(err), "output must not be created")
		})
	}
	t.Run("existing output unchanged", func(t *testing.T) {
		out := filepath.Join(dir, "keep.npy")
		require.NoError(t, os.WriteFile(out, []byte("precious"), 0o644))
		code, _, _ := qdqCLI("run", "-bits", "99", in, out)
		assert.Equal(t, 2, code)
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		assert.Equal(t, "precious", string(b))
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, e := range entries {
			assert.False(t, strings.HasSuffix(e.Name(), ".tmp"), "temporary file %s left behind", e.Name())
		}
	})
}

func TestRunMoreArguments(t *testing.T) {
	dir := t.TempDir()
	// A float16 tensor: -min/-max parse as float64 and round once to
	// float16. 1.0004882812500009 is just above the midpoint between 1
	// and the next half, 1.0009765625; through float32 it would round to
	// the midpoint and then, ties to even, down to 1.
	in := writeNpy(t, dir, "-in.npy", "<f2", []int{3}, []uint16{0x3c00, 0x3c01, 0xbc00})
	out := filepath.Join(dir, "-out.npy")
	code, _, stderr := qdqCLI("run", "-range-given", "-min", "-1", "-max", "1.0004882812500009", "-v", "--", in, out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, ", 1.0009766] scale", "the max rounded once to float16")
	assert.Equal(t, []int{3}, readNpy(t, out).Shape)

	code, _, stderr = qdqCLI("run", "-range-given", "-min", "-1", "-max", "70000", in, out)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "-max: 70000 overflows float16")

	// Replacing a file keeps its permissions.
	f32 := writeNpy(t, dir, "f.npy", "<f4", []int{2}, []float32{1, -1})
	keep := filepath.Join(dir, "keep.npy")
	require.NoError(t, os.WriteFile(keep, nil, 0o600))
	require.NoError(t, os.Chmod(keep, 0o600))
	code, _, stderr = qdqCLI("run", f32, keep)
	require.Equal(t, 0, code, stderr)
	st, err := os.Stat(keep)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	code, _, stderr = qdqCLI("run", f32, filepath.Join(dir, "nodir", "o.npy"))
	assert.Equal(t, 2, code)
	assert.Regexp(t, `^qdq: \S+/nodir/o\.npy: cannot create: no such file or directory\n$`, stderr)
}

func TestVersionAndHelp(t *testing.T) {
	code, stdout, _ := qdqCLI("version")
	assert.Equal(t, 0, code)
	assert.Regexp(t, `^qdq \S+ go1\.\S+ \S+/\S+ cpu-kernels=\S+\n$`, stdout)
	code, stdout, _ = qdqCLI("help", "run")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "-range-given")
	code, _, stderr := qdqCLI("run", "-h")
	assert.Equal(t, 0, code)
	assert.Contains(t, stderr, "usage: qdq run")
	code, _, stderr = qdqCLI("nonsense")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `qdq: unknown command "nonsense"`)
	code, _, _ = qdqCLI()
	assert.Equal(t, 2, code)
}

func TestBenchJSON(t *testing.T) {
	code, stdout, stderr := qdqCLI("bench", "-size", "64Ki", "-count", "1", "-dtype", "float32,bfloat16", "-json")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 8)
	modes := map[string]bool{}
	for _, line := range lines {
		var row map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &row))
		for _, k := range []string{"backend", "dtype", "mode", "elements", "seconds", "gbps", "copy_gbps", "copy_workers", "ratio"} {
			assert.Contains(t, row, k)
		}
		assert.Equal(t, "cpu", row["backend"])
		assert.Equal(t, float64(64<<10), row["elements"])
		assert.Greater(t, row["gbps"], 0.0)
		assert.Greater(t, row["copy_gbps"], 0.0)
		assert.Equal(t, float64(runtime.GOMAXPROCS(0)), row["copy_workers"])
		modes[row["mode"].(string)] = true
	}
	assert.Len(t, modes, 4)
	code, _, stderr = qdqCLI("bench", "-size", "1000")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "multiple of 4096")
}

func TestDevices(t *testing.T) {
	code, stdout, stderr := qdqCLI("devices")
	require.Equal(t, 0, code, stderr)
	if strings.HasPrefix(stdout, "no Vulkan devices") {
		require.Empty(t, os.Getenv("QDQ_REQUIRE_GPU"), "QDQ_REQUIRE_GPU is set but: %s", stdout)
		return
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.GreaterOrEqual(t, len(lines), 2)
	assert.Regexp(t, `^#\s+name\s+type\s+vulkan\s+driver\s+memory\s+subgroup\s+float64\s+float16`, lines[0])
	assert.Contains(t, stdout, "gpu", "some device is the gpu backend's choice")
	code, stdout, _ = qdqCLI("help", "devices")
	assert.Equal(t, 0, code)
	assert.Contains(t, stdout, "QDQ_VULKAN_DEVICE")
	code, _, stderr = qdqCLI("devices", "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "devices takes no arguments")
}
