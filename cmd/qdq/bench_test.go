package main

import (
	"encoding/json"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
)

// withGOMAXPROCS sets GOMAXPROCS to n for the rest of the test, so that
// the copy's goroutine count differs from one and from the machine's.
func withGOMAXPROCS(t *testing.T, n int) {
	t.Helper()
	prev := runtime.GOMAXPROCS(n)
	t.Cleanup(func() { runtime.GOMAXPROCS(prev) })
}

func TestBenchLimitUsesEveryWorker(t *testing.T) {
	withGOMAXPROCS(t, 3)
	code, stdout, stderr := qdqCLI("bench", "-backend", "cpu", "-size", "16Ki", "-count", "1",
		"-dtype", "float64,float16", "-mode", "tensor-given", "-json")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2)
	for _, line := range lines {
		var row benchRow
		require.NoError(t, json.Unmarshal([]byte(line), &row))
		assert.Equal(t, 3, row.CopyWorkers, "the limit copies over as many goroutines as the engine has workers")
		assert.InDelta(t, row.GBps/row.CopyGBps, row.Ratio, 1e-9*row.Ratio, "ratio is GB/s over limit GB/s")
	}
}

func TestBenchTableNamesTheLimit(t *testing.T) {
	withGOMAXPROCS(t, 3)
	code, stdout, stderr := qdqCLI("bench", "-backend", "cpu", "-size", "16Ki", "-count", "1",
		"-dtype", "float32", "-mode", "channel-data")
	require.Equal(t, 0, code, stderr)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	require.Len(t, lines, 2)
	assert.Regexp(t, `\sGB/s\s+copy workers\s+limit GB/s\s+ratio\s+kernel GB/s$`, lines[0])
	assert.NotContains(t, lines[0], "copy GB/s")
	fields := strings.Fields(lines[1])
	require.Len(t, fields, 11, lines[1])
	assert.Equal(t, []string{"cpu", "float32", "channel-data", "16384"}, []string{fields[0], fields[2], fields[3], fields[4]})
	assert.Equal(t, "3", fields[7], "copy workers column")
	assert.True(t, strings.HasSuffix(fields[9], "×"), "ratio column: %q", fields[9])
}

func TestBenchHelpNamesTheLimit(t *testing.T) {
	code, stdout, _ := qdqCLI("help", "bench")
	require.Equal(t, 0, code)
	for _, want := range []string{
		"memory limit", "as many goroutines as the engine has", "GOMAXPROCS",
		"gpu backend", "divided by the limit's", "copy_workers",
	} {
		assert.Contains(t, strings.Join(strings.Fields(stdout), " "), want)
	}
}

func TestCopyWorkers(t *testing.T) {
	withGOMAXPROCS(t, 3)
	engine, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	require.NoError(t, err)
	defer engine.Close()
	assert.Equal(t, 3, copyWorkers(engine, qdq.Config{Backend: qdq.CPU}), "Workers 0 means GOMAXPROCS")
	assert.Equal(t, 5, copyWorkers(engine, qdq.Config{Backend: qdq.CPU, Workers: 5}))
}

func TestCopyBounds(t *testing.T) {
	for _, c := range []struct{ n, parts, want int }{
		{10, 3, 3}, {9, 3, 3}, {4096, 2, 2}, {4096, 1, 1}, {5, 8, 5}, {7, 0, 1}, {1 << 40, 1 << 20, 1 << 20},
	} {
		t.Run(strconv.Itoa(c.n)+"/"+strconv.Itoa(c.parts), func(t *testing.T) {
			b := copyBounds(c.n, c.parts)
			require.Len(t, b, c.want+1)
			assert.Equal(t, 0, b[0])
			assert.Equal(t, c.n, b[len(b)-1])
			q := c.n / c.want
			for i := range c.want {
				if l := b[i+1] - b[i]; l != q && l != q+1 {
					t.Fatalf("part %d is [%d, %d): want %d or %d elements", i, b[i], b[i+1], q, q+1)
				}
			}
		})
	}
}

func TestCopyTensorCopiesEveryPart(t *testing.T) {
	for _, dtype := range []qdq.DType{qdq.F32, qdq.F64, qdq.F16, qdq.BF16} {
		for _, workers := range []int{1, 2, 3, 7} {
			in, out := benchTensors(dtype, 4096+5)
			copyTensor(out, in, workers)
			switch dtype {
			case qdq.F32:
				d, _ := qdq.Data[float32](out)
				s, _ := qdq.Data[float32](in)
				assert.Equal(t, s, d, "%s over %d goroutines", dtype, workers)
			case qdq.F64:
				d, _ := qdq.Data[float64](out)
				s, _ := qdq.Data[float64](in)
				assert.Equal(t, s, d, "%s over %d goroutines", dtype, workers)
			default:
				assert.Equal(t, in.Bits16(), out.Bits16(), "%s over %d goroutines", dtype, workers)
			}
		}
	}
}
