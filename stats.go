package qdq

import (
	"context"
	"encoding/json"
	"math"
	"runtime"
	"unsafe"

	"github.com/qdqvk/qdq/cpu"
	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/internal/work"
)

// ErrorStats measure the error fake quantization introduced, computed in
// float64 against the original values.
type ErrorStats struct {
	// Elements is how many finite inputs with a finite output were
	// compared. NonFinite counts inputs that were NaN or ±Inf, left out;
	// Lost counts finite inputs whose output is NaN or ±Inf (a channel
	// with an infinity in it), left out too.
	Elements, NonFinite, Lost int64
	// Signal and Noise are the sums of x² and (y-x)² over the compared
	// elements, x the input and y the output.
	Signal, Noise float64
	// MaxAbs and SumAbs are the largest and the sum of |y-x|.
	MaxAbs, SumAbs float64
}

// SQNR returns the signal-to-quantization-noise ratio in decibels,
// 10·log10(Signal/Noise): +Inf when there is no error (or the signal
// overflowed float64), NaN when nothing was compared.
func (s ErrorStats) SQNR() float64 {
	if s.Elements == 0 {
		return math.NaN()
	}
	return 10 * math.Log10(s.Signal/s.Noise)
}

// MeanAbs returns the mean absolute error, or NaN when nothing was
// compared.
func (s ErrorStats) MeanAbs() float64 {
	if s.Elements == 0 {
		return math.NaN()
	}
	return s.SumAbs / float64(s.Elements)
}

// Add accumulates t into s.
func (s *ErrorStats) Add(t ErrorStats) {
	s.Elements += t.Elements
	s.NonFinite += t.NonFinite
	s.Lost += t.Lost
	s.Signal += t.Signal
	s.Noise += t.Noise
	s.MaxAbs = max(s.MaxAbs, t.MaxAbs)
	s.SumAbs += t.SumAbs
}

// MarshalJSON writes s as a weight-file report does: the SQNR in dB
// ("sqnr_db"; null when the output is exact, "exact": true, or nothing was
// compared), the largest and the mean absolute error (null when nothing
// was compared) and the three counts.
func (s ErrorStats) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		SQNR      *float64 `json:"sqnr_db"`
		Exact     bool     `json:"exact"`
		MaxAbs    *float64 `json:"max_abs_error"`
		MeanAbs   *float64 `json:"mean_abs_error"`
		Elements  int64    `json:"elements"`
		NonFinite int64    `json:"non_finite_inputs"`
		Lost      int64    `json:"lost_outputs"`
	}{finite(s.SQNR()), s.Elements > 0 && s.Noise == 0, finite(s.MaxAbs), finite(s.MeanAbs()), s.Elements, s.NonFinite, s.Lost})
}

// finite returns x, or nil (JSON null) when it is NaN or infinite.
func finite(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

// Measure compares out, the fake-quantized in, with in: the error
// statistics a weight-file report gives for a tensor, computed in float64
// on every core. out must have in's dtype and element count.
func Measure(in, out Tensor) (ErrorStats, error) {
	if err := in.check(); err != nil {
		return ErrorStats{}, err
	}
	if err := out.check(); err != nil {
		return ErrorStats{}, about("output", err)
	}
	if in.dtype != out.dtype || in.Len() != out.Len() {
		return ErrorStats{}, newError(ErrShape, "output is %v with %d elements but input is %v with %d", out.dtype, out.Len(), in.dtype, in.Len())
	}
	return errorStats(cpu.Fast{}, in.dtype, in.bytes(), out.bytes()), nil
}

// errorStats compares the fake-quantized dst with src, both dtype
// elements as bytes, in float64, on every core, with f's kernels.
func errorStats(f cpu.Fast, dtype DType, src, dst []byte) ErrorStats {
	size := dtype.Size()
	n := len(src) / size
	const block = 1 << 16
	blocks := (n + block - 1) / block
	if blocks <= 1 {
		return statsRange(f, dtype, src, dst, 0, n)
	}
	results := make([]ErrorStats, blocks)
	work.Do(context.Background(), runtime.GOMAXPROCS(0), blocks, func(_, i int) {
		results[i] = statsRange(f, dtype, src, dst, i*block, min((i+1)*block, n))
	})
	// Summed in a fixed order, so the figures do not depend on timing.
	var s ErrorStats
	for _, r := range results {
		s.Add(r)
	}
	return s
}

// statsRange compares elements [a, b).
func statsRange(f cpu.Fast, dtype DType, src, dst []byte, a, b int) ErrorStats {
	switch dtype {
	case F32:
		x := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(src))), len(src)/4)
		y := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)/4)
		return compareFloat32(f, x[a:b], y[a:b])
	case F64:
		x := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(src))), len(src)/8)
		y := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)/8)
		var s accumulator
		for i := range x[a:b] {
			s.add(x[a+i], y[a+i])
		}
		return s.stats()
	}
	widen := quant.Float16ToFloat32
	if dtype == BF16 {
		widen = quant.BFloat16ToFloat32
	}
	x := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(src))), len(src)/2)
	y := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)/2)
	var s accumulator
	for i := a; i < b; i++ {
		s.add(float64(widen(x[i])), float64(widen(y[i])))
	}
	return s.stats()
}

// compareFloat32 compares float32 elements with f's error sums, and
// with compareFloat32Scalar when some pair is not finite.
func compareFloat32(f cpu.Fast, x, y []float32) ErrorStats {
	if s, ok := f.ErrorSumsFloat32(x, y); ok {
		return ErrorStats{Elements: s.N, Signal: s.Signal, Noise: s.Noise, SumAbs: s.SumAbs, MaxAbs: s.MaxAbs}
	}
	return compareFloat32Scalar(x, y)
}

// compareFloat32Scalar compares float32 elements two at a time, each in its
// own local sums, so that the adds of neighbouring elements overlap; the
// rare NaN and infinite pairs go through an accumulator.
func compareFloat32Scalar(x, y []float32) ErrorStats {
	var (
		slow                   accumulator
		n0                     int64
		sig0, sig1, no0, no1   float64
		abs0, abs1, max0, max1 float64
	)
	y = y[:len(x)]
	i := 0
	for ; i+2 <= len(x); i += 2 {
		x0, x1 := float64(x[i]), float64(x[i+1])
		d0, d1 := float64(y[i])-x0, float64(y[i+1])-x1
		if d0-d0 != 0 || d1-d1 != 0 {
			slow.add(x0, float64(y[i]))
			slow.add(x1, float64(y[i+1]))
			continue
		}
		a0, a1 := math.Abs(d0), math.Abs(d1)
		sig0 += x0 * x0
		sig1 += x1 * x1
		no0 += d0 * d0
		no1 += d1 * d1
		abs0 += a0
		abs1 += a1
		if a0 > max0 {
			max0 = a0
		}
		if a1 > max1 {
			max1 = a1
		}
	}
	n0 = int64(i) - slow.n - slow.nonFinite - slow.lost
	for ; i < len(x); i++ {
		slow.add(float64(x[i]), float64(y[i]))
	}
	s := slow.stats()
	s.Add(ErrorStats{Elements: n0, Signal: sig0 + sig1, Noise: no0 + no1, SumAbs: abs0 + abs1, MaxAbs: max(max0, max1)})
	return s
}

// accumulator sums the error of element pairs.
type accumulator struct {
	n, nonFinite, lost            int64
	signal, noise, sumAbs, maxAbs float64
}

// add takes input x and output y.
func (s *accumulator) add(x, y float64) {
	d := y - x
	if d-d != 0 { // x or y is NaN or infinite
		s.special(x, y)
		return
	}
	ad := math.Abs(d)
	s.n++
	s.signal += x * x
	s.noise += d * d
	s.sumAbs += ad
	if ad > s.maxAbs {
		s.maxAbs = ad
	}
}

// special classifies a pair with a NaN or infinite value: an input that
// is not finite, an output that is not (a finite input lost), or, for
// float64 near its limits, a difference that overflowed, which counts as
// an infinite error.
func (s *accumulator) special(x, y float64) {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		s.nonFinite++
	case math.IsNaN(y) || math.IsInf(y, 0):
		s.lost++
	default:
		s.n++
		s.signal += x * x
		s.noise = math.Inf(1)
		s.sumAbs = math.Inf(1)
		s.maxAbs = math.Inf(1)
	}
}

func (s *accumulator) stats() ErrorStats {
	return ErrorStats{Elements: s.n, NonFinite: s.nonFinite, Lost: s.lost, Signal: s.signal, Noise: s.noise, SumAbs: s.sumAbs, MaxAbs: s.maxAbs}
}
