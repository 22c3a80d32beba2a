package gpu

import (
	"fmt"

	"github.com/qdqvk/qdq/gpu/internal/vk"
)

// guardBytes is how many bytes after a piece's output Config.Guard fills
// with a pattern and checks after the fused pass.
const guardBytes = 64

// guardByte is the pattern: every guard byte holds it.
const guardByte = 0xa5

// fillPattern writes the guard pattern over b.
func fillPattern(b []byte) error {
	for i := range b {
		b[i] = guardByte
	}
	return nil
}

// checkPattern reports an error if b does not hold the guard pattern.
func checkPattern(b []byte) error {
	for i, v := range b {
		if v != guardByte {
			return fmt.Errorf("gpu: the fused pass wrote past its output: byte %d after the end is %#x", i, v)
		}
	}
	return nil
}

// fillGuard writes the guard pattern after the first n bytes of out.
func (c *Context) fillGuard(ln *lane, out *vk.Buffer, n int) error {
	return c.withGuard(ln, out, n, fillPattern, true)
}

// checkGuard reports an error if the guard pattern after the first n
// bytes of out changed.
func (c *Context) checkGuard(ln *lane, out *vk.Buffer, n int) error {
	return c.withGuard(ln, out, n, checkPattern, false)
}

// withGuard gives fn the guard region of out, mapped directly or through
// a temporary buffer: written to out after fn when write is set, read
// from out before it otherwise.
func (c *Context) withGuard(ln *lane, out *vk.Buffer, n int, fn func([]byte) error, write bool) error {
	if out.Data != nil {
		return fn(out.Data[n : n+guardBytes])
	}
	tmp, err := c.newBuffer(guardBytes, true)
	if err != nil {
		return err
	}
	defer c.dev.Free(tmp)
	if write {
		if err := fn(tmp.Data); err != nil {
			return err
		}
		return c.copyRange(ln, tmp, 0, out, n)
	}
	if err := c.copyRange(ln, out, n, tmp, 0); err != nil {
		return err
	}
	return fn(tmp.Data)
}

// copyRange copies guardBytes bytes between buffers on the device.
func (c *Context) copyRange(ln *lane, from *vk.Buffer, fromAt int, to *vk.Buffer, toAt int) error {
	return c.submit(ln, nil, []vk.Step{{From: from, To: to, Size: guardBytes, FromAt: fromAt, ToAt: toAt}})
}
