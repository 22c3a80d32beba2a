//go:build !purego

package cpu

import (
	"golang.org/x/sys/cpu"

	"github.com/qdqvk/qdq/internal/quant"
)

// The arm64 kernel set "neon", in kernels_arm64.s (written by hand: Go's
// assembler has no vector floating-point mnemonics, so those instructions
// are encoded there, each checked by TestARM64Encodings). Its vectors are
// 128-bit: 4 float32 or 2 float64 lanes, and 4 16-bit elements per apply
// step computed in float32 (8 per range step). Advanced SIMD is part of
// every arm64 CPU that Linux, macOS and Windows run on, with the half
// conversions FCVTL and FCVTN; golang.org/x/sys/cpu reports it as ASIMD.

// cpuSIMDSets returns the vector kernel sets this CPU can run, narrowest
// first.
func cpuSIMDSets() []kernelSet {
	if cpu.ARM64.HasFP && cpu.ARM64.HasASIMD {
		return []kernelSet{neonSet}
	}
	return nil
}

func init() { simdSets = cpuSIMDSets() }

var (
	neonFloat32 = (&vector[float32, float32]{
		name: "neon", width: 4, rangeWidth: 4,
		vecRange: floatRange(minMaxKeysF32NEON, quant.Unkey32), minMaxEach: minMaxEachF32NEON,
		apply:     [4]func(dst, src []float32, min, max, scale, inv float32){applyF32NEON, applyF32ClampNEON, applyF32UpNEON, applyF32ClampUpNEON},
		applyEach: [4]func(dst, src, min, max, scale, inv []float32){applyEachF32NEON, applyEachF32ClampNEON, applyEachF32UpNEON, applyEachF32ClampUpNEON},
		portable:  &scalarFloat32,
	}).kernels()
	neonFloat64 = (&vector[float64, float64]{
		name: "neon", width: 2, rangeWidth: 2,
		vecRange: floatRange(minMaxKeysF64NEON, quant.Unkey64), minMaxEach: minMaxEachF64NEON,
		apply:     [4]func(dst, src []float64, min, max, scale, inv float64){applyF64NEON, applyF64ClampNEON, applyF64UpNEON, applyF64ClampUpNEON},
		applyEach: [4]func(dst, src, min, max, scale, inv []float64){applyEachF64NEON, applyEachF64ClampNEON, applyEachF64UpNEON, applyEachF64ClampUpNEON},
		portable:  &scalarFloat64,
	}).kernels()
	neonFloat16 = (&vector[uint16, float32]{
		name: "neon", width: 4, rangeWidth: 8,
		vecRange: halfRange(minMaxKeys16NEON, 0x7c00, quant.Float16ToFloat32), minMaxEach: minMaxEachF16NEON,
		apply:     [4]func(dst, src []uint16, min, max, scale, inv float32){applyF16NEON, applyF16ClampNEON, applyF16UpNEON, applyF16ClampUpNEON},
		applyEach: [4]func(dst, src []uint16, min, max, scale, inv []float32){applyEachF16NEON, applyEachF16ClampNEON, applyEachF16UpNEON, applyEachF16ClampUpNEON},
		portable:  &scalarFloat16,
	}).kernels()
	neonBFloat16 = (&vector[uint16, float32]{
		name: "neon", width: 4, rangeWidth: 8,
		vecRange: halfRange(minMaxKeys16NEON, 0x7f80, quant.BFloat16ToFloat32), minMaxEach: minMaxEachBF16NEON,
		apply:     [4]func(dst, src []uint16, min, max, scale, inv float32){applyBF16NEON, applyBF16ClampNEON, applyBF16UpNEON, applyBF16ClampUpNEON},
		applyEach: [4]func(dst, src []uint16, min, max, scale, inv []float32){applyEachBF16NEON, applyEachBF16ClampNEON, applyEachBF16UpNEON, applyEachBF16ClampUpNEON},
		portable:  &scalarBFloat16,
	}).kernels()
	// The error sums are the portable loop's: there is no NEON routine
	// for them yet.
	neonSet = kernelSet{"neon", &neonFloat32, &neonFloat64, &neonFloat16, &neonBFloat16, errorSumsFloat32}
)

// conversionsOf returns the 16-bit conversions of the named kernel set;
// arm64 has only "neon".
func conversionsOf(string) conversions {
	return conversions{4, widenF16NEON, widenBF16NEON, narrowF16NEON, narrowBF16NEON}
}

// The assembly routines. Each handles the longest prefix of whole vectors
// of src and ignores the rest; the lanes are independent, so each equals
// the portable loop it names over that prefix, NaN bits included.

// minMaxKeysF32NEON returns the range of the first len(src) &^ 3 elements
// of src as sortable keys (quant.Unkey32), NaNs left out: the keys of +Inf and
// -Inf when there is none. Folded with minMaxFloat's loop over the rest,
// it equals minMaxFloat.
//
//go:noescape
func minMaxKeysF32NEON(src []float32) (lo, hi int32)

// minMaxEachF32NEON is minMaxEachFloat over the first len(src) &^ 3
// elements of src: lo[j] and hi[j] take src[j], NaNs left out and -0 below
// +0.
//
//go:noescape
func minMaxEachF32NEON(lo, hi, src []float32)

// applyF32NEON is applyFloat over the first len(src) &^ 3 elements of src,
// rounding half to even.
//
//go:noescape
func applyF32NEON(dst, src []float32, min, max, scale, inv float32)

// applyF32ClampNEON is applyFloat over the first len(src) &^ 3 elements of
// src, clamping to [min, max] first, rounding half to even.
//
//go:noescape
func applyF32ClampNEON(dst, src []float32, min, max, scale, inv float32)

// applyF32UpNEON is applyFloat over the first len(src) &^ 3 elements of
// src, rounding half up (floor(z+0.5)).
//
//go:noescape
func applyF32UpNEON(dst, src []float32, min, max, scale, inv float32)

// applyF32ClampUpNEON is applyFloat over the first len(src) &^ 3 elements
// of src, clamping to [min, max] first, rounding half up (floor(z+0.5)).
//
//go:noescape
func applyF32ClampUpNEON(dst, src []float32, min, max, scale, inv float32)

// applyEachF32NEON is applyEachFloat over the first len(src) &^ 3 elements
// of src, rounding half to even: element j uses min[j], max[j], scale[j]
// and inv[j].
//
//go:noescape
func applyEachF32NEON(dst, src, min, max, scale, inv []float32)

// applyEachF32ClampNEON is applyEachFloat over the first len(src) &^ 3
// elements of src, clamping to [min, max] first, rounding half to even:
// element j uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF32ClampNEON(dst, src, min, max, scale, inv []float32)

// applyEachF32UpNEON is applyEachFloat over the first len(src) &^ 3
// elements of src, rounding half up (floor(z+0.5)): element j uses min[j],
// max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF32UpNEON(dst, src, min, max, scale, inv []float32)

// applyEachF32ClampUpNEON is applyEachFloat over the first len(src) &^ 3
// elements of src, clamping to [min, max] first, rounding half up
// (floor(z+0.5)): element j uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF32ClampUpNEON(dst, src, min, max, scale, inv []float32)

// minMaxKeysF64NEON returns the range of the first len(src) &^ 1 elements
// of src as sortable keys (quant.Unkey64), NaNs left out: the keys of +Inf and
// -Inf when there is none. Folded with minMaxFloat's loop over the rest,
// it equals minMaxFloat.
//
//go:noescape
func minMaxKeysF64NEON(src []float64) (lo, hi int64)

// minMaxEachF64NEON is minMaxEachFloat over the first len(src) &^ 1
// elements of src: lo[j] and hi[j] take src[j], NaNs left out and -0 below
// +0.
//
//go:noescape
func minMaxEachF64NEON(lo, hi, src []float64)

// applyF64NEON is applyFloat over the first len(src) &^ 1 elements of src,
// rounding half to even.
//
//go:noescape
func applyF64NEON(dst, src []float64, min, max, scale, inv float64)

// applyF64ClampNEON is applyFloat over the first len(src) &^ 1 elements of
// src, clamping to [min, max] first, rounding half to even.
//
//go:noescape
func applyF64ClampNEON(dst, src []float64, min, max, scale, inv float64)

// applyF64UpNEON is applyFloat over the first len(src) &^ 1 elements of
// src, rounding half up (floor(z+0.5)).
//
//go:noescape
func applyF64UpNEON(dst, src []float64, min, max, scale, inv float64)

// applyF64ClampUpNEON is applyFloat over the first len(src) &^ 1 elements
// of src, clamping to [min, max] first, rounding half up (floor(z+0.5)).
//
//go:noescape
func applyF64ClampUpNEON(dst, src []float64, min, max, scale, inv float64)

// applyEachF64NEON is applyEachFloat over the first len(src) &^ 1 elements
// of src, rounding half to even: element j uses min[j], max[j], scale[j]
// and inv[j].
//
//go:noescape
func applyEachF64NEON(dst, src, min, max, scale, inv []float64)

// applyEachF64ClampNEON is applyEachFloat over the first len(src) &^ 1
// elements of src, clamping to [min, max] first, rounding half to even:
// element j uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF64ClampNEON(dst, src, min, max, scale, inv []float64)

// applyEachF64UpNEON is applyEachFloat over the first len(src) &^ 1
// elements of src, rounding half up (floor(z+0.5)): element j uses min[j],
// max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF64UpNEON(dst, src, min, max, scale, inv []float64)

// applyEachF64ClampUpNEON is applyEachFloat over the first len(src) &^ 1
// elements of src, clamping to [min, max] first, rounding half up
// (floor(z+0.5)): element j uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF64ClampUpNEON(dst, src, min, max, scale, inv []float64)

// minMaxKeys16NEON returns the range of the first len(src) &^ 7 16-bit
// floats of src, of either format (inf is the bits of its +Inf), as
// sortable keys (unkey16), NaNs left out: the keys of +Inf and -Inf when
// there is none. Folded with the portable loop over the rest, it equals
// minMaxFloat16 and minMaxBFloat16.
//
//go:noescape
func minMaxKeys16NEON(src []uint16, inf uint16) (lo, hi int16)

// minMaxEachF16NEON is minMaxEachFloat16 over the first len(src) &^ 3
// elements of src: lo[j] and hi[j] take the IEEE half src[j] widened, NaNs
// left out and -0 below +0.
//
//go:noescape
func minMaxEachF16NEON(lo, hi []float32, src []uint16)

// applyF16NEON is applyFloat16 over the first len(src) &^ 3 elements of
// src, rounding half to even, computed in float32.
//
//go:noescape
func applyF16NEON(dst, src []uint16, min, max, scale, inv float32)

// applyF16ClampNEON is applyFloat16 over the first len(src) &^ 3 elements
// of src, clamping to [min, max] first, rounding half to even, computed in
// float32.
//
//go:noescape
func applyF16ClampNEON(dst, src []uint16, min, max, scale, inv float32)

// applyF16UpNEON is applyFloat16 over the first len(src) &^ 3 elements of
// src, rounding half up (floor(z+0.5)), computed in float32.
//
//go:noescape
func applyF16UpNEON(dst, src []uint16, min, max, scale, inv float32)

// applyF16ClampUpNEON is applyFloat16 over the first len(src) &^ 3 elements
// of src, clamping to [min, max] first, rounding half up (floor(z+0.5)),
// computed in float32.
//
//go:noescape
func applyF16ClampUpNEON(dst, src []uint16, min, max, scale, inv float32)

// applyEachF16NEON is applyEachFloat16 over the first len(src) &^ 3
// elements of src, rounding half to even, computed in float32: element j
// uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF16NEON(dst, src []uint16, min, max, scale, inv []float32)

// applyEachF16ClampNEON is applyEachFloat16 over the first len(src) &^ 3
// elements of src, clamping to [min, max] first, rounding half to even,
// computed in float32: element j uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF16ClampNEON(dst, src []uint16, min, max, scale, inv []float32)

// applyEachF16UpNEON is applyEachFloat16 over the first len(src) &^ 3
// elements of src, rounding half up (floor(z+0.5)), computed in float32:
// element j uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachF16UpNEON(dst, src []uint16, min, max, scale, inv []float32)

// applyEachF16ClampUpNEON is applyEachFloat16 over the first len(src) &^ 3
// elements of src, clamping to [min, max] first, rounding half up
// (floor(z+0.5)), computed in float32: element j uses min[j], max[j],
// scale[j] and inv[j].
//
//go:noescape
func applyEachF16ClampUpNEON(dst, src []uint16, min, max, scale, inv []float32)

// widenF16NEON sets dst[j] to Float16ToFloat32(src[j]) for the first
// len(src) &^ 3 elements of src, with the widening the neon kernels use.
//
//go:noescape
func widenF16NEON(dst []float32, src []uint16)

// narrowF16NEON sets dst[j] to Float32ToFloat16(src[j]) for the first
// len(src) &^ 3 elements of src, with the rounding the neon kernels use.
//
//go:noescape
func narrowF16NEON(dst []uint16, src []float32)

// minMaxEachBF16NEON is minMaxEachBFloat16 over the first len(src) &^ 3
// elements of src: lo[j] and hi[j] take the bfloat16 src[j] widened, NaNs
// left out and -0 below +0.
//
//go:noescape
func minMaxEachBF16NEON(lo, hi []float32, src []uint16)

// applyBF16NEON is applyBFloat16 over the first len(src) &^ 3 elements of
// src, rounding half to even, computed in float32.
//
//go:noescape
func applyBF16NEON(dst, src []uint16, min, max, scale, inv float32)

// applyBF16ClampNEON is applyBFloat16 over the first len(src) &^ 3 elements
// of src, clamping to [min, max] first, rounding half to even, computed in
// float32.
//
//go:noescape
func applyBF16ClampNEON(dst, src []uint16, min, max, scale, inv float32)

// applyBF16UpNEON is applyBFloat16 over the first len(src) &^ 3 elements of
// src, rounding half up (floor(z+0.5)), computed in float32.
//
//go:noescape
func applyBF16UpNEON(dst, src []uint16, min, max, scale, inv float32)

// applyBF16ClampUpNEON is applyBFloat16 over the first len(src) &^ 3
// elements of src, clamping to [min, max] first, rounding half up
// (floor(z+0.5)), computed in float32.
//
//go:noescape
func applyBF16ClampUpNEON(dst, src []uint16, min, max, scale, inv float32)

// applyEachBF16NEON is applyEachBFloat16 over the first len(src) &^ 3
// elements of src, rounding half to even, computed in float32: element j
// uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachBF16NEON(dst, src []uint16, min, max, scale, inv []float32)

// applyEachBF16ClampNEON is applyEachBFloat16 over the first len(src) &^ 3
// elements of src, clamping to [min, max] first, rounding half to even,
// computed in float32: element j uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachBF16ClampNEON(dst, src []uint16, min, max, scale, inv []float32)

// applyEachBF16UpNEON is applyEachBFloat16 over the first len(src) &^ 3
// elements of src, rounding half up (floor(z+0.5)), computed in float32:
// element j uses min[j], max[j], scale[j] and inv[j].
//
//go:noescape
func applyEachBF16UpNEON(dst, src []uint16, min, max, scale, inv []float32)

// applyEachBF16ClampUpNEON is applyEachBFloat16 over the first len(src) &^
// 3 elements of src, clamping to [min, max] first, rounding half up
// (floor(z+0.5)), computed in float32: element j uses min[j], max[j],
// scale[j] and inv[j].
//
//go:noescape
func applyEachBF16ClampUpNEON(dst, src []uint16, min, max, scale, inv []float32)

// widenBF16NEON sets dst[j] to BFloat16ToFloat32(src[j]) for the first
// len(src) &^ 3 elements of src, with the widening the neon kernels use.
//
//go:noescape
func widenBF16NEON(dst []float32, src []uint16)

// narrowBF16NEON sets dst[j] to Float32ToBFloat16(src[j]) for the first
// len(src) &^ 3 elements of src, with the rounding the neon kernels use.
//
//go:noescape
func narrowBF16NEON(dst []uint16, src []float32)
