//go:build cgo && linux && !novulkan

package gpu

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// openOrSkip opens the chosen device (lavapipe included), skipping when
// there is none unless QDQ_REQUIRE_GPU is set.
func openOrSkip(t *testing.T) *Context {
	t.Helper()
	return openWith(t, Config{AllowCPU: true})
}

// openWith opens a context with cfg, skipping the test as devicesOrSkip
// does.
func openWith(t *testing.T, cfg Config) *Context {
	t.Helper()
	devicesOrSkip(t)
	c, err := Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestInexactCallsAreRefused(t *testing.T) {
	c := openOrSkip(t)
	src := []float32{1e-39, -3e-39, 0.5e-38}
	_, err := c.Float32(context.Background(), make([]float32, 3), src, quant.Request[float32]{
		Layout: quant.Layout{Outer: 1, Depth: 1, Inner: 3}, Params: quant.Params{Signed: true, NumBits: 8},
	})
	require.True(t, errors.Is(err, ErrInexact), "got %v", err)

	// A subnormal scale: unsigned 1-bit with a max near the largest float.
	_, err = c.Float32(context.Background(), make([]float32, 2), []float32{0, 3e38}, quant.Request[float32]{
		Layout: quant.Layout{Outer: 1, Depth: 1, Inner: 2}, Params: quant.Params{NumBits: 1},
	})
	require.True(t, errors.Is(err, ErrInexact), "got %v", err)

	// Many channels of one element: the per-channel buffers, not the
	// elements, must set the chunk size, and the call must still run.
	c = openWith(t, Config{AllowCPU: true, MaxPiece: 4096})
	n := 5000
	in, out := make([]uint16, n), make([]uint16, n)
	for i := range in {
		in[i] = quant.Float32ToFloat16(float32(i%13) - 6)
	}
	req := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: n, Inner: 1}, Params: quant.Params{Signed: true, NumBits: 8},
		Given: make([]quant.Bounds[float32], n)}
	for i := range req.Given {
		req.Given[i] = quant.Bounds[float32]{Min: -3, Max: 4}
	}
	want := make([]uint16, n)
	_, err = quant.Reference{}.Float16(context.Background(), want, in, req)
	require.NoError(t, err)
	_, err = c.Float16(context.Background(), out, in, req)
	require.NoError(t, err)
	require.Equal(t, want, out)
}

// TestBatch runs mixed layouts, ranges and round modes as one batch, in
// both the direct and the staging memory paths: every call must run on
// the device and equal the reference.
func TestBatch(t *testing.T) {
	for _, staging := range []bool{false, true} {
		t.Run(fmt.Sprintf("staging=%t", staging), func(t *testing.T) {
			c := openWith(t, Config{AllowCPU: true, Staging: staging})
			r := rand.New(rand.NewPCG(8, 9))
			layouts := []quant.Layout{{Outer: 1, Depth: 1, Inner: 999}, {Outer: 1, Depth: 5, Inner: 301}, {Outer: 40, Depth: 3, Inner: 1},
				{Outer: 3, Depth: 7, Inner: 11}, {Outer: 1, Depth: 1, Inner: 1}}
			var calls []*quant.Job[float32]
			var wants [][]uint16
			for i := range 20 {
				l := layouts[i%len(layouts)]
				req := quant.Request[float32]{Layout: l, Params: quant.Params{Signed: i%3 != 0, NumBits: 2 + i%12, Round: quant.RoundMode(i % 2)}}
				if i%4 == 1 {
					req.Given = make([]quant.Bounds[float32], l.Depth)
					for k := range req.Given {
						req.Given[k] = quant.Bounds[float32]{Min: -1.5, Max: float32(1 + k)}
					}
				}
				src := make([]uint16, l.Len())
				for k := range src {
					src[k] = quant.Float32ToBFloat16(float32(r.NormFloat64() * 2))
				}
				want := make([]uint16, len(src))
				_, err := quant.Reference{}.BFloat16(context.Background(), want, src, req)
				require.NoError(t, err)
				wants = append(wants, want)
				calls = append(calls, &quant.Job[float32]{Dst: make([]byte, 2*len(src)), Src: bytesOf(src), Request: req})
			}
			require.NoError(t, c.BatchFloat32(context.Background(), quant.BF16, calls))
			for i, call := range calls {
				require.NoError(t, call.Err, "call %d", i)
				got := make([]uint16, len(call.Dst)/2)
				for k := range got {
					got[k] = uint16(call.Dst[2*k]) | uint16(call.Dst[2*k+1])<<8
				}
				require.Equal(t, wants[i], got, "call %d", i)
				require.Len(t, call.Quants, calls[i].Request.Layout.Depth)
			}
		})
	}
}
