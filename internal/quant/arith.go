package quant

import (
	"math"
	"unsafe"
)

// NaN bits. The definition fixes them as x86 gives them, on every
// architecture: an operation with a NaN operand gives its first NaN
// operand, made quiet, and an invalid operation (0·Inf) the default NaN
// with the sign bit set. Only products and quotients can make or meet a
// NaN in the definition's steps 3 to 5 (an addition of 0.5 to a NaN keeps
// it on every architecture, and the rounding functions pass NaNs
// through), so they go through Mul and Div, which settle the rare NaN
// result in integer code.

// Mul returns a*b, rounded to F, with x86's NaN bits.
func Mul[F Float](a, b F) F {
	p := F(a * b)
	if p != p {
		return nanOf(a, b)
	}
	return p
}

// Div returns a/b, rounded to F, with x86's NaN bits.
func Div[F Float](a, b F) F {
	p := F(a / b)
	if p != p {
		return nanOf(a, b)
	}
	return p
}

// nanOf returns the NaN of an operation with first operand a and second
// operand b whose result is NaN: a made quiet if a is NaN, else b made
// quiet if b is NaN, else the default NaN.
func nanOf[F Float](a, b F) F {
	switch {
	case a != a:
		return Quiet(a)
	case b != b:
		return Quiet(b)
	}
	return DefaultNaN[F]()
}

// Quiet returns the NaN x with its quiet bit set.
func Quiet[F Float](x F) F {
	if unsafe.Sizeof(x) == 4 {
		return F(math.Float32frombits(math.Float32bits(float32(x)) | 1<<22))
	}
	return F(math.Float64frombits(math.Float64bits(float64(x)) | 1<<51))
}

// DefaultNaN returns x86's default NaN: 0xFFC00000 for float32,
// 0xFFF8000000000000 for float64.
func DefaultNaN[F Float]() F {
	var x F
	if unsafe.Sizeof(x) == 4 {
		return F(math.Float32frombits(0xffc00000))
	}
	return F(math.Float64frombits(0xfff8000000000000))
}
