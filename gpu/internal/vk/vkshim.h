// The C half of package vk: the Vulkan calls that take structures.
//
// vulkan-go converts a structure passed by pointer into C memory that it
// frees only when asked (it never is, in its own functions), and a slice
// into C memory freed by a finalizer, which may run before the C call has
// read it. So every call that takes a structure is made here instead,
// with the structure on the C stack; vulkan-go keeps the handles, the
// constants and the plain calls, and fills two output structures (device
// properties and features) that describe frees at once.
//
// The structures are declared by layout, without the Vulkan headers (the
// build needs none); testdata/layout_check.c checks each against
// <vulkan/vulkan.h> (make check-shim).

#ifndef QDQ_VKSHIM_H
#define QDQ_VKSHIM_H

#include <stddef.h>
#include <stdint.h>

// qdqLoad opens the Vulkan loader at path; it returns NULL or an error.
const char *qdqLoad(const char *path);

// qdqProcAddr returns the loader's vkGetInstanceProcAddr.
void *qdqProcAddr(void);

// qdqCreateInstance creates an instance for Vulkan version api.
int32_t qdqCreateInstance(uint32_t api, void **instance);

// qdqExtra is what Vulkan 1.1 and 1.2 report about a device.
typedef struct {
	uint64_t maxAllocation;
	uint32_t subgroupSize, subgroupStages, subgroupOps, storage16, float16, denormPreserve32, denormPreserve64;
	char driver[520];
} qdqExtra;

// qdqQueryExtra fills out, chaining only the structures api defines.
void qdqQueryExtra(void *instance, void *physicalDevice, uint32_t api, qdqExtra *out);

// qdqMemory is a device's memory types and heaps.
typedef struct {
	uint32_t typeCount;
	uint32_t typeFlags[32], typeHeap[32];
	uint32_t heapCount;
	uint32_t heapFlags[16];
	uint64_t heapSize[16];
} qdqMemory;

// qdqQueryMemory fills out with physicalDevice's memory.
void qdqQueryMemory(void *instance, void *physicalDevice, qdqMemory *out);

// qdqComputeFamily returns the first queue family with compute, or -1,
// and sets timestampBits to its timestampValidBits.
int32_t qdqComputeFamily(void *instance, void *physicalDevice, uint32_t *timestampBits);

// qdqDevice is a logical device with the device-level functions the shim
// calls, looked up once through vkGetDeviceProcAddr.
typedef struct qdqDevice qdqDevice;

// qdqCreateDevice creates a device with one queue of family, and
// shaderFloat64 when float64 is set. On success *out must be given to
// qdqDestroyDevice.
int32_t qdqCreateDevice(void *instance, void *physicalDevice, uint32_t family, uint32_t float64, qdqDevice **out);

// qdqHandle returns d's VkDevice.
void *qdqHandle(const qdqDevice *d);

// qdqDestroyDevice destroys the device and frees d.
void qdqDestroyDevice(qdqDevice *d);

// Objects made once per context or lane.
int32_t qdqCreateSetLayout(const qdqDevice *d, uint32_t storageBuffers, void **layout);
int32_t qdqCreatePipelineLayout(const qdqDevice *d, void *setLayout, uint32_t pushBytes, void **layout);
int32_t qdqCreatePipelineCache(const qdqDevice *d, void **cache);
int32_t qdqCreateDescriptorPool(const qdqDevice *d, uint32_t maxSets, uint32_t storageBuffers, void **pool);
int32_t qdqCreateCommandPool(const qdqDevice *d, uint32_t family, void **pool);
int32_t qdqAllocateCommandBuffer(const qdqDevice *d, void *pool, void **cmd);
int32_t qdqCreateFence(const qdqDevice *d, void **fence);
int32_t qdqCreateTimestamps(const qdqDevice *d, uint32_t count, void **pool);
int32_t qdqCreateShaderModule(const qdqDevice *d, const uint32_t *code, size_t size, void **module);

// qdqComputePipeline builds the compute pipeline of module's "main" with
// three 32-bit specialisation constants (ids 0, 1, 2).
int32_t qdqComputePipeline(const qdqDevice *d, void *cache, void *module, void *layout, uint32_t c0, uint32_t c1, uint32_t c2, void **pipeline);

// Buffers and their memory.
int32_t qdqCreateBuffer(const qdqDevice *d, uint64_t size, uint32_t usage, void **buffer);
void qdqBufferRequirements(const qdqDevice *d, void *buffer, uint64_t *size, uint32_t *typeBits);
int32_t qdqAllocateMemory(const qdqDevice *d, uint64_t size, uint32_t type, void **memory);

// What every submission does.
int32_t qdqAllocateSet(const qdqDevice *d, void *pool, void *layout, void **set);
int32_t qdqWriteSet(const qdqDevice *d, void *set, uint32_t count, void *const *buffers);
int32_t qdqBegin(const qdqDevice *d, void *cmd, uint32_t flags);
void qdqBarrier(const qdqDevice *d, void *cmd, uint32_t srcStages, uint32_t dstStages, uint32_t srcAccess, uint32_t dstAccess);
void qdqCopy(const qdqDevice *d, void *cmd, void *from, void *to, uint64_t fromAt, uint64_t toAt, uint64_t size);
int32_t qdqSubmit(const qdqDevice *d, void *queue, void *cmd, void *fence);

#endif
