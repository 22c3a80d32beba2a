//go:build cgo && linux && !novulkan

package vk

/*
#include "vkshim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"

	vulkan "github.com/vulkan-go/vulkan"
)

// MappableLocalMemory reports whether the device has device-local memory
// that the host can map, coherent, in a heap of at least 1 GiB (UMA,
// resizable BAR, lavapipe): buffers there need no staging copies.
func (d *Device) MappableLocalMemory() bool { return d.memory.largeMappableLocal() }

// NewBuffer allocates a storage buffer of at least size bytes, which can
// also be the source and the destination of copies. A mapped buffer is
// host-visible and coherent, device-local too when local is set, and
// preferably host-cached system memory when not; an unmapped one is
// device-local.
func (d *Device) NewBuffer(size int, mapped, local bool) (*Buffer, error) {
	size = max(16, (size+15)&^15)
	b := &Buffer{Size: size}
	usage := vulkan.BufferUsageStorageBufferBit | vulkan.BufferUsageTransferSrcBit | vulkan.BufferUsageTransferDstBit
	if err := d.call("vkCreateBuffer", func() vulkan.Result {
		return vulkan.Result(C.qdqCreateBuffer(d.shim, C.uint64_t(size), C.uint32_t(usage), &b.buf))
	}); err != nil {
		return nil, err
	}
	var reqSize C.uint64_t
	var typeBits C.uint32_t
	C.qdqBufferRequirements(d.shim, b.buf, &reqSize, &typeBits)
	index := d.memory.choose(uint32(typeBits), mapped, mapped && local)
	if index < 0 {
		vulkan.DestroyBuffer(d.dev, vulkan.Buffer(b.buf), nil)
		return nil, fmt.Errorf("%w: %s has no suitable memory for storage buffers", ErrUnsupported, d.name)
	}
	if err := d.call("vkAllocateMemory", func() vulkan.Result {
		return vulkan.Result(C.qdqAllocateMemory(d.shim, reqSize, C.uint32_t(index), &b.mem))
	}); err != nil {
		vulkan.DestroyBuffer(d.dev, vulkan.Buffer(b.buf), nil)
		return nil, err
	}
	if err := d.call("vkBindBufferMemory", func() vulkan.Result {
		return vulkan.BindBufferMemory(d.dev, vulkan.Buffer(b.buf), vulkan.DeviceMemory(b.mem), 0)
	}); err != nil {
		d.Free(b)
		return nil, err
	}
	if mapped {
		var p unsafe.Pointer
		if err := d.call("vkMapMemory", func() vulkan.Result {
			return vulkan.MapMemory(d.dev, vulkan.DeviceMemory(b.mem), 0, vulkan.DeviceSize(size), 0, &p)
		}); err != nil {
			d.Free(b)
			return nil, err
		}
		b.Data = unsafe.Slice((*byte)(p), size)
	}
	return b, nil
}

// Free releases b and its memory; a nil b is ignored.
func (d *Device) Free(b *Buffer) {
	if b == nil {
		return
	}
	if b.Data != nil {
		vulkan.UnmapMemory(d.dev, vulkan.DeviceMemory(b.mem))
	}
	vulkan.DestroyBuffer(d.dev, vulkan.Buffer(b.buf), nil)
	vulkan.FreeMemory(d.dev, vulkan.DeviceMemory(b.mem), nil)
}
