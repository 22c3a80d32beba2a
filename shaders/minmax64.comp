#version 450
// minmax.comp for float64: each block's smallest and largest value as
// order-preserving 64-bit keys, (min.low, min.high, max.low, max.high).

#include "common.glsl"

layout(local_size_x_id = 0) in;
const uint WG = 256u; // must match the specialised local size (checked on the host)

layout(std430, binding = 0) readonly buffer Src { uvec2 src[]; };
layout(std430, binding = 1) writeonly buffer Partial { uvec4 partial[]; };

layout(push_constant) uniform Push {
	uint inner;
	uint depth;
	uint span;
	uint blocks;
} pc;

shared uvec2 sLo[WG];
shared uvec2 sHi[WG];

const uvec2 KEY_MAX = uvec2(0xffffffffu, 0x7fffffffu);
const uvec2 KEY_MIN = uvec2(0u, 0x80000000u);

void main() {
	uint lid = gl_LocalInvocationID.x;
	uint per = (pc.span + pc.blocks - 1u) / pc.blocks;
	for (uint c = gl_WorkGroupID.y; c < pc.depth; c += gl_NumWorkGroups.y) {
		for (uint b = gl_WorkGroupID.x; b < pc.blocks; b += gl_NumWorkGroups.x) {
			uvec2 lo = KEY_MAX;
			uvec2 hi = KEY_MIN;
			uint end = min(pc.span, (b + 1u) * per);
			for (uint p = b * per + lid; p < end; p += WG) {
				uvec2 w = src[((p / pc.inner) * pc.depth + c) * pc.inner + p % pc.inner];
				if (!isNaN64(w)) {
					uvec2 k = key64(w);
					if (keyLess64(k, lo)) {
						lo = k;
					}
					if (keyLess64(hi, k)) {
						hi = k;
					}
				}
			}
			sLo[lid] = lo;
			sHi[lid] = hi;
			barrier();
			for (uint s = WG / 2u; s > 0u; s >>= 1u) {
				if (lid < s) {
					if (keyLess64(sLo[lid + s], sLo[lid])) {
						sLo[lid] = sLo[lid + s];
					}
					if (keyLess64(sHi[lid], sHi[lid + s])) {
						sHi[lid] = sHi[lid + s];
					}
				}
				barrier();
			}
			if (lid == 0u) {
				partial[c * pc.blocks + b] = uvec4(sLo[0], sHi[0]);
			}
			barrier();
		}
	}
}
