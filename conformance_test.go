package qdq_test

import (
	"testing"

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

func TestUnknownKernelsAreRefused(t *testing.T) {
	_, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Kernels: "neon"})
	require.ErrorIs(t, err, qdq.ErrBackend)
	require.Equal(t, "scalar", qdq.CPUKernels()[0])
}
