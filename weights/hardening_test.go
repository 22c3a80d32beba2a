package weights_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/weights"
)

// TestQuantizeFileCancellationIsPrompt cancels a 64 MiB run partway: it
// must return an error wrapping context.Canceled within 100 ms of the
// file piece in progress and leave no output file (goleak checks that no
// goroutine stays).
func TestQuantizeFileCancellationIsPrompt(t *testing.T) {
	// slack is the 100 ms allowed, plus room for a busy machine under the
	// race detector.
	slack := 100 * time.Millisecond
	if raceEnabled {
		slack *= 5
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "out.safetensors")
	var tensors []modelTensor
	for i := range 4 {
		tensors = append(tensors, modelTensor{fmt.Sprintf("w%d", i), "F32", []int{2048, 2048}, make([]byte, 16<<20)})
	}
	writeModel(t, src, tensors, nil)
	e := engineFor(t, qdq.CPU)
	fo := weights.Options{Options: qdq.DefaultOptions(), MemoryLimit: 8 << 20}
	// A piece is 1 MiB here: time the whole file and divide.
	start := time.Now()
	_, err := weights.QuantizeFile(context.Background(), e, dst, src, fo)
	require.NoError(t, err)
	require.NoError(t, os.Remove(dst))
	item := time.Since(start) / 64

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelled time.Time
	var once sync.Once
	fo.Progress = func(p weights.Progress) {
		if p.Bytes > p.TotalBytes/3 {
			once.Do(func() { cancelled = time.Now(); cancel() })
		}
	}
	_, err = weights.QuantizeFile(ctx, e, dst, src, fo)
	late := time.Since(cancelled)
	require.ErrorIs(t, err, context.Canceled)
	t.Logf("returned %v after the cancel (a piece takes %v)", late.Round(time.Microsecond), item.Round(time.Microsecond))
	assert.Less(t, late, item+slack)
	_, err = os.Stat(dst)
	assert.ErrorIs(t, err, os.ErrNotExist, "no output after a cancel")
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	assert.Empty(t, left)
}

// TestQuantizeFileGPUFaults makes the GPU fail on purpose (out of memory
// at an allocation, a failed submission, a device lost): the file written
// is still the single-tensor API's, bit for bit.
func TestQuantizeFileGPUFaults(t *testing.T) {
	engineFor(t, qdq.GPU) // skips or fails without a device, as the rules say
	for _, fault := range []string{"vkAllocateMemory@1", "vkCreateComputePipelines@2", "vkQueueSubmit@1", "vkWaitForFences@2"} {
		t.Run(fault, func(t *testing.T) {
			t.Setenv("QDQ_VULKAN_FAULT", fault)
			e := engineFor(t, qdq.GPU)
			dir := t.TempDir()
			src, dst := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "gpu.safetensors")
			in := writeModel(t, src, testModel(9), nil)
			fo := weights.Options{Options: qdq.DefaultOptions()}
			chans := collect(&fo)
			rep, err := weights.QuantizeFile(context.Background(), e, dst, src, fo)
			require.NoError(t, err)
			out, err := os.ReadFile(dst)
			require.NoError(t, err)
			checkFile(t, in, out, rep, chans)
		})
	}
}
