package cpu

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/internal/quanttest"
)

// TestConformance runs the conformance suite on every CPU configuration:
// the reference, and the fast path with each kernel set this build and
// CPU have (the portable scalar loops, and the vector kernels of the
// default build), with every core and with an odd number of workers. A
// CPU backend computes every call: none may be declined.
func TestConformance(t *testing.T) {
	type config struct {
		name string
		b    quant.Backend
	}
	configs := []config{{"reference", quant.Reference{}}}
	for _, k := range KernelSets() {
		configs = append(configs,
			config{"fast-" + k, Fast{Kernels: k}},
			config{"fast-" + k + "-3-workers", Fast{Kernels: k, Workers: 3}})
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			st := quanttest.Run(t, c.b)
			assert.Zero(t, st.Declined, "a CPU backend declines nothing: %v", st)
			assert.Positive(t, st.Ran)
		})
	}
}
