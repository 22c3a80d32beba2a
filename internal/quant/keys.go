package quant

import "math"

// Sortable keys. A range is found as the minimum and maximum of integer
// keys that order as the float values do (NaNs aside, which the callers
// skip), with -0 below +0: a negative value has its magnitude bits
// flipped. The shaders' twins are key32/unkey32 and key64 in
// shaders/common.glsl; the assembly kernels compute Key32 and Key64 with
// vector integer instructions.

// Key32 returns the sortable key of the float32 x.
func Key32(x float32) int32 {
	k := int32(math.Float32bits(x))
	return k ^ k>>31&math.MaxInt32
}

// Unkey32 turns a sortable key back into the float32 it came from.
func Unkey32(k int32) float32 { return math.Float32frombits(uint32(k ^ k>>31&math.MaxInt32)) }

// Key64 returns the sortable key of the float64 x.
func Key64(x float64) int64 {
	k := int64(math.Float64bits(x))
	return k ^ k>>63&math.MaxInt64
}

// Unkey64 turns a sortable key back into the float64 it came from.
func Unkey64(k int64) float64 { return math.Float64frombits(uint64(k ^ k>>63&math.MaxInt64)) }
