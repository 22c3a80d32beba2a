//go:build !cgo || !linux || novulkan

package gpu

import (
	"context"
	"fmt"

	"github.com/qdqvk/qdq/internal/quant"
)

var errNoSupport = fmt.Errorf("%w: this build has no Vulkan support (it needs cgo on Linux)", ErrNoVulkan)

// Devices lists the Vulkan devices. This build has no Vulkan support.
func Devices(string) ([]Device, error) {
	return nil, errNoSupport
}

// Context is an open Vulkan device; this build cannot open one.
type Context struct{}

// Open reports that this build has no Vulkan support.
func Open(Config) (*Context, error) { return nil, errNoSupport }

// Device describes the device the context runs on.
func (c *Context) Device() Device { return Device{} }

// Close does nothing.
func (c *Context) Close() error { return nil }

// Float32 reports that this build has no Vulkan support.
func (c *Context) Float32(context.Context, []float32, []float32, quant.Request[float32]) ([]quant.Quant[float32], error) {
	return nil, errNoSupport
}

// Float16 reports that this build has no Vulkan support.
func (c *Context) Float16(context.Context, []uint16, []uint16, quant.Request[float32]) ([]quant.Quant[float32], error) {
	return nil, errNoSupport
}

// Float64 reports that this build has no Vulkan support.
func (c *Context) Float64(context.Context, []float64, []float64, quant.Request[float64]) ([]quant.Quant[float64], error) {
	return nil, errNoSupport
}

// BatchFloat32 reports that this build has no Vulkan support.
func (c *Context) BatchFloat32(context.Context, quant.Storage, []*quant.Call[float32]) error {
	return errNoSupport
}

// BatchFloat64 reports that this build has no Vulkan support.
func (c *Context) BatchFloat64(context.Context, []*quant.Call[float64]) error { return errNoSupport }

// BFloat16 reports that this build has no Vulkan support.
func (c *Context) BFloat16(context.Context, []uint16, []uint16, quant.Request[float32]) ([]quant.Quant[float32], error) {
	return nil, errNoSupport
}
