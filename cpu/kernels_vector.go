//go:build !purego && (amd64 || arm64)

package cpu

import (
	"unsafe"

	"github.com/qdqvk/qdq/internal/quant"
)

// The vector kernel sets are built from assembly routines that each
// handle whole vectors only: the wrappers here hand them the longest
// prefix of whole vectors and give the few elements left over to the
// portable loops, which compute the same bits. The routines are called
// through function values, so nothing the wrappers pass them may live on
// the stack (it would escape to the heap on every call): the routines
// return their results, and no scratch buffers are passed.
//
// The apply routines come in four variants, indexed by variantOf.

// variantOf indexes the apply variants: clamping or not, rounding half to
// even or half up.
func variantOf(clamp bool, mode quant.RoundMode) int {
	v := 0
	if clamp {
		v |= 1
	}
	if mode == quant.HalfUp {
		v |= 2
	}
	return v
}

// vector holds one instruction set's routines for the storage type S,
// computed in C.
type vector[S any, C quant.Float] struct {
	name string
	// width is the elements per step of the element-wise routines
	// (minMaxEach, applyEach), rangeWidth those of vecRange, and
	// applyWidth those of apply when not width; all are powers of two.
	width, rangeWidth, applyWidth int
	// vecRange returns the range of whole steps of src, NaNs left out and
	// -0 below +0: (+Inf, -Inf) for none.
	vecRange   func(src []S) (lo, hi C)
	minMaxEach func(lo, hi []C, src []S)
	apply      [4]func(dst, src []S, min, max, scale, inv C)
	// applyNT are the apply routines with non-temporal stores, which need
	// dst aligned to a whole step; nil where the set has none.
	applyNT   [4]func(dst, src []S, min, max, scale, inv C)
	applyEach [4]func(dst, src []S, min, max, scale, inv []C)
	// portable is the storage type's portable kernel set.
	portable *kernels[S, C]
}

// kernels returns the kernel set of v.
func (v *vector[S, C]) kernels() kernels[S, C] {
	k := kernels[S, C]{name: v.name, minMax: v.minMax, minMaxEach: v.minMaxEachAll, apply: v.applyAll, applyEach: v.applyEachAll}
	if v.applyNT[0] != nil {
		k.stream = v.streamAll
	}
	return k
}

// applyStep returns the elements per apply step.
func (v *vector[S, C]) applyStep() int {
	if v.applyWidth > 0 {
		return v.applyWidth
	}
	return v.width
}

func (v *vector[S, C]) minMax(src []S, lo, hi C) (C, C) {
	n := len(src) &^ (v.rangeWidth - 1)
	if n > 0 {
		l, h := v.vecRange(src[:n])
		lo, hi = min(lo, l), max(hi, h)
	}
	return v.portable.minMax(src[n:], lo, hi)
}

func (v *vector[S, C]) minMaxEachAll(lo, hi []C, src []S) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	n := len(src) &^ (v.width - 1)
	if n > 0 {
		v.minMaxEach(lo[:n], hi[:n], src[:n])
	}
	v.portable.minMaxEach(lo[n:], hi[n:], src[n:])
}

func (v *vector[S, C]) applyAll(dst, src []S, q quant.Quant[C], clamp bool, mode quant.RoundMode) {
	dst = dst[:len(src)]
	n := len(src) &^ (v.applyStep() - 1)
	if n > 0 {
		v.apply[variantOf(clamp, mode)](dst[:n], src[:n], q.Min, q.Max, q.Scale, q.InverseScale)
	}
	v.portable.apply(dst[n:], src[n:], q, clamp, mode)
}

func (v *vector[S, C]) applyEachAll(dst, src []S, q quantArrays[C], clamp bool, mode quant.RoundMode) {
	dst = dst[:len(src)]
	q = q.slice(len(src))
	n := len(src) &^ (v.width - 1)
	if n > 0 {
		v.applyEach[variantOf(clamp, mode)](dst[:n], src[:n], q.Min[:n], q.Max[:n], q.Scale[:n], q.InverseScale[:n])
	}
	rest := quantArrays[C]{q.Min[n:], q.Max[n:], q.Scale[n:], q.InverseScale[n:]}
	v.portable.applyEach(dst[n:], src[n:], rest, clamp, mode)
}

// streamAll is applyAll with the streaming routine for the part of dst
// that starts on a step boundary.
func (v *vector[S, C]) streamAll(dst, src []S, q quant.Quant[C], clamp bool, mode quant.RoundMode) {
	dst = dst[:len(src)]
	w := v.applyStep()
	head, ok := alignedFrom(dst, w)
	n := (len(src) - head) &^ (w - 1)
	if !ok || n == 0 {
		v.applyAll(dst, src, q, clamp, mode)
		return
	}
	v.portable.apply(dst[:head], src[:head], q, clamp, mode)
	v.applyNT[variantOf(clamp, mode)](dst[head:head+n], src[head:head+n], q.Min, q.Max, q.Scale, q.InverseScale)
	v.applyAll(dst[head+n:], src[head+n:], q, clamp, mode)
}

// alignedFrom returns the index of the first element of dst whose address
// is a multiple of width elements, or false when there is none (dst
// empty, or its elements not aligned to their size, as in a view of bytes
// at an odd offset).
func alignedFrom[T any](dst []T, width int) (int, bool) {
	if len(dst) == 0 {
		return 0, false
	}
	var t T
	size := uintptr(unsafe.Sizeof(t))
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(dst)))
	if addr%size != 0 {
		return 0, false
	}
	align := size * uintptr(width)
	head := int((align - addr%align) % align / size)
	return head, head <= len(dst)
}

// floatRange returns a vecRange for float type F from a routine that
// returns the sortable keys (see quant.Key32) of the range of whole vectors.
func floatRange[F float32 | float64, K int32 | int64](keys func(src []F) (lo, hi K), unkey func(K) F) func([]F) (F, F) {
	return func(src []F) (F, F) {
		lo, hi := keys(src)
		return unkey(lo), unkey(hi)
	}
}

// halfRange returns a vecRange for a 16-bit format with +Inf bits inf,
// widened by widen, from a routine that returns the sortable keys (see
// unkey16) of the range of whole vectors of either format.
func halfRange(keys func(src []uint16, inf uint16) (lo, hi int16), inf uint16, widen func(uint16) float32) func([]uint16) (float32, float32) {
	return func(src []uint16) (float32, float32) {
		lo, hi := keys(src, inf)
		return widen(unkey16(lo)), widen(unkey16(hi))
	}
}

// sumsVector is ErrorSumsFloat32 from one instruction set's routine,
// which sums whole vectors of width pairs, and the portable loop for the
// rest.
func sumsVector(width int, sums func(x, y []float32) (signal, noise, sumAbs, maxAbs float64, ok bool)) func(x, y []float32) (ErrorSums, bool) {
	return func(x, y []float32) (ErrorSums, bool) {
		y = y[:len(x)]
		n := len(x) &^ (width - 1)
		var s ErrorSums
		if n > 0 {
			signal, noise, sumAbs, maxAbs, ok := sums(x[:n], y[:n])
			if !ok {
				return ErrorSums{}, false
			}
			s = ErrorSums{N: int64(n), Signal: signal, Noise: noise, SumAbs: sumAbs, MaxAbs: maxAbs}
		}
		t, ok := errorSumsFloat32(x[n:], y[n:])
		if !ok {
			return ErrorSums{}, false
		}
		s.Add(t)
		return s, true
	}
}

// conversions are one instruction set's 16-bit conversions over whole
// vectors, as its kernels do them; the tests check them on every input.
type conversions struct {
	width                int
	widenHalf, widenBF   func(dst []float32, src []uint16)
	narrowHalf, narrowBF func(dst []uint16, src []float32)
}

// The range routines compute sortable keys (quant.Key32, quant.Key64 and,
// for 16-bit floats of either format, the same flip on 16 bits):
// flipping the magnitude bits of negative values orders the bit patterns,
// read as signed integers, like the values, with -0 just below +0 and the
// NaNs beyond ±Inf. The flip is its own inverse.

// unkey16 returns the 16-bit float bits, of either format, whose sortable
// key is k.
func unkey16(k int16) uint16 { return uint16(k) ^ uint16(k>>15)&0x7fff }
