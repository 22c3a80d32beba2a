package qdq_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

// The conformance suite of the backends (internal/quanttest) runs in the
// cpu and gpu packages, on every kernel set and device configuration.
// What the engine adds is run here: TensorFlow's vectors end to end,
// through argument validation (errors included) and dispatch.

// TestTensorFlowVectors runs TensorFlow's own test vectors through the
// public API on the CPU engine and on the reference engine.
func TestTensorFlowVectors(t *testing.T) {
	for _, cfg := range []qdq.Config{{Backend: qdq.CPU}, {Backend: qdq.CPU, Reference: true}} {
		e, err := qdq.NewEngine(cfg)
		require.NoError(t, err)
		t.Run(e.Kernels(), func(t *testing.T) { qdqtest.TensorFlowVectors(t, e.RunInto) })
		require.NoError(t, e.Close())
	}
}

// TestConformanceGPU runs TensorFlow's vectors on the GPU engine (Mesa's
// lavapipe in CI): every call runs on the device or falls back to the CPU
// for a stated reason, and all of them give TensorFlow's results.
func TestConformanceGPU(t *testing.T) {
	t.Setenv("QDQ_VULKAN_GUARD", "1") // and nothing is written past any output on the device
	e := gpuEngine(t)
	var onGPU, onCPU int
	reasons := map[string]int{}
	qdqtest.TensorFlowVectors(t, func(ctx context.Context, out, in qdq.Tensor, o qdq.Options) (qdq.Result, error) {
		res, err := e.RunInto(ctx, out, in, o)
		if err == nil {
			if res.Backend == qdq.GPU {
				onGPU++
			} else {
				onCPU++
				reasons[res.Fallback]++
				assert.NotEmpty(t, res.Fallback, "a fallback says why")
			}
		}
		return res, err
	})
	t.Logf("%d calls ran on the GPU, %d on the CPU: %v", onGPU, onCPU, reasons)
	assert.Greater(t, onGPU, 10*onCPU, "almost every call must run on the device")
}

func TestUnknownKernelsAreRefused(t *testing.T) {
	_, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Kernels: "avx1024"})
	require.ErrorIs(t, err, qdq.ErrBackend)
	require.Equal(t, "scalar", qdq.CPUKernels()[0])
}
