package gpu

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/gpu/internal/vk"
	"github.com/qdqvk/qdq/internal/quant"
)

func TestChunkLimit(t *testing.T) {
	lavapipe := Device{MaxStorageBufferRange: 1 << 31, MaxAllocation: 1 << 32}
	small := Device{MaxStorageBufferRange: 1 << 27}
	capped := Device{MaxStorageBufferRange: 1 << 31, MaxAllocation: 1 << 20}
	cases := []struct {
		d              Device
		maxPiece, size int
		want           int
	}{
		{lavapipe, 0, 4, 1 << 26},     // 256 MiB of float32
		{lavapipe, 0, 2, 1 << 27},     // 256 MiB of 16-bit values
		{small, 0, 8, 1 << 24},        // the device's range
		{capped, 0, 4, 1 << 18},       // maxMemoryAllocationSize
		{lavapipe, 4096, 4, 1024},     // Config.MaxPiece
		{lavapipe, 4098, 4, 1024},     // even
		{lavapipe, 6, 4, 2},           // at least two
		{lavapipe, 1, 8, 2},           // at least two
		{capped, 1 << 30, 2, 1 << 19}, // the smallest limit wins
		{Device{MaxStorageBufferRange: 10}, 0, 2, 4},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, pieceLimit(c.d, c.maxPiece, c.size), "%+v", c)
	}
}

// TestSplit checks the plans of layouts under chunk limits: the pieces
// cover the tensor in memory order, none has more elements than the
// limit, and none binds per-channel buffers beyond the limit's bytes.
func TestSplit(t *testing.T) {
	layouts := []quant.Layout{{Outer: 1, Depth: 1, Inner: 1}, {Outer: 1, Depth: 1, Inner: 10000}, {Outer: 10, Depth: 3, Inner: 7},
		{Outer: 3, Depth: 1000, Inner: 1}, {Outer: 1, Depth: 5000, Inner: 1}, {Outer: 2, Depth: 3, Inner: 1 << 14}, {Outer: 1, Depth: 0, Inner: 5}}
	for _, l := range layouts {
		for _, limit := range []int{2, 64, 1024, 1 << 22} {
			for _, f := range []struct{ size, quant, ranges int }{{4, 16, 8}, {2, 16, 8}, {8, 32, 16}} {
				name := fmt.Sprintf("%v limit %d size %d", l, limit, f.size)
				parts := split(l, limit, f.size, f.quant, f.ranges)
				require.NotEmpty(t, parts, name)
				next := 0
				for _, p := range parts {
					require.Equal(t, next, p.First, "%s: pieces in order", name)
					next += p.Layout.Len()
					if l.Len() > 0 {
						assert.LessOrEqual(t, p.Layout.Len(), limit, name)
					}
					perChannel := p.Layout.Depth * max(f.quant, f.ranges*reductionBlocks(p.Layout))
					if limit > 2 {
						assert.LessOrEqual(t, perChannel, limit*f.size, "%s: per-channel buffers", name)
					}
					assert.LessOrEqual(t, p.Channel+p.Layout.Depth, l.Depth, name)
				}
				assert.Equal(t, l.Len(), next, "%s: the pieces cover the tensor", name)
			}
		}
	}
	// Many channels of one element: the per-channel buffers, not the
	// elements, set the pieces (4096 bytes: at most 256 channels of 16
	// bytes of parameters).
	for _, p := range split(quant.Layout{Outer: 1, Depth: 5000, Inner: 1}, 1024, 4, 16, 8) {
		assert.LessOrEqual(t, p.Layout.Depth, 256)
	}
}

func TestReductionBlocks(t *testing.T) {
	for _, c := range []struct {
		l    quant.Layout
		want int
	}{
		{quant.Layout{Outer: 1, Depth: 1, Inner: 1}, 1},
		{quant.Layout{Outer: 1, Depth: 7, Inner: workgroup * 64}, 1},
		{quant.Layout{Outer: 2, Depth: 7, Inner: workgroup*64 + 1}, 3},
		{quant.Layout{Outer: 1, Depth: 1, Inner: 1 << 30}, 1024},
	} {
		assert.Equal(t, c.want, reductionBlocks(c.l), "%v", c.l)
	}
}

func TestBatchLen(t *testing.T) {
	mib := 1 << 20
	many := make([]int, 40)
	for i := range many {
		many[i] = 1024
	}
	cases := []struct {
		name  string
		sizes []int
		want  int
	}{
		{"none", nil, 0},
		{"one", []int{16}, 1},
		{"at most maxBatch", many, maxBatch},
		{"within 256 MiB", []int{40 * mib, 40 * mib, 5 * mib, 40 * mib}, 3}, // 3 x 85 MiB, then over
		{"exactly 256 MiB", []int{batchBytes / 6, batchBytes / 6}, 2},
		{"the first even when too large", []int{200 * mib, 1}, 1},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, batchLen(c.sizes), c.name)
	}
}

func TestBatchable(t *testing.T) {
	c := &Context{info: fakeInfo, cfg: Config{MaxPiece: 4096}}
	call := func(l quant.Layout) *quant.Job[float32] {
		return &quant.Job[float32]{Src: make([]byte, 4*l.Len()), Request: quant.Request[float32]{Layout: l}}
	}
	f := format32("f32")
	assert.NoError(t, batchable(c, f, call(quant.Layout{Outer: 1, Depth: 4, Inner: 256})))
	assert.ErrorIs(t, batchable(c, f, call(quant.Layout{Outer: 1, Depth: 1, Inner: 0})), ErrNotBatched, "empty")
	assert.ErrorIs(t, batchable(c, f, call(quant.Layout{Outer: 1, Depth: 1, Inner: 1025})), ErrNotBatched, "two chunks")
	assert.ErrorIs(t, batchable(c, f, call(quant.Layout{Outer: 1, Depth: 1000, Inner: 1})), ErrNotBatched, "parameters over a chunk")
}

func TestGuardPattern(t *testing.T) {
	b := make([]byte, guardBytes)
	require.NoError(t, fillPattern(b))
	require.NoError(t, checkPattern(b))
	b[17] = 0
	assert.ErrorContains(t, checkPattern(b), "byte 17 after the end is 0x0")
}

func TestDeviceOf(t *testing.T) {
	info := vk.Info{Index: 3, Name: "n", Type: int(Discrete), API: "1.2.3", Driver: "d", VendorID: 5, MemoryHeap: 6,
		SubgroupSize: 32, SubgroupArithmetic: true, Float64: true, Float16: true, Storage16: true, DenormPreserve32: true,
		DenormPreserve64: true, MaxStorageBufferRange: 7, MaxAllocation: 8, MaxWorkGroupCount: [3]uint32{9, 10, 11},
		MaxWorkGroupInvocation: 12, MaxWorkGroupSizeX: 13, MaxSharedMemory: 14, TimestampPeriod: 15}
	assert.Equal(t, Device{Index: 3, Name: "n", Type: Discrete, API: "1.2.3", Driver: "d", VendorID: 5, MemoryHeap: 6,
		SubgroupSize: 32, SubgroupArithmetic: true, Float64: true, Float16: true, Storage16: true, DenormPreserve32: true,
		DenormPreserve64: true, MaxStorageBufferRange: 7, MaxAllocation: 8, MaxWorkGroupCount: [3]uint32{9, 10, 11},
		MaxWorkGroupInvocation: 12, MaxWorkGroupSizeX: 13, MaxSharedMemory: 14, TimestampPeriod: 15}, deviceOf(info))
	assert.Equal(t, []Device{deviceOf(info)}, devicesOf([]vk.Info{info}))
}

func TestUsable(t *testing.T) {
	ok := Device{Name: "d", API: "1.1.0", MaxWorkGroupInvocation: 256, MaxWorkGroupSizeX: 256}
	require.NoError(t, usable(ok))
	for _, d := range []Device{
		{Name: "d", API: "1.0.61", MaxWorkGroupInvocation: 1024, MaxWorkGroupSizeX: 1024},
		{Name: "d", API: "1.3.0", MaxWorkGroupInvocation: 128, MaxWorkGroupSizeX: 1024},
		{Name: "d", API: "1.3.0", MaxWorkGroupInvocation: 1024, MaxWorkGroupSizeX: 128},
		{Name: "d", API: "garbage", MaxWorkGroupInvocation: 1024, MaxWorkGroupSizeX: 1024},
	} {
		assert.ErrorIs(t, usable(d), ErrNoVulkan, "%+v", d)
	}
	assert.True(t, apiAtLeast11("2.0.0"))
	assert.False(t, apiAtLeast11("1.0.0"))

	all := Device{Float64: true, SubgroupArithmetic: true}
	assert.Equal(t, all, restrict(all, Config{}))
	assert.Equal(t, Device{SubgroupArithmetic: true}, restrict(all, Config{NoFloat64: true}))
	assert.Equal(t, Device{Float64: true}, restrict(all, Config{NoSubgroups: true}))
}

// TestDeviceErr checks what a vk error means to the caller.
func TestDeviceErr(t *testing.T) {
	oom := &vk.Error{Call: "vkAllocateMemory", Result: vk.ErrorOutOfDeviceMemory}
	err := deviceErr(oom)
	assert.ErrorIs(t, err, ErrDevice)
	assert.ErrorIs(t, err, quant.ErrDeclined)
	assert.NotErrorIs(t, err, ErrDeviceLost)
	assert.EqualError(t, err, "gpu: vulkan: vkAllocateMemory: out of device memory")
	assert.Same(t, err, deviceErr(err), "wrapped once")
	wrapped := fmt.Errorf("context: %w", err)
	assert.Same(t, wrapped, deviceErr(wrapped), "wrapped once, deeper too")

	lost := deviceErr(&vk.Error{Call: "vkQueueSubmit", Result: vk.ErrorDeviceLost})
	assert.ErrorIs(t, lost, ErrDeviceLost)
	assert.ErrorIs(t, lost, ErrDevice)

	pending := deviceErr(&vk.Error{Call: "vkResetFences", Result: vk.ErrorOutOfDeviceMemory, Pending: true})
	assert.ErrorIs(t, pending, ErrDevice)
	assert.NotErrorIs(t, pending, ErrDeviceLost, "the context, not the error, says the device is lost")

	unsupported := deviceErr(fmt.Errorf("%w: no memory", vk.ErrUnsupported))
	assert.ErrorIs(t, unsupported, ErrNoVulkan)
	assert.NotErrorIs(t, unsupported, ErrDevice)

	other := errors.New("x")
	assert.Same(t, other, deviceErr(other))
	assert.NoError(t, deviceErr(nil))
	assert.Same(t, ErrInexact, deviceErr(ErrInexact))
}
