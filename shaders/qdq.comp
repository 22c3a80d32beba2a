#version 450
// The fused pass: clamp (only for a given range), scale, round, scale back,
// write. One invocation per 32-bit word of the input (one float32
// element, or two 16-bit elements), in a grid-stride loop. Per-channel
// parameters come as float32 bits, (min, max, scale, inverse), computed on
// the host by the same code as the CPU backend: no division here. A
// per-tensor call (one channel) passes them as push constants.

#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint ROUND_MODE = 0u; // 0 HALF_TO_EVEN, 1 HALF_UP
layout(constant_id = 2) const bool CLAMP = false;

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uint dst[]; };
layout(std430, binding = 2) readonly buffer Quant { uvec4 quant[]; };

layout(push_constant) uniform Push {
	uint count; // elements
	uint inner; // elements per row
	uint depth; // channels
	uint unused;
	uvec4 q; // the parameters when depth is 1
} pc;

uint fakeQuant(uint xb, uvec4 q) {
	// A NaN input comes out as itself made quiet, whatever NaN the
	// parameters hold: the definition's bits, set in integers, since which
	// NaN operand a device's multiplication returns is not promised.
	if (isNaN32(xb)) {
		return xb | 0x00400000u;
	}
	uint vb = xb;
	if (CLAMP) { // Eigen's cwiseMin(max) then cwiseMax(min)
		uint m = lessTF(q.y, vb) ? q.y : vb;
		vb = lessTF(m, q.x) ? q.x : m;
	}
	precise float z = uintBitsToFloat(vb) * uintBitsToFloat(q.z);
	precise float r;
	if (ROUND_MODE == 1u) {
		precise float h = z + 0.5;
		r = floor(h);
	} else {
		r = roundEven(z);
	}
	precise float y = r * uintBitsToFloat(q.w);
	return floatBitsToUint(y);
}

uvec4 quantOf(uint e) {
	if (pc.depth == 1u) {
		return pc.q;
	}
	return quant[(e / pc.inner) % pc.depth];
}

void main() {
	uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
#if defined(DTYPE_F32)
	for (uint e = gl_GlobalInvocationID.x; e < pc.count; e += stride) {
		dst[e] = fakeQuant(src[e], quantOf(e));
	}
#else
	uint words = (pc.count + 1u) / 2u;
	for (uint w = gl_GlobalInvocationID.x; w < words; w += stride) {
		uint pair = src[w];
		uint result = 0u;
		for (uint half_ = 0u; half_ < 2u; half_++) {
			uint e = 2u * w + half_;
			if (e >= pc.count) {
				break;
			}
			uint h = (pair >> (16u * half_)) & 0xffffu;
#if defined(DTYPE_F16)
			uint y = floatBitsToHalfBits(fakeQuant(halfBitsToFloatBits(h), quantOf(e)));
#else
			uint y = floatBitsToBfloatBits(fakeQuant(bfloatBitsToFloatBits(h), quantOf(e)));
#endif
			result |= y << (16u * half_);
		}
		dst[w] = result;
	}
#endif
}
