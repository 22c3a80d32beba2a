// Package work runs the items of a job on a few goroutines: the one work
// queue of the module, used by the CPU backend's plans, the error
// statistics and the weight-file pipeline's cache-sized pieces.
package work

import (
	"context"
	"sync"
	"sync/atomic"
)

// Do runs fn for items 0..n-1 on up to workers goroutines, worker w
// passing its own index (0 <= w < workers). Items are handed out in order
// as workers come free; with one worker, or one item, Do runs them on the
// calling goroutine. It stops handing out items once ctx is done and then,
// unless every item had already run, returns ctx.Err().
func Do(ctx context.Context, workers, n int, fn func(w, item int)) error {
	workers = min(workers, n)
	var next, done atomic.Int64
	work := func(w int) {
		for {
			item := int(next.Add(1) - 1)
			if item >= n || ctx.Err() != nil {
				return
			}
			fn(w, item)
			done.Add(1)
		}
	}
	if workers <= 1 {
		work(0)
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { work(w) })
		}
		wg.Wait()
	}
	if done.Load() < int64(n) {
		return ctx.Err()
	}
	return nil
}
