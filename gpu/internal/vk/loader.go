//go:build cgo && linux && !novulkan

package vk

/*
#cgo CFLAGS: -Werror
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "vkshim.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	vulkan "github.com/vulkan-go/vulkan"
)

// The Vulkan loader is opened once per process, by the first caller.
var (
	loadOnce sync.Once
	loadErr  error
)

// loader opens the Vulkan loader library, or libvulkan.so.1 when library
// is empty, unless it is already open.
func loader(library string) error {
	loadOnce.Do(func() { loadErr = load(library) })
	return loadErr
}

func load(library string) error {
	names := []string{"libvulkan.so.1", "libvulkan.so"}
	if library != "" {
		names = []string{library}
	}
	var msgs []string
	for _, name := range names {
		cname := C.CString(name)
		msg := C.qdqLoad(cname)
		C.free(unsafe.Pointer(cname))
		if msg == nil {
			vulkan.SetGetInstanceProcAddr(C.qdqProcAddr())
			if err := vulkan.Init(); err != nil {
				return fmt.Errorf("vulkan: %s: %w", name, err)
			}
			return nil
		}
		msgs = append(msgs, C.GoString(msg))
	}
	return fmt.Errorf("vulkan: cannot open the Vulkan loader: %v", msgs)
}

// apiVersion is the Vulkan version the instance asks for.
var apiVersion = vulkan.MakeVersion(1, 1, 0)

// Instance is an open Vulkan instance.
type Instance struct{ h vulkan.Instance }

// NewInstance opens an instance (Vulkan 1.1), after the loader: the
// library at path library, or libvulkan.so.1 when it is empty. The loader
// is opened once per process, by the first call, with that call's
// library.
func NewInstance(library string) (*Instance, error) {
	if err := loader(library); err != nil {
		return nil, err
	}
	var p unsafe.Pointer
	if err := failed("vkCreateInstance", Result(C.qdqCreateInstance(C.uint32_t(apiVersion), &p))); err != nil {
		return nil, err
	}
	inst := vulkan.Instance(p)
	if err := vulkan.InitInstance(inst); err != nil {
		vulkan.DestroyInstance(inst, nil)
		return nil, fmt.Errorf("vulkan: %w", err)
	}
	return &Instance{h: inst}, nil
}

// Close destroys the instance.
func (in *Instance) Close() { vulkan.DestroyInstance(in.h, nil) }

// Devices describes the instance's physical devices, in the loader's
// order (Info.Index is the position).
func (in *Instance) Devices() ([]Info, error) {
	phys, err := in.physicalDevices()
	if err != nil {
		return nil, err
	}
	infos := make([]Info, len(phys))
	for i, p := range phys {
		infos[i] = in.describe(i, p)
	}
	return infos, nil
}

// physicalDevices lists the instance's physical devices.
func (in *Instance) physicalDevices() ([]vulkan.PhysicalDevice, error) {
	var n uint32
	if err := failed("vkEnumeratePhysicalDevices", Result(vulkan.EnumeratePhysicalDevices(in.h, &n, nil))); err != nil {
		return nil, err
	}
	phys := make([]vulkan.PhysicalDevice, n)
	if n > 0 {
		if res := vulkan.EnumeratePhysicalDevices(in.h, &n, phys); res != vulkan.Success && res != vulkan.Incomplete {
			return nil, failed("vkEnumeratePhysicalDevices", Result(res))
		}
	}
	return phys[:n], nil
}

// describe reads a physical device's properties and features. vulkan-go
// fills both through C copies that it keeps until Free.
func (in *Instance) describe(index int, p vulkan.PhysicalDevice) Info {
	var props vulkan.PhysicalDeviceProperties
	vulkan.GetPhysicalDeviceProperties(p, &props)
	props.Deref()
	props.Limits.Deref()
	props.Free()
	var feats vulkan.PhysicalDeviceFeatures
	vulkan.GetPhysicalDeviceFeatures(p, &feats)
	feats.Deref()
	feats.Free()
	var extra C.qdqExtra
	C.qdqQueryExtra(unsafe.Pointer(in.h), unsafe.Pointer(p), C.uint32_t(props.ApiVersion), &extra)

	d := Info{
		Index:        index,
		Name:         vulkan.ToString(props.DeviceName[:]),
		Type:         int(props.DeviceType),
		API:          versionString(props.ApiVersion),
		Driver:       C.GoString(&extra.driver[0]),
		VendorID:     props.VendorID,
		MemoryHeap:   in.memory(p).localBytes(),
		SubgroupSize: int(extra.subgroupSize),
		// VK_SUBGROUP_FEATURE_ARITHMETIC_BIT in the compute stage.
		SubgroupArithmetic:     extra.subgroupOps&0x4 != 0 && extra.subgroupStages&0x20 != 0,
		Float64:                feats.ShaderFloat64 == vulkan.True,
		Float16:                extra.float16 != 0,
		Storage16:              extra.storage16 != 0,
		DenormPreserve32:       extra.denormPreserve32 != 0,
		DenormPreserve64:       extra.denormPreserve64 != 0,
		MaxStorageBufferRange:  uint64(props.Limits.MaxStorageBufferRange),
		MaxAllocation:          uint64(extra.maxAllocation),
		MaxWorkGroupCount:      props.Limits.MaxComputeWorkGroupCount,
		MaxWorkGroupInvocation: props.Limits.MaxComputeWorkGroupInvocations,
		MaxWorkGroupSizeX:      props.Limits.MaxComputeWorkGroupSize[0],
		MaxSharedMemory:        props.Limits.MaxComputeSharedMemorySize,
		TimestampPeriod:        props.Limits.TimestampPeriod,
	}
	if d.Driver == "" {
		d.Driver = fmt.Sprintf("driver version %#x", props.DriverVersion)
	}
	return d
}

// memory reads p's memory types and heaps.
func (in *Instance) memory(p vulkan.PhysicalDevice) memoryProps {
	var m C.qdqMemory
	C.qdqQueryMemory(unsafe.Pointer(in.h), unsafe.Pointer(p), &m)
	var props memoryProps
	for i := range int(m.typeCount) {
		props.types = append(props.types, memoryType{flags: uint32(m.typeFlags[i]), heap: int(m.typeHeap[i])})
	}
	for i := range int(m.heapCount) {
		props.heaps = append(props.heaps, memoryHeap{size: uint64(m.heapSize[i]), flags: uint32(m.heapFlags[i])})
	}
	return props
}

// computeFamily returns the index of p's first queue family with compute,
// or -1, and the valid bits of its timestamps.
func (in *Instance) computeFamily(p vulkan.PhysicalDevice) (family int, timestampBits uint32) {
	var bits C.uint32_t
	family = int(C.qdqComputeFamily(unsafe.Pointer(in.h), unsafe.Pointer(p), &bits))
	return family, uint32(bits)
}

func versionString(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v>>22, v>>12&0x3ff, v&0xfff)
}
