//go:build cgo && linux && !novulkan

package gpu

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// faultCall is the call the fault tests make: per channel, range from the
// data, then a given range (the clamping pipeline), over two chunks.
func faultCall(t *testing.T, c *Context) error {
	t.Helper()
	l := quant.Layout{Outer: 3, Depth: 4, Inner: 3000}
	src := make([]float32, l.Len())
	for i := range src {
		src[i] = float32(math.Sin(float64(i)))
	}
	for _, given := range []bool{false, true} {
		req := quant.Request[float32]{Layout: l, Params: quant.Params{Signed: true, NumBits: 8}}
		if given {
			req.Given = make([]quant.Bounds[float32], l.Depth)
			for i := range req.Given {
				req.Given[i] = quant.Bounds[float32]{Min: -0.5, Max: 0.5}
			}
		}
		got := make([]float32, len(src))
		for i := range got {
			got[i] = 12345 // what a failed call must not be mistaken for
		}
		_, err := c.Float32(context.Background(), got, src, req)
		if err != nil {
			return err
		}
		want := make([]float32, len(src))
		if _, err := (quant.Reference{}).Float32(context.Background(), want, src, req); err != nil {
			return err
		}
		for i := range want {
			if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
				t.Fatalf("element %d: %g, want %g", i, got[i], want[i])
			}
		}
	}
	return nil
}

// TestFaultsAtOpen fails each Vulkan call Open makes: Open returns an
// ErrDevice, and what it had made is released (the validation layer,
// in make test-validation, reports any object left).
func TestFaultsAtOpen(t *testing.T) {
	devicesOrSkip(t)
	for _, call := range []string{"vkCreateDevice", "vkCreateDescriptorSetLayout", "vkCreatePipelineLayout", "vkCreatePipelineCache",
		"vkCreateDescriptorPool@2", "vkCreateCommandPool@2", "vkAllocateCommandBuffers@1", "vkCreateFence@2", "vkCreateQueryPool@1"} {
		t.Run(call, func(t *testing.T) {
			c, err := Open(Config{AllowCPU: true, Faults: call})
			if call == "vkCreateQueryPool@1" && err == nil {
				c.Close() // a device without timestamps makes no query pools
				return
			}
			require.ErrorIs(t, err, ErrDevice)
			assert.Nil(t, c)
		})
	}
}

// TestFaultsInCalls fails, once, each Vulkan call a computation makes: the
// call returns an ErrDevice without a result, and the next call runs and
// gives the reference's bits. A failed wait loses the device: every later
// call then fails with ErrDeviceLost.
func TestFaultsInCalls(t *testing.T) {
	devicesOrSkip(t)
	for _, call := range []string{"vkCreateShaderModule", "vkCreateComputePipelines", "vkCreateBuffer", "vkAllocateMemory",
		"vkBindBufferMemory", "vkMapMemory", "vkResetDescriptorPool", "vkAllocateDescriptorSets", "vkBeginCommandBuffer",
		"vkEndCommandBuffer", "vkQueueSubmit", "vkAllocateMemory@3", "vkQueueSubmit@2"} {
		t.Run(call, func(t *testing.T) {
			// Several chunks, so that faults can come midway.
			c, err := Open(Config{AllowCPU: true, Faults: call + map[bool]string{true: "", false: "@1"}[containsAt(call)], MaxPiece: 65536})
			require.NoError(t, err)
			defer c.Close()
			err = faultCall(t, c)
			require.ErrorIs(t, err, ErrDevice, "the fault reaches the caller")
			assert.NotErrorIs(t, err, ErrDeviceLost)
			require.NoError(t, faultCall(t, c), "the context stays usable")
		})
	}
	for _, call := range []string{"vkWaitForFences@1", "vkWaitForFences@3", "vkResetFences@2"} {
		t.Run(call, func(t *testing.T) {
			c, err := Open(Config{AllowCPU: true, Faults: call, MaxPiece: 65536})
			require.NoError(t, err)
			defer c.Close()
			require.ErrorIs(t, faultCall(t, c), ErrDevice)
			for range 2 {
				assert.ErrorIs(t, faultCall(t, c), ErrDeviceLost, "a lost device takes no more calls")
			}
			calls := []*quant.Job[float32]{{Dst: make([]byte, 64), Src: make([]byte, 64), Request: quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: 16}, Params: quant.Params{Signed: true, NumBits: 8}}}}
			assert.ErrorIs(t, c.BatchFloat32(context.Background(), quant.F32, calls), ErrDeviceLost)
		})
	}
}

func containsAt(s string) bool {
	for i := range s {
		if s[i] == '@' {
			return true
		}
	}
	return false
}
