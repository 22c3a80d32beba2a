#version 450
// The second reduction pass: folds each channel's per-block key ranges
// into one (min, max) key pair per channel. A channel with no non-NaN
// value keeps (INT_MAX, INT_MIN).

layout(local_size_x_id = 0) in;
const uint WG = 256u; // must match the specialised local size (checked on the host)

layout(std430, binding = 0) readonly buffer Partial { ivec2 partial[]; };
layout(std430, binding = 1) writeonly buffer Range { ivec2 range[]; };

layout(push_constant) uniform Push {
	uint depth;
	uint blocks;
} pc;

shared int sLo[WG];
shared int sHi[WG];

void main() {
	uint lid = gl_LocalInvocationID.x;
	for (uint c = gl_WorkGroupID.x; c < pc.depth; c += gl_NumWorkGroups.x) {
		int lo = 0x7fffffff;
		int hi = int(0x80000000u);
		for (uint b = lid; b < pc.blocks; b += WG) {
			ivec2 r = partial[c * pc.blocks + b];
			lo = min(lo, r.x);
			hi = max(hi, r.y);
		}
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
		if (lid == 0u) {
			range[c] = ivec2(sLo[0], sHi[0]);
		}
		barrier();
	}
}
