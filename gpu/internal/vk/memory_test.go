package vk

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

const (
	local    = memoryDeviceLocal
	host     = memoryHostVisible | memoryHostCoherent
	cached   = host | memoryHostCached
	localMap = local | host
)

// The memory of three kinds of device, as their drivers report it.
var (
	// A discrete GPU without resizable BAR: video memory, system memory
	// (cached or not), and a 256 MiB window of video memory the host can
	// map.
	discrete = memoryProps{
		types: []memoryType{{local, 0}, {host, 1}, {cached, 1}, {localMap, 2}},
		heaps: []memoryHeap{{8 << 30, heapDeviceLocal}, {32 << 30, 0}, {256 << 20, heapDeviceLocal}},
	}
	// The same GPU with resizable BAR: all of its memory mappable.
	rebar = memoryProps{
		types: []memoryType{{local, 0}, {host, 1}, {cached, 1}, {localMap, 0}},
		heaps: []memoryHeap{{8 << 30, heapDeviceLocal}, {32 << 30, 0}},
	}
	// lavapipe: one heap of system memory, every flag.
	lavapipe = memoryProps{
		types: []memoryType{{localMap | memoryHostCached, 0}},
		heaps: []memoryHeap{{16 << 30, heapDeviceLocal}},
	}
)

func TestMemoryChoice(t *testing.T) {
	all := ^uint32(0)
	cases := []struct {
		name           string
		m              memoryProps
		allowed        uint32
		mapped, direct bool
		want           int
	}{
		{"discrete: device buffer", discrete, all, false, false, 0},
		{"discrete: staging in cached system memory", discrete, all, true, false, 2},
		{"discrete: staging, uncached when cached is not allowed", discrete, 0b1011, true, false, 1},
		{"discrete: mapped local (direct)", discrete, all, true, true, 3},
		{"discrete: nothing allowed", discrete, 0, false, false, -1},
		{"discrete: mapped, only device memory allowed", discrete, 0b0001, true, false, -1},
		{"rebar: direct", rebar, all, true, true, 3},
		{"lavapipe: device buffer", lavapipe, all, false, false, 0},
		{"lavapipe: mapped", lavapipe, all, true, true, 0},
		{"lavapipe: staging", lavapipe, all, true, false, 0},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.m.choose(c.allowed, c.mapped, c.direct), c.name)
	}
}

func TestMemoryLargeMappableLocal(t *testing.T) {
	assert.False(t, discrete.largeMappableLocal(), "a 256 MiB window is not large")
	assert.True(t, rebar.largeMappableLocal())
	assert.True(t, lavapipe.largeMappableLocal())
	assert.False(t, memoryProps{types: []memoryType{{localMap, 5}}}.largeMappableLocal(), "a heap index out of range")
	assert.Equal(t, uint64(8<<30+256<<20), discrete.localBytes())
	assert.Equal(t, uint64(16<<30), lavapipe.localBytes())
}

func TestSteps(t *testing.T) {
	a, b := &Buffer{Size: 16}, &Buffer{Size: 32}
	assert.Equal(t, Step{From: a, To: b, Size: 8}, CopyStep(a, b, 8))
	d := Dispatch{Buffers: []*Buffer{a}, Push: []uint32{1}, Groups: [3]uint32{1, 1, 1}}
	s := DispatchStep(d)
	assert.Equal(t, d, *s.Dispatch)
}
