#version 450
// qdq.comp for float64 (needs shaderFloat64): values and parameters travel
// as (low, high) word pairs; the arithmetic is double precision, each step
// precise. A per-tensor call passes its parameters as push constants.

#include "common.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 1) const uint ROUND_MODE = 0u; // 0 HALF_TO_EVEN, 1 HALF_UP
layout(constant_id = 2) const bool CLAMP = false;

layout(std430, binding = 0) readonly buffer Src { uvec2 src[]; };
layout(std430, binding = 1) writeonly buffer Dst { uvec2 dst[]; };
layout(std430, binding = 2) readonly buffer Quant { uvec2 quant[]; }; // min, max, scale, inverse per channel

layout(push_constant) uniform Push {
	uint count;
	uint inner;
	uint depth;
	uint unused;
	uvec2 q[4]; // the parameters when depth is 1
} pc;

uvec2 param(uint i, uint k) {
	return pc.depth == 1u ? pc.q[k] : quant[i + k];
}

void main() {
	uint stride = gl_NumWorkGroups.x * gl_WorkGroupSize.x;
	for (uint e = gl_GlobalInvocationID.x; e < pc.count; e += stride) {
		uint q = 4u * ((e / pc.inner) % pc.depth);
		uvec2 v = src[e];
		if (isNaN64(v)) { // itself made quiet, set in integers as in qdq.comp
			dst[e] = uvec2(v.x, v.y | 0x00080000u);
			continue;
		}
		if (CLAMP) { // Eigen's cwiseMin(max) then cwiseMax(min)
			uvec2 hi = param(q, 1u);
			uvec2 m = lessTF64(hi, v) ? hi : v;
			uvec2 lo = param(q, 0u);
			v = lessTF64(m, lo) ? lo : m;
		}
		precise double z = packDouble2x32(v) * packDouble2x32(param(q, 2u));
		precise double r;
		if (ROUND_MODE == 1u) {
			precise double h = z + 0.5LF;
			r = floor(h);
		} else {
			r = roundEven(z);
		}
		precise double y = r * packDouble2x32(param(q, 3u));
		dst[e] = unpackDouble2x32(y);
	}
}
