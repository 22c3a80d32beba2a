package qdq

import (
	"context"
	"fmt"
	"sync"
)

// Job is one tensor of a batch.
type Job struct {
	In Tensor
	// Out receives the result: a tensor of In's dtype and shape (In itself
	// for in place), or the zero Tensor to have RunBatch allocate one and
	// store it here.
	Out     Tensor
	Options Options
}

// RunBatch fake-quantizes every job and returns their results in order.
// On a GPU engine two jobs are in flight at once, so that one's transfers
// overlap the other's work on the device; on the CPU they run one after
// the other, each on every core. The first failing job (or a cancelled
// ctx) stops the batch: jobs not yet started do not run, and the error
// names the job.
func (e *Engine) RunBatch(ctx context.Context, jobs []Job) ([]Result, error) {
	for i := range jobs {
		if jobs[i].Out.dtype == 0 && jobs[i].In.check() == nil {
			jobs[i].Out = ZerosLike(jobs[i].In)
		}
	}
	workers := 1
	if e.gpu != nil {
		workers = 2
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	results := make([]Result, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				res, err := e.RunInto(ctx, jobs[i].Out, jobs[i].In, jobs[i].Options)
				if err != nil {
					cancel(fmt.Errorf("qdq: job %d: %w", i, err))
					continue
				}
				results[i] = res
			}
		})
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return results, err
	}
	return results, nil
}
