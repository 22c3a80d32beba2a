// Package vk is a thin binding to the Vulkan calls a compute program
// makes: the loader, an instance and its physical devices (Info), a
// logical device with one compute queue (Device), storage buffers and
// the choice of their memory, shader modules and compute pipelines, lanes
// (a command buffer with its fence, descriptor pool and timestamp
// queries), and submissions of recorded dispatches and copies (Step). It
// knows nothing of what the shaders compute: sizes, flags and SPIR-V words
// are its arguments.
//
// Vulkan is reached through github.com/vulkan-go/vulkan for handles and
// plain calls, and through a small C shim (vkshim.c) for every call that
// takes a structure, so that no C memory is left behind or freed early.
//
// A failed call is an *Error naming it, "vulkan: vkCreateBuffer: out of
// device memory". Faults makes named calls fail on purpose, for tests of
// what follows a failure.
//
// The plain data (Info, Step, Dispatch, the handles as opaque values,
// Error, Faults and the choice of memory types) builds everywhere; the
// calls need cgo on Linux and are left out by the novulkan build tag.
package vk

//lint:file-ignore U1000 the handles are used by the cgo files, which a build without Vulkan leaves out.

import "unsafe"

// Info describes a physical device.
type Info struct {
	Index      int    // position in the loader's enumeration
	Name       string // deviceName
	Type       int    // deviceType, a VkPhysicalDeviceType
	API        string // supported Vulkan version, "1.3.230"
	Driver     string // driver name and information where reported (Vulkan 1.2), else the driver version
	VendorID   uint32
	MemoryHeap uint64 // bytes in device-local heaps

	SubgroupSize int // 0 when not reported (Vulkan 1.0)
	// SubgroupArithmetic reports subgroup arithmetic in compute shaders.
	SubgroupArithmetic bool
	Float64            bool // shaderFloat64
	Float16            bool // shaderFloat16 (Vulkan 1.2)
	Storage16          bool // storageBuffer16BitAccess (Vulkan 1.1)
	// DenormPreserve32 and DenormPreserve64 are
	// shaderDenormPreserveFloat32 and shaderDenormPreserveFloat64
	// (Vulkan 1.2).
	DenormPreserve32, DenormPreserve64 bool

	MaxStorageBufferRange  uint64
	MaxAllocation          uint64 // maxMemoryAllocationSize (Vulkan 1.1); 0 when not reported
	MaxWorkGroupCount      [3]uint32
	MaxWorkGroupInvocation uint32
	MaxWorkGroupSizeX      uint32
	MaxSharedMemory        uint32
	TimestampPeriod        float32 // nanoseconds per timestamp tick
}

// Buffer is a storage buffer with memory of its own, made by
// Device.NewBuffer and released by Device.Free.
type Buffer struct {
	// Data is the buffer's memory, mapped, when it is host-visible, else
	// nil.
	Data []byte
	// Size is the buffer's length in bytes, at least the size asked for.
	Size int

	buf, mem unsafe.Pointer // the VkBuffer and its VkDeviceMemory
}

// Module is a shader module, made by Device.ShaderModule.
type Module struct{ h unsafe.Pointer }

// Pipeline is a compute pipeline, made by Device.ComputePipeline.
type Pipeline struct{ h unsafe.Pointer }

// Lane is what one submission in flight owns: a command pool and its
// command buffer, a fence, a descriptor pool, and two timestamp queries
// where the queue has timestamps. It is made by Device.NewLane and runs
// one submission at a time.
type Lane struct {
	descPool, cmdPool, cmd, fence, queries unsafe.Pointer
}

// Dispatch is one compute dispatch: a pipeline, the buffers it binds
// whole to bindings 0, 1, ..., its push constants and its workgroup
// counts.
type Dispatch struct {
	Pipeline *Pipeline
	Buffers  []*Buffer
	Push     []uint32
	Groups   [3]uint32
}

// Step is one command of a submission: a dispatch, or (Dispatch nil) a
// copy of Size bytes from From at byte FromAt to To at byte ToAt.
type Step struct {
	Dispatch     *Dispatch
	From, To     *Buffer
	Size         int
	FromAt, ToAt int
}

// DispatchStep makes a step of a dispatch.
func DispatchStep(d Dispatch) Step { return Step{Dispatch: &d} }

// CopyStep makes a step copying the first n bytes of from into to.
func CopyStep(from, to *Buffer, n int) Step { return Step{From: from, To: to, Size: n} }
