package qdq_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

// batchJobs makes jobs of every dtype, per tensor and per channel.
func batchJobs(t *testing.T) []qdq.Job {
	var jobs []qdq.Job
	for i := range 12 {
		dtype := qdqtest.DTypes[i%4]
		vals := make([]float64, 4*3000)
		for j := range vals {
			vals[j] = math.Sin(float64(j*(i+1))) * float64(i+1)
		}
		o := qdq.DefaultOptions()
		setAxis(&o, i%3-1)
		jobs = append(jobs, qdq.Job{In: qdqtest.Tensor(t, dtype, []int{4, 3000}, vals), Options: o})
	}
	return jobs
}

func testBatch(t *testing.T, e *qdq.Engine) {
	jobs := batchJobs(t)
	results, err := e.RunBatch(context.Background(), jobs)
	require.NoError(t, err)
	require.Len(t, results, len(jobs))
	for i, j := range jobs {
		want, wantRes, err := qdqtest.Reference(t, j.In, j.Options)
		require.NoError(t, err)
		_, same := qdqtest.Same(want, j.Out)
		assert.True(t, same, "job %d", i)
		assert.Len(t, results[i].Channels, len(wantRes.Channels), "job %d", i)
	}

	// A bad job stops the batch and is named.
	jobs = batchJobs(t)
	jobs[5].Options.NumBits = -1
	_, err = e.RunBatch(context.Background(), jobs)
	require.ErrorIs(t, err, qdq.ErrNumBits)
	assert.Contains(t, err.Error(), "job 5")

	// A cancelled batch runs nothing.
	jobs = batchJobs(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.RunBatch(ctx, jobs)
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
	for i, j := range jobs {
		for k := range j.Out.Len() {
			require.Zero(t, j.Out.Float64At(k), "job %d ran", i)
		}
	}
}

func TestRunBatchCPU(t *testing.T) {
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	require.NoError(t, err)
	testBatch(t, e)
}

func TestRunBatchGPU(t *testing.T) {
	e := gpuEngine(t)
	testBatch(t, e)
	jobs := batchJobs(t)
	results, err := e.RunBatch(context.Background(), jobs)
	require.NoError(t, err)
	for i, res := range results {
		assert.Equal(t, qdq.GPU, res.Backend, "job %d ran on the device: %s", i, res.Fallback)
	}
}

// TestRunBatchGPUCancelledMidway cancels a long batch while it runs: it
// returns the cancellation, the last jobs never ran, and every job that
// did run is right.
func TestRunBatchGPUCancelledMidway(t *testing.T) {
	e := gpuEngine(t)
	const jobs, n = 64, 1 << 20
	batch := make([]qdq.Job, jobs)
	for i := range batch {
		vals := make([]float32, n)
		for j := range vals {
			vals[j] = float32(math.Sin(float64(j+i))) + 1.5 // never quantizes to zero
		}
		in, err := qdq.NewTensor([]int{n}, vals)
		require.NoError(t, err)
		batch[i] = qdq.Job{In: in, Options: qdq.DefaultOptions()}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := e.RunBatch(ctx, batch)
	require.ErrorIs(t, err, context.DeadlineExceeded, "64 MiB-jobs cannot all finish in 50 ms on lavapipe")
	ran := 0
	for i, j := range batch {
		if j.Out.Float64At(n-1) == 0 {
			continue // not run, or not finished
		}
		ran++
		want, _, err := qdqtest.Reference(t, j.In, j.Options)
		require.NoError(t, err)
		_, same := qdqtest.Same(want, j.Out)
		assert.True(t, same, "job %d", i)
	}
	assert.Less(t, ran, jobs)
	assert.Zero(t, batch[jobs-1].Out.Float64At(0), "the last job did not run")
}

// TestGPUOddSizes runs sizes that leave partial workgroups and half-used
// 16-bit words: 1, 7 and 65,537 elements.
func TestGPUOddSizes(t *testing.T) {
	e := gpuEngine(t)
	for _, n := range []int{1, 7, 65537} {
		for _, dtype := range qdqtest.DTypes {
			vals := make([]float64, n)
			for i := range vals {
				vals[i] = math.Sin(float64(i)*0.37) * 5
			}
			in := qdqtest.Tensor(t, dtype, []int{n}, vals)
			for _, given := range []bool{false, true} {
				o := qdq.DefaultOptions()
				if given {
					o.RangeGiven, o.InputMin, o.InputMax = true, []float64{-2}, []float64{3}
				}
				got, res, err := qdqtest.Call(t, e.RunInto, in, o)
				require.NoError(t, err)
				assert.Equal(t, qdq.GPU, res.Backend, res.Fallback)
				want, _, err := qdqtest.Reference(t, in, o)
				require.NoError(t, err)
				i, same := qdqtest.Same(want, got)
				assert.True(t, same, "%v n=%d given=%t: element %d", dtype, n, given, i)
			}
		}
	}
}
