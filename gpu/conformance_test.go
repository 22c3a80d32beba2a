//go:build cgo && linux && !novulkan

package gpu

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/qdqvk/qdq/internal/quanttest"
)

// TestConformance runs the conformance suite on the device (Mesa's
// lavapipe in CI, so AllowCPU), with the guard after every output
// checked on the device, in two configurations: the device as it is;
// and every dispatch limited to 4 KiB, so that every way of splitting a
// tensor (whole slabs, rows of one slab, pieces of one row) runs on small
// tensors, with copies through a staging buffer, as on discrete GPUs
// without mappable device memory, and with the reduction in shared
// memory alone, as on devices without subgroup arithmetic.
//
// A Context may decline a call it cannot make exact (the suite counts
// those and compares the rest); almost every call must run on the
// device. It skips without a device unless QDQ_REQUIRE_GPU is set.
func TestConformance(t *testing.T) {
	configs := []struct {
		name string
		cfg  Config
	}{
		{"device", Config{AllowCPU: true, Guard: true}},
		{"chunked-staging-no-subgroups", Config{AllowCPU: true, Guard: true, MaxPiece: 4096, Staging: true, NoSubgroups: true}},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			ctx := openWith(t, c.cfg)
			d := ctx.Device()
			t.Logf("device: %s (%s, Vulkan %s; float64 %t, subgroup arithmetic %t)", d.Name, d.Type, d.API, d.Float64, d.SubgroupArithmetic)
			st := quanttest.Run(t, ctx)
			t.Logf("%v", st)
			assert.Greater(t, st.Ran, 10*st.Declined, "almost every call must run on the device: %v", st)
		})
	}
}
