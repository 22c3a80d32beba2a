// Package quant is the definition of the operation, once: TensorFlow's
// QuantizeAndDequantizeV2 as the backends compute it, bit for bit. It
// holds the vocabulary every backend speaks, the only code that turns a
// range into parameters, the one layout splitter, the sortable keys, the
// float16 and bfloat16 conversions, the executable reference, and the
// contract a backend implements ([Backend], [Ranger], [ErrDeclined]).
// The definition in words is docs/semantics.md.
//
// The steps of one call, for each channel:
//
//  1. view the tensor as [outer, depth, inner] along the channel axis
//     ([Layout]); channel c is every element whose middle index is c;
//  2. take the channel's range, given by the caller ([Request].Given) or
//     found in its elements, NaNs ignored and -0 below +0 ([Bounds]);
//  3. turn the range into parameters as TensorFlow's
//     ComputeQuantizationRange does ([ComputeQuant], [QuantOf]);
//  4. clamp each element to the adjusted range, only when the range is
//     given;
//  5. scale, round ([RoundMode]) and multiply back by the inverse scale,
//     each step one operation in the compute type with x86's NaN bits
//     ([Mul]).
//
// Glossary, one name per concept across the module:
//
//   - Storage: a tensor's element type; Float: the compute type (float32
//     for float32, float16 and bfloat16; float64 for float64).
//   - Layout: the [outer, depth, inner] view; Piece: a contiguous part of
//     a layout that is a layout itself ([Pieces]).
//   - Bounds: a channel's range, given or found (the "range"); Quant: the
//     parameters a channel is run with (the range used, Scale, InverseScale).
//   - Request: one call as a backend receives it; Backend: one
//     implementation of the operation; Ranger: the range-finding pass of
//     a tensor run in parts.
//
// The package is internal: the module's supported API is the root
// package qdq and the weights package.
package quant
