//go:build cgo && linux && !novulkan

package gpu

import (
	"context"
	"testing"

	"github.com/qdqvk/qdq/internal/quant"
)

// BenchmarkSmallCall measures what one call costs beyond its arithmetic:
// a 4096-element float32 tensor, found range, per call on one context.
// On lavapipe most of it is the driver's submission; on a GPU, the host
// side of one submission.
func BenchmarkSmallCall(b *testing.B) {
	c := openOrSkipB(b)
	src, dst := smallTensor(4096), make([]float32, 4096)
	r := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: len(src)}, Params: quant.Params{Signed: true, NumBits: 8}}
	for b.Loop() {
		if _, err := c.Float32(context.Background(), dst, src, r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSmallBatch is BenchmarkSmallCall for 16 such tensors in one
// submission, per batch.
func BenchmarkSmallBatch(b *testing.B) {
	c := openOrSkipB(b)
	src := smallTensor(4096)
	calls := make([]*quant.Job[float32], 16)
	dsts := make([][]float32, len(calls))
	for i := range calls {
		dsts[i] = make([]float32, len(src))
	}
	for b.Loop() {
		for i := range calls {
			calls[i] = &quant.Job[float32]{
				Dst: bytesOf(dsts[i]), Src: bytesOf(src),
				Request: quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: len(src)}, Params: quant.Params{Signed: true, NumBits: 8}},
			}
		}
		if err := c.BatchFloat32(context.Background(), quant.F32, calls); err != nil {
			b.Fatal(err)
		}
		for _, call := range calls {
			if call.Err != nil {
				b.Fatal(call.Err)
			}
		}
	}
}

func smallTensor(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(i%97) - 40
	}
	return s
}

// openOrSkipB is openOrSkip for benchmarks: without a device they skip.
func openOrSkipB(b *testing.B) *Context {
	b.Helper()
	c, err := Open(Config{AllowCPU: true})
	if err != nil {
		b.Skipf("no Vulkan device: %v", err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}
