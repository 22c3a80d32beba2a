//go:build !purego

#include "textflag.h"

// The arm64 kernel set "neon": 128-bit Advanced SIMD vectors, 4 float32
// or 2 float64 lanes (8 16-bit lanes in minMaxKeys16NEON). Each routine
// handles whole vectors only; kernels_vector.go finishes the rest. The
// routines compute the portable loops of kernels.go bit for bit, NaN
// bits included, which takes more care here than on x86:
//
//   - No fused multiply-add, and no FMIN, FMAX, FMINNM or FMAXNM, whose
//     rules for NaNs and signed zeros are not the portable
//     compare-and-select: the clamp and the bounds are FCMGT and FCMEQ
//     masks and bit selects (BIT, BIF, BSL).
//   - Rounding is FRINTN (ties to even) or FRINTM (floor, after the
//     addition of 0.5), which give a NaN operand back unchanged.
//   - A product's NaN must be x86's (see mul in kernels.go): the first
//     operand's NaN made quiet, else the second's, else for 0·Inf the
//     default NaN with the sign bit set. arm64 prefers a signalling NaN
//     in either operand to a quiet one, and its default NaN is
//     0x7FC00000. So the second operand b (scale, inv) is made quiet
//     beforehand, when it is a NaN (PREP): arm64's rule then picks the
//     same operand as x86's. And a lane whose product is NaN while
//     neither operand is gets the sign bit ORed in (QUANT), giving
//     0xFFC00000 (0xFFF8000000000000 for float64).
//   - The bounds are sortable integer keys, as on amd64: key = b ^ ((b
//     >>arith 31) & 0x7fffffff), NaN lanes replaced by the largest key for
//     the minimum and by the smallest for the maximum.
//   - Half conversions are FCVTL (exact) and FCVTN (to nearest-even, with
//     subnormals, a NaN made quiet with its top payload bits), as the
//     operating systems start Go: FPCR's rounding mode nearest-even and
//     its AHP, DN, FZ and FZ16 bits clear; bfloat16 ones a shift (ZIP1
//     with zeros) and the integer rounding of Float32ToBFloat16.
//
// Go's assembler has no mnemonics for the vector floating-point
// instructions, nor for SSHR, SMIN, SMAX and CMGT. The table below
// encodes each one used, once, as a macro named after its instruction
// (mnemonic, arrangement of the destination, then the operands): every
// WORD of this file is in it, with the instruction in its comment.
// TestARM64Encodings (arm64_encodings_test.go) disassembles every word
// with aarch64-linux-gnu-objdump and checks it against the comment and
// the macro's name.
//
// Registers, in every routine:
//
//	R0, R1       dst and src pointers (lo and hi in minMaxEach*)
//	R2           elements left, a multiple of the vector's lanes
//	R3-R6        min, max, scale, inv (values, or pointers in applyEach*)
//	R7           scratch for constants
//	V0           the lanes being worked on: x, z, the result
//	V1-V4        scratch
//	V16, V17     lo and hi: the clamp range, or the running bounds
//	V18, V19     scale and inv, quiet when NaN (PREP)
//	V20          0.5
//	V21, V22     the sign bit where scale, inv is not NaN, else 0 (PREP)
//	V23, V24     the quiet bit, the sign bit
//	V25-V27      bfloat16 rounding: 0x7fff, 1, 0x40
//	V28-V30      keys: the largest key (every bit but the sign), the
//	             smallest (the sign bit alone), the 16-bit +Inf
//	V31          zero

// The encodings.

#define FCMGT_4S_V1_V16_V0 WORD $0x6ea0e601 // FCMGT V1.4S, V16.4S, V0.4S
#define FCMGT_4S_V1_V0_V17 WORD $0x6eb1e401 // FCMGT V1.4S, V0.4S, V17.4S
#define FCMEQ_4S_V2_V0_V16 WORD $0x4e30e402 // FCMEQ V2.4S, V0.4S, V16.4S
#define FCMEQ_4S_V2_V0_V17 WORD $0x4e31e402 // FCMEQ V2.4S, V0.4S, V17.4S
#define FCMEQ_4S_V1_V0_V0 WORD $0x4e20e401 // FCMEQ V1.4S, V0.4S, V0.4S
#define FCMEQ_4S_V2_V0_V0 WORD $0x4e20e402 // FCMEQ V2.4S, V0.4S, V0.4S
#define FCMEQ_4S_V3_V18_V18 WORD $0x4e32e643 // FCMEQ V3.4S, V18.4S, V18.4S
#define FCMEQ_4S_V3_V19_V19 WORD $0x4e33e663 // FCMEQ V3.4S, V19.4S, V19.4S
#define FMUL_4S_V0_V0_V18 WORD $0x6e32dc00 // FMUL V0.4S, V0.4S, V18.4S
#define FMUL_4S_V0_V0_V19 WORD $0x6e33dc00 // FMUL V0.4S, V0.4S, V19.4S
#define FADD_4S_V0_V0_V20 WORD $0x4e34d400 // FADD V0.4S, V0.4S, V20.4S
#define FRINTN_4S_V0_V0 WORD $0x4e218800 // FRINTN V0.4S, V0.4S
#define FRINTM_4S_V0_V0 WORD $0x4e219800 // FRINTM V0.4S, V0.4S
#define SSHR_4S_V2_V0_31 WORD $0x4f210402 // SSHR V2.4S, V0.4S, #31
#define SMIN_4S_V16_V16_V1 WORD $0x4ea16e10 // SMIN V16.4S, V16.4S, V1.4S
#define SMAX_4S_V17_V17_V3 WORD $0x4ea36631 // SMAX V17.4S, V17.4S, V3.4S
#define SMINV_S0_V16 WORD $0x4eb1aa00 // SMINV S0, V16.4S
#define SMAXV_S1_V17 WORD $0x4eb0aa21 // SMAXV S1, V17.4S

#define FCMGT_2D_V1_V16_V0 WORD $0x6ee0e601 // FCMGT V1.2D, V16.2D, V0.2D
#define FCMGT_2D_V1_V0_V17 WORD $0x6ef1e401 // FCMGT V1.2D, V0.2D, V17.2D
#define FCMEQ_2D_V2_V0_V16 WORD $0x4e70e402 // FCMEQ V2.2D, V0.2D, V16.2D
#define FCMEQ_2D_V2_V0_V17 WORD $0x4e71e402 // FCMEQ V2.2D, V0.2D, V17.2D
#define FCMEQ_2D_V1_V0_V0 WORD $0x4e60e401 // FCMEQ V1.2D, V0.2D, V0.2D
#define FCMEQ_2D_V2_V0_V0 WORD $0x4e60e402 // FCMEQ V2.2D, V0.2D, V0.2D
#define FCMEQ_2D_V3_V18_V18 WORD $0x4e72e643 // FCMEQ V3.2D, V18.2D, V18.2D
#define FCMEQ_2D_V3_V19_V19 WORD $0x4e73e663 // FCMEQ V3.2D, V19.2D, V19.2D
#define FMUL_2D_V0_V0_V18 WORD $0x6e72dc00 // FMUL V0.2D, V0.2D, V18.2D
#define FMUL_2D_V0_V0_V19 WORD $0x6e73dc00 // FMUL V0.2D, V0.2D, V19.2D
#define FADD_2D_V0_V0_V20 WORD $0x4e74d400 // FADD V0.2D, V0.2D, V20.2D
#define FRINTN_2D_V0_V0 WORD $0x4e618800 // FRINTN V0.2D, V0.2D
#define FRINTM_2D_V0_V0 WORD $0x4e619800 // FRINTM V0.2D, V0.2D
#define SSHR_2D_V2_V0_63 WORD $0x4f410402 // SSHR V2.2D, V0.2D, #63
#define CMGT_2D_V2_V16_V1 WORD $0x4ee13602 // CMGT V2.2D, V16.2D, V1.2D
#define CMGT_2D_V2_V3_V17 WORD $0x4ef13462 // CMGT V2.2D, V3.2D, V17.2D

#define FCVTL_4S_V0_V0 WORD $0x0e217800 // FCVTL V0.4S, V0.4H
#define FCVTN_4H_V0_V0 WORD $0x0e216800 // FCVTN V0.4H, V0.4S
#define SSHR_8H_V2_V0_15 WORD $0x4f110402 // SSHR V2.8H, V0.8H, #15
#define CMGT_8H_V1_V3_V30 WORD $0x4e7e3461 // CMGT V1.8H, V3.8H, V30.8H
#define SMIN_8H_V16_V16_V1 WORD $0x4e616e10 // SMIN V16.8H, V16.8H, V1.8H
#define SMAX_8H_V17_V17_V3 WORD $0x4e636631 // SMAX V17.8H, V17.8H, V3.8H
#define SMINV_H0_V16 WORD $0x4e71aa00 // SMINV H0, V16.8H
#define SMAXV_H1_V17 WORD $0x4e70aa21 // SMAXV H1, V17.8H

// The steps of fakeQuant on the lanes of V0, for float32 (_4S) and
// float64 (_2D) lanes.

// CLAMP is clampTF: m = hi < x ? hi : x, then m < lo ? lo : m. A NaN x,
// for which both compares are false, passes.
#define CLAMP_4S \
	FCMGT_4S_V1_V0_V17; \
	VBIT V1.B16, V17.B16, V0.B16; \
	FCMGT_4S_V1_V16_V0; \
	VBIT V1.B16, V16.B16, V0.B16

#define CLAMP_2D \
	FCMGT_2D_V1_V0_V17; \
	VBIT V1.B16, V17.B16, V0.B16; \
	FCMGT_2D_V1_V16_V0; \
	VBIT V1.B16, V16.B16, V0.B16

// NOCLAMP is the empty step of the variants that do not clamp.
#define NOCLAMP

// The roundings: to nearest-even, or floor(z+0.5) with the addition
// rounded first.
#define ROUND_EVEN_4S FRINTN_4S_V0_V0
#define ROUND_UP_4S FADD_4S_V0_V0_V20; FRINTM_4S_V0_V0
#define ROUND_EVEN_2D FRINTN_2D_V0_V0
#define ROUND_UP_2D FADD_2D_V0_V0_V20; FRINTM_2D_V0_V0

// QUANT sets V0 to fakeQuant of V0 with the clamp CLAMP and the rounding
// ROUND: z = x*scale, rounded, times inv. After each product, the lanes
// that are NaN although the first operand is not (V1, then V2: whether x,
// then z, is not NaN) take the sign bit where the second operand is not
// NaN either (V21, V22): the invalid operations, whose NaN is the
// default one, 0x7FC00000 on arm64 and 0xFFC00000 on x86. The rounding
// keeps NaN lanes NaN and others not, so z's mask is also the rounded
// value's.
#define QUANT_4S(CLAMP, ROUND) \
	CLAMP; \
	FCMEQ_4S_V1_V0_V0; \
	FMUL_4S_V0_V0_V18; \
	FCMEQ_4S_V2_V0_V0; \
	VAND V21.B16, V1.B16, V1.B16; \
	VORR V1.B16, V0.B16, V1.B16; \
	VBIF V2.B16, V1.B16, V0.B16; \
	ROUND; \
	FMUL_4S_V0_V0_V19; \
	FCMEQ_4S_V1_V0_V0; \
	VAND V22.B16, V2.B16, V2.B16; \
	VORR V2.B16, V0.B16, V2.B16; \
	VBIF V1.B16, V2.B16, V0.B16

#define QUANT_2D(CLAMP, ROUND) \
	CLAMP; \
	FCMEQ_2D_V1_V0_V0; \
	FMUL_2D_V0_V0_V18; \
	FCMEQ_2D_V2_V0_V0; \
	VAND V21.B16, V1.B16, V1.B16; \
	VORR V1.B16, V0.B16, V1.B16; \
	VBIF V2.B16, V1.B16, V0.B16; \
	ROUND; \
	FMUL_2D_V0_V0_V19; \
	FCMEQ_2D_V1_V0_V0; \
	VAND V22.B16, V2.B16, V2.B16; \
	VORR V2.B16, V0.B16, V2.B16; \
	VBIF V1.B16, V2.B16, V0.B16

// PREP readies scale and inv (V18, V19) as QUANT's second operands: a NaN
// made quiet, so that arm64's choice of NaN operand is x86's, and V21,
// V22 set to the sign bit where they are not NaN.
#define PREP_4S \
	FCMEQ_4S_V3_V18_V18; \
	VAND V24.B16, V3.B16, V21.B16; \
	VORR V23.B16, V18.B16, V4.B16; \
	VBIF V3.B16, V4.B16, V18.B16; \
	FCMEQ_4S_V3_V19_V19; \
	VAND V24.B16, V3.B16, V22.B16; \
	VORR V23.B16, V19.B16, V4.B16; \
	VBIF V3.B16, V4.B16, V19.B16

#define PREP_2D \
	FCMEQ_2D_V3_V18_V18; \
	VAND V24.B16, V3.B16, V21.B16; \
	VORR V23.B16, V18.B16, V4.B16; \
	VBIF V3.B16, V4.B16, V18.B16; \
	FCMEQ_2D_V3_V19_V19; \
	VAND V24.B16, V3.B16, V22.B16; \
	VORR V23.B16, V19.B16, V4.B16; \
	VBIF V3.B16, V4.B16, V19.B16

// CONSTS sets 0.5, the quiet bit and the sign bit (V20, V23, V24).
#define CONSTS_4S \
	MOVD $0x3f000000, R7; \
	VDUP R7, V20.S4; \
	MOVD $0x00400000, R7; \
	VDUP R7, V23.S4; \
	MOVD $0x80000000, R7; \
	VDUP R7, V24.S4

#define CONSTS_2D \
	MOVD $0x3fe0000000000000, R7; \
	VDUP R7, V20.D2; \
	MOVD $0x0008000000000000, R7; \
	VDUP R7, V23.D2; \
	MOVD $0x8000000000000000, R7; \
	VDUP R7, V24.D2

// SETUP readies an apply routine: the constants, and min, max, scale and
// inv (R3-R6) in every lane of V16-V19.
#define SETUP_4S \
	CONSTS_4S; \
	VDUP R3, V16.S4; \
	VDUP R4, V17.S4; \
	VDUP R5, V18.S4; \
	VDUP R6, V19.S4; \
	PREP_4S

#define SETUP_2D \
	CONSTS_2D; \
	VDUP R3, V16.D2; \
	VDUP R4, V17.D2; \
	VDUP R5, V18.D2; \
	VDUP R6, V19.D2; \
	PREP_2D

// EACH loads the applyEach routines' next scale and inv (from R5, R6),
// and EACH_CLAMP their next min and max (from R3, R4) before the clamp.
#define EACH_4S \
	VLD1.P 16(R5), [V18.S4]; \
	VLD1.P 16(R6), [V19.S4]; \
	PREP_4S

#define EACH_CLAMP_4S \
	VLD1.P 16(R3), [V16.S4]; \
	VLD1.P 16(R4), [V17.S4]; \
	CLAMP_4S

#define EACH_2D \
	VLD1.P 16(R5), [V18.D2]; \
	VLD1.P 16(R6), [V19.D2]; \
	PREP_2D

#define EACH_CLAMP_2D \
	VLD1.P 16(R3), [V16.D2]; \
	VLD1.P 16(R4), [V17.D2]; \
	CLAMP_2D

// FOLD is minMaxEachFloat for the lanes x of V0 and the bounds lo, hi
// (V16, V17): lo = x where x < lo, then lo | x where x == lo (so that -0
// wins over +0); hi = x where x > hi, then hi & x where x == hi (+0
// wins). A NaN x is neither less, greater nor equal, and a NaN bound
// never changes.
#define FOLD_4S \
	FCMGT_4S_V1_V16_V0; \
	FCMEQ_4S_V2_V0_V16; \
	VBIT V1.B16, V0.B16, V16.B16; \
	VORR V0.B16, V16.B16, V3.B16; \
	VBIT V2.B16, V3.B16, V16.B16; \
	FCMGT_4S_V1_V0_V17; \
	FCMEQ_4S_V2_V0_V17; \
	VBIT V1.B16, V0.B16, V17.B16; \
	VAND V0.B16, V17.B16, V3.B16; \
	VBIT V2.B16, V3.B16, V17.B16

#define FOLD_2D \
	FCMGT_2D_V1_V16_V0; \
	FCMEQ_2D_V2_V0_V16; \
	VBIT V1.B16, V0.B16, V16.B16; \
	VORR V0.B16, V16.B16, V3.B16; \
	VBIT V2.B16, V3.B16, V16.B16; \
	FCMGT_2D_V1_V0_V17; \
	FCMEQ_2D_V2_V0_V17; \
	VBIT V1.B16, V0.B16, V17.B16; \
	VAND V0.B16, V17.B16, V3.B16; \
	VBIT V2.B16, V3.B16, V17.B16

// The loops. Each runs BODY on V0 for every whole vector of the R2
// elements at R1, storing V0 at R0; the labels are the TEXT's own.

#define LOOP_4S(BODY) \
	AND $~3, R2; \
	CBZ R2, done; \
loop: \
	VLD1.P 16(R1), [V0.S4]; \
	BODY; \
	VST1.P [V0.S4], 16(R0); \
	SUBS $4, R2; \
	BNE loop; \
done:

#define LOOP_2D(BODY) \
	AND $~1, R2; \
	CBZ R2, done; \
loop: \
	VLD1.P 16(R1), [V0.D2]; \
	BODY; \
	VST1.P [V0.D2], 16(R0); \
	SUBS $2, R2; \
	BNE loop; \
done:

// LOOP_16 loads four 16-bit elements, widens them to float32 with WIDEN,
// runs BODY and narrows the result back with NARROW.
#define LOOP_16(WIDEN, BODY, NARROW) \
	AND $~3, R2; \
	CBZ R2, done; \
loop: \
	VLD1.P 8(R1), [V0.H4]; \
	WIDEN; \
	BODY; \
	NARROW; \
	VST1.P [V0.H4], 8(R0); \
	SUBS $4, R2; \
	BNE loop; \
done:

// The 16-bit conversions, on the low four lanes of V0. FCVTL widens
// halves exactly; a bfloat16 is the top half of its float32, which ZIP1
// with zeros (V31) puts there. FCVTN rounds to halves as
// Float32ToFloat16 does. NARROW_BF16 is Float32ToBFloat16: b + 0x7fff +
// (b>>16 & 1), then the top 16 bits, or for a NaN (V1: not NaN) its top
// 16 bits with the quiet bit 0x40; UZP1 packs the low halves of the four
// 32-bit lanes.
#define WIDEN_F16 FCVTL_4S_V0_V0
#define NARROW_F16 FCVTN_4H_V0_V0
#define WIDEN_BF16 VZIP1 V0.H8, V31.H8, V0.H8
#define NARROW_BF16 \
	FCMEQ_4S_V1_V0_V0; \
	VUSHR $16, V0.S4, V2.S4; \
	VAND V26.B16, V2.B16, V3.B16; \
	VADD V25.S4, V3.S4, V3.S4; \
	VADD V0.S4, V3.S4, V3.S4; \
	VUSHR $16, V3.S4, V3.S4; \
	VORR V27.B16, V2.B16, V2.B16; \
	VBIF V1.B16, V2.B16, V3.B16; \
	VUZP1 V3.H8, V3.H8, V0.H8

// CONSTS_BF16 sets zero (V31) and the bfloat16 rounding's constants
// (V25-V27).
#define CONSTS_BF16 \
	VEOR V31.B16, V31.B16, V31.B16; \
	MOVD $0x7fff, R7; \
	VDUP R7, V25.S4; \
	MOVD $1, R7; \
	VDUP R7, V26.S4; \
	MOVD $0x40, R7; \
	VDUP R7, V27.S4

// The float32 and float64 kernels.

// The ranges: V16 and V17 hold the running key minimum and maximum, from
// the keys of +Inf and -Inf. KEYS sets V1 to the keys of V0 for the
// minimum (NaN lanes the largest key, V28) and V3 to those for the
// maximum (NaN lanes the smallest, V29).
#define KEYS_4S \
	SSHR_4S_V2_V0_31; \
	VAND V28.B16, V2.B16, V2.B16; \
	VEOR V0.B16, V2.B16, V2.B16; \
	FCMEQ_4S_V1_V0_V0; \
	VMOV V1.B16, V3.B16; \
	VBSL V28.B16, V2.B16, V1.B16; \
	VBSL V29.B16, V2.B16, V3.B16

#define KEYS_2D \
	SSHR_2D_V2_V0_63; \
	VAND V28.B16, V2.B16, V2.B16; \
	VEOR V0.B16, V2.B16, V2.B16; \
	FCMEQ_2D_V1_V0_V0; \
	VMOV V1.B16, V3.B16; \
	VBSL V28.B16, V2.B16, V1.B16; \
	VBSL V29.B16, V2.B16, V3.B16

// func minMaxKeysF32NEON(src []float32) (lo, hi int32)
TEXT ·minMaxKeysF32NEON(SB), NOSPLIT, $0-32
	MOVD src_base+0(FP), R1
	MOVD src_len+8(FP), R2
	MOVD $0x7fffffff, R7
	VDUP R7, V28.S4
	MOVD $0x80000000, R7
	VDUP R7, V29.S4
	MOVD $0x7f800000, R7 // +Inf
	VDUP R7, V16.S4
	MOVD $0x807fffff, R7 // -Inf
	VDUP R7, V17.S4
	AND  $~3, R2
	CBZ  R2, done

loop:
	VLD1.P 16(R1), [V0.S4]
	KEYS_4S
	SMIN_4S_V16_V16_V1
	SMAX_4S_V17_V17_V3
	SUBS   $4, R2
	BNE    loop

done:
	SMINV_S0_V16
	SMAXV_S1_V17
	VMOV V0.S[0], R3
	VMOV V1.S[0], R4
	MOVW R3, lo+24(FP)
	MOVW R4, hi+28(FP)
	RET

// func minMaxKeysF64NEON(src []float64) (lo, hi int64)
//
// NEON has no 64-bit SMIN and SMAX: CMGT and BIT select instead, and a
// compare of the two lanes in general registers at the end.
TEXT ·minMaxKeysF64NEON(SB), NOSPLIT, $0-40
	MOVD src_base+0(FP), R1
	MOVD src_len+8(FP), R2
	MOVD $0x7fffffffffffffff, R7
	VDUP R7, V28.D2
	MOVD $0x8000000000000000, R7
	VDUP R7, V29.D2
	MOVD $0x7ff0000000000000, R7 // +Inf
	VDUP R7, V16.D2
	MOVD $0x800fffffffffffff, R7 // -Inf
	VDUP R7, V17.D2
	AND  $~1, R2
	CBZ  R2, done

loop:
	VLD1.P 16(R1), [V0.D2]
	KEYS_2D
	CMGT_2D_V2_V16_V1
	VBIT   V2.B16, V1.B16, V16.B16
	CMGT_2D_V2_V3_V17
	VBIT   V2.B16, V3.B16, V17.B16
	SUBS   $2, R2
	BNE    loop

done:
	VMOV V16.D[0], R3
	VMOV V16.D[1], R4
	CMP  R4, R3
	CSEL LT, R3, R4, R3
	VMOV V17.D[0], R5
	VMOV V17.D[1], R6
	CMP  R6, R5
	CSEL GT, R5, R6, R5
	MOVD R3, lo+24(FP)
	MOVD R5, hi+32(FP)
	RET

// func minMaxEachF32NEON(lo, hi, src []float32)
TEXT ·minMaxEachF32NEON(SB), NOSPLIT, $0-72
	MOVD lo_base+0(FP), R0
	MOVD hi_base+24(FP), R1
	MOVD src_base+48(FP), R3
	MOVD src_len+56(FP), R2
	AND  $~3, R2
	CBZ  R2, done

loop:
	VLD1.P 16(R3), [V0.S4]
	VLD1   (R0), [V16.S4]
	VLD1   (R1), [V17.S4]
	FOLD_4S
	VST1.P [V16.S4], 16(R0)
	VST1.P [V17.S4], 16(R1)
	SUBS   $4, R2
	BNE    loop

done:
	RET

// func minMaxEachF64NEON(lo, hi, src []float64)
TEXT ·minMaxEachF64NEON(SB), NOSPLIT, $0-72
	MOVD lo_base+0(FP), R0
	MOVD hi_base+24(FP), R1
	MOVD src_base+48(FP), R3
	MOVD src_len+56(FP), R2
	AND  $~1, R2
	CBZ  R2, done

loop:
	VLD1.P 16(R3), [V0.D2]
	VLD1   (R0), [V16.D2]
	VLD1   (R1), [V17.D2]
	FOLD_2D
	VST1.P [V16.D2], 16(R0)
	VST1.P [V17.D2], 16(R1)
	SUBS   $2, R2
	BNE    loop

done:
	RET

// func applyF32NEON(dst, src []float32, min, max, scale, inv float32)
TEXT ·applyF32NEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	LOOP_4S(QUANT_4S(NOCLAMP, ROUND_EVEN_4S))
	RET

// func applyF32ClampNEON(dst, src []float32, min, max, scale, inv float32)
TEXT ·applyF32ClampNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	LOOP_4S(QUANT_4S(CLAMP_4S, ROUND_EVEN_4S))
	RET

// func applyF32UpNEON(dst, src []float32, min, max, scale, inv float32)
TEXT ·applyF32UpNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	LOOP_4S(QUANT_4S(NOCLAMP, ROUND_UP_4S))
	RET

// func applyF32ClampUpNEON(dst, src []float32, min, max, scale, inv float32)
TEXT ·applyF32ClampUpNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	LOOP_4S(QUANT_4S(CLAMP_4S, ROUND_UP_4S))
	RET

// func applyEachF32NEON(dst, src, min, max, scale, inv []float32)
TEXT ·applyEachF32NEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	LOOP_4S(EACH_4S; QUANT_4S(NOCLAMP, ROUND_EVEN_4S))
	RET

// func applyEachF32ClampNEON(dst, src, min, max, scale, inv []float32)
TEXT ·applyEachF32ClampNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min_base+48(FP), R3
	MOVD max_base+72(FP), R4
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	LOOP_4S(EACH_4S; QUANT_4S(EACH_CLAMP_4S, ROUND_EVEN_4S))
	RET

// func applyEachF32UpNEON(dst, src, min, max, scale, inv []float32)
TEXT ·applyEachF32UpNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	LOOP_4S(EACH_4S; QUANT_4S(NOCLAMP, ROUND_UP_4S))
	RET

// func applyEachF32ClampUpNEON(dst, src, min, max, scale, inv []float32)
TEXT ·applyEachF32ClampUpNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min_base+48(FP), R3
	MOVD max_base+72(FP), R4
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	LOOP_4S(EACH_4S; QUANT_4S(EACH_CLAMP_4S, ROUND_UP_4S))
	RET

// func applyF64NEON(dst, src []float64, min, max, scale, inv float64)
TEXT ·applyF64NEON(SB), NOSPLIT, $0-80
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min+48(FP), R3
	MOVD max+56(FP), R4
	MOVD scale+64(FP), R5
	MOVD inv+72(FP), R6
	SETUP_2D
	LOOP_2D(QUANT_2D(NOCLAMP, ROUND_EVEN_2D))
	RET

// func applyF64ClampNEON(dst, src []float64, min, max, scale, inv float64)
TEXT ·applyF64ClampNEON(SB), NOSPLIT, $0-80
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min+48(FP), R3
	MOVD max+56(FP), R4
	MOVD scale+64(FP), R5
	MOVD inv+72(FP), R6
	SETUP_2D
	LOOP_2D(QUANT_2D(CLAMP_2D, ROUND_EVEN_2D))
	RET

// func applyF64UpNEON(dst, src []float64, min, max, scale, inv float64)
TEXT ·applyF64UpNEON(SB), NOSPLIT, $0-80
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min+48(FP), R3
	MOVD max+56(FP), R4
	MOVD scale+64(FP), R5
	MOVD inv+72(FP), R6
	SETUP_2D
	LOOP_2D(QUANT_2D(NOCLAMP, ROUND_UP_2D))
	RET

// func applyF64ClampUpNEON(dst, src []float64, min, max, scale, inv float64)
TEXT ·applyF64ClampUpNEON(SB), NOSPLIT, $0-80
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min+48(FP), R3
	MOVD max+56(FP), R4
	MOVD scale+64(FP), R5
	MOVD inv+72(FP), R6
	SETUP_2D
	LOOP_2D(QUANT_2D(CLAMP_2D, ROUND_UP_2D))
	RET

// func applyEachF64NEON(dst, src, min, max, scale, inv []float64)
TEXT ·applyEachF64NEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_2D
	LOOP_2D(EACH_2D; QUANT_2D(NOCLAMP, ROUND_EVEN_2D))
	RET

// func applyEachF64ClampNEON(dst, src, min, max, scale, inv []float64)
TEXT ·applyEachF64ClampNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min_base+48(FP), R3
	MOVD max_base+72(FP), R4
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_2D
	LOOP_2D(EACH_2D; QUANT_2D(EACH_CLAMP_2D, ROUND_EVEN_2D))
	RET

// func applyEachF64UpNEON(dst, src, min, max, scale, inv []float64)
TEXT ·applyEachF64UpNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_2D
	LOOP_2D(EACH_2D; QUANT_2D(NOCLAMP, ROUND_UP_2D))
	RET

// func applyEachF64ClampUpNEON(dst, src, min, max, scale, inv []float64)
TEXT ·applyEachF64ClampUpNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min_base+48(FP), R3
	MOVD max_base+72(FP), R4
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_2D
	LOOP_2D(EACH_2D; QUANT_2D(EACH_CLAMP_2D, ROUND_UP_2D))
	RET

// The 16-bit kernels, computed in float32 four lanes at a time (eight
// 16-bit lanes for the ranges).

// func minMaxKeys16NEON(src []uint16, inf uint16) (lo, hi int16)
//
// The keys are key16's: V2 the keys of V0, V3 the magnitudes, V1 the NaN
// lanes (magnitudes above inf). The largest key is 0x7fff (V28), the
// smallest 0x8000 (V29); the keys of ±Inf are inf and ^inf.
TEXT ·minMaxKeys16NEON(SB), NOSPLIT, $0-36
	MOVD  src_base+0(FP), R1
	MOVD  src_len+8(FP), R2
	MOVHU inf+24(FP), R3
	MOVD  $0x7fff, R7
	VDUP  R7, V28.H8
	MOVD  $0x8000, R7
	VDUP  R7, V29.H8
	VDUP  R3, V30.H8
	VDUP  R3, V16.H8
	MVN   R3, R7
	VDUP  R7, V17.H8
	AND   $~7, R2
	CBZ   R2, done

loop:
	VLD1.P 16(R1), [V0.H8]
	SSHR_8H_V2_V0_15
	VAND   V28.B16, V2.B16, V2.B16
	VEOR   V0.B16, V2.B16, V2.B16
	VAND   V28.B16, V0.B16, V3.B16
	CMGT_8H_V1_V3_V30
	VMOV   V1.B16, V3.B16
	VBSL   V2.B16, V28.B16, V1.B16
	VBSL   V2.B16, V29.B16, V3.B16
	SMIN_8H_V16_V16_V1
	SMAX_8H_V17_V17_V3
	SUBS   $8, R2
	BNE    loop

done:
	SMINV_H0_V16
	SMAXV_H1_V17
	VMOV V0.H[0], R3
	VMOV V1.H[0], R4
	MOVH R3, lo+32(FP)
	MOVH R4, hi+34(FP)
	RET

// func minMaxEachF16NEON(lo, hi []float32, src []uint16)
TEXT ·minMaxEachF16NEON(SB), NOSPLIT, $0-72
	MOVD lo_base+0(FP), R0
	MOVD hi_base+24(FP), R1
	MOVD src_base+48(FP), R3
	MOVD src_len+56(FP), R2
	AND  $~3, R2
	CBZ  R2, done

loop:
	VLD1.P 8(R3), [V0.H4]
	WIDEN_F16
	VLD1   (R0), [V16.S4]
	VLD1   (R1), [V17.S4]
	FOLD_4S
	VST1.P [V16.S4], 16(R0)
	VST1.P [V17.S4], 16(R1)
	SUBS   $4, R2
	BNE    loop

done:
	RET

// func minMaxEachBF16NEON(lo, hi []float32, src []uint16)
TEXT ·minMaxEachBF16NEON(SB), NOSPLIT, $0-72
	MOVD lo_base+0(FP), R0
	MOVD hi_base+24(FP), R1
	MOVD src_base+48(FP), R3
	MOVD src_len+56(FP), R2
	VEOR V31.B16, V31.B16, V31.B16
	AND  $~3, R2
	CBZ  R2, done

loop:
	VLD1.P 8(R3), [V0.H4]
	WIDEN_BF16
	VLD1   (R0), [V16.S4]
	VLD1   (R1), [V17.S4]
	FOLD_4S
	VST1.P [V16.S4], 16(R0)
	VST1.P [V17.S4], 16(R1)
	SUBS   $4, R2
	BNE    loop

done:
	RET

// func applyF16NEON(dst, src []uint16, min, max, scale, inv float32)
TEXT ·applyF16NEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	LOOP_16(WIDEN_F16, QUANT_4S(NOCLAMP, ROUND_EVEN_4S), NARROW_F16)
	RET

// func applyF16ClampNEON(dst, src []uint16, min, max, scale, inv float32)
TEXT ·applyF16ClampNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	LOOP_16(WIDEN_F16, QUANT_4S(CLAMP_4S, ROUND_EVEN_4S), NARROW_F16)
	RET

// func applyF16UpNEON(dst, src []uint16, min, max, scale, inv float32)
TEXT ·applyF16UpNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	LOOP_16(WIDEN_F16, QUANT_4S(NOCLAMP, ROUND_UP_4S), NARROW_F16)
	RET

// func applyF16ClampUpNEON(dst, src []uint16, min, max, scale, inv float32)
TEXT ·applyF16ClampUpNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	LOOP_16(WIDEN_F16, QUANT_4S(CLAMP_4S, ROUND_UP_4S), NARROW_F16)
	RET

// func applyEachF16NEON(dst, src []uint16, min, max, scale, inv []float32)
TEXT ·applyEachF16NEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	LOOP_16(WIDEN_F16, EACH_4S; QUANT_4S(NOCLAMP, ROUND_EVEN_4S), NARROW_F16)
	RET

// func applyEachF16ClampNEON(dst, src []uint16, min, max, scale, inv []float32)
TEXT ·applyEachF16ClampNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min_base+48(FP), R3
	MOVD max_base+72(FP), R4
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	LOOP_16(WIDEN_F16, EACH_4S; QUANT_4S(EACH_CLAMP_4S, ROUND_EVEN_4S), NARROW_F16)
	RET

// func applyEachF16UpNEON(dst, src []uint16, min, max, scale, inv []float32)
TEXT ·applyEachF16UpNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	LOOP_16(WIDEN_F16, EACH_4S; QUANT_4S(NOCLAMP, ROUND_UP_4S), NARROW_F16)
	RET

// func applyEachF16ClampUpNEON(dst, src []uint16, min, max, scale, inv []float32)
TEXT ·applyEachF16ClampUpNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min_base+48(FP), R3
	MOVD max_base+72(FP), R4
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	LOOP_16(WIDEN_F16, EACH_4S; QUANT_4S(EACH_CLAMP_4S, ROUND_UP_4S), NARROW_F16)
	RET

// func applyBF16NEON(dst, src []uint16, min, max, scale, inv float32)
TEXT ·applyBF16NEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	CONSTS_BF16
	LOOP_16(WIDEN_BF16, QUANT_4S(NOCLAMP, ROUND_EVEN_4S), NARROW_BF16)
	RET

// func applyBF16ClampNEON(dst, src []uint16, min, max, scale, inv float32)
TEXT ·applyBF16ClampNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	CONSTS_BF16
	LOOP_16(WIDEN_BF16, QUANT_4S(CLAMP_4S, ROUND_EVEN_4S), NARROW_BF16)
	RET

// func applyBF16UpNEON(dst, src []uint16, min, max, scale, inv float32)
TEXT ·applyBF16UpNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	CONSTS_BF16
	LOOP_16(WIDEN_BF16, QUANT_4S(NOCLAMP, ROUND_UP_4S), NARROW_BF16)
	RET

// func applyBF16ClampUpNEON(dst, src []uint16, min, max, scale, inv float32)
TEXT ·applyBF16ClampUpNEON(SB), NOSPLIT, $0-64
	MOVD  dst_base+0(FP), R0
	MOVD  src_base+24(FP), R1
	MOVD  src_len+32(FP), R2
	MOVWU min+48(FP), R3
	MOVWU max+52(FP), R4
	MOVWU scale+56(FP), R5
	MOVWU inv+60(FP), R6
	SETUP_4S
	CONSTS_BF16
	LOOP_16(WIDEN_BF16, QUANT_4S(CLAMP_4S, ROUND_UP_4S), NARROW_BF16)
	RET

// func applyEachBF16NEON(dst, src []uint16, min, max, scale, inv []float32)
TEXT ·applyEachBF16NEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	CONSTS_BF16
	LOOP_16(WIDEN_BF16, EACH_4S; QUANT_4S(NOCLAMP, ROUND_EVEN_4S), NARROW_BF16)
	RET

// func applyEachBF16ClampNEON(dst, src []uint16, min, max, scale, inv []float32)
TEXT ·applyEachBF16ClampNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min_base+48(FP), R3
	MOVD max_base+72(FP), R4
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	CONSTS_BF16
	LOOP_16(WIDEN_BF16, EACH_4S; QUANT_4S(EACH_CLAMP_4S, ROUND_EVEN_4S), NARROW_BF16)
	RET

// func applyEachBF16UpNEON(dst, src []uint16, min, max, scale, inv []float32)
TEXT ·applyEachBF16UpNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	CONSTS_BF16
	LOOP_16(WIDEN_BF16, EACH_4S; QUANT_4S(NOCLAMP, ROUND_UP_4S), NARROW_BF16)
	RET

// func applyEachBF16ClampUpNEON(dst, src []uint16, min, max, scale, inv []float32)
TEXT ·applyEachBF16ClampUpNEON(SB), NOSPLIT, $0-144
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	MOVD min_base+48(FP), R3
	MOVD max_base+72(FP), R4
	MOVD scale_base+96(FP), R5
	MOVD inv_base+120(FP), R6
	CONSTS_4S
	CONSTS_BF16
	LOOP_16(WIDEN_BF16, EACH_4S; QUANT_4S(EACH_CLAMP_4S, ROUND_UP_4S), NARROW_BF16)
	RET

// The conversions alone, for the tests.

// func widenF16NEON(dst []float32, src []uint16)
TEXT ·widenF16NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	AND  $~3, R2
	CBZ  R2, done

loop:
	VLD1.P 8(R1), [V0.H4]
	WIDEN_F16
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2
	BNE    loop

done:
	RET

// func narrowF16NEON(dst []uint16, src []float32)
TEXT ·narrowF16NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	AND  $~3, R2
	CBZ  R2, done

loop:
	VLD1.P 16(R1), [V0.S4]
	NARROW_F16
	VST1.P [V0.H4], 8(R0)
	SUBS   $4, R2
	BNE    loop

done:
	RET

// func widenBF16NEON(dst []float32, src []uint16)
TEXT ·widenBF16NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	VEOR V31.B16, V31.B16, V31.B16
	AND  $~3, R2
	CBZ  R2, done

loop:
	VLD1.P 8(R1), [V0.H4]
	WIDEN_BF16
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R2
	BNE    loop

done:
	RET

// func narrowBF16NEON(dst []uint16, src []float32)
TEXT ·narrowBF16NEON(SB), NOSPLIT, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	CONSTS_BF16
	AND  $~3, R2
	CBZ  R2, done

loop:
	VLD1.P 16(R1), [V0.S4]
	NARROW_BF16
	VST1.P [V0.H4], 8(R0)
	SUBS   $4, R2
	BNE    loop

done:
	RET
