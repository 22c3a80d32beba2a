package quant

import (
	"math"
	"sync"

	"github.com/x448/float16"
)

// Float16ToFloat32 widens IEEE half bits to float32, exactly.
func Float16ToFloat32(h uint16) float32 { return HalfTable()[h] }

// HalfTable returns the table of all 65,536 half values widened to
// float32, indexed by their bits.
var HalfTable = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for i := range t {
		t[i] = float16.Frombits(uint16(i)).Float32()
	}
	return &t
})

// Float32ToFloat16 rounds f to IEEE half bits, to nearest-even, with
// gradual underflow and overflow to ±Inf. A NaN stays a NaN with its sign
// and top payload bits, made quiet.
func Float32ToFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	abs := b & 0x7fffffff
	switch {
	case abs > 0x7f800000: // NaN
		return sign | 0x7e00 | uint16(abs>>13)&0x3ff
	case abs >= 0x477ff000: // at least 65520, which rounds to 65536: Inf
		return sign | 0x7c00
	case abs >= 0x38800000: // a normal half: rebias, then round 13 bits off
		v := abs - 0x38000000
		v += 0xfff + (v>>13)&1
		return sign | uint16(v>>13)
	default: // subnormal or zero: let one float32 addition round at 2^-24
		s := math.Float32frombits(abs) + 0.5
		return sign | uint16(math.Float32bits(s)-0x3f000000)
	}
}

// BFloat16ToFloat32 widens bfloat16 bits to float32, exactly.
func BFloat16ToFloat32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// Float32ToBFloat16 rounds f to bfloat16 bits, to nearest-even, with
// gradual underflow and overflow to ±Inf. A NaN stays a NaN with its sign
// and top payload bits, made quiet.
func Float32ToBFloat16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40
	}
	return uint16((b + 0x7fff + (b>>16)&1) >> 16)
}

// float64ToFloat32Odd rounds f to float32 with round-to-odd: the result is
// f when f is representable, else the neighbour of f towards zero or away
// from it whose last significand bit is 1. Rounding that result once more
// to a format with at least two fewer significand bits gives the same
// answer as rounding f directly.
func float64ToFloat32Odd(f float64) float32 {
	r := float32(f)
	if float64(r) == f || f != f {
		return r
	}
	bits := math.Float32bits(r)
	if math.Abs(float64(r)) > math.Abs(f) { // rounded away from zero: step back
		bits--
	}
	return math.Float32frombits(bits | 1)
}

// Float64ToFloat16 rounds f once to IEEE half bits, to nearest-even.
func Float64ToFloat16(f float64) uint16 { return Float32ToFloat16(float64ToFloat32Odd(f)) }

// Float64ToBFloat16 rounds f once to bfloat16 bits, to nearest-even.
func Float64ToBFloat16(f float64) uint16 { return Float32ToBFloat16(float64ToFloat32Odd(f)) }
