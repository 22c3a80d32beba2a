// layout_check.c checks the structures and values that vkshim.c
// declares by layout against the Vulkan headers. It is compiled, not run:
// cc -fsyntax-only gpu/internal/vk/testdata/layout_check.c (make check-shim).

#include <stddef.h>
#include <vulkan/vulkan.h>

#include "../vkshim.c"

#define SAME_SIZE(ours, theirs) _Static_assert(sizeof(ours) == sizeof(theirs), #ours " is not the size of " #theirs)
#define SAME_AT(ours, a, theirs, b) _Static_assert(offsetof(ours, a) == offsetof(theirs, b), #ours "." #a " is not at " #theirs "." #b)
#define SAME(ours, theirs) _Static_assert((long long)(ours) == (long long)(theirs), #ours " is not " #theirs)

SAME(qdqSuccess, VK_SUCCESS);
SAME(qdqErrorOutOfHostMemory, VK_ERROR_OUT_OF_HOST_MEMORY);
SAME(qdqErrorInitializationFailed, VK_ERROR_INITIALIZATION_FAILED);
SAME(qdqSTypeApplicationInfo, VK_STRUCTURE_TYPE_APPLICATION_INFO);
SAME(qdqSTypeInstanceCreateInfo, VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO);
SAME(qdqSTypeDeviceQueueCreateInfo, VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO);
SAME(qdqSTypeDeviceCreateInfo, VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO);
SAME(qdqSTypeSubmitInfo, VK_STRUCTURE_TYPE_SUBMIT_INFO);
SAME(qdqSTypeMemoryAllocateInfo, VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO);
SAME(qdqSTypeFenceCreateInfo, VK_STRUCTURE_TYPE_FENCE_CREATE_INFO);
SAME(qdqSTypeQueryPoolCreateInfo, VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO);
SAME(qdqSTypeBufferCreateInfo, VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO);
SAME(qdqSTypeShaderModuleCreateInfo, VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO);
SAME(qdqSTypePipelineCacheCreateInfo, VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO);
SAME(qdqSTypePipelineShaderStageCreateInfo, VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO);
SAME(qdqSTypeComputePipelineCreateInfo, VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO);
SAME(qdqSTypePipelineLayoutCreateInfo, VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO);
SAME(qdqSTypeDescriptorSetLayoutCreateInfo, VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO);
SAME(qdqSTypeDescriptorPoolCreateInfo, VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO);
SAME(qdqSTypeDescriptorSetAllocateInfo, VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO);
SAME(qdqSTypeWriteDescriptorSet, VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET);
SAME(qdqSTypeCommandPoolCreateInfo, VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO);
SAME(qdqSTypeCommandBufferAllocateInfo, VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO);
SAME(qdqSTypeCommandBufferBeginInfo, VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO);
SAME(qdqSTypeMemoryBarrier, VK_STRUCTURE_TYPE_MEMORY_BARRIER);
SAME(qdqSTypeFeatures2, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2);
SAME(qdqSTypeProperties2, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2);
SAME(qdqSTypeFloat16Int8, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES);
SAME(qdqSTypeStorage16, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES);
SAME(qdqSTypeSubgroup, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES);
SAME(qdqSTypeMaintenance3, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES);
SAME(qdqSTypeDriver, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES);
SAME(qdqSTypeFloatControls, VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FLOAT_CONTROLS_PROPERTIES);
SAME(qdqQueueCompute, VK_QUEUE_COMPUTE_BIT);
SAME(qdqStageCompute, VK_SHADER_STAGE_COMPUTE_BIT);
SAME(qdqDescriptorStorageBuffer, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER);
SAME(qdqCommandPoolResetBuffer, VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT);
SAME(qdqCommandBufferPrimary, VK_COMMAND_BUFFER_LEVEL_PRIMARY);
SAME(qdqQueryTimestamp, VK_QUERY_TYPE_TIMESTAMP);
SAME(qdqWholeSize, VK_WHOLE_SIZE);

SAME_SIZE(qdqApplicationInfo, VkApplicationInfo);
SAME_AT(qdqApplicationInfo, apiVersion, VkApplicationInfo, apiVersion);
SAME_AT(qdqApplicationInfo, engineName, VkApplicationInfo, pEngineName);
SAME_SIZE(qdqInstanceInfo, VkInstanceCreateInfo);
SAME_AT(qdqInstanceInfo, application, VkInstanceCreateInfo, pApplicationInfo);
SAME_AT(qdqInstanceInfo, extensions, VkInstanceCreateInfo, ppEnabledExtensionNames);

SAME_AT(qdqSubgroup, subgroupSize, VkPhysicalDeviceSubgroupProperties, subgroupSize);
SAME_AT(qdqSubgroup, stages, VkPhysicalDeviceSubgroupProperties, supportedStages);
SAME_AT(qdqSubgroup, ops, VkPhysicalDeviceSubgroupProperties, supportedOperations);
SAME_SIZE(qdqSubgroup, VkPhysicalDeviceSubgroupProperties);
SAME_AT(qdqDriver, name, VkPhysicalDeviceDriverProperties, driverName);
SAME_AT(qdqDriver, info, VkPhysicalDeviceDriverProperties, driverInfo);
SAME_SIZE(qdqDriver, VkPhysicalDeviceDriverProperties);
SAME_AT(qdqFloatControls, denormPreserve32, VkPhysicalDeviceFloatControlsProperties, shaderDenormPreserveFloat32);
SAME_AT(qdqFloatControls, denormPreserve64, VkPhysicalDeviceFloatControlsProperties, shaderDenormPreserveFloat64);
SAME_SIZE(qdqFloatControls, VkPhysicalDeviceFloatControlsProperties);
SAME_AT(qdqMaintenance3, maxMemoryAllocationSize, VkPhysicalDeviceMaintenance3Properties, maxMemoryAllocationSize);
SAME_SIZE(qdqMaintenance3, VkPhysicalDeviceMaintenance3Properties);
SAME_AT(qdqProperties2, properties, VkPhysicalDeviceProperties2, properties);
_Static_assert(sizeof(((qdqProperties2 *)0)->properties) >= sizeof(VkPhysicalDeviceProperties), "qdqProperties2 is too small");
SAME_AT(qdq16BitStorage, storage16, VkPhysicalDevice16BitStorageFeatures, storageBuffer16BitAccess);
SAME_SIZE(qdq16BitStorage, VkPhysicalDevice16BitStorageFeatures);
SAME_AT(qdqFloat16Int8, float16, VkPhysicalDeviceShaderFloat16Int8Features, shaderFloat16);
SAME_SIZE(qdqFloat16Int8, VkPhysicalDeviceShaderFloat16Int8Features);
SAME_AT(qdqFeatures2, features, VkPhysicalDeviceFeatures2, features);
_Static_assert(sizeof(((qdqFeatures2 *)0)->features) >= sizeof(VkPhysicalDeviceFeatures), "qdqFeatures2 is too small");

SAME_SIZE(qdqMemoryProperties, VkPhysicalDeviceMemoryProperties);
SAME_AT(qdqMemoryProperties, types, VkPhysicalDeviceMemoryProperties, memoryTypes);
SAME_AT(qdqMemoryProperties, heapCount, VkPhysicalDeviceMemoryProperties, memoryHeapCount);
SAME_AT(qdqMemoryProperties, heaps, VkPhysicalDeviceMemoryProperties, memoryHeaps);
SAME_SIZE(qdqMemoryType, VkMemoryType);
SAME_AT(qdqMemoryType, heap, VkMemoryType, heapIndex);
SAME_SIZE(qdqMemoryHeap, VkMemoryHeap);
SAME_AT(qdqMemoryHeap, flags, VkMemoryHeap, flags);
SAME_SIZE(qdqQueueFamily, VkQueueFamilyProperties);
SAME_AT(qdqQueueFamily, timestampBits, VkQueueFamilyProperties, timestampValidBits);

SAME_SIZE(qdqFeatures, VkPhysicalDeviceFeatures);
SAME(offsetof(qdqFeatures, feature[qdqFeatureShaderFloat64]), offsetof(VkPhysicalDeviceFeatures, shaderFloat64));
SAME_SIZE(qdqQueueInfo, VkDeviceQueueCreateInfo);
SAME_AT(qdqQueueInfo, family, VkDeviceQueueCreateInfo, queueFamilyIndex);
SAME_AT(qdqQueueInfo, priorities, VkDeviceQueueCreateInfo, pQueuePriorities);
SAME_SIZE(qdqDeviceInfo, VkDeviceCreateInfo);
SAME_AT(qdqDeviceInfo, queueInfos, VkDeviceCreateInfo, pQueueCreateInfos);
SAME_AT(qdqDeviceInfo, layers, VkDeviceCreateInfo, ppEnabledLayerNames);
SAME_AT(qdqDeviceInfo, features, VkDeviceCreateInfo, pEnabledFeatures);

SAME_SIZE(qdqSetBinding, VkDescriptorSetLayoutBinding);
SAME_AT(qdqSetBinding, stages, VkDescriptorSetLayoutBinding, stageFlags);
SAME_AT(qdqSetBinding, samplers, VkDescriptorSetLayoutBinding, pImmutableSamplers);
SAME_SIZE(qdqSetLayoutInfo, VkDescriptorSetLayoutCreateInfo);
SAME_AT(qdqSetLayoutInfo, bindings, VkDescriptorSetLayoutCreateInfo, pBindings);
SAME_SIZE(qdqPushRange, VkPushConstantRange);
SAME_AT(qdqPushRange, size, VkPushConstantRange, size);
SAME_SIZE(qdqPipelineLayoutInfo, VkPipelineLayoutCreateInfo);
SAME_AT(qdqPipelineLayoutInfo, setLayouts, VkPipelineLayoutCreateInfo, pSetLayouts);
SAME_AT(qdqPipelineLayoutInfo, pushRanges, VkPipelineLayoutCreateInfo, pPushConstantRanges);
SAME_SIZE(qdqCacheInfo, VkPipelineCacheCreateInfo);
SAME_AT(qdqCacheInfo, data, VkPipelineCacheCreateInfo, pInitialData);
SAME_SIZE(qdqPoolSize, VkDescriptorPoolSize);
SAME_SIZE(qdqPoolInfo, VkDescriptorPoolCreateInfo);
SAME_AT(qdqPoolInfo, maxSets, VkDescriptorPoolCreateInfo, maxSets);
SAME_AT(qdqPoolInfo, sizes, VkDescriptorPoolCreateInfo, pPoolSizes);
SAME_SIZE(qdqCommandPoolInfo, VkCommandPoolCreateInfo);
SAME_AT(qdqCommandPoolInfo, family, VkCommandPoolCreateInfo, queueFamilyIndex);
SAME_SIZE(qdqCommandBufferInfo, VkCommandBufferAllocateInfo);
SAME_AT(qdqCommandBufferInfo, level, VkCommandBufferAllocateInfo, level);
SAME_AT(qdqCommandBufferInfo, count, VkCommandBufferAllocateInfo, commandBufferCount);
SAME_SIZE(qdqFenceInfo, VkFenceCreateInfo);
SAME_SIZE(qdqQueryPoolInfo, VkQueryPoolCreateInfo);
SAME_AT(qdqQueryPoolInfo, count, VkQueryPoolCreateInfo, queryCount);
SAME_SIZE(qdqShaderInfo, VkShaderModuleCreateInfo);
SAME_AT(qdqShaderInfo, size, VkShaderModuleCreateInfo, codeSize);
SAME_AT(qdqShaderInfo, code, VkShaderModuleCreateInfo, pCode);
SAME_SIZE(qdqSpecEntry, VkSpecializationMapEntry);
SAME_SIZE(qdqSpecInfo, VkSpecializationInfo);
SAME_AT(qdqSpecInfo, data, VkSpecializationInfo, pData);
SAME_SIZE(qdqStageInfo, VkPipelineShaderStageCreateInfo);
SAME_AT(qdqStageInfo, name, VkPipelineShaderStageCreateInfo, pName);
SAME_AT(qdqStageInfo, spec, VkPipelineShaderStageCreateInfo, pSpecializationInfo);
SAME_SIZE(qdqComputeInfo, VkComputePipelineCreateInfo);
SAME_AT(qdqComputeInfo, stage, VkComputePipelineCreateInfo, stage);
SAME_AT(qdqComputeInfo, layout, VkComputePipelineCreateInfo, layout);
SAME_AT(qdqComputeInfo, baseIndex, VkComputePipelineCreateInfo, basePipelineIndex);
SAME_SIZE(qdqBufferInfo, VkBufferCreateInfo);
SAME_AT(qdqBufferInfo, size, VkBufferCreateInfo, size);
SAME_AT(qdqBufferInfo, usage, VkBufferCreateInfo, usage);
SAME_AT(qdqBufferInfo, families, VkBufferCreateInfo, pQueueFamilyIndices);
SAME_SIZE(qdqRequirements, VkMemoryRequirements);
SAME_AT(qdqRequirements, typeBits, VkMemoryRequirements, memoryTypeBits);
SAME_SIZE(qdqMemoryInfo, VkMemoryAllocateInfo);
SAME_AT(qdqMemoryInfo, type, VkMemoryAllocateInfo, memoryTypeIndex);
SAME_SIZE(qdqSetAllocInfo, VkDescriptorSetAllocateInfo);
SAME_AT(qdqSetAllocInfo, layouts, VkDescriptorSetAllocateInfo, pSetLayouts);
SAME_SIZE(qdqBufferRange, VkDescriptorBufferInfo);
SAME_AT(qdqBufferRange, range, VkDescriptorBufferInfo, range);
SAME_SIZE(qdqWrite, VkWriteDescriptorSet);
SAME_AT(qdqWrite, binding, VkWriteDescriptorSet, dstBinding);
SAME_AT(qdqWrite, type, VkWriteDescriptorSet, descriptorType);
SAME_AT(qdqWrite, buffers, VkWriteDescriptorSet, pBufferInfo);
SAME_SIZE(qdqBeginInfo, VkCommandBufferBeginInfo);
SAME_AT(qdqBeginInfo, inheritance, VkCommandBufferBeginInfo, pInheritanceInfo);
SAME_SIZE(qdqMemoryBarrier, VkMemoryBarrier);
SAME_AT(qdqMemoryBarrier, dstAccess, VkMemoryBarrier, dstAccessMask);
SAME_SIZE(qdqRegion, VkBufferCopy);
SAME_AT(qdqRegion, size, VkBufferCopy, size);
SAME_SIZE(qdqSubmitInfo, VkSubmitInfo);
SAME_AT(qdqSubmitInfo, waitStages, VkSubmitInfo, pWaitDstStageMask);
SAME_AT(qdqSubmitInfo, commandBuffers, VkSubmitInfo, pCommandBuffers);
SAME_AT(qdqSubmitInfo, signals, VkSubmitInfo, pSignalSemaphores);

