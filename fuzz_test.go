package qdq_test

import (
	"errors"
	"math"
	"testing"

	"github.com/qdqvk/qdq"
)

// FuzzOptions feeds arbitrary attributes, shapes and ranges to the API: it
// must return a result or a *qdq.Error, never panic.
func FuzzOptions(f *testing.F) {
	f.Add(8, true, false, false, -1, uint8(0), 0.0, 0.0, uint8(2), uint64(3), uint8(0))
	f.Add(1, true, true, true, 0, uint8(1), -1.0, 1.0, uint8(1), uint64(0), uint8(4))
	f.Add(62, false, false, true, 5, uint8(3), math.NaN(), math.Inf(1), uint8(0), uint64(0), uint8(0))
	f.Add(-7, true, false, true, -2, uint8(0), 1.0, -1.0, uint8(7), uint64(7), uint8(1))
	f.Add(8, true, false, false, 1, uint8(0), 0.0, 0.0, uint8(0), uint64(1)<<62, uint8(0))
	f.Fuzz(func(t *testing.T, bits int, signed, narrow, given bool, axis int, round uint8, lo, hi float64, d0 uint8, d1 uint64, nmin uint8) {
		// An empty tensor may claim any second dimension; others stay small.
		shape := []int{int(d0 % 9), int(d1 % 9)}
		if shape[0] == 0 {
			shape[1] = int(d1 >> 1)
		}
		n := shape[0] * shape[1]
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i) - float32(n)/2
		}
		o := qdq.Options{Unsigned: !signed, NumBits: bits, RangeGiven: given, RoundMode: qdq.RoundMode(round),
			NarrowRange: narrow, PerChannel: axis != -1, Axis: axis}
		for range nmin % 12 {
			o.InputMin, o.InputMax = append(o.InputMin, lo), append(o.InputMax, hi)
		}
		for _, dtype := range []qdq.DType{qdq.F32, qdq.BF16} {
			var (
				out any
				err error
			)
			if dtype == qdq.F32 {
				out, _, err = qdq.Apply(data, shape, o)
			} else {
				b := make([]qdq.BFloat16, n)
				out, _, err = qdq.Apply(b, shape, o)
			}
			var qerr *qdq.Error
			if err != nil && !errors.As(err, &qerr) {
				t.Fatalf("error %v is not a *qdq.Error", err)
			}
			if err == nil && out == nil {
				t.Fatal("no error and no output")
			}
		}
	})
}
