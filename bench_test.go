package qdq_test

import (
	"context"
	"math"
	"testing"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
)

// benchElements is the tensor size for the Go benchmarks (qdq bench
// measures 64Mi by default).
const benchElements = 16 << 20

// BenchmarkRun measures one call per iteration for every dtype, mode and
// CPU kernel set, next to a copy of the same bytes (BenchmarkRun/*/copy).
// Bytes are read + written.
func BenchmarkRun(b *testing.B) {
	for _, dtype := range qdqtest.DTypes {
		vals := make([]float64, benchElements)
		for i := range vals {
			vals[i] = math.Sin(float64(i)) * 3
		}
		in := qdqtest.Tensor(b, dtype, []int{4096, benchElements / 4096}, vals)
		out := qdq.ZerosLike(in)
		copyTensors(out, in) // fault the output's pages in before timing
		b.Run(dtype.String()+"/copy", func(b *testing.B) {
			b.SetBytes(int64(2 * benchElements * dtype.Size()))
			for b.Loop() {
				copyTensors(out, in)
			}
		})
		for _, mode := range []struct {
			name  string
			axis  int
			given bool
		}{{"tensor-given", -1, true}, {"tensor-data", -1, false}, {"channel-given", 0, true}, {"channel-data", 0, false}} {
			for _, kernels := range qdq.CPUKernels() {
				b.Run(dtype.String()+"/"+mode.name+"/"+kernels, func(b *testing.B) {
					e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Kernels: kernels})
					if err != nil {
						b.Fatal(err)
					}
					o := qdq.DefaultOptions()
					o.Axis, o.RangeGiven = mode.axis, mode.given
					depth := 1
					if mode.axis == 0 {
						depth = 4096
					}
					for range depth {
						o.InputMin, o.InputMax = append(o.InputMin, -2), append(o.InputMax, 2)
					}
					b.SetBytes(int64(2 * benchElements * dtype.Size()))
					for b.Loop() {
						if _, err := e.RunInto(context.Background(), out, in, o); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		}
	}
}

func copyTensors(dst, src qdq.Tensor) {
	switch src.DType() {
	case qdq.F32:
		d, _ := qdq.Data[float32](dst)
		s, _ := qdq.Data[float32](src)
		copy(d, s)
	case qdq.F64:
		d, _ := qdq.Data[float64](dst)
		s, _ := qdq.Data[float64](src)
		copy(d, s)
	default:
		copy(dst.Bits16(), src.Bits16())
	}
}
