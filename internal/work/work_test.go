package work

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDoStopsWhenCancelled(t *testing.T) {
	for _, workers := range []int{1, 2, 5} {
		ctx, cancel := context.WithCancel(context.Background())
		var ran, late atomic.Int64
		var cancelled atomic.Bool
		err := Do(ctx, workers, 1000, func(_, item int) {
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

func TestDoFinishedWorkIsNotAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	seen := make([]atomic.Int32, 50)
	err := Do(ctx, 3, len(seen), func(_, item int) {
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

// TestDoWorkerIndexes checks that each worker has an index of its own,
// below workers, so that per-worker scratch needs no lock.
func TestDoWorkerIndexes(t *testing.T) {
	for _, workers := range []int{1, 2, 7} {
		var busy [7]atomic.Int32
		var clash atomic.Bool
		require.NoError(t, Do(context.Background(), workers, 500, func(w, _ int) {
			if busy[w].Add(1) != 1 {
				clash.Store(true)
			}
			busy[w].Add(-1)
		}))
		assert.False(t, clash.Load(), "%d workers: two goroutines had one index", workers)
	}
}
