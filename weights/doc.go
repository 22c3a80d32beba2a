// Package weights fake-quantizes the tensors of weight files with a
// qdq.Engine: .safetensors files, read through a memory mapping and
// written through a temporary file that is renamed into place only when
// complete. It is a client of the root package's public API, as image/png
// is of image: every tensor runs through Engine.RunInto, or, for a tensor
// too large to hold at once, through Engine.Ranges over its pieces and
// Engine.RunIntoRanges on each, which gives the bits of one call.
//
// A run holds at most Options.MemoryLimit bytes of tensor data at once,
// keeps the device (or every core) busy while earlier tensors are
// measured and written, and reports per-tensor aggregates (Report);
// per-channel parameters go to Options.OnTensor as each tensor finishes
// and are not retained.
package weights
