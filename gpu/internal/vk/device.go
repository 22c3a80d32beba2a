//go:build cgo && linux && !novulkan

package vk

/*
#include "vkshim.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	vulkan "github.com/vulkan-go/vulkan"
)

// Options are a device's settings.
type Options struct {
	// Float64 enables shaderFloat64, which a shader declaring the Float64
	// capability needs.
	Float64 bool
	// Bindings is how many storage buffers every descriptor set has, at
	// bindings 0, 1, ... (at most 8).
	Bindings int
	// PushBytes is the size of the push constants every pipeline takes.
	PushBytes int
	// Faults fails some of the device's calls on purpose; nil fails none.
	Faults *Faults
}

// Device is a logical device with one compute queue, the one descriptor
// set layout and pipeline layout of its pipelines, and a pipeline cache.
// Its methods are safe for concurrent use, but a Lane runs one submission
// at a time.
type Device struct {
	in      *Instance
	name    string
	shim    *C.qdqDevice // the device, for the calls made through vkshim.c
	dev     vulkan.Device
	queueMu sync.Mutex // vkQueueSubmit and vkQueueWaitIdle need the queue to themselves
	queue   vulkan.Queue
	family  uint32
	memory  memoryProps

	setLayout vulkan.DescriptorSetLayout
	layout    vulkan.PipelineLayout
	cache     vulkan.PipelineCache
	bindings  int
	// timestampPeriod is nanoseconds per timestamp tick, 0 without
	// timestamps.
	timestampPeriod float64
	faults          *Faults
}

// call makes the Vulkan call name through f, unless faults fail it.
func call(faults *Faults, name string, f func() vulkan.Result) error {
	if res := faults.fail(name); res != Success {
		return &Error{Call: name, Result: res}
	}
	return failed(name, Result(f()))
}

// call makes the Vulkan call name through f, unless the device's faults
// fail it.
func (d *Device) call(name string, f func() vulkan.Result) error { return call(d.faults, name, f) }

// Open creates a logical device on the physical device info describes,
// with one queue of its first queue family with compute. From then on the
// device owns the instance: Close closes both. On error the instance
// stays open.
func (in *Instance) Open(info Info, opt Options) (*Device, error) {
	phys, err := in.physicalDevices()
	if err != nil {
		return nil, err
	}
	if info.Index < 0 || info.Index >= len(phys) {
		return nil, fmt.Errorf("vulkan: no physical device %d (have %d)", info.Index, len(phys))
	}
	p := phys[info.Index]
	d := &Device{in: in, name: info.Name, memory: in.memory(p), bindings: opt.Bindings, faults: opt.Faults}
	family, timestampBits := in.computeFamily(p)
	if family < 0 {
		return nil, fmt.Errorf("%w: %s has no compute queue", ErrUnsupported, info.Name)
	}
	d.family = uint32(family)
	if err := d.call("vkCreateDevice", func() vulkan.Result { return d.createDevice(p, opt.Float64) }); err != nil {
		return nil, err
	}
	var queue vulkan.Queue
	vulkan.GetDeviceQueue(d.dev, d.family, 0, &queue)
	d.queue = queue
	if err := d.createLayouts(opt.PushBytes); err != nil {
		d.release()
		return nil, err
	}
	if timestampBits > 0 && info.TimestampPeriod > 0 {
		d.timestampPeriod = float64(info.TimestampPeriod)
	}
	return d, nil
}

// createDevice creates the device, with one queue of d.family.
func (d *Device) createDevice(phys vulkan.PhysicalDevice, float64 bool) vulkan.Result {
	f64 := C.uint32_t(0)
	if float64 {
		f64 = 1
	}
	var shim *C.qdqDevice
	res := vulkan.Result(C.qdqCreateDevice(unsafe.Pointer(d.in.h), unsafe.Pointer(phys), C.uint32_t(d.family), f64, &shim))
	if res == vulkan.Success {
		d.shim = shim
		d.dev = vulkan.Device(C.qdqHandle(shim))
	}
	return res
}

// createLayouts makes the descriptor set layout, the pipeline layout with
// pushBytes of push constants, and the pipeline cache.
func (d *Device) createLayouts(pushBytes int) error {
	var p unsafe.Pointer
	if err := d.call("vkCreateDescriptorSetLayout", func() vulkan.Result {
		return vulkan.Result(C.qdqCreateSetLayout(d.shim, C.uint32_t(d.bindings), &p))
	}); err != nil {
		return err
	}
	d.setLayout = vulkan.DescriptorSetLayout(p)
	if err := d.call("vkCreatePipelineLayout", func() vulkan.Result {
		return vulkan.Result(C.qdqCreatePipelineLayout(d.shim, unsafe.Pointer(d.setLayout), C.uint32_t(pushBytes), &p))
	}); err != nil {
		return err
	}
	d.layout = vulkan.PipelineLayout(p)
	if err := d.call("vkCreatePipelineCache", func() vulkan.Result {
		return vulkan.Result(C.qdqCreatePipelineCache(d.shim, &p))
	}); err != nil {
		return err
	}
	d.cache = vulkan.PipelineCache(p)
	return nil
}

// release destroys the device's own objects and the device, leaving the
// instance.
func (d *Device) release() {
	if d.cache != vulkan.NullPipelineCache {
		vulkan.DestroyPipelineCache(d.dev, d.cache, nil)
	}
	if d.layout != vulkan.NullPipelineLayout {
		vulkan.DestroyPipelineLayout(d.dev, d.layout, nil)
	}
	if d.setLayout != vulkan.NullDescriptorSetLayout {
		vulkan.DestroyDescriptorSetLayout(d.dev, d.setLayout, nil)
	}
	C.qdqDestroyDevice(d.shim)
	d.shim, d.dev = nil, nil
}

// Close destroys the device and its instance. Every lane, buffer,
// pipeline and module made on it must be released first, and its work
// finished (WaitIdle).
func (d *Device) Close() {
	d.release()
	d.in.Close()
}

// WaitIdle waits until the queue has finished its work, or the device
// says it is lost.
func (d *Device) WaitIdle() {
	d.queueMu.Lock()
	vulkan.QueueWaitIdle(d.queue)
	d.queueMu.Unlock()
}

// NewLane makes a lane whose descriptor pool holds maxSets sets, and
// timestamp queries when the queue has timestamps. On error it releases
// what it made.
func (d *Device) NewLane(maxSets int) (*Lane, error) {
	l := &Lane{}
	err := d.call("vkCreateDescriptorPool", func() vulkan.Result {
		return vulkan.Result(C.qdqCreateDescriptorPool(d.shim, C.uint32_t(maxSets), C.uint32_t(maxSets*d.bindings), &l.descPool))
	})
	if err == nil {
		// A pool whose command buffers can be reset one by one.
		err = d.call("vkCreateCommandPool", func() vulkan.Result {
			return vulkan.Result(C.qdqCreateCommandPool(d.shim, C.uint32_t(d.family), &l.cmdPool))
		})
	}
	if err == nil {
		err = d.call("vkAllocateCommandBuffers", func() vulkan.Result {
			return vulkan.Result(C.qdqAllocateCommandBuffer(d.shim, l.cmdPool, &l.cmd))
		})
	}
	if err == nil {
		err = d.call("vkCreateFence", func() vulkan.Result { return vulkan.Result(C.qdqCreateFence(d.shim, &l.fence)) })
	}
	if err == nil && d.timestampPeriod > 0 {
		err = d.call("vkCreateQueryPool", func() vulkan.Result { return vulkan.Result(C.qdqCreateTimestamps(d.shim, 2, &l.queries)) })
	}
	if err != nil {
		d.DestroyLane(l)
		return nil, err
	}
	return l, nil
}

// DestroyLane releases an idle lane's objects.
func (d *Device) DestroyLane(l *Lane) {
	if l.queries != nil {
		vulkan.DestroyQueryPool(d.dev, vulkan.QueryPool(l.queries), nil)
	}
	if l.fence != nil {
		vulkan.DestroyFence(d.dev, vulkan.Fence(l.fence), nil)
	}
	if l.cmdPool != nil {
		vulkan.DestroyCommandPool(d.dev, vulkan.CommandPool(l.cmdPool), nil) // frees its command buffer
	}
	if l.descPool != nil {
		vulkan.DestroyDescriptorPool(d.dev, vulkan.DescriptorPool(l.descPool), nil)
	}
}

// ShaderModule makes a shader module of SPIR-V words.
func (d *Device) ShaderModule(spirv []uint32) (*Module, error) {
	m := &Module{}
	err := d.call("vkCreateShaderModule", func() vulkan.Result {
		if len(spirv) == 0 {
			return vulkan.ErrorInitializationFailed
		}
		return vulkan.Result(C.qdqCreateShaderModule(d.shim, (*C.uint32_t)(unsafe.Pointer(&spirv[0])), C.size_t(4*len(spirv)), &m.h))
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// DestroyModule destroys a shader module.
func (d *Device) DestroyModule(m *Module) {
	vulkan.DestroyShaderModule(d.dev, vulkan.ShaderModule(m.h), nil)
}

// ComputePipeline builds the compute pipeline of m's "main" with the
// specialisation constants 0, 1 and 2 set to spec.
func (d *Device) ComputePipeline(m *Module, spec [3]uint32) (*Pipeline, error) {
	p := &Pipeline{}
	err := d.call("vkCreateComputePipelines", func() vulkan.Result {
		return vulkan.Result(C.qdqComputePipeline(d.shim, unsafe.Pointer(d.cache), m.h, unsafe.Pointer(d.layout),
			C.uint32_t(spec[0]), C.uint32_t(spec[1]), C.uint32_t(spec[2]), &p.h))
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// DestroyPipeline destroys a compute pipeline.
func (d *Device) DestroyPipeline(p *Pipeline) {
	vulkan.DestroyPipeline(d.dev, vulkan.Pipeline(p.h), nil)
}
