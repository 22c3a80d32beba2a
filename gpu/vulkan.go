//go:build cgo && linux && !novulkan

package gpu

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

	vk "github.com/vulkan-go/vulkan"
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
			vk.SetGetInstanceProcAddr(C.qdqProcAddr())
			if err := vk.Init(); err != nil {
				return fmt.Errorf("%w: %s: %v", ErrNoVulkan, name, err)
			}
			return nil
		}
		msgs = append(msgs, C.GoString(msg))
	}
	return fmt.Errorf("%w: cannot open the Vulkan loader: %v", ErrNoVulkan, msgs)
}

// apiVersion is the Vulkan version qdq asks for.
var apiVersion = vk.MakeVersion(1, 1, 0)

// instance is an open Vulkan instance.
type instance struct{ vk vk.Instance }

// newInstance opens an instance, after the loader.
func newInstance(library string) (*instance, error) {
	if err := loader(library); err != nil {
		return nil, err
	}
	var p unsafe.Pointer
	if res := vk.Result(C.qdqCreateInstance(C.uint32_t(apiVersion), &p)); res != vk.Success {
		return nil, fmt.Errorf("%w: vkCreateInstance: %v", ErrNoVulkan, vk.Error(res))
	}
	inst := vk.Instance(p)
	if err := vk.InitInstance(inst); err != nil {
		vk.DestroyInstance(inst, nil)
		return nil, fmt.Errorf("%w: %v", ErrNoVulkan, err)
	}
	return &instance{vk: inst}, nil
}

func (in *instance) close() { vk.DestroyInstance(in.vk, nil) }

// physicalDevices lists the instance's devices with their descriptions.
func (in *instance) physicalDevices() ([]vk.PhysicalDevice, []Device, error) {
	var n uint32
	if res := vk.EnumeratePhysicalDevices(in.vk, &n, nil); res != vk.Success {
		return nil, nil, fmt.Errorf("%w: vkEnumeratePhysicalDevices: %v", ErrNoVulkan, vk.Error(res))
	}
	phys := make([]vk.PhysicalDevice, n)
	if n > 0 {
		if res := vk.EnumeratePhysicalDevices(in.vk, &n, phys); res != vk.Success && res != vk.Incomplete {
			return nil, nil, fmt.Errorf("%w: vkEnumeratePhysicalDevices: %v", ErrNoVulkan, vk.Error(res))
		}
	}
	phys = phys[:n]
	devs := make([]Device, len(phys))
	for i, p := range phys {
		devs[i] = in.describe(i, p)
	}
	return phys, devs, nil
}

// describe reads a physical device's properties and features. vulkan-go
// fills both through C copies that it keeps until Free.
func (in *instance) describe(index int, p vk.PhysicalDevice) Device {
	var props vk.PhysicalDeviceProperties
	vk.GetPhysicalDeviceProperties(p, &props)
	props.Deref()
	props.Limits.Deref()
	props.Free()
	var feats vk.PhysicalDeviceFeatures
	vk.GetPhysicalDeviceFeatures(p, &feats)
	feats.Deref()
	feats.Free()
	var extra C.qdqExtra
	C.qdqQueryExtra(unsafe.Pointer(in.vk), unsafe.Pointer(p), C.uint32_t(props.ApiVersion), &extra)

	d := Device{
		Index:        index,
		Name:         vk.ToString(props.DeviceName[:]),
		Type:         DeviceType(props.DeviceType),
		API:          versionString(props.ApiVersion),
		Driver:       C.GoString(&extra.driver[0]),
		VendorID:     props.VendorID,
		SubgroupSize: int(extra.subgroupSize),
		// VK_SUBGROUP_FEATURE_ARITHMETIC_BIT in the compute stage.
		SubgroupArithmetic:     extra.subgroupOps&0x4 != 0 && extra.subgroupStages&0x20 != 0,
		Float64:                feats.ShaderFloat64 == vk.True,
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
	for _, h := range in.memory(p).heaps {
		if h.flags&vk.MemoryHeapFlags(vk.MemoryHeapDeviceLocalBit) != 0 {
			d.MemoryHeap += h.size
		}
	}
	return d
}

// memoryProps is a device's memory types and heaps.
type memoryProps struct {
	types []memoryType
	heaps []memoryHeap
}

type memoryType struct {
	flags vk.MemoryPropertyFlags
	heap  int
}

type memoryHeap struct {
	size  uint64
	flags vk.MemoryHeapFlags
}

// memory reads p's memory types and heaps.
func (in *instance) memory(p vk.PhysicalDevice) memoryProps {
	var m C.qdqMemory
	C.qdqQueryMemory(unsafe.Pointer(in.vk), unsafe.Pointer(p), &m)
	var props memoryProps
	for i := range int(m.typeCount) {
		props.types = append(props.types, memoryType{flags: vk.MemoryPropertyFlags(m.typeFlags[i]), heap: int(m.typeHeap[i])})
	}
	for i := range int(m.heapCount) {
		props.heaps = append(props.heaps, memoryHeap{size: uint64(m.heapSize[i]), flags: vk.MemoryHeapFlags(m.heapFlags[i])})
	}
	return props
}

// computeFamily returns the index of p's first queue family with compute,
// or -1, and the valid bits of its timestamps.
func (in *instance) computeFamily(p vk.PhysicalDevice) (family int, timestampBits uint32) {
	var bits C.uint32_t
	family = int(C.qdqComputeFamily(unsafe.Pointer(in.vk), unsafe.Pointer(p), &bits))
	return family, uint32(bits)
}

func versionString(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v>>22, v>>12&0x3ff, v&0xfff)
}

// Devices lists the Vulkan devices the loader finds; library is as
// Config.Library.
func Devices(library string) ([]Device, error) {
	in, err := newInstance(library)
	if err != nil {
		return nil, err
	}
	defer in.close()
	_, devs, err := in.physicalDevices()
	return devs, err
}

// createDevice creates the context's device, with one queue of family.
func (c *Context) createDevice(phys vk.PhysicalDevice, family int, float64 bool) vk.Result {
	f64 := C.uint32_t(0)
	if float64 {
		f64 = 1
	}
	var d *C.qdqDevice
	res := vk.Result(C.qdqCreateDevice(unsafe.Pointer(c.in.vk), unsafe.Pointer(phys), C.uint32_t(family), f64, &d))
	if res == vk.Success {
		c.shim = d
		c.dev = vk.Device(C.qdqHandle(d))
	}
	return res
}

// destroyDevice destroys the context's device.
func (c *Context) destroyDevice() {
	C.qdqDestroyDevice(c.shim)
	c.shim, c.dev = nil, nil
}

// The objects a context and its lanes make once. Each returns vk.Result
// for vkCall.

func (c *Context) createSetLayout(storageBuffers int, layout *vk.DescriptorSetLayout) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreateSetLayout(c.shim, C.uint32_t(storageBuffers), &p))
	*layout = vk.DescriptorSetLayout(p)
	return res
}

func (c *Context) createPipelineLayout(pushBytes int, layout *vk.PipelineLayout) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreatePipelineLayout(c.shim, unsafe.Pointer(c.setLayout), C.uint32_t(pushBytes), &p))
	*layout = vk.PipelineLayout(p)
	return res
}

func (c *Context) createPipelineCache(cache *vk.PipelineCache) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreatePipelineCache(c.shim, &p))
	*cache = vk.PipelineCache(p)
	return res
}

func (c *Context) createDescriptorPool(maxSets, storageBuffers int, pool *vk.DescriptorPool) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreateDescriptorPool(c.shim, C.uint32_t(maxSets), C.uint32_t(storageBuffers), &p))
	*pool = vk.DescriptorPool(p)
	return res
}

// createCommandPool makes a pool whose command buffers can be reset one
// by one.
func (c *Context) createCommandPool(pool *vk.CommandPool) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreateCommandPool(c.shim, C.uint32_t(c.family), &p))
	*pool = vk.CommandPool(p)
	return res
}

func (c *Context) allocateCommandBuffer(pool vk.CommandPool, cmd *vk.CommandBuffer) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqAllocateCommandBuffer(c.shim, unsafe.Pointer(pool), &p))
	*cmd = vk.CommandBuffer(p)
	return res
}

func (c *Context) createFence(fence *vk.Fence) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreateFence(c.shim, &p))
	*fence = vk.Fence(p)
	return res
}

func (c *Context) createTimestamps(count int, pool *vk.QueryPool) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreateTimestamps(c.shim, C.uint32_t(count), &p))
	*pool = vk.QueryPool(p)
	return res
}

func (c *Context) createShaderModule(words []uint32, module *vk.ShaderModule) vk.Result {
	if len(words) == 0 {
		return vk.ErrorInitializationFailed
	}
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreateShaderModule(c.shim, (*C.uint32_t)(unsafe.Pointer(&words[0])), C.size_t(4*len(words)), &p))
	*module = vk.ShaderModule(p)
	return res
}

// createComputePipeline builds the pipeline of module's "main" with the
// specialisation constants 0, 1 and 2 set to spec.
func (c *Context) createComputePipeline(module vk.ShaderModule, spec [3]uint32) (vk.Pipeline, error) {
	var p unsafe.Pointer
	err := c.vkCall("vkCreateComputePipelines", func() vk.Result {
		return vk.Result(C.qdqComputePipeline(c.shim, unsafe.Pointer(c.cache), unsafe.Pointer(module), unsafe.Pointer(c.layout),
			C.uint32_t(spec[0]), C.uint32_t(spec[1]), C.uint32_t(spec[2]), &p))
	})
	if err != nil {
		return nil, err
	}
	return vk.Pipeline(p), nil
}

// createBuffer makes an exclusive buffer of size bytes for usage.
func (c *Context) createBuffer(size int, usage vk.BufferUsageFlagBits, buf *vk.Buffer) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqCreateBuffer(c.shim, C.uint64_t(size), C.uint32_t(usage), &p))
	*buf = vk.Buffer(p)
	return res
}

// requirements returns the size and the allowed memory types of buf's
// memory.
func (c *Context) requirements(buf vk.Buffer) (size vk.DeviceSize, typeBits uint32) {
	var n C.uint64_t
	var bits C.uint32_t
	C.qdqBufferRequirements(c.shim, unsafe.Pointer(buf), &n, &bits)
	return vk.DeviceSize(n), uint32(bits)
}

// allocateMemory allocates size bytes of memory of the given type.
func (c *Context) allocateMemory(size vk.DeviceSize, index int, mem *vk.DeviceMemory) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqAllocateMemory(c.shim, C.uint64_t(size), C.uint32_t(index), &p))
	*mem = vk.DeviceMemory(p)
	return res
}

// What each submission does.

// allocateSet allocates one descriptor set of the context's layout from
// pool.
func (c *Context) allocateSet(pool vk.DescriptorPool, set *vk.DescriptorSet) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqAllocateSet(c.shim, unsafe.Pointer(pool), unsafe.Pointer(c.setLayout), &p))
	*set = vk.DescriptorSet(p)
	return res
}

// writeSet binds buffers, whole, to set's bindings 0, 1, ...
func (c *Context) writeSet(set vk.DescriptorSet, buffers []*buffer) error {
	var handles [3]unsafe.Pointer
	if len(buffers) > len(handles) {
		return fmt.Errorf("gpu: a dispatch binds %d buffers, at most %d", len(buffers), len(handles))
	}
	for i, b := range buffers {
		handles[i] = unsafe.Pointer(b.buf)
	}
	return vkErr("vkUpdateDescriptorSets", vk.Result(C.qdqWriteSet(c.shim, unsafe.Pointer(set), C.uint32_t(len(buffers)), &handles[0])))
}

// begin starts recording cmd for one submission.
func (c *Context) begin(cmd vk.CommandBuffer) vk.Result {
	return vk.Result(C.qdqBegin(c.shim, unsafe.Pointer(cmd), C.uint32_t(vk.CommandBufferUsageOneTimeSubmitBit)))
}

// cmdBarrier records a global memory barrier.
func (c *Context) cmdBarrier(cmd vk.CommandBuffer, srcStages, dstStages vk.PipelineStageFlags, srcAccess, dstAccess vk.AccessFlags) {
	C.qdqBarrier(c.shim, unsafe.Pointer(cmd), C.uint32_t(srcStages), C.uint32_t(dstStages), C.uint32_t(srcAccess), C.uint32_t(dstAccess))
}

// cmdCopy records a copy of size bytes from one buffer offset to another.
func (c *Context) cmdCopy(cmd vk.CommandBuffer, from, to vk.Buffer, fromAt, toAt, size int) {
	C.qdqCopy(c.shim, unsafe.Pointer(cmd), unsafe.Pointer(from), unsafe.Pointer(to), C.uint64_t(fromAt), C.uint64_t(toAt), C.uint64_t(size))
}

// queueSubmit submits cmd alone, to signal fence. The caller holds
// queueMu.
func (c *Context) queueSubmit(cmd vk.CommandBuffer, fence vk.Fence) vk.Result {
	return vk.Result(C.qdqSubmit(c.shim, unsafe.Pointer(c.queue), unsafe.Pointer(cmd), unsafe.Pointer(fence)))
}
