package qdq

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/x448/float16"

	"github.com/qdqvk/qdq/internal/quant"
)

// DType is a tensor's element type. The zero value is not a valid dtype.
type DType uint8

// The supported element types.
const (
	F32  DType = iota + 1 // IEEE binary32, computed in float32
	F64                   // IEEE binary64, computed in float64
	F16                   // IEEE binary16 (float16.Float16), computed in float32
	BF16                  // bfloat16 (BFloat16), computed in float32
)

var dtypeNames = [...]string{F32: "float32", F64: "float64", F16: "float16", BF16: "bfloat16"}

// String returns the dtype's name as TensorFlow spells it in Python
// ("float32", "float64", "float16", "bfloat16").
func (d DType) String() string {
	if d >= F32 && d <= BF16 {
		return dtypeNames[d]
	}
	return fmt.Sprintf("DType(%d)", uint8(d))
}

// Size returns the number of bytes one element occupies, or 0 for an
// invalid dtype.
func (d DType) Size() int { return quant.Storage(d).Size() }

// Round returns x rounded once to d, to nearest-even (overflowing to ±Inf),
// as a float64: the value a given range bound takes for a tensor of d.
// float64 values are returned unchanged.
func (d DType) Round(x float64) float64 {
	switch d {
	case F32:
		return float64(float32(x))
	case F16:
		return float64(quant.Float16ToFloat32(quant.Float64ToFloat16(x)))
	case BF16:
		return float64(quant.BFloat16ToFloat32(quant.Float64ToBFloat16(x)))
	}
	return x
}

// ParseDType returns the dtype named s, in any case: "float32",
// "float64", "float16" or "bfloat16" (String's names), the .safetensors
// names a weight-file report uses ("F32", "F64", "F16", "BF16"), or
// "float", "double" and "half". On error it returns the invalid zero
// DType.
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "float32", "f32", "float":
		return F32, nil
	case "float64", "f64", "double":
		return F64, nil
	case "float16", "f16", "half":
		return F16, nil
	case "bfloat16", "bf16":
		return BF16, nil
	}
	return 0, newError(ErrDType, "unsupported dtype %q: want float32, float64, float16 or bfloat16", s)
}

// BFloat16 is a bfloat16 number: the top 16 bits of an IEEE binary32.
type BFloat16 uint16

// BFloat16FromFloat32 rounds f to the nearest bfloat16, ties to even, with
// gradual underflow and overflow to ±Inf. A NaN stays a quiet NaN with its
// sign.
func BFloat16FromFloat32(f float32) BFloat16 { return BFloat16(quant.Float32ToBFloat16(f)) }

// BFloat16FromFloat64 rounds f once to the nearest bfloat16, ties to even.
func BFloat16FromFloat64(f float64) BFloat16 { return BFloat16(quant.Float64ToBFloat16(f)) }

// BFloat16FromBits returns the bfloat16 with the given bit pattern.
func BFloat16FromBits(b uint16) BFloat16 { return BFloat16(b) }

// Float32 returns b as a float32, exactly.
func (b BFloat16) Float32() float32 { return quant.BFloat16ToFloat32(uint16(b)) }

// Bits returns b's bit pattern.
func (b BFloat16) Bits() uint16 { return uint16(b) }

// String formats b as the shortest decimal that rounds back to it.
func (b BFloat16) String() string { return fmt.Sprint(b.Float32()) }

// IsNaN reports whether b is a NaN.
func (b BFloat16) IsNaN() bool { return math.IsNaN(float64(b.Float32())) }

// MarshalText returns the dtype's name, as String does.
func (d DType) MarshalText() ([]byte, error) {
	if d.Size() == 0 {
		return nil, newError(ErrDType, "invalid dtype %d", uint8(d))
	}
	return []byte(d.String()), nil
}

// UnmarshalText sets d to the dtype text names, as ParseDType.
func (d *DType) UnmarshalText(text []byte) error {
	v, err := ParseDType(string(text))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Float16FromFloat32 rounds f to the nearest IEEE half, ties to even,
// with gradual underflow and overflow to ±Inf; a NaN stays a quiet NaN
// with its sign and top payload bits (as the operation's outputs are
// rounded).
func Float16FromFloat32(f float32) float16.Float16 {
	return float16.Frombits(quant.Float32ToFloat16(f))
}

// Float16FromFloat64 rounds f once to the nearest IEEE half, ties to even.
// (float16.Fromfloat32(float32(f)) would round twice.)
func Float16FromFloat64(f float64) float16.Float16 {
	return float16.Frombits(quant.Float64ToFloat16(f))
}

// Element is the set of Go element types a Tensor can hold.
type Element interface {
	float32 | float64 | float16.Float16 | BFloat16
}

// dtypeOf returns the dtype of element type T.
func dtypeOf[T Element]() DType {
	var t T
	switch any(t).(type) {
	case float32:
		return F32
	case float64:
		return F64
	case float16.Float16:
		return F16
	default:
		return BF16
	}
}

// bitsOf reinterprets a slice of 16-bit floats as their bit patterns.
func bitsOf[T ~uint16](s []T) []uint16 {
	return unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}

// fromBits reinterprets bit patterns as a slice of 16-bit floats.
func fromBits[T ~uint16](s []uint16) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(s))), len(s))
}
