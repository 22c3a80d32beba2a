package qdq

import (
	"context"
	"errors"
	"fmt"

	"github.com/qdqvk/qdq/internal/quant"
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
// Every job is validated first, and an invalid one fails the batch before
// anything runs; the error names the job.
//
// On a GPU engine the jobs of each dtype go to the device together, up to
// 32 tensors (256 MiB) per submission, their uploads, reductions, fused
// passes and downloads side by side, with one host round trip between the
// reductions and the fused passes; a job too large to batch runs alone,
// and one the device cannot do exactly runs on the CPU (Result.Fallback).
// Results of batched jobs have no KernelTime. On the CPU the jobs run one
// after the other, each on every core. A cancelled ctx stops the batch
// between submissions (or jobs) and returns its error.
func (e *Engine) RunBatch(ctx context.Context, jobs []Job) ([]Result, error) {
	if err := e.enter(); err != nil {
		return nil, err
	}
	defer e.leave()
	calls := make([]call, len(jobs))
	for i := range jobs {
		c, err := e.prepare(jobs[i].In, jobs[i].Options)
		if err == nil {
			if jobs[i].Out.dtype == 0 {
				jobs[i].Out = ZerosLike(jobs[i].In)
			}
			err = checkOutput(jobs[i].Out, jobs[i].In)
		}
		if err != nil {
			return nil, about(fmt.Sprintf("job %d", i), err)
		}
		calls[i] = c
	}
	results := make([]Result, len(jobs))
	done := make([]bool, len(jobs))
	if e.gpu != nil {
		if err := e.batchGPU(ctx, jobs, calls, results, done); err != nil {
			return results, err
		}
	}
	for i := range jobs {
		if done[i] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return results, err
		}
		res, err := e.run(ctx, jobs[i].Out, jobs[i].In, calls[i])
		if err != nil {
			return results, about(fmt.Sprintf("job %d", i), err)
		}
		results[i] = res
	}
	return results, nil
}

// batchGPU runs the jobs it can as device batches, one per dtype, and
// marks them done.
func (e *Engine) batchGPU(ctx context.Context, jobs []Job, calls []call, results []Result, done []bool) error {
	for _, dtype := range []DType{F32, F16, BF16, F64} {
		var index []int
		for i, j := range jobs {
			if j.In.dtype == dtype {
				index = append(index, i)
			}
		}
		if len(index) == 0 {
			continue
		}
		var err error
		if dtype == F64 {
			err = batchCalls(ctx, index, jobs, calls, results, done, func(cs []*quant.Job[float64]) error {
				return e.gpu.BatchFloat64(ctx, cs)
			})
		} else {
			err = batchCalls(ctx, index, jobs, calls, results, done, func(cs []*quant.Job[float32]) error {
				return e.gpu.BatchFloat32(ctx, quant.Storage(dtype), cs)
			})
		}
		switch {
		case err == nil:
		case e.closed.Load():
			return newError(ErrClosed, "engine is closed")
		case errors.Is(err, quant.ErrDeclined):
			// The jobs not done run alone, each on the device or, if it
			// fails again, on the CPU.
		default:
			return about("batch", err)
		}
	}
	return nil
}

// batchCalls builds the device calls of the jobs at index, runs them, and
// records the ones that ran.
func batchCalls[C quant.Float](ctx context.Context, index []int, jobs []Job, calls []call, results []Result, done []bool,
	run func([]*quant.Job[C]) error) error {
	cs := make([]*quant.Job[C], len(index))
	for k, i := range index {
		cs[k] = &quant.Job[C]{Dst: jobs[i].Out.bytes(), Src: jobs[i].In.bytes(), Request: request[C](calls[i])}
	}
	if err := run(cs); err != nil {
		return err
	}
	for k, i := range index {
		if cs[k].Err == nil {
			results[i], done[i] = Result{Backend: GPU, Channels: channelsOf(cs[k].Quants)}, true
		}
	}
	return ctx.Err()
}
