#version 450
// The first reduction pass: for each channel c (workgroup row y) and each
// block b of its positions (workgroup column x), the smallest and largest
// value as order-preserving integer keys (key32: -0 below +0), NaNs
// skipped. Integer keys compare exactly whatever the device does with
// subnormal floats, and make the result independent of the order of
// reduction. Channel c's positions p in [0, outer*inner) are the elements
// (p / inner, c, p % inner) of the [outer, depth, inner] view.

#include "common.glsl"

#if defined(SUBGROUP)
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

layout(local_size_x_id = 0) in;
const uint WG = 256u; // must match the specialised local size (checked on the host)

layout(std430, binding = 0) readonly buffer Src { uint src[]; };
layout(std430, binding = 1) writeonly buffer Partial { ivec2 partial[]; };

layout(push_constant) uniform Push {
	uint inner;
	uint depth;
	uint span;   // outer*inner positions per channel
	uint blocks; // blocks per channel
} pc;

shared int sLo[WG];
shared int sHi[WG];

uint bitsAt(uint e) {
#if defined(DTYPE_F32)
	return src[e];
#else
	uint h = (src[e >> 1] >> (16u * (e & 1u))) & 0xffffu;
#if defined(DTYPE_F16)
	return halfBitsToFloatBits(h);
#else
	return bfloatBitsToFloatBits(h);
#endif
#endif
}

void main() {
	uint lid = gl_LocalInvocationID.x;
	uint per = (pc.span + pc.blocks - 1u) / pc.blocks;
	for (uint c = gl_WorkGroupID.y; c < pc.depth; c += gl_NumWorkGroups.y) {
		for (uint b = gl_WorkGroupID.x; b < pc.blocks; b += gl_NumWorkGroups.x) {
			int lo = 0x7fffffff;
			int hi = int(0x80000000u);
			uint end = min(pc.span, (b + 1u) * per);
			for (uint p = b * per + lid; p < end; p += WG) {
				uint e = ((p / pc.inner) * pc.depth + c) * pc.inner + p % pc.inner;
				uint bits = bitsAt(e);
				if (!isNaN32(bits)) {
					int k = key32(bits);
					lo = min(lo, k);
					hi = max(hi, k);
				}
			}
#if defined(SUBGROUP)
			// Reduce within each subgroup, whatever its size, then over the
			// subgroups' results in shared memory.
			lo = subgroupMin(lo);
			hi = subgroupMax(hi);
			if (subgroupElect()) {
				sLo[gl_SubgroupID] = lo;
				sHi[gl_SubgroupID] = hi;
			}
			barrier();
			if (lid == 0u) {
				for (uint s = 1u; s < gl_NumSubgroups; s++) {
					sLo[0] = min(sLo[0], sLo[s]);
					sHi[0] = max(sHi[0], sHi[s]);
				}
			}
			barrier();
#else
			sLo[lid] = lo;
			sHi[lid] = hi;
			barrier();
			for (uint s = WG / 2u; s > 0u; s >>= 1u) {
				if (lid < s) {
					sLo[lid] = min(sLo[lid], sLo[lid + s]);
					sHi[lid] = max(sHi[lid], sHi[lid + s]);
				}
				barrier();
			}
#endif
			if (lid == 0u) {
				partial[c * pc.blocks + b] = ivec2(sLo[0], sHi[0]);
			}
			barrier();
		}
	}
}
