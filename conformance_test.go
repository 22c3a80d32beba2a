package qdq_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

// TestConformance runs the conformance suite on every CPU configuration:
// the reference, and the fast path with its portable and its SIMD loops
// (the same where this build has no SIMD), with the default and an odd
// number of workers.
func TestConformance(t *testing.T) {
	configs := []struct {
		name string
		cfg  qdq.Config
	}{
		{"reference", qdq.Config{Backend: qdq.CPU, Reference: true}},
		{"fast-portable", qdq.Config{Backend: qdq.CPU, Portable: true}},
		{"fast", qdq.Config{Backend: qdq.CPU}},
		{"fast-3-workers", qdq.Config{Backend: qdq.CPU, Workers: 3}},
		{"fast-portable-5-workers", qdq.Config{Backend: qdq.CPU, Workers: 5, Portable: true}},
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
