package weights

import (
	"context"
	"sync"
	"unsafe"
)

// budget is a counting semaphore over bytes of memory.
type budget struct {
	mu         sync.Mutex
	free, size int64
	wake       chan struct{} // closed and replaced on every release
}

func newBudget(size int64) *budget {
	return &budget{free: size, size: size, wake: make(chan struct{})}
}

// acquire waits until n bytes are free and takes them. A request larger
// than the whole budget is granted when nothing else is held.
func (b *budget) acquire(ctx context.Context, n int64) error {
	for {
		b.mu.Lock()
		if n <= b.free || b.free == b.size {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release gives back n bytes.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// bufferPool keeps buffers of one size for reuse, so that pieces do not
// each cost fresh pages.
type bufferPool struct {
	size int64
	pool sync.Pool
}

// get returns a buffer of n bytes, aligned for any element type, not
// zeroed when it comes from the pool.
func (p *bufferPool) get(n int64) []byte {
	if n > p.size {
		return alignedBytes(n)
	}
	if b, ok := p.pool.Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return alignedBytes(p.size)[:n]
}

// put gives back a buffer from get.
func (p *bufferPool) put(b []byte) {
	if int64(cap(b)) == p.size {
		p.pool.Put(&b)
	}
}

// alignedBytes returns n zero bytes aligned for any element type.
func alignedBytes(n int64) []byte {
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), n)
}
