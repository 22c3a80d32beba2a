package gpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// fakeInfo describes the fake device: limits like lavapipe's, every
// feature.
var fakeInfo = Device{Name: "fake", Type: CPU, API: "1.3.0", Float64: true, SubgroupArithmetic: true,
	MaxStorageBufferRange: 1 << 27, MaxWorkGroupCount: [3]uint32{65535, 65535, 65535},
	MaxWorkGroupInvocation: 1024, MaxWorkGroupSizeX: 1024}

// openFake opens a Context on a fake device; the test fails if the fake's
// checks found anything, or Close left something behind.
func openFake(t *testing.T, cfg Config, local bool) (*Context, *fakeDevice) {
	t.Helper()
	dev := newFakeDevice(local)
	c, err := newContext(dev, restrict(fakeInfo, cfg), cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, c.Close())
		assert.True(t, dev.closed, "Close closes the device")
		assert.NoError(t, dev.check())
	})
	return c, dev
}

// fakeCases are the configurations the algorithm runs in on the fake
// device: direct and staged memory, the guard, chunks of every kind.
var fakeCases = []struct {
	name  string
	cfg   Config
	local bool
}{
	{"direct", Config{Guard: true}, true},
	{"staging", Config{Guard: true}, false},
	{"chunked-staging-no-subgroups", Config{Guard: true, MaxPiece: 4096, Staging: true, NoSubgroups: true}, true},
	{"chunked-direct", Config{MaxPiece: 256}, true},
}

// fakeLayouts have one piece, whole slabs, rows of one slab, and parts of
// one row under the chunk limits of fakeCases.
var fakeLayouts = []quant.Layout{{Outer: 1, Depth: 1, Inner: 1}, {Outer: 1, Depth: 1, Inner: 3001}, {Outer: 7, Depth: 3, Inner: 50},
	{Outer: 2, Depth: 40, Inner: 30}, {Outer: 3, Depth: 4, Inner: 3000}, {Outer: 1, Depth: 2000, Inner: 1}}

// TestRunOnFake runs calls of every storage type, range from the data or
// given, through the whole algorithm on the fake device: output bits and
// parameters must be the reference's.
func TestRunOnFake(t *testing.T) {
	for _, fc := range fakeCases {
		t.Run(fc.name, func(t *testing.T) {
			c, _ := openFake(t, fc.cfg, fc.local)
			rnd := rand.New(rand.NewPCG(1, 2))
			for li, l := range fakeLayouts {
				for _, given := range []bool{false, true} {
					p := quant.Params{Signed: li%2 == 0, NumBits: 2 + li, Round: quant.RoundMode(li % 2)}
					r32 := quant.Request[float32]{Layout: l, Params: p}
					r64 := quant.Request[float64]{Layout: l, Params: p}
					if given {
						r32.Given, r64.Given = make([]quant.Bounds[float32], l.Depth), make([]quant.Bounds[float64], l.Depth)
						for i := range r32.Given {
							r32.Given[i], r64.Given[i] = quant.Bounds[float32]{Min: -1, Max: 0.5}, quant.Bounds[float64]{Min: -1, Max: 0.5}
						}
					}
					name := fmt.Sprintf("%v given=%t", l, given)
					checkFloat32(t, c, rnd, r32, name)
					checkHalf(t, c, rnd, r32, name)
					checkFloat64(t, c, rnd, r64, name)
				}
			}
		})
	}
}

func checkFloat32(t *testing.T, c *Context, rnd *rand.Rand, r quant.Request[float32], name string) {
	t.Helper()
	src := make([]float32, r.Layout.Len())
	for i := range src {
		src[i] = float32(rnd.NormFloat64())
	}
	if len(src) > 2 {
		src[1] = float32(math.NaN())
	}
	want, got := make([]float32, len(src)), make([]float32, len(src))
	wq, err := quant.Reference{}.Float32(context.Background(), want, src, r)
	require.NoError(t, err)
	q, err := c.Float32(context.Background(), got, src, r)
	require.NoError(t, err, "f32 %s", name)
	require.Equal(t, bytesOf(want), bytesOf(got), "f32 %s", name)
	require.Len(t, q, len(wq))
	for i := range wq {
		w, g := wq[i], q[i]
		require.Equal(t, []uint32{math.Float32bits(w.Min), math.Float32bits(w.Max), math.Float32bits(w.Scale), math.Float32bits(w.InverseScale)},
			[]uint32{math.Float32bits(g.Min), math.Float32bits(g.Max), math.Float32bits(g.Scale), math.Float32bits(g.InverseScale)}, "f32 %s: channel %d", name, i)
	}
}

func checkHalf(t *testing.T, c *Context, rnd *rand.Rand, r quant.Request[float32], name string) {
	t.Helper()
	src := make([]uint16, r.Layout.Len())
	for i := range src {
		src[i] = quant.Float32ToBFloat16(float32(rnd.NormFloat64()))
	}
	for _, kind := range []string{"f16", "bf16"} {
		ref, dev := quant.Reference{}.BFloat16, c.BFloat16
		if kind == "f16" {
			ref, dev = quant.Reference{}.Float16, c.Float16
		}
		want, got := make([]uint16, len(src)), make([]uint16, len(src))
		_, err := ref(context.Background(), want, src, r)
		require.NoError(t, err)
		_, err = dev(context.Background(), got, src, r)
		require.NoError(t, err, "%s %s", kind, name)
		require.Equal(t, want, got, "%s %s", kind, name)
	}
}

func checkFloat64(t *testing.T, c *Context, rnd *rand.Rand, r quant.Request[float64], name string) {
	t.Helper()
	src := make([]float64, r.Layout.Len())
	for i := range src {
		src[i] = rnd.NormFloat64()
	}
	want, got := make([]float64, len(src)), make([]float64, len(src))
	_, err := quant.Reference{}.Float64(context.Background(), want, src, r)
	require.NoError(t, err)
	_, err = c.Float64(context.Background(), got, src, r)
	require.NoError(t, err, "f64 %s", name)
	require.Equal(t, bytesOf(want), bytesOf(got), "f64 %s", name)
}

// TestRunDeclinesOnFake checks the calls run gives back to the caller:
// parameters fixed beforehand, subnormals the device may flush, float64
// without shaderFloat64; an empty call needs no device.
func TestRunDeclinesOnFake(t *testing.T) {
	c, dev := openFake(t, Config{NoFloat64: true}, true)
	ctx := context.Background()
	l := quant.Layout{Outer: 1, Depth: 1, Inner: 3}
	p := quant.Params{Signed: true, NumBits: 8}
	_, err := c.Float32(ctx, make([]float32, 3), []float32{1e-39, -3e-39, 0.5e-38}, quant.Request[float32]{Layout: l, Params: p})
	assert.ErrorIs(t, err, ErrInexact)
	_, err = c.Float32(ctx, make([]float32, 3), make([]float32, 3), quant.Request[float32]{Layout: l, Params: p, Quant: make([]quant.Quant[float32], 1)})
	assert.ErrorIs(t, err, ErrInexact)
	_, err = c.Float64(ctx, make([]float64, 3), make([]float64, 3), quant.Request[float64]{Layout: l, Params: p})
	assert.ErrorIs(t, err, ErrInexact)
	assert.ErrorIs(t, err, quant.ErrDeclined)
	submits := dev.submits
	q, err := c.Float32(ctx, nil, nil, quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 2, Inner: 0}, Params: p})
	require.NoError(t, err)
	assert.Len(t, q, 2)
	assert.Equal(t, submits, dev.submits, "an empty call submits nothing")

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = c.Float32(cancelled, make([]float32, 3), make([]float32, 3), quant.Request[float32]{Layout: l, Params: p})
	assert.ErrorIs(t, err, context.Canceled)
}

// TestBatchOnFake runs a batch of mixed layouts, ranges and round modes:
// every call that fits one chunk runs and equals the reference; the
// others get ErrNotBatched.
func TestBatchOnFake(t *testing.T) {
	for _, local := range []bool{true, false} {
		t.Run(fmt.Sprintf("local=%t", local), func(t *testing.T) {
			c, _ := openFake(t, Config{MaxPiece: 1 << 20}, local)
			rnd := rand.New(rand.NewPCG(3, 4))
			var calls []*quant.Job[float32]
			var wants [][]float32
			for i := range 40 {
				l := fakeLayouts[i%len(fakeLayouts)]
				if i == 7 {
					l = quant.Layout{Outer: 1, Depth: 1, Inner: 1 << 19} // two chunks
				}
				r := quant.Request[float32]{Layout: l, Params: quant.Params{Signed: i%3 != 0, NumBits: 2 + i%12, Round: quant.RoundMode(i % 2)}}
				if i%4 == 1 {
					r.Given = make([]quant.Bounds[float32], l.Depth)
					for k := range r.Given {
						r.Given[k] = quant.Bounds[float32]{Min: -1.5, Max: float32(1 + k)}
					}
				}
				src := make([]float32, l.Len())
				for k := range src {
					src[k] = float32(rnd.NormFloat64())
				}
				want := make([]float32, len(src))
				_, err := quant.Reference{}.Float32(context.Background(), want, src, r)
				require.NoError(t, err)
				wants = append(wants, want)
				calls = append(calls, &quant.Job[float32]{Dst: make([]byte, 4*len(src)), Src: bytesOf(src), Request: r})
			}
			require.NoError(t, c.BatchFloat32(context.Background(), quant.F32, calls))
			for i, call := range calls {
				if i == 7 {
					assert.ErrorIs(t, call.Err, ErrNotBatched)
					continue
				}
				require.NoError(t, call.Err, "call %d", i)
				require.Equal(t, bytesOf(wants[i]), call.Dst, "call %d", i)
				require.Len(t, call.Quants, call.Request.Layout.Depth)
			}
		})
	}
}

// TestDeviceLostOnFake loses the device at a submission, in a call and in
// a batch: the call fails with ErrDeviceLost, a batch waits for the
// device before freeing its buffers, and every later call fails at once.
func TestDeviceLostOnFake(t *testing.T) {
	ctx := context.Background()
	r := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: 100}, Params: quant.Params{Signed: true, NumBits: 8}}
	c, dev := openFake(t, Config{}, true)
	dev.failAt = 2
	_, err := c.Float32(ctx, make([]float32, 100), make([]float32, 100), r) // reduce, then the fused pass fails
	require.ErrorIs(t, err, ErrDevice)
	require.ErrorIs(t, err, ErrDeviceLost)
	require.ErrorIs(t, err, quant.ErrDeclined)
	assert.Contains(t, err.Error(), "gpu: vulkan: vkWaitForFences: device lost")
	_, err = c.Float32(ctx, make([]float32, 100), make([]float32, 100), r)
	assert.ErrorIs(t, err, ErrDeviceLost)

	c, dev = openFake(t, Config{}, true)
	dev.failAt = 1
	calls := []*quant.Job[float32]{{Dst: make([]byte, 400), Src: make([]byte, 400), Request: r}}
	require.ErrorIs(t, c.BatchFloat32(ctx, quant.F32, calls), ErrDeviceLost)
	assert.True(t, dev.waited, "the batch waits for the device before freeing its buffers")
	assert.ErrorIs(t, c.BatchFloat32(ctx, quant.F32, calls), ErrDeviceLost)
}

// TestContextNotOpened checks that a Context that Open did not make
// refuses calls and closes.
func TestContextNotOpened(t *testing.T) {
	var c Context
	_, err := c.Float32(context.Background(), make([]float32, 1), make([]float32, 1),
		quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: 1}, Params: quant.Params{NumBits: 8}})
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, c.BatchFloat32(context.Background(), quant.F32, nil), ErrClosed)
	assert.NoError(t, c.Close())
}

// TestStatsOnFake checks that the device time of every submission of a
// call reaches its Stats.
func TestStatsOnFake(t *testing.T) {
	c, dev := openFake(t, Config{}, true)
	var s Stats
	r := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: 10}, Params: quant.Params{Signed: true, NumBits: 8}}
	_, err := c.Float32(WithStats(context.Background(), &s), make([]float32, 10), make([]float32, 10), r)
	require.NoError(t, err)
	assert.Equal(t, dev.submits, int(s.Kernel.Microseconds()), "one microsecond a submission")
}
