package cpu

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

func TestParallelStopsWhenCancelled(t *testing.T) {
	for _, workers := range []int{1, 2, 5} {
		ctx, cancel := context.WithCancel(context.Background())
		var ran, late atomic.Int64
		var cancelled atomic.Bool
		err := parallel(ctx, workers, 1000, func(_, item int) {
			if cancelled.Load() {
				late.Add(1) // handed out before the cancel was seen
			}
			if ran.Add(1) == 3 {
				cancel()
				cancelled.Store(true)
			}
		})
		assert.ErrorIs(t, err, context.Canceled)
		assert.LessOrEqual(t, late.Load(), int64(workers), "each worker may finish at most the item it held: %d workers", workers)
		assert.Less(t, ran.Load(), int64(1000), "%d workers", workers)
	}
}

func TestParallelFinishedWorkIsNotAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	seen := make([]atomic.Int32, 50)
	err := parallel(ctx, 3, len(seen), func(_, item int) {
		seen[item].Add(1)
		if item == len(seen)-1 {
			cancel() // the last item cancels, but every item ran
		}
	})
	// The last item may finish before others; all ran exactly once.
	for i := range seen {
		require.Equal(t, int32(1), seen[i].Load(), "item %d", i)
	}
	assert.NoError(t, err)
}

func TestFastHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := make([]float32, 1<<16)
	_, err := Fast{}.Float32(ctx, src, src, quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: len(src)}, Params: quant.Params{Signed: true, NumBits: 8}})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestRunStopsMidCall cancels from inside the first kernel call of a
// large per-channel run: the call must return the cancellation and leave
// most work items undone.
func TestRunStopsMidCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int64
	done := make(chan struct{}) // closed once the context is cancelled
	k := scalarFloat32
	k.apply = func(dst, src []float32, q quant.Quant[float32], clamp bool, mode quant.RoundMode) {
		if calls.Add(1) == 1 {
			cancel()
			close(done)
		}
		<-done // no call gets ahead of the cancellation
		scalarFloat32.apply(dst, src, q, clamp, mode)
	}
	const depth, inner = 512, 1024
	src := make([]float32, depth*inner)
	r := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: depth, Inner: inner}, Params: quant.Params{Signed: true, NumBits: 8}}
	_, err := run(ctx, 2, &k, src, src, r)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, calls.Load(), int64(depth/2), "most channels were never started")
}
