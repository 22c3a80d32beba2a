package quant

import (
	"context"
	"errors"
)

// Backend is one implementation of the operation. Each method
// fake-quantizes src into dst (the same length, possibly the same slice)
// as r describes and returns the channels' parameters. When ctx is
// cancelled a method returns ctx.Err() and dst is partly written. A
// backend that cannot compute a call exactly, or whose device failed,
// returns an error wrapping ErrDeclined before or instead of writing a
// wrong bit; the caller then runs the call elsewhere.
//
// Callers validate their arguments; a backend may assume a valid Request.
type Backend interface {
	Float32(ctx context.Context, dst, src []float32, r Request[float32]) ([]Quant[float32], error)
	Float64(ctx context.Context, dst, src []float64, r Request[float64]) ([]Quant[float64], error)
	Float16(ctx context.Context, dst, src []uint16, r Request[float32]) ([]Quant[float32], error)
	BFloat16(ctx context.Context, dst, src []uint16, r Request[float32]) ([]Quant[float32], error)
}

// Ranger finds each channel's range without writing anything: the first
// pass over a tensor that is run in parts. Ranges come back as MergeBounds
// folds them (NaNs ignored, -0 below +0, Min > Max for a channel with no
// value); QuantOf turns a merged range into the parameters a single call
// over the whole tensor would use (Request.Quant).
type Ranger interface {
	RangeFloat32(ctx context.Context, src []float32, l Layout) ([]Bounds[float32], error)
	RangeFloat64(ctx context.Context, src []float64, l Layout) ([]Bounds[float64], error)
	RangeFloat16(ctx context.Context, src []uint16, l Layout) ([]Bounds[float32], error)
	RangeBFloat16(ctx context.Context, src []uint16, l Layout) ([]Bounds[float32], error)
}

// ErrDeclined is wrapped by a backend's error when it does not run a call
// (it could not be exact, or its device failed) and another backend
// should.
var ErrDeclined = errors.New("declined")

// Decline returns an error with the given message that wraps ErrDeclined
// without saying so: for a backend's sentinels, which name their reason.
func Decline(msg string) error { return &declined{msg} }

type declined struct{ msg string }

func (d *declined) Error() string { return d.msg }

// Unwrap returns ErrDeclined.
func (d *declined) Unwrap() error { return ErrDeclined }

// Job is one tensor of a batch: raw little-endian storage bytes in and
// out, the request, and what became of it.
type Job[C Float] struct {
	Dst, Src []byte
	Request  Request[C]
	Quants   []Quant[C] // the channels' parameters, when Err is nil
	// Err is nil when the call ran; otherwise it wraps ErrDeclined and
	// the caller runs the call alone.
	Err error
}

// Batcher is a Backend that runs many small calls in few submissions.
// Each call's Err says whether it ran; the returned error is for the
// backend or ctx failing as a whole (wrapping ErrDeclined when the calls
// not done may still run alone).
type Batcher interface {
	BatchFloat32(ctx context.Context, s Storage, jobs []*Job[float32]) error
	BatchFloat64(ctx context.Context, jobs []*Job[float64]) error
}
