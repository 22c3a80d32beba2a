//go:build cgo && linux && !novulkan

package gpu

/*
#cgo CFLAGS: -Werror
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// The loader: vulkan-go opens "libvulkan.so", which only the -dev package
// provides, so qdq opens the runtime library itself and hands its
// vkGetInstanceProcAddr to vulkan-go.
typedef void (*qdqVoidFn)(void);
typedef qdqVoidFn (*qdqGetInstanceProcAddr)(void *instance, const char *name);

static qdqGetInstanceProcAddr qdqGIPA;

static const char *qdqLoad(const char *path) {
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib == NULL) {
		return dlerror();
	}
	qdqGIPA = (qdqGetInstanceProcAddr)dlsym(lib, "vkGetInstanceProcAddr");
	if (qdqGIPA == NULL) {
		return "the library has no vkGetInstanceProcAddr";
	}
	return NULL;
}

static void *qdqProcAddr(void) { return (void *)qdqGIPA; }

// Vulkan 1.1 and 1.2 property and feature structures that vulkan-go
// (which covers Vulkan 1.0 calls) does not wrap, declared by layout.
typedef struct { int32_t sType; void *pNext; uint32_t subgroupSize, stages, ops, quad; } qdqSubgroup;
typedef struct { int32_t sType; void *pNext; int32_t driverID; char name[256]; char info[256]; uint8_t conformance[4]; } qdqDriver;
typedef struct {
	int32_t sType; void *pNext;
	int32_t denormIndependence, roundingIndependence;
	uint32_t signedZero16, signedZero32, signedZero64;
	uint32_t denormPreserve16, denormPreserve32, denormPreserve64;
	uint32_t flush16, flush32, flush64;
	uint32_t rte16, rte32, rte64;
	uint32_t rtz16, rtz32, rtz64;
} qdqFloatControls;
typedef struct { int32_t sType; void *pNext; uint32_t maxPerSetDescriptors; _Alignas(8) uint64_t maxMemoryAllocationSize; } qdqMaintenance3;
typedef struct { int32_t sType; void *pNext; _Alignas(8) unsigned char properties[1024]; } qdqProperties2;
typedef struct { int32_t sType; void *pNext; uint32_t storage16, uniform16, pushConstant16, inputOutput16; } qdq16BitStorage;
typedef struct { int32_t sType; void *pNext; uint32_t float16, int8; } qdqFloat16Int8;
typedef struct { int32_t sType; void *pNext; _Alignas(8) unsigned char features[512]; } qdqFeatures2;

typedef void (*qdqGetStruct2)(void *physicalDevice, void *out);

typedef struct {
	uint64_t maxAllocation;
	uint32_t subgroupSize, subgroupStages, subgroupOps, storage16, float16, denormPreserve32, denormPreserve64;
	char driver[520];
} qdqExtra;

// qdqQueryExtra fills out with what Vulkan 1.1 and 1.2 report, chaining
// only the structures the device's version defines.
static void qdqQueryExtra(void *instance, void *physicalDevice, uint32_t api, qdqExtra *out) {
	memset(out, 0, sizeof *out);
	if (api < ((1u << 22) | (1u << 12))) { // before 1.1
		return;
	}
	qdqGetStruct2 props2 = (qdqGetStruct2)qdqGIPA(instance, "vkGetPhysicalDeviceProperties2");
	qdqGetStruct2 feats2 = (qdqGetStruct2)qdqGIPA(instance, "vkGetPhysicalDeviceFeatures2");
	if (props2 == NULL || feats2 == NULL) {
		return;
	}
	int v12 = api >= ((1u << 22) | (2u << 12));
	qdqMaintenance3 m3 = {1000168000, NULL};
	qdqSubgroup sub = {1000094000, &m3};
	qdqDriver drv = {1000196000, NULL};
	qdqFloatControls fc = {1000197000, NULL};
	qdqProperties2 p = {1000059001, &sub};
	if (v12) {
		m3.pNext = &drv;
		drv.pNext = &fc;
	}
	props2(physicalDevice, &p);
	out->maxAllocation = m3.maxMemoryAllocationSize;
	out->subgroupSize = sub.subgroupSize;
	out->subgroupStages = sub.stages;
	out->subgroupOps = sub.ops;
	if (v12) {
		out->denormPreserve32 = fc.denormPreserve32;
		out->denormPreserve64 = fc.denormPreserve64;
		drv.name[255] = drv.info[255] = 0;
		strcpy(out->driver, drv.name);
		if (drv.info[0] != 0) {
			strcat(out->driver, " ");
			strcat(out->driver, drv.info);
		}
	}
	qdq16BitStorage s16 = {1000083000, NULL};
	qdqFloat16Int8 f16 = {1000082000, NULL};
	qdqFeatures2 f = {1000059000, &s16};
	if (v12) {
		s16.pNext = &f16;
	}
	feats2(physicalDevice, &f);
	out->storage16 = s16.storage16;
	out->float16 = f16.float16;
}

// The structures of vkCreateComputePipelines, declared by layout and
// zero-initialised: vulkan-go's conversion of the nested stage left its
// pNext uninitialised, and lavapipe followed it (a crash seen under load).
typedef struct { uint32_t constantID, offset; size_t size; } qdqSpecEntry;
typedef struct { uint32_t count; const qdqSpecEntry *entries; size_t dataSize; const void *data; } qdqSpecInfo;
typedef struct {
	int32_t sType; const void *pNext; uint32_t flags, stage;
	void *module; const char *name; const qdqSpecInfo *spec;
} qdqStageInfo;
typedef struct {
	int32_t sType; const void *pNext; uint32_t flags;
	qdqStageInfo stage;
	void *layout, *basePipeline; int32_t baseIndex;
} qdqComputeInfo;
typedef int32_t (*qdqCreateComputePipelines)(void *device, void *cache, uint32_t count, const qdqComputeInfo *infos, const void *allocator, void **pipelines);

// qdqComputePipeline builds the compute pipeline of module's "main" with
// three 32-bit specialisation constants (ids 0, 1, 2).
static int32_t qdqComputePipeline(void *instance, void *device, void *cache, void *module, void *layout, uint32_t c0, uint32_t c1, uint32_t c2, void **pipeline) {
	qdqCreateComputePipelines create = (qdqCreateComputePipelines)qdqGIPA(instance, "vkCreateComputePipelines");
	if (create == NULL) {
		return -3; // VK_ERROR_INITIALIZATION_FAILED
	}
	uint32_t data[3] = {c0, c1, c2};
	qdqSpecEntry entries[3] = {{0, 0, 4}, {1, 4, 4}, {2, 8, 4}};
	qdqSpecInfo spec = {3, entries, sizeof data, data};
	qdqComputeInfo info;
	memset(&info, 0, sizeof info);
	info.sType = 29;       // VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
	info.stage.sType = 18; // VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
	info.stage.stage = 0x20; // VK_SHADER_STAGE_COMPUTE_BIT
	info.stage.module = module;
	info.stage.name = "main";
	info.stage.spec = &spec;
	info.layout = layout;
	info.baseIndex = -1;
	return create(device, cache, 1, &info, NULL, pipeline);
}

// The two calls every submission makes with a structure: vulkan-go
// converts a structure passed by pointer into C memory that it never
// frees (some 0.1-0.3 KiB a call), so they are made here, on the stack.
typedef struct { int32_t sType; const void *pNext; void *pool; uint32_t count; void *const *layouts; } qdqSetAllocInfo;
typedef int32_t (*qdqAllocateDescriptorSets)(void *device, const qdqSetAllocInfo *info, void **sets);
typedef struct { int32_t sType; const void *pNext; uint32_t flags; const void *inheritance; } qdqBeginInfo;
typedef int32_t (*qdqBeginCommandBuffer)(void *cmd, const qdqBeginInfo *info);

static int32_t qdqAllocateSet(void *instance, void *device, void *pool, void *layout, void **set) {
	qdqAllocateDescriptorSets allocate = (qdqAllocateDescriptorSets)qdqGIPA(instance, "vkAllocateDescriptorSets");
	if (allocate == NULL) {
		return -3;
	}
	qdqSetAllocInfo info = {34, NULL, pool, 1, &layout}; // VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO
	return allocate(device, &info, set);
}

static int32_t qdqBegin(void *instance, void *cmd, uint32_t flags) {
	qdqBeginCommandBuffer begin = (qdqBeginCommandBuffer)qdqGIPA(instance, "vkBeginCommandBuffer");
	if (begin == NULL) {
		return -3;
	}
	qdqBeginInfo info = {42, NULL, flags, NULL}; // VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO
	return begin(cmd, &info);
}

// Buffers and their memory, made per batch and whenever a lane's buffer
// grows: through the shim for the same reason.
typedef struct { int32_t sType; const void *pNext; uint32_t flags; uint64_t size; uint32_t usage; int32_t sharing; uint32_t families; const uint32_t *familyIndices; } qdqBufferInfo;
typedef int32_t (*qdqCreateBuffer)(void *device, const qdqBufferInfo *info, const void *alloc, void **buffer);
typedef struct { int32_t sType; const void *pNext; uint64_t size; uint32_t type; } qdqMemoryInfo;
typedef int32_t (*qdqAllocateMemory)(void *device, const qdqMemoryInfo *info, const void *alloc, void **memory);

static int32_t qdqNewBuffer(void *instance, void *device, uint64_t size, uint32_t usage, void **buffer) {
	qdqCreateBuffer create = (qdqCreateBuffer)qdqGIPA(instance, "vkCreateBuffer");
	if (create == NULL) {
		return -3;
	}
	qdqBufferInfo info;
	memset(&info, 0, sizeof info);
	info.sType = 12; // VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO
	info.size = size;
	info.usage = usage;
	return create(device, &info, NULL, buffer); // sharing 0: VK_SHARING_MODE_EXCLUSIVE
}

static int32_t qdqAllocate(void *instance, void *device, uint64_t size, uint32_t type, void **memory) {
	qdqAllocateMemory allocate = (qdqAllocateMemory)qdqGIPA(instance, "vkAllocateMemory");
	if (allocate == NULL) {
		return -3;
	}
	qdqMemoryInfo info = {5, NULL, size, type}; // VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO
	return allocate(device, &info, NULL, memory);
}
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"unsafe"

	vk "github.com/vulkan-go/vulkan"
)

// loader opens the Vulkan loader once per process.
var loader = sync.OnceValue(func() error {
	names := []string{"libvulkan.so.1", "libvulkan.so"}
	if p := os.Getenv(LibraryEnv); p != "" {
		names = []string{p}
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
})

// apiVersion is the Vulkan version qdq asks for.
var apiVersion = vk.MakeVersion(1, 1, 0)

// instance is an open Vulkan instance.
type instance struct{ vk vk.Instance }

// newInstance opens an instance, after the loader.
func newInstance() (*instance, error) {
	if err := loader(); err != nil {
		return nil, err
	}
	info := vk.InstanceCreateInfo{
		SType: vk.StructureTypeInstanceCreateInfo,
		PApplicationInfo: &vk.ApplicationInfo{
			SType:            vk.StructureTypeApplicationInfo,
			PApplicationName: "qdq\x00",
			PEngineName:      "qdq\x00",
			ApiVersion:       apiVersion,
		},
	}
	var inst vk.Instance
	if res := vk.CreateInstance(&info, nil, &inst); res != vk.Success {
		return nil, fmt.Errorf("%w: vkCreateInstance: %v", ErrNoVulkan, vk.Error(res))
	}
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

// describe reads a physical device's properties and features.
func (in *instance) describe(index int, p vk.PhysicalDevice) Device {
	var props vk.PhysicalDeviceProperties
	vk.GetPhysicalDeviceProperties(p, &props)
	props.Deref()
	props.Limits.Deref()
	var feats vk.PhysicalDeviceFeatures
	vk.GetPhysicalDeviceFeatures(p, &feats)
	feats.Deref()
	var mem vk.PhysicalDeviceMemoryProperties
	vk.GetPhysicalDeviceMemoryProperties(p, &mem)
	mem.Deref()
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
	for i := range mem.MemoryHeapCount {
		h := mem.MemoryHeaps[i]
		h.Deref()
		if vk.MemoryHeapFlagBits(h.Flags)&vk.MemoryHeapDeviceLocalBit != 0 {
			d.MemoryHeap += uint64(h.Size)
		}
	}
	return d
}

func versionString(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v>>22, v>>12&0x3ff, v&0xfff)
}

// Devices lists the Vulkan devices the loader finds.
func Devices() ([]Device, error) {
	in, err := newInstance()
	if err != nil {
		return nil, err
	}
	defer in.close()
	_, devs, err := in.physicalDevices()
	return devs, err
}

// createComputePipeline builds the pipeline of module's "main" with the
// specialisation constants 0, 1 and 2 set to spec.
func (c *Context) createComputePipeline(module vk.ShaderModule, spec [3]uint32) (vk.Pipeline, error) {
	var p unsafe.Pointer
	err := c.vkCall("vkCreateComputePipelines", func() vk.Result {
		return vk.Result(C.qdqComputePipeline(unsafe.Pointer(c.in.vk), unsafe.Pointer(c.dev), unsafe.Pointer(c.cache), unsafe.Pointer(module), unsafe.Pointer(c.layout),
			C.uint32_t(spec[0]), C.uint32_t(spec[1]), C.uint32_t(spec[2]), &p))
	})
	if err != nil {
		return nil, err
	}
	return vk.Pipeline(p), nil
}

// allocateSet allocates one descriptor set of the context's layout from
// pool.
func (c *Context) allocateSet(pool vk.DescriptorPool, set *vk.DescriptorSet) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqAllocateSet(unsafe.Pointer(c.in.vk), unsafe.Pointer(c.dev), unsafe.Pointer(pool), unsafe.Pointer(c.setLayout), &p))
	*set = vk.DescriptorSet(p)
	return res
}

// begin starts recording cmd for one submission.
func (c *Context) begin(cmd vk.CommandBuffer) vk.Result {
	return vk.Result(C.qdqBegin(unsafe.Pointer(c.in.vk), unsafe.Pointer(cmd), C.uint32_t(vk.CommandBufferUsageOneTimeSubmitBit)))
}

// createBuffer makes an exclusive buffer of size bytes for usage.
func (c *Context) createBuffer(size int, usage vk.BufferUsageFlagBits, buf *vk.Buffer) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqNewBuffer(unsafe.Pointer(c.in.vk), unsafe.Pointer(c.dev), C.uint64_t(size), C.uint32_t(usage), &p))
	*buf = vk.Buffer(p)
	return res
}

// allocateMemory allocates size bytes of memory of the given type.
func (c *Context) allocateMemory(size vk.DeviceSize, index int, mem *vk.DeviceMemory) vk.Result {
	var p unsafe.Pointer
	res := vk.Result(C.qdqAllocate(unsafe.Pointer(c.in.vk), unsafe.Pointer(c.dev), C.uint64_t(size), C.uint32_t(index), &p))
	*mem = vk.DeviceMemory(p)
	return res
}
