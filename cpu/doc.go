// Package cpu implements TensorFlow's QuantizeAndDequantizeV2 operation on
// the CPU, bit for bit.
//
// It holds two implementations of the same definition
// (shared/spec/qdq-semantics.md):
//
//   - the reference ([ReferenceFloat32] and friends), which reads like the
//     definition and is the oracle every other path is tested against;
//   - the fast path ([Fast]), which splits the work across all cores and,
//     when built with GOEXPERIMENT=simd on amd64, uses AVX2 or AVX-512
//     kernels chosen at run time. Without the experiment it uses portable
//     scalar kernels. Both give the reference's bits for every input.
//
// Tensors are viewed as [outer, depth, inner] (see [Layout]); channel c is
// every element whose middle index is c. A per-tensor call is the layout
// {1, 1, n}.
//
// Storage and compute types: float32 tensors compute in float32, float64
// in float64, and float16 and bfloat16 tensors (held as their uint16 bit
// patterns) widen exactly to float32, compute in float32 and round the
// result once to the storage type, to nearest-even.
//
// Callers validate their arguments (the root package qdq does); this
// package assumes a valid [Request] and does not allocate more than the
// per-channel results and a few small scratch arrays.
package cpu
