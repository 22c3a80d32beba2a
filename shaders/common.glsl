// Shared definitions for qdq's compute shaders. Every conversion between
// storage and compute types is done in integer arithmetic, so it is exact
// whatever the device does with subnormal floats, and every arithmetic
// step is `precise` (SPIR-V NoContraction), so no multiply-add is fused.

#if defined(DTYPE_F64)
#define T double
#else
#define T float
#endif

// key32 maps float32 bits to an int that orders as the values do, with
// -0 below +0 (IEEE minimumNumber/maximumNumber order). NaNs are excluded
// by the caller. The host's twin is Key32 in internal/quant, which also
// decodes the keys the reductions return (Unkey32).
int key32(uint bits) {
	int k = int(bits);
	return k ^ ((k >> 31) & 0x7fffffff);
}

uint unkey32(int k) {
	return uint(k ^ ((k >> 31) & 0x7fffffff));
}

bool isNaN32(uint bits) {
	return (bits & 0x7fffffffu) > 0x7f800000u;
}

// halfBitsToFloatBits widens IEEE half bits to float32 bits, exactly.
uint halfBitsToFloatBits(uint h) {
	uint sign = (h & 0x8000u) << 16;
	uint mag = h & 0x7fffu;
	if (mag >= 0x7c00u) {
		return sign | 0x7f800000u | ((mag & 0x3ffu) << 13);
	}
	if (mag >= 0x0400u) {
		return sign | ((mag << 13) + 0x38000000u);
	}
	if (mag == 0u) {
		return sign;
	}
	int e = findMSB(mag); // a subnormal half is a normal float
	return sign | (uint(e + 103) << 23) | ((mag << uint(23 - e)) & 0x7fffffu);
}

// floatBitsToHalfBits rounds float32 bits to half bits, to nearest-even,
// as the CPU's Float32ToFloat16: NaNs keep their sign and top payload bits
// and become quiet; overflow gives Inf; subnormal halves are rounded in
// integers.
uint floatBitsToHalfBits(uint b) {
	uint sign = (b >> 16) & 0x8000u;
	uint a = b & 0x7fffffffu;
	if (a > 0x7f800000u) {
		return sign | 0x7e00u | ((a >> 13) & 0x3ffu);
	}
	if (a >= 0x477ff000u) {
		return sign | 0x7c00u;
	}
	if (a >= 0x38800000u) {
		uint v = a - 0x38000000u;
		v += 0xfffu + ((v >> 13) & 1u);
		return sign | (v >> 13);
	}
	uint e = a >> 23;
	if (e < 102u) { // below 2^-25: rounds to zero
		return sign;
	}
	uint m = (a & 0x7fffffu) | 0x800000u;
	uint s = 126u - e; // 14..24
	uint q = m >> s;
	uint rest = m & ((1u << s) - 1u);
	uint halfway = 1u << (s - 1u);
	if (rest > halfway || (rest == halfway && (q & 1u) == 1u)) {
		q += 1u;
	}
	return sign | q;
}

// bfloat16 is the top half of float32.
uint bfloatBitsToFloatBits(uint h) {
	return h << 16;
}

uint floatBitsToBfloatBits(uint b) {
	if (isNaN32(b)) {
		return (b >> 16) | 0x40u;
	}
	return (b + 0x7fffu + ((b >> 16) & 1u)) >> 16;
}

// lessTF is IEEE's a < b with subnormals compared exactly: false when
// either is NaN, and -0 is not below +0.
bool lessTF(uint a, uint b) {
	if (isNaN32(a) || isNaN32(b) || ((a | b) & 0x7fffffffu) == 0u) {
		return false;
	}
	return key32(a) < key32(b);
}

// float64 values travel as pairs of 32-bit words (low, high), so that
// comparisons are exact integer operations here too.

bool isNaN64(uvec2 w) {
	uint h = w.y & 0x7fffffffu;
	return h > 0x7ff00000u || (h == 0x7ff00000u && w.x != 0u);
}

// key64 maps float64 words to an order-preserving key: negative values
// have their magnitude bits flipped; keys compare as (int(high), low).
// The host's twin is Key64 in internal/quant, on the 64-bit word.
uvec2 key64(uvec2 w) {
	if ((w.y & 0x80000000u) != 0u) {
		return uvec2(~w.x, w.y ^ 0x7fffffffu);
	}
	return w;
}

bool keyLess64(uvec2 a, uvec2 b) {
	return int(a.y) < int(b.y) || (a.y == b.y && a.x < b.x);
}

// lessTF64 is IEEE's a < b on float64 words, exactly, as lessTF.
bool lessTF64(uvec2 a, uvec2 b) {
	if (isNaN64(a) || isNaN64(b) || ((a.y | b.y) & 0x7fffffffu) == 0u && (a.x | b.x) == 0u) {
		return false;
	}
	return keyLess64(key64(a), key64(b));
}
