// Package qdq runs TensorFlow's QuantizeAndDequantizeV2 operation (fake
// quantization) bit for bit as TensorFlow's CPU kernel does, for float32,
// float64, float16 and bfloat16 tensors, per tensor or per channel.
//
// For each channel (the whole tensor when Axis is -1) the operation finds
// a range [min, max] (given, or the channel's own), chooses a symmetric,
// zero-preserving scale from the side that needs the smaller one, and
// replaces every element x by
//
//	round(clamp(x) * scale) * inverseScale
//
// where clamp applies only to a given range and round is HALF_TO_EVEN or
// HALF_UP. float16 and bfloat16 compute in float32 and round the result
// once to their own type. The definition, with the decisions qdq makes
// where TensorFlow leaves them open, the error table and the NaN bits, is
// docs/semantics.md in the module.
//
// Special cases are:
//
//	NaN elements give NaN; NaNs take no part in a range found in the data
//	a channel that is all NaN gives NaN throughout
//	±Inf in the data, range from the data: the scale is 0 and the whole
//	  channel becomes NaN (as in TensorFlow)
//	an all-zero channel gives zeros (scale = the largest float, inverse 0)
//	-0.0 orders below +0.0 when finding a range; negative values that
//	  round to zero give -0.0
//	an empty tensor gives an empty tensor
//
// An Engine runs calls on a backend. The generic functions Apply and
// ApplyInto run on a shared default engine for plain slices.
package qdq
