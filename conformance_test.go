package qdq_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

// TestConformance runs the conformance suite on every CPU configuration:
// the reference, and the fast path with each kernel set this build and
// CPU have (the portable scalar loops, and AVX2 and AVX-512 in the SIMD
// build), with the default and an odd number of workers.
func TestConformance(t *testing.T) {
	type config struct {
		name string
		cfg  qdq.Config
	}
	configs := []config{{"reference", qdq.Config{Backend: qdq.CPU, Reference: true}}}
	for _, k := range qdq.CPUKernels() {
		configs = append(configs,
			config{"fast-" + k, qdq.Config{Backend: qdq.CPU, Kernels: k}},
			config{"fast-" + k + "-3-workers", qdq.Config{Backend: qdq.CPU, Kernels: k, Workers: 3}})
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			e, err := qdq.NewEngine(c.cfg)
			require.NoError(t, err)
			defer e.Close()
			t.Logf("kernels: %s", e.Kernels())
			qdqtest.Run(t, e.RunInto)
		})
	}
}

// TestConformanceGPU runs the suite on the GPU backend (Mesa's lavapipe
// in CI): every call either runs on the device or falls back to the CPU
// for a stated reason, and all of them give the reference's bits.
func TestConformanceGPU(t *testing.T) {
	t.Setenv("QDQ_VULKAN_GUARD", "1") // and nothing is written past any output on the device
	e := gpuEngine(t)
	var onGPU, onCPU int
	reasons := map[string]int{}
	qdqtest.Run(t, func(ctx context.Context, out, in qdq.Tensor, o qdq.Options) (qdq.Result, error) {
		res, err := e.RunInto(ctx, out, in, o)
		if err == nil {
			if res.Backend == qdq.GPU {
				onGPU++
			} else {
				onCPU++
				reasons[res.Fallback]++
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

// TestConformanceGPUChunked runs the suite again with every dispatch
// limited to 4 KiB, so that every way of splitting a tensor (whole slabs,
// rows of one slab, pieces of one row) runs on small tensors, and with
// copies through a staging buffer, as on discrete GPUs without mappable
// device memory, and with the reduction in shared memory alone, as on
// devices without subgroup arithmetic.
func TestConformanceGPUChunked(t *testing.T) {
	t.Setenv("QDQ_VULKAN_MAX_CHUNK", "4096")
	t.Setenv("QDQ_VULKAN_STAGING", "1")
	t.Setenv("QDQ_VULKAN_NO_SUBGROUPS", "1")
	t.Setenv("QDQ_VULKAN_GUARD", "1")
	e := gpuEngine(t)
	qdqtest.Run(t, e.RunInto)
}
