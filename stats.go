package qdq

import (
	"math"
	"runtime"
	"sync"
	"unsafe"

	"github.com/qdqvk/qdq/cpu"
)

// errorStats compares the fake-quantized dst with src, both dtype
// elements as bytes, in float64, on every core.
func errorStats(dtype DType, src, dst []byte) ErrorStats {
	size := dtype.Size()
	n := len(src) / size
	const chunk = 1 << 16
	parts := (n + chunk - 1) / chunk
	if parts <= 1 {
		return statsRange(dtype, src, dst, 0, n)
	}
	workers := min(runtime.GOMAXPROCS(0), parts)
	results := make([]ErrorStats, parts)
	var next sync.Mutex
	item := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				next.Lock()
				i := item
				item++
				next.Unlock()
				if i >= parts {
					return
				}
				results[i] = statsRange(dtype, src, dst, i*chunk, min((i+1)*chunk, n))
			}
		})
	}
	wg.Wait()
	// Summed in a fixed order, so the figures do not depend on timing.
	var s ErrorStats
	for _, r := range results {
		s.Add(r)
	}
	return s
}

// statsRange compares elements [a, b).
func statsRange(dtype DType, src, dst []byte, a, b int) ErrorStats {
	switch dtype {
	case F32:
		x := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(src))), len(src)/4)
		y := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)/4)
		return compare(x[a:b], y[a:b], func(v float32) float64 { return float64(v) })
	case F64:
		x := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(src))), len(src)/8)
		y := unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)/8)
		return compare(x[a:b], y[a:b], func(v float64) float64 { return v })
	}
	widen := func(v uint16) float64 { return float64(cpu.Float16ToFloat32(v)) }
	if dtype == BF16 {
		widen = func(v uint16) float64 { return float64(cpu.BFloat16ToFloat32(v)) }
	}
	x := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(src))), len(src)/2)
	y := unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(dst))), len(dst)/2)
	return compare(x[a:b], y[a:b], widen)
}

func compare[T any](x, y []T, widen func(T) float64) ErrorStats {
	var s ErrorStats
	for i := range x {
		xv, yv := widen(x[i]), widen(y[i])
		switch {
		case math.IsNaN(xv) || math.IsInf(xv, 0):
			s.NonFinite++
			continue
		case math.IsNaN(yv):
			s.Lost++
			continue
		}
		d := math.Abs(yv - xv)
		s.Elements++
		s.Signal += xv * xv
		s.Noise += d * d
		s.SumAbs += d
		s.MaxAbs = max(s.MaxAbs, d)
	}
	return s
}
