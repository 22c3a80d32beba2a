package qdq_test

import (
	"context"
	"errors"
	"math"
	"testing"

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
		o.Axis = i%3 - 1
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
	jobs[5].Options.NumBits = 0
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
	testBatch(t, gpuEngine(t))
}
