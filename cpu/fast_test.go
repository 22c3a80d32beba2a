package cpu

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/qdqvk/qdq/internal/quant"
)

func TestFastHonoursCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := make([]float32, 1<<16)
	_, err := Fast{}.Float32(ctx, src, src, quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: len(src)}, Params: quant.Params{Signed: true, NumBits: 8}})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestRunStopsMidCall cancels from inside the first kernel call of a
// large per-channel run: the call must return the cancellation and leave
// most work items undone.
func TestRunStopsMidCall(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls atomic.Int64
	done := make(chan struct{}) // closed once the context is cancelled
	k := scalarFloat32
	k.apply = func(dst, src []float32, q quant.Quant[float32], clamp bool, mode quant.RoundMode) {
		if calls.Add(1) == 1 {
			cancel()
			close(done)
		}
		<-done // no call gets ahead of the cancellation
		scalarFloat32.apply(dst, src, q, clamp, mode)
	}
	const depth, inner = 512, 1024
	src := make([]float32, depth*inner)
	r := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: depth, Inner: inner}, Params: quant.Params{Signed: true, NumBits: 8}}
	_, err := run(ctx, 2, &k, src, src, r)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, calls.Load(), int64(depth/2), "most channels were never started")
}
