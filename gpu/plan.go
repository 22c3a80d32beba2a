package gpu

import (
	"slices"

	"github.com/qdqvk/qdq/internal/quant"
)

// maxBatch is the most calls one batch submission holds.
const maxBatch = 32

// batchBytes bounds the buffers of one batch submission.
const batchBytes = 256 << 20

// pieceLimit is the most elements of size bytes one dispatch on d sees,
// with Config.MaxPiece maxPiece.
func pieceLimit(d Device, maxPiece, size int) int {
	// At most 256 MiB a piece: each lane keeps an input, an output and a
	// staging buffer of that size.
	limit := min(d.MaxStorageBufferRange, 256<<20)
	if d.MaxAllocation > 0 {
		limit = min(limit, d.MaxAllocation)
	}
	if maxPiece > 0 {
		limit = min(limit, uint64(maxPiece))
	}
	return max(2, int(limit)/size&^1) // even, so 16-bit pairs stay whole
}

// split cuts layout l, of elements of size bytes, into the pieces one
// dispatch each sees, so that no buffer a piece binds (its elements, its
// channels' parameters, key ranges and partial ranges) exceeds the piece
// limit: a piece can have as many channels as elements.
func (c *Context) split(l quant.Layout, size, quantSize, rangeSize int) []quant.Piece {
	return split(l, pieceLimit(c.info, c.cfg.MaxPiece, size), size, quantSize, rangeSize)
}

// split is Context.split for a piece limit of limit elements.
func split(l quant.Layout, limit, size, quantSize, rangeSize int) []quant.Piece {
	maxBytes := limit * size
	for {
		parts := slices.Collect(quant.Pieces(l, limit))
		fits := true
		for _, p := range parts {
			blocks := reductionBlocks(p.Layout)
			if p.Layout.Depth*max(quantSize, rangeSize*blocks) > maxBytes {
				fits = false
				break
			}
		}
		if fits || limit <= 2 {
			return parts
		}
		limit = max(2, limit/2&^1)
	}
}

// reductionBlocks is how many blocks the first reduction pass splits
// each channel of l into.
func reductionBlocks(l quant.Layout) int {
	return max(1, min(ceilDiv(l.Outer*l.Inner, workgroup*64), 1024))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// batchable reports whether a call of a batch runs in it: nil, or
// ErrNotBatched for a call that is empty (nothing to run on the device)
// or needs more than one piece.
func batchable[C quant.Float](c *Context, f format[C], call *quant.Job[C]) error {
	n := call.Request.Layout.Len()
	if n == 0 || len(c.split(call.Request.Layout, len(call.Src)/n, f.quantSize, f.rangeSize)) > 1 {
		return ErrNotBatched
	}
	return nil
}

// batchLen returns how many calls, from the first, one batch submission
// takes, given the sizes of their inputs in bytes: at most maxBatch, and
// buffers (three the input's size each) of at most batchBytes, but always
// the first.
func batchLen(srcBytes []int) int {
	k, bytes := 0, 0
	for k < len(srcBytes) && k < maxBatch && (k == 0 || bytes+3*srcBytes[k] <= batchBytes) {
		bytes += 3 * srcBytes[k]
		k++
	}
	return k
}
