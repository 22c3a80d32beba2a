package vk

// The memory property flags (VkMemoryPropertyFlagBits) and the heap flag
// (VkMemoryHeapFlagBits) the choice of memory looks at.
const (
	memoryDeviceLocal  = 0x1
	memoryHostVisible  = 0x2
	memoryHostCoherent = 0x4
	memoryHostCached   = 0x8
	heapDeviceLocal    = 0x1
)

// memoryProps is a device's memory types and heaps.
type memoryProps struct {
	types []memoryType
	heaps []memoryHeap
}

type memoryType struct {
	flags uint32
	heap  int
}

type memoryHeap struct {
	size  uint64
	flags uint32
}

// localBytes is the size of the device-local heaps.
func (m memoryProps) localBytes() uint64 {
	var n uint64
	for _, h := range m.heaps {
		if h.flags&heapDeviceLocal != 0 {
			n += h.size
		}
	}
	return n
}

// largeMappableLocal reports whether some memory type is device-local,
// host-visible and coherent in a heap of at least 1 GiB (UMA, resizable
// BAR, lavapipe): buffers there need no staging copies.
func (m memoryProps) largeMappableLocal() bool {
	const want = memoryDeviceLocal | memoryHostVisible | memoryHostCoherent
	for _, t := range m.types {
		if t.flags&want == want && t.heap < len(m.heaps) && m.heaps[t.heap].size >= 1<<30 {
			return true
		}
	}
	return false
}

// choose picks a memory type among allowed (a bit per type), or returns
// -1. An unmapped buffer is device-local. A mapped one is host-visible
// and coherent: device-local too when local is set (the direct path,
// where that memory is large), and otherwise preferably not, and
// host-cached, so that staging and reading results back go through
// ordinary system memory rather than a small, write-combined window of
// video memory.
func (m memoryProps) choose(allowed uint32, mapped, local bool) int {
	const host = memoryHostVisible | memoryHostCoherent
	best, bestScore := -1, -1
	for i, t := range m.types {
		f := t.flags
		if allowed&(1<<i) == 0 {
			continue
		}
		score := -1
		switch {
		case !mapped && f&memoryDeviceLocal != 0:
			score = 0
		case mapped && f&host == host:
			score = 0
			if (f&memoryDeviceLocal != 0) == local {
				score += 2
			}
			if !local && f&memoryHostCached != 0 {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}
