package qdq_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

// TestRunIntoAllocatesNoTensorSizedMemory checks the memory promise: the
// input is never copied and RunInto allocates only per-channel results and
// small scratch, whatever the layout.
func TestRunIntoAllocatesNoTensorSizedMemory(t *testing.T) {
	const n = 1 << 22 // 16 MiB of float32
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	require.NoError(t, err)
	for _, c := range []struct {
		shape []int
		axis  int
	}{{[]int{n}, -1}, {[]int{64, n / 64}, 0}, {[]int{n / 64, 64}, 1}, {[]int{16, 64, n / 1024}, 1}, {[]int{n / 4, 4}, 1}} {
		in := qdqtest.Tensor(t, qdq.F32, c.shape, make([]float64, n))
		out := qdq.ZerosLike(in)
		o := qdq.DefaultOptions()
		setAxis(&o, c.axis)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := e.RunInto(context.Background(), out, in, o)
		runtime.ReadMemStats(&after)
		require.NoError(t, err)
		depth := 1
		if c.axis >= 0 {
			depth = c.shape[c.axis]
		}
		limit := 1<<20 + 64*uint64(depth) // scratch plus results per channel
		assert.Less(t, after.TotalAlloc-before.TotalAlloc, limit, "shape %v axis %d", c.shape, c.axis)
	}
}
