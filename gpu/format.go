package gpu

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/qdqvk/qdq/internal/quant"
)

// format is what run needs to know of a storage type with compute type C.
type format[C quant.Float] struct {
	name, merge string // shader module suffix, and the merge module
	rangeSize   int    // bytes of one channel's key range
	quantSize   int    // bytes of one channel's parameters
	words       int    // 32-bit words per element (1 for 16-bit pairs too)
	// keys decodes a channel's key range as int64 keys, which order as the
	// values do; lo > hi means no value.
	keys func(b []byte) (lo, hi int64)
	// value turns a key back into its value.
	value func(k int64) C
	pack  func(q quant.Quant[C], b []byte)
	exact func(q quant.Quant[C], lo, hi C) bool
}

// bounds turns a channel's key range back into its range: the empty
// range when lo > hi (no value).
func (f format[C]) bounds(lo, hi int64) quant.Bounds[C] {
	if lo > hi {
		return quant.EmptyBounds[C]()
	}
	return quant.Bounds[C]{Min: f.value(lo), Max: f.value(hi)}
}

// format32 is the format of a storage type computed in float32: name is
// "f32", "f16" or "bf16".
func format32(name string) format[float32] {
	return format[float32]{
		name: name, merge: "merge", rangeSize: 8, quantSize: 16, words: 1,
		keys: func(b []byte) (int64, int64) {
			return int64(int32(binary.LittleEndian.Uint32(b))), int64(int32(binary.LittleEndian.Uint32(b[4:])))
		},
		value: func(k int64) float32 { return quant.Unkey32(int32(k)) },
		pack: func(q quant.Quant[float32], b []byte) {
			for i, v := range []float32{q.Min, q.Max, q.Scale, q.InverseScale} {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
			}
		},
		exact: func(q quant.Quant[float32], lo, hi float32) bool {
			return exactFor(float64(q.Scale), float64(q.InverseScale), float64(lo), float64(hi), 0x1p125, 0x1p-126)
		},
	}
}

// format64 is float64's format.
func format64() format[float64] {
	return format[float64]{
		name: "f64", merge: "merge_f64", rangeSize: 16, quantSize: 32, words: 2,
		keys: func(b []byte) (int64, int64) {
			return int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
		},
		value: quant.Unkey64,
		pack: func(q quant.Quant[float64], b []byte) {
			for i, v := range []float64{q.Min, q.Max, q.Scale, q.InverseScale} {
				binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
			}
		},
		exact: func(q quant.Quant[float64], lo, hi float64) bool {
			return exactFor(float64(q.Scale), float64(q.InverseScale), lo, hi, 0x1p1021, 0x1p-1022)
		},
	}
}

// minmaxModule names the reduction module for the format named name, on
// a device with subgroup arithmetic or without.
func minmaxModule(name string, subgroups bool) string {
	if subgroups && name != "f64" {
		return "minmax_" + name + "_sg"
	}
	return "minmax_" + name
}

// fusedModule names the fused pass's module for the format named name.
func fusedModule(name string) string { return "qdq_" + name }

func bytesOf[T float32 | float64 | uint16](s []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// exactFor reports whether a channel is computed exactly by a device that
// may flush subnormal floats, given the interval [lo, hi] that the values
// reaching the multiplication lie in (the data's range, or the clamp's
// bounds). With the range and the clamp done in integers, subnormals can
// matter only in the two multiplications: a subnormal scale or inverse
// scale (below tiny, the smallest normal); or a subnormal x times a scale
// of at least big (2^125 for float32: a smaller scale makes the product
// less than 1/2, which rounds to a zero of the same sign either way).
//
// No shader declares SPIR-V's DenormPreserve execution mode, so even a
// device that could keep subnormals may flush them: the rule always
// applies.
//
// A NaN input never reaches the arithmetic: the shaders give it back made
// quiet in integer code, the definition's bits on any device.
func exactFor(scale, inv, lo, hi, big, tiny float64) bool {
	subnormals := lo < tiny && hi > -tiny && !(lo == 0 && hi == 0)
	scale, inv = math.Abs(scale), math.Abs(inv)
	switch {
	case scale >= big && subnormals:
		return false
	case scale != 0 && scale < tiny, inv != 0 && inv < tiny:
		return false
	}
	return true
}

// parameters returns each channel's parameters, from its given range or
// else from found(c), the range the reduction found, through
// quant.QuantOf, and the interval the values reaching the multiplication
// lie in, for the exactness rule: the adjusted range when the range is
// given (the values are clamped to it), else the range found.
func parameters[C quant.Float](r quant.Request[C], found func(c int) quant.Bounds[C]) ([]quant.Quant[C], []quant.Bounds[C]) {
	quants := make([]quant.Quant[C], r.Layout.Depth)
	bounds := make([]quant.Bounds[C], r.Layout.Depth)
	for c := range quants {
		if r.Given != nil {
			quants[c] = quant.QuantOf(r.Params, r.Given[c])
			bounds[c] = quant.Bounds[C]{Min: quants[c].Min, Max: quants[c].Max}
			continue
		}
		bounds[c] = found(c)
		quants[c] = quant.QuantOf(r.Params, bounds[c])
	}
	return quants, bounds
}

// inexact returns the index of the first channel that the device may not
// compute exactly (see exactFor), or -1.
func inexact[C quant.Float](f format[C], quants []quant.Quant[C], bounds []quant.Bounds[C]) int {
	for i, q := range quants {
		if !f.exact(q, bounds[i].Min, bounds[i].Max) {
			return i
		}
	}
	return -1
}
