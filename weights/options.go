package weights

import (
	"math"
	"time"

	"github.com/qdqvk/qdq"
)

// Options configure QuantizeFile.
type Options struct {
	// Options apply to every selected tensor. With PerChannel, a negative
	// Axis counts from each tensor's end, so -2 is the second to last
	// axis (the output channels of a [out, in] weight or an
	// [..., out, in] stack). With RangeGiven, InputMin and InputMax hold
	// one value each, applied to every channel.
	qdq.Options
	// All selects floating tensors of rank 0 and 1 too (biases, norms);
	// by default only those of rank 2 and more are fake-quantized.
	All bool
	// Include, when not empty, keeps only the tensors whose name matches
	// one of its patterns; Exclude then drops those matching one of its.
	// Patterns are path.Match globs: '*' matches any run of characters
	// but '/', '?' one character, [...] a class.
	Include, Exclude []string
	// OptionsFor, when not nil, decides for each floating tensor that All,
	// Include and Exclude select: it returns the options to run it with,
	// in place of Options, and false to copy the tensor unchanged. Every
	// tensor's options are checked before anything is written.
	OptionsFor func(name string, shape []int) (qdq.Options, bool)
	// MemoryLimit caps the bytes of tensor data held in memory at once
	// (inputs read or mapped, outputs not yet written). 0 means
	// DefaultMemoryLimit().
	MemoryLimit int64
	// Progress, when not nil, is called after each write with how far
	// the run has come, from the goroutine that called QuantizeFile.
	Progress func(Progress)
	// OnTensor, when not nil, is called with each tensor's report once
	// the tensor is written, in file order, from the goroutine that
	// called QuantizeFile, with the tensor's per-channel parameters in
	// TensorReport.Channels (which the Report does not keep). An error it
	// returns stops the run.
	OnTensor func(TensorReport) error
}

// Progress is how far a QuantizeFile run has come.
type Progress struct {
	Tensors, TotalTensors int   // tensors written, of all
	Bytes, TotalBytes     int64 // tensor data bytes written, of all
	Elapsed               time.Duration
}

// TensorReport describes what QuantizeFile did with one tensor.
type TensorReport struct {
	Name  string
	DType string // as the file spells it: "F32", "BF16", "I64", ...
	Shape []int
	Bytes int64 // data bytes
	// Quantized is false for a tensor copied through unchanged; the
	// fields below are then zero.
	Quantized bool
	// Options are the options the tensor ran with, a negative channel
	// axis resolved from the front.
	Options qdq.Options
	// Backend is where the tensor ran; Fallback says why a GPU engine ran
	// it on the CPU.
	Backend  qdq.Backend
	Fallback string
	// Summary aggregates the channels' parameters.
	Summary Summary
	// Channels are the parameters used, one per channel, in the report
	// Options.OnTensor receives; nil in Report.Tensors.
	Channels []qdq.Channel
	// Error compares the output with the input.
	Error qdq.ErrorStats
}

// Summary is the spread of a tensor's per-channel parameters, NaN
// channels (no value, or an infinity in the data) left out: all NaN when
// every channel is.
type Summary struct {
	Channels           int     // how many channels the tensor has
	Min, Max           float64 // the lowest minimum and the highest maximum
	ScaleMin, ScaleMax float64 // the spread of the scales
}

// Summarize returns the summary of a tensor's channels.
func Summarize(chs []qdq.Channel) Summary {
	s := Summary{Channels: len(chs)}
	lo, hi, slo, shi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, c := range chs {
		if c.Min != c.Min || c.Max != c.Max {
			continue
		}
		lo, hi = min(lo, c.Min), max(hi, c.Max)
		slo, shi = min(slo, c.Scale), max(shi, c.Scale)
	}
	if lo > hi {
		nan := math.NaN()
		lo, hi, slo, shi = nan, nan, nan, nan
	}
	s.Min, s.Max, s.ScaleMin, s.ScaleMax = lo, hi, slo, shi
	return s
}

// Report describes a finished QuantizeFile run.
type Report struct {
	Input, Output string
	// Options are the run's options, as given.
	Options Options
	// Backend, Device and Kernels say where the engine ran: its backend,
	// its GPU's name (empty on the CPU) and its CPU kernels.
	Backend         qdq.Backend
	Device, Kernels string
	Tensors         []TensorReport // every tensor, in file order
	Quantized       int            // how many were fake-quantized
	Bytes           int64          // tensor data bytes
	Total           qdq.ErrorStats // over every quantized tensor
	Duration        time.Duration
}

// DefaultMemoryLimit returns the memory limit QuantizeFile uses when
// Options.MemoryLimit is 0: a sixteenth of the machine's memory, between
// 256 MiB and 8 GiB.
func DefaultMemoryLimit() int64 {
	return min(max(totalMemory()/16, 256<<20), 8<<30)
}
