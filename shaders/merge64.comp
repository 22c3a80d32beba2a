#version 450
// merge.comp for float64 keys.

#include "common.glsl"

layout(local_size_x_id = 0) in;
const uint WG = 256u; // must match the specialised local size (checked on the host)

layout(std430, binding = 0) readonly buffer Partial { uvec4 partial[]; };
layout(std430, binding = 1) writeonly buffer Range { uvec4 range[]; };

layout(push_constant) uniform Push {
	uint depth;
	uint blocks;
} pc;

shared uvec2 sLo[WG];
shared uvec2 sHi[WG];

void main() {
	uint lid = gl_LocalInvocationID.x;
	for (uint c = gl_WorkGroupID.x; c < pc.depth; c += gl_NumWorkGroups.x) {
		uvec2 lo = uvec2(0xffffffffu, 0x7fffffffu);
		uvec2 hi = uvec2(0u, 0x80000000u);
		for (uint b = lid; b < pc.blocks; b += WG) {
			uvec4 r = partial[c * pc.blocks + b];
			if (keyLess64(r.xy, lo)) {
				lo = r.xy;
			}
			if (keyLess64(hi, r.zw)) {
				hi = r.zw;
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
			range[c] = uvec4(sLo[0], sHi[0]);
		}
		barrier();
	}
}
