//go:build goexperiment.simd && amd64

package cpu

import "simd/archsimd"

// Vector conversions between float32 and the 16-bit storage types, done
// with integer bit manipulation (archsimd has no float16 instructions).
// Each works on 32-bit lanes that hold the 16-bit value in their low half,
// and each gives exactly the bits of its scalar counterpart in convert.go.
//
// The helpers take their constant vectors as arguments so that the
// caller broadcasts them once, outside its loop; they are small enough to
// be inlined.

// Type shorthands for the vectors used by the kernels.
type (
	f32x8  = archsimd.Float32x8
	f32x16 = archsimd.Float32x16
	f64x4  = archsimd.Float64x4
	f64x8  = archsimd.Float64x8
	u32x8  = archsimd.Uint32x8
	u32x16 = archsimd.Uint32x16
	i32x8  = archsimd.Int32x8
	i32x16 = archsimd.Int32x16
	u16x16 = archsimd.Uint16x16
	i16x16 = archsimd.Int16x16
	i16x32 = archsimd.Int16x32
)

// Bit patterns used by the conversions.
const (
	// halfSpecial is the largest finite half magnitude shifted into a
	// float32 exponent position: |h|<<13 above it is Inf or NaN.
	halfSpecial = 0x7bff << 13
	// pow2to112 is the bits of 2^112, which rebiases a half's exponent
	// (bias 15) to float32's (bias 127).
	pow2to112 = 0x77800000
	// f32Inf is the bits of +Inf; a float32 magnitude above it is NaN.
	f32Inf = 0x7f800000
	// f32AbsMask clears a float32's sign bit.
	f32AbsMask = 0x7fffffff
	// halfOverflow is the smallest float32 magnitude that rounds to half
	// Inf (65520).
	halfOverflow = 0x477ff000
	// halfRebias is (127-15) << 23: subtracted, it rebiases a normal
	// float32 to half's exponent.
	halfRebias = 0x38000000
	// halfNormal is the largest float32 magnitude below the smallest
	// normal half (2^-14).
	halfNormal = 0x387fffff
	// halfRound is half a half ulp, less one, in float32 mantissa bits.
	halfRound = 0x0fff
	// halfNaNBase is 0x3fc00 - 0x7c00: subtracted from |f|>>13 of a NaN,
	// it leaves the half NaN exponent and the top payload bits.
	halfNaNBase = 0x38000
	// halfQuiet is a half NaN's quiet bit.
	halfQuiet = 0x200
	// bf16Round is half a bfloat16 ulp, less one, in float32 bits.
	bf16Round = 0x7fff
	// bf16Quiet is a bfloat16 NaN's quiet bit.
	bf16Quiet = 0x40
)

// halfToFloat8 widens the IEEE half bits in the low 16 bits of each lane
// of u to float32, exactly: |h|<<13 read as a float32 is the half's value
// times 2^-112 (a subnormal float32 when the half is subnormal or zero),
// so one exact multiplication by 2^112 finishes every finite value. Inf
// and NaN first get the all-ones exponent, so that the same
// multiplication keeps Inf and makes a NaN quiet with its payload, as
// Float16ToFloat32 does.
func halfToFloat8(u, absMask16 u32x8, special i32x8, inf u32x8, p112 f32x8) f32x8 {
	abs := u.And(absMask16)
	o := abs.ShiftAllLeft(13)
	f := o.Or(inf).Merge(o, o.AsInt32x8().Greater(special)).AsFloat32x8().Mul(p112)
	return f.AsUint32x8().Or(u.Xor(abs).ShiftAllLeft(16)).AsFloat32x8()
}

// floatToHalf8 rounds each lane of f to IEEE half bits, to nearest-even,
// exactly like Float32ToFloat16, and returns them sign-extended to 32
// bits, ready for a signed-saturating pack. Normal halves round 13 bits
// off the rebiased magnitude, first capped at the smallest magnitude that
// rounds to Inf; subnormals and zeros let one float32 addition of 0.5
// round at 2^-24; NaNs keep their top payload bits and become quiet.
// Every right shift is arithmetic, on non-negative values where the sign
// does not matter: Go 1.26 has immediate forms only for those.
func floatToHalf8(f f32x8, absMask, over, rebias, round i32x8, half f32x8, normal, inf, nanBase, quiet i32x8) i32x8 {
	b := f.AsInt32x8()
	abs := b.And(absMask)
	v := abs.Min(over).Sub(rebias)
	v = v.Add(round).Sub(v.ShiftAllLeft(18).ShiftAllRight(31)).ShiftAllRight(13)
	sub := abs.AsFloat32x8().Add(half).AsInt32x8().Sub(half.AsInt32x8())
	r := v.Merge(sub, abs.Greater(normal))
	nan := abs.ShiftAllRight(13).Or(quiet).Sub(nanBase)
	r = nan.Merge(r, abs.Greater(inf))
	return r.Or(b.ShiftAllRight(31).ShiftAllLeft(15))
}

// floatToBFloat8 rounds each lane of f to bfloat16 bits, to nearest-even,
// exactly like Float32ToBFloat16, and returns them sign-extended to 32
// bits, ready for a signed-saturating pack.
func floatToBFloat8(f f32x8, round, one, quiet i32x8) i32x8 {
	b := f.AsInt32x8()
	hi := b.ShiftAllRight(16)
	r := b.Add(round).Add(hi.And(one)).ShiftAllRight(16)
	return hi.Or(quiet).Merge(r, f.IsNaN())
}

// halfToFloat16 is halfToFloat8 for 16 lanes.
func halfToFloat16(u, absMask16 u32x16, special i32x16, inf u32x16, p112 f32x16) f32x16 {
	abs := u.And(absMask16)
	o := abs.ShiftAllLeft(13)
	f := o.Or(inf).Merge(o, o.AsInt32x16().Greater(special)).AsFloat32x16().Mul(p112)
	return f.AsUint32x16().Or(u.Xor(abs).ShiftAllLeft(16)).AsFloat32x16()
}

// floatToHalf16 is floatToHalf8 for 16 lanes.
func floatToHalf16(f f32x16, absMask, over, rebias, round i32x16, half f32x16, normal, inf, nanBase, quiet i32x16) i32x16 {
	b := f.AsInt32x16()
	abs := b.And(absMask)
	v := abs.Min(over).Sub(rebias)
	v = v.Add(round).Sub(v.ShiftAllLeft(18).ShiftAllRight(31)).ShiftAllRight(13)
	sub := abs.AsFloat32x16().Add(half).AsInt32x16().Sub(half.AsInt32x16())
	// Go 1.26 miscompiles a blend that takes an immediate shift's result
	// where the mask is set, so v is taken where it is clear.
	r := sub.Merge(v, abs.LessEqual(normal))
	nan := abs.ShiftAllRight(13).Or(quiet).Sub(nanBase)
	r = nan.Merge(r, abs.Greater(inf))
	return r.Or(b.ShiftAllRight(31).ShiftAllLeft(15))
}

// floatToBFloat16x16 is floatToBFloat8 for 16 lanes.
func floatToBFloat16x16(f f32x16, round, one, quiet i32x16) i32x16 {
	b := f.AsInt32x16()
	hi := b.ShiftAllRight(16)
	r := b.Add(round).Add(hi.And(one)).ShiftAllRight(16)
	return hi.Or(quiet).Merge(r, f.IsNaN())
}
