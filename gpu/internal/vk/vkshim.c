//go:build cgo && linux && !novulkan

// The C half of package vk; vkshim.h says why it exists.

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include "vkshim.h"

_Static_assert(sizeof(void *) == 8, "qdq's Vulkan shim holds non-dispatchable handles in pointers: it needs a 64-bit build");

// Vulkan's values that the shim uses, checked against the headers by
// testdata/layout_check.c.
enum {
	qdqSuccess = 0,
	qdqErrorOutOfHostMemory = -1,
	qdqErrorInitializationFailed = -3,

	qdqSTypeApplicationInfo = 0,
	qdqSTypeInstanceCreateInfo = 1,
	qdqSTypeDeviceQueueCreateInfo = 2,
	qdqSTypeDeviceCreateInfo = 3,
	qdqSTypeSubmitInfo = 4,
	qdqSTypeMemoryAllocateInfo = 5,
	qdqSTypeFenceCreateInfo = 8,
	qdqSTypeQueryPoolCreateInfo = 11,
	qdqSTypeBufferCreateInfo = 12,
	qdqSTypeShaderModuleCreateInfo = 16,
	qdqSTypePipelineCacheCreateInfo = 17,
	qdqSTypePipelineShaderStageCreateInfo = 18,
	qdqSTypeComputePipelineCreateInfo = 29,
	qdqSTypePipelineLayoutCreateInfo = 30,
	qdqSTypeDescriptorSetLayoutCreateInfo = 32,
	qdqSTypeDescriptorPoolCreateInfo = 33,
	qdqSTypeDescriptorSetAllocateInfo = 34,
	qdqSTypeWriteDescriptorSet = 35,
	qdqSTypeCommandPoolCreateInfo = 39,
	qdqSTypeCommandBufferAllocateInfo = 40,
	qdqSTypeCommandBufferBeginInfo = 42,
	qdqSTypeMemoryBarrier = 46,
	qdqSTypeFeatures2 = 1000059000,
	qdqSTypeProperties2 = 1000059001,
	qdqSTypeFloat16Int8 = 1000082000,
	qdqSTypeStorage16 = 1000083000,
	qdqSTypeSubgroup = 1000094000,
	qdqSTypeMaintenance3 = 1000168000,
	qdqSTypeDriver = 1000196000,
	qdqSTypeFloatControls = 1000197000,

	qdqQueueCompute = 0x2,
	qdqStageCompute = 0x20,
	qdqDescriptorStorageBuffer = 7,
	qdqCommandPoolResetBuffer = 0x2,
	qdqCommandBufferPrimary = 0,
	qdqQueryTimestamp = 2,
};

// qdqWholeSize is VK_WHOLE_SIZE.
#define qdqWholeSize (~0ULL)

// The loader: vulkan-go opens "libvulkan.so", which only the -dev package
// provides, so qdq opens the runtime library itself and hands its
// vkGetInstanceProcAddr to vulkan-go.
typedef void (*qdqVoidFn)(void);
typedef qdqVoidFn (*qdqGetInstanceProcAddr)(void *instance, const char *name);

static qdqGetInstanceProcAddr qdqGIPA;

const char *qdqLoad(const char *path) {
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

void *qdqProcAddr(void) { return (void *)qdqGIPA; }

// The instance.
typedef struct {
	int32_t sType; const void *pNext;
	const char *applicationName; uint32_t applicationVersion;
	const char *engineName; uint32_t engineVersion;
	uint32_t apiVersion;
} qdqApplicationInfo;
typedef struct {
	int32_t sType; const void *pNext; uint32_t flags;
	const qdqApplicationInfo *application;
	uint32_t layerCount; const char *const *layers;
	uint32_t extensionCount; const char *const *extensions;
} qdqInstanceInfo;
typedef int32_t (*qdqCreateInstanceFn)(const qdqInstanceInfo *info, const void *alloc, void **instance);

int32_t qdqCreateInstance(uint32_t api, void **instance) {
	qdqCreateInstanceFn create = (qdqCreateInstanceFn)qdqGIPA(NULL, "vkCreateInstance");
	if (create == NULL) {
		return qdqErrorInitializationFailed;
	}
	qdqApplicationInfo app = {qdqSTypeApplicationInfo, NULL, "qdq", 0, "qdq", 0, api};
	qdqInstanceInfo info = {qdqSTypeInstanceCreateInfo, NULL, 0, &app, 0, NULL, 0, NULL};
	return create(&info, NULL, instance);
}

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

typedef void (*qdqGetStruct2)(void *physicalDevice, void *out);

// qdqQueryExtra fills out with what Vulkan 1.1 and 1.2 report, chaining
// only the structures the device's version defines.
void qdqQueryExtra(void *instance, void *physicalDevice, uint32_t api, qdqExtra *out) {
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
	qdqMaintenance3 m3 = {qdqSTypeMaintenance3, NULL};
	qdqSubgroup sub = {qdqSTypeSubgroup, &m3};
	qdqDriver drv = {qdqSTypeDriver, NULL};
	qdqFloatControls fc = {qdqSTypeFloatControls, NULL};
	qdqProperties2 p = {qdqSTypeProperties2, &sub};
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
	qdq16BitStorage s16 = {qdqSTypeStorage16, NULL};
	qdqFloat16Int8 f16 = {qdqSTypeFloat16Int8, NULL};
	qdqFeatures2 f = {qdqSTypeFeatures2, &s16};
	if (v12) {
		s16.pNext = &f16;
	}
	feats2(physicalDevice, &f);
	out->storage16 = s16.storage16;
	out->float16 = f16.float16;
}

// Memory and queue families.
typedef struct { uint32_t flags, heap; } qdqMemoryType;
typedef struct { uint64_t size; uint32_t flags; } qdqMemoryHeap;
typedef struct {
	uint32_t typeCount; qdqMemoryType types[32];
	uint32_t heapCount; qdqMemoryHeap heaps[16];
} qdqMemoryProperties;
typedef void (*qdqGetMemoryProperties)(void *physicalDevice, qdqMemoryProperties *out);

void qdqQueryMemory(void *instance, void *physicalDevice, qdqMemory *out) {
	memset(out, 0, sizeof *out);
	qdqGetMemoryProperties get = (qdqGetMemoryProperties)qdqGIPA(instance, "vkGetPhysicalDeviceMemoryProperties");
	if (get == NULL) {
		return;
	}
	qdqMemoryProperties p;
	memset(&p, 0, sizeof p);
	get(physicalDevice, &p);
	out->typeCount = p.typeCount < 32 ? p.typeCount : 32;
	for (uint32_t i = 0; i < out->typeCount; i++) {
		out->typeFlags[i] = p.types[i].flags;
		out->typeHeap[i] = p.types[i].heap;
	}
	out->heapCount = p.heapCount < 16 ? p.heapCount : 16;
	for (uint32_t i = 0; i < out->heapCount; i++) {
		out->heapFlags[i] = p.heaps[i].flags;
		out->heapSize[i] = p.heaps[i].size;
	}
}

typedef struct { uint32_t flags, count, timestampBits, granularity[3]; } qdqQueueFamily;
typedef void (*qdqGetQueueFamilies)(void *physicalDevice, uint32_t *count, qdqQueueFamily *families);

int32_t qdqComputeFamily(void *instance, void *physicalDevice, uint32_t *timestampBits) {
	*timestampBits = 0;
	qdqGetQueueFamilies get = (qdqGetQueueFamilies)qdqGIPA(instance, "vkGetPhysicalDeviceQueueFamilyProperties");
	if (get == NULL) {
		return -1;
	}
	uint32_t n = 0;
	get(physicalDevice, &n, NULL);
	if (n == 0) {
		return -1;
	}
	qdqQueueFamily *families = calloc(n, sizeof *families);
	if (families == NULL) {
		return -1;
	}
	get(physicalDevice, &n, families);
	int32_t found = -1;
	for (uint32_t i = 0; i < n; i++) {
		if (families[i].flags & qdqQueueCompute) {
			found = (int32_t)i;
			*timestampBits = families[i].timestampBits;
			break;
		}
	}
	free(families);
	return found;
}

// The device and its functions.
typedef struct { uint32_t feature[55]; } qdqFeatures;
enum { qdqFeatureShaderFloat64 = 39 }; // the index of shaderFloat64
typedef struct {
	int32_t sType; const void *pNext; uint32_t flags;
	uint32_t family, count; const float *priorities;
} qdqQueueInfo;
typedef struct {
	int32_t sType; const void *pNext; uint32_t flags;
	uint32_t queueInfoCount; const qdqQueueInfo *queueInfos;
	uint32_t layerCount; const char *const *layers;
	uint32_t extensionCount; const char *const *extensions;
	const qdqFeatures *features;
} qdqDeviceInfo;
typedef int32_t (*qdqCreateDeviceFn)(void *physicalDevice, const qdqDeviceInfo *info, const void *alloc, void **device);
typedef qdqVoidFn (*qdqGetDeviceProcAddr)(void *device, const char *name);

typedef struct { uint32_t binding; int32_t type; uint32_t count, stages; void *const *samplers; } qdqSetBinding;
typedef struct { int32_t sType; const void *pNext; uint32_t flags, bindingCount; const qdqSetBinding *bindings; } qdqSetLayoutInfo;
typedef struct { uint32_t stages, offset, size; } qdqPushRange;
typedef struct {
	int32_t sType; const void *pNext; uint32_t flags;
	uint32_t setLayoutCount; void *const *setLayouts;
	uint32_t pushRangeCount; const qdqPushRange *pushRanges;
} qdqPipelineLayoutInfo;
typedef struct { int32_t sType; const void *pNext; uint32_t flags; size_t dataSize; const void *data; } qdqCacheInfo;
typedef struct { int32_t type; uint32_t count; } qdqPoolSize;
typedef struct { int32_t sType; const void *pNext; uint32_t flags, maxSets, sizeCount; const qdqPoolSize *sizes; } qdqPoolInfo;
typedef struct { int32_t sType; const void *pNext; uint32_t flags, family; } qdqCommandPoolInfo;
typedef struct { int32_t sType; const void *pNext; void *pool; int32_t level; uint32_t count; } qdqCommandBufferInfo;
typedef struct { int32_t sType; const void *pNext; uint32_t flags; } qdqFenceInfo;
typedef struct { int32_t sType; const void *pNext; uint32_t flags; int32_t type; uint32_t count, statistics; } qdqQueryPoolInfo;
typedef struct { int32_t sType; const void *pNext; uint32_t flags; size_t size; const uint32_t *code; } qdqShaderInfo;
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
typedef struct { int32_t sType; const void *pNext; uint32_t flags; uint64_t size; uint32_t usage; int32_t sharing; uint32_t familyCount; const uint32_t *families; } qdqBufferInfo;
typedef struct { uint64_t size, alignment; uint32_t typeBits; } qdqRequirements;
typedef struct { int32_t sType; const void *pNext; uint64_t size; uint32_t type; } qdqMemoryInfo;
typedef struct { int32_t sType; const void *pNext; void *pool; uint32_t count; void *const *layouts; } qdqSetAllocInfo;
typedef struct { void *buffer; uint64_t offset, range; } qdqBufferRange;
typedef struct {
	int32_t sType; const void *pNext; void *set;
	uint32_t binding, element, count; int32_t type;
	const void *images; const qdqBufferRange *buffers; const void *texelViews;
} qdqWrite;
typedef struct { int32_t sType; const void *pNext; uint32_t flags; const void *inheritance; } qdqBeginInfo;
typedef struct { int32_t sType; const void *pNext; uint32_t srcAccess, dstAccess; } qdqMemoryBarrier;
typedef struct { uint64_t fromAt, toAt, size; } qdqRegion;
typedef struct {
	int32_t sType; const void *pNext;
	uint32_t waitCount; void *const *waits; const uint32_t *waitStages;
	uint32_t commandBufferCount; void *const *commandBuffers;
	uint32_t signalCount; void *const *signals;
} qdqSubmitInfo;

struct qdqDevice {
	void *device;
	void (*destroyDevice)(void *device, const void *alloc);
	int32_t (*createSetLayout)(void *device, const qdqSetLayoutInfo *info, const void *alloc, void **layout);
	int32_t (*createPipelineLayout)(void *device, const qdqPipelineLayoutInfo *info, const void *alloc, void **layout);
	int32_t (*createPipelineCache)(void *device, const qdqCacheInfo *info, const void *alloc, void **cache);
	int32_t (*createDescriptorPool)(void *device, const qdqPoolInfo *info, const void *alloc, void **pool);
	int32_t (*createCommandPool)(void *device, const qdqCommandPoolInfo *info, const void *alloc, void **pool);
	int32_t (*allocateCommandBuffers)(void *device, const qdqCommandBufferInfo *info, void **cmds);
	int32_t (*createFence)(void *device, const qdqFenceInfo *info, const void *alloc, void **fence);
	int32_t (*createQueryPool)(void *device, const qdqQueryPoolInfo *info, const void *alloc, void **pool);
	int32_t (*createShaderModule)(void *device, const qdqShaderInfo *info, const void *alloc, void **module);
	int32_t (*createComputePipelines)(void *device, void *cache, uint32_t count, const qdqComputeInfo *infos, const void *alloc, void **pipelines);
	int32_t (*createBuffer)(void *device, const qdqBufferInfo *info, const void *alloc, void **buffer);
	void (*getBufferRequirements)(void *device, void *buffer, qdqRequirements *out);
	int32_t (*allocateMemory)(void *device, const qdqMemoryInfo *info, const void *alloc, void **memory);
	int32_t (*allocateSets)(void *device, const qdqSetAllocInfo *info, void **sets);
	void (*updateSets)(void *device, uint32_t writeCount, const qdqWrite *writes, uint32_t copyCount, const void *copies);
	int32_t (*begin)(void *cmd, const qdqBeginInfo *info);
	void (*barrier)(void *cmd, uint32_t srcStages, uint32_t dstStages, uint32_t dependencies,
		uint32_t memoryCount, const qdqMemoryBarrier *memory, uint32_t bufferCount, const void *buffers, uint32_t imageCount, const void *images);
	void (*copy)(void *cmd, void *from, void *to, uint32_t count, const qdqRegion *regions);
	int32_t (*submit)(void *queue, uint32_t count, const qdqSubmitInfo *submits, void *fence);
};

// qdqLookup sets *fn to the device function name, reporting whether the
// device has it.
static int qdqLookup(qdqGetDeviceProcAddr get, void *device, const char *name, void *fn) {
	qdqVoidFn f = get(device, name);
	memcpy(fn, &f, sizeof f);
	return f != NULL;
}

int32_t qdqCreateDevice(void *instance, void *physicalDevice, uint32_t family, uint32_t float64, qdqDevice **out) {
	*out = NULL;
	qdqCreateDeviceFn create = (qdqCreateDeviceFn)qdqGIPA(instance, "vkCreateDevice");
	qdqGetDeviceProcAddr get = (qdqGetDeviceProcAddr)qdqGIPA(instance, "vkGetDeviceProcAddr");
	qdqVoidFn destroy = qdqGIPA(instance, "vkDestroyDevice");
	if (create == NULL || get == NULL || destroy == NULL) {
		return qdqErrorInitializationFailed;
	}
	qdqDevice *d = calloc(1, sizeof *d);
	if (d == NULL) {
		return qdqErrorOutOfHostMemory;
	}
	// vkDestroyDevice comes from the instance, looked up before the device
	// exists, so that a device can always be destroyed.
	memcpy(&d->destroyDevice, &destroy, sizeof destroy);
	float priority = 1;
	qdqQueueInfo queue = {qdqSTypeDeviceQueueCreateInfo, NULL, 0, family, 1, &priority};
	qdqFeatures features;
	memset(&features, 0, sizeof features);
	features.feature[qdqFeatureShaderFloat64] = float64 != 0;
	qdqDeviceInfo info = {qdqSTypeDeviceCreateInfo, NULL, 0, 1, &queue, 0, NULL, 0, NULL, &features};
	int32_t res = create(physicalDevice, &info, NULL, &d->device);
	if (res != qdqSuccess) {
		free(d);
		return res;
	}
	void *dev = d->device;
	int ok = qdqLookup(get, dev, "vkCreateDescriptorSetLayout", &d->createSetLayout) &
		qdqLookup(get, dev, "vkCreatePipelineLayout", &d->createPipelineLayout) &
		qdqLookup(get, dev, "vkCreatePipelineCache", &d->createPipelineCache) &
		qdqLookup(get, dev, "vkCreateDescriptorPool", &d->createDescriptorPool) &
		qdqLookup(get, dev, "vkCreateCommandPool", &d->createCommandPool) &
		qdqLookup(get, dev, "vkAllocateCommandBuffers", &d->allocateCommandBuffers) &
		qdqLookup(get, dev, "vkCreateFence", &d->createFence) &
		qdqLookup(get, dev, "vkCreateQueryPool", &d->createQueryPool) &
		qdqLookup(get, dev, "vkCreateShaderModule", &d->createShaderModule) &
		qdqLookup(get, dev, "vkCreateComputePipelines", &d->createComputePipelines) &
		qdqLookup(get, dev, "vkCreateBuffer", &d->createBuffer) &
		qdqLookup(get, dev, "vkGetBufferMemoryRequirements", &d->getBufferRequirements) &
		qdqLookup(get, dev, "vkAllocateMemory", &d->allocateMemory) &
		qdqLookup(get, dev, "vkAllocateDescriptorSets", &d->allocateSets) &
		qdqLookup(get, dev, "vkUpdateDescriptorSets", &d->updateSets) &
		qdqLookup(get, dev, "vkBeginCommandBuffer", &d->begin) &
		qdqLookup(get, dev, "vkCmdPipelineBarrier", &d->barrier) &
		qdqLookup(get, dev, "vkCmdCopyBuffer", &d->copy) &
		qdqLookup(get, dev, "vkQueueSubmit", &d->submit);
	if (!ok) {
		qdqDestroyDevice(d);
		return qdqErrorInitializationFailed;
	}
	*out = d;
	return qdqSuccess;
}

void *qdqHandle(const qdqDevice *d) { return d->device; }

void qdqDestroyDevice(qdqDevice *d) {
	d->destroyDevice(d->device, NULL);
	free(d);
}

int32_t qdqCreateSetLayout(const qdqDevice *d, uint32_t storageBuffers, void **layout) {
	qdqSetBinding bindings[8];
	if (storageBuffers > 8) {
		return qdqErrorInitializationFailed;
	}
	for (uint32_t i = 0; i < storageBuffers; i++) {
		qdqSetBinding b = {i, qdqDescriptorStorageBuffer, 1, qdqStageCompute, NULL};
		bindings[i] = b;
	}
	qdqSetLayoutInfo info = {qdqSTypeDescriptorSetLayoutCreateInfo, NULL, 0, storageBuffers, bindings};
	return d->createSetLayout(d->device, &info, NULL, layout);
}

int32_t qdqCreatePipelineLayout(const qdqDevice *d, void *setLayout, uint32_t pushBytes, void **layout) {
	qdqPushRange push = {qdqStageCompute, 0, pushBytes};
	qdqPipelineLayoutInfo info = {qdqSTypePipelineLayoutCreateInfo, NULL, 0, 1, &setLayout, 1, &push};
	return d->createPipelineLayout(d->device, &info, NULL, layout);
}

int32_t qdqCreatePipelineCache(const qdqDevice *d, void **cache) {
	qdqCacheInfo info = {qdqSTypePipelineCacheCreateInfo, NULL, 0, 0, NULL};
	return d->createPipelineCache(d->device, &info, NULL, cache);
}

int32_t qdqCreateDescriptorPool(const qdqDevice *d, uint32_t maxSets, uint32_t storageBuffers, void **pool) {
	qdqPoolSize size = {qdqDescriptorStorageBuffer, storageBuffers};
	qdqPoolInfo info = {qdqSTypeDescriptorPoolCreateInfo, NULL, 0, maxSets, 1, &size};
	return d->createDescriptorPool(d->device, &info, NULL, pool);
}

int32_t qdqCreateCommandPool(const qdqDevice *d, uint32_t family, void **pool) {
	qdqCommandPoolInfo info = {qdqSTypeCommandPoolCreateInfo, NULL, qdqCommandPoolResetBuffer, family};
	return d->createCommandPool(d->device, &info, NULL, pool);
}

int32_t qdqAllocateCommandBuffer(const qdqDevice *d, void *pool, void **cmd) {
	qdqCommandBufferInfo info = {qdqSTypeCommandBufferAllocateInfo, NULL, pool, qdqCommandBufferPrimary, 1};
	return d->allocateCommandBuffers(d->device, &info, cmd);
}

int32_t qdqCreateFence(const qdqDevice *d, void **fence) {
	qdqFenceInfo info = {qdqSTypeFenceCreateInfo, NULL, 0};
	return d->createFence(d->device, &info, NULL, fence);
}

int32_t qdqCreateTimestamps(const qdqDevice *d, uint32_t count, void **pool) {
	qdqQueryPoolInfo info = {qdqSTypeQueryPoolCreateInfo, NULL, 0, qdqQueryTimestamp, count, 0};
	return d->createQueryPool(d->device, &info, NULL, pool);
}

int32_t qdqCreateShaderModule(const qdqDevice *d, const uint32_t *code, size_t size, void **module) {
	qdqShaderInfo info = {qdqSTypeShaderModuleCreateInfo, NULL, 0, size, code};
	return d->createShaderModule(d->device, &info, NULL, module);
}

int32_t qdqComputePipeline(const qdqDevice *d, void *cache, void *module, void *layout, uint32_t c0, uint32_t c1, uint32_t c2, void **pipeline) {
	uint32_t data[3] = {c0, c1, c2};
	qdqSpecEntry entries[3] = {{0, 0, 4}, {1, 4, 4}, {2, 8, 4}};
	qdqSpecInfo spec = {3, entries, sizeof data, data};
	qdqComputeInfo info;
	memset(&info, 0, sizeof info);
	info.sType = qdqSTypeComputePipelineCreateInfo;
	info.stage.sType = qdqSTypePipelineShaderStageCreateInfo;
	info.stage.stage = qdqStageCompute;
	info.stage.module = module;
	info.stage.name = "main";
	info.stage.spec = &spec;
	info.layout = layout;
	info.baseIndex = -1;
	return d->createComputePipelines(d->device, cache, 1, &info, NULL, pipeline);
}

int32_t qdqCreateBuffer(const qdqDevice *d, uint64_t size, uint32_t usage, void **buffer) {
	qdqBufferInfo info;
	memset(&info, 0, sizeof info); // sharing 0: VK_SHARING_MODE_EXCLUSIVE
	info.sType = qdqSTypeBufferCreateInfo;
	info.size = size;
	info.usage = usage;
	return d->createBuffer(d->device, &info, NULL, buffer);
}

void qdqBufferRequirements(const qdqDevice *d, void *buffer, uint64_t *size, uint32_t *typeBits) {
	qdqRequirements req;
	memset(&req, 0, sizeof req);
	d->getBufferRequirements(d->device, buffer, &req);
	*size = req.size;
	*typeBits = req.typeBits;
}

int32_t qdqAllocateMemory(const qdqDevice *d, uint64_t size, uint32_t type, void **memory) {
	qdqMemoryInfo info = {qdqSTypeMemoryAllocateInfo, NULL, size, type};
	return d->allocateMemory(d->device, &info, NULL, memory);
}

int32_t qdqAllocateSet(const qdqDevice *d, void *pool, void *layout, void **set) {
	qdqSetAllocInfo info = {qdqSTypeDescriptorSetAllocateInfo, NULL, pool, 1, &layout};
	return d->allocateSets(d->device, &info, set);
}

int32_t qdqWriteSet(const qdqDevice *d, void *set, uint32_t count, void *const *buffers) {
	qdqBufferRange ranges[8];
	qdqWrite writes[8];
	if (count > 8) {
		return qdqErrorInitializationFailed;
	}
	for (uint32_t i = 0; i < count; i++) {
		qdqBufferRange r = {buffers[i], 0, qdqWholeSize};
		ranges[i] = r;
		qdqWrite w = {qdqSTypeWriteDescriptorSet, NULL, set, i, 0, 1, qdqDescriptorStorageBuffer, NULL, &ranges[i], NULL};
		writes[i] = w;
	}
	d->updateSets(d->device, count, writes, 0, NULL);
	return qdqSuccess;
}

int32_t qdqBegin(const qdqDevice *d, void *cmd, uint32_t flags) {
	qdqBeginInfo info = {qdqSTypeCommandBufferBeginInfo, NULL, flags, NULL};
	return d->begin(cmd, &info);
}

void qdqBarrier(const qdqDevice *d, void *cmd, uint32_t srcStages, uint32_t dstStages, uint32_t srcAccess, uint32_t dstAccess) {
	qdqMemoryBarrier b = {qdqSTypeMemoryBarrier, NULL, srcAccess, dstAccess};
	d->barrier(cmd, srcStages, dstStages, 0, 1, &b, 0, NULL, 0, NULL);
}

void qdqCopy(const qdqDevice *d, void *cmd, void *from, void *to, uint64_t fromAt, uint64_t toAt, uint64_t size) {
	qdqRegion r = {fromAt, toAt, size};
	d->copy(cmd, from, to, 1, &r);
}

int32_t qdqSubmit(const qdqDevice *d, void *queue, void *cmd, void *fence) {
	qdqSubmitInfo info = {qdqSTypeSubmitInfo, NULL, 0, NULL, NULL, 1, &cmd, 0, NULL};
	return d->submit(queue, 1, &info, fence);
}
