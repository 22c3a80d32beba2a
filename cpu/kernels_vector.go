//go:build !purego && (amd64 || arm64)

package cpu

import (
	"math"
	"unsafe"
)

// The vector kernel sets are built from assembly routines that each
// handle whole vectors only: the wrappers here hand them the longest
// prefix of whole vectors and finish the rest, so that every kernel set
// gives the portable kernels' bits for every length.
//
// The apply routines come in four variants, indexed by variantOf.

// variantOf indexes the apply variants: clamping or not, rounding half to
// even or half up.
func variantOf(clamp bool, mode RoundMode) int {
	v := 0
	if clamp {
		v |= 1
	}
	if mode == HalfUp {
		v |= 2
	}
	return v
}

// floatVector holds one instruction set's routines for the float type F,
// whose sortable keys (see unkey32) are of type K.
type floatVector[F float32 | float64, K int32 | int64] struct {
	name string
	// width is the elements per vector, a power of two of at most 16.
	width int
	// minMaxKeys stores the lane-wise key minima of whole vectors of src in
	// keys[:width] and the maxima in keys[width:2*width].
	minMaxKeys func(src []F, keys []K)
	minMaxEach func(lo, hi, src []F)
	apply      [4]func(dst, src []F, min, max, scale, inv F)
	// applyNT are the apply routines with non-temporal stores, which need
	// dst aligned to a whole vector.
	applyNT   [4]func(dst, src []F, min, max, scale, inv F)
	applyEach [4]func(dst, src, min, max, scale, inv []F)
	unkey     func(K) F
}

// kernels returns the kernel set of v, streaming when v has the routines.
func (v *floatVector[F, K]) kernels() kernels[F, F] {
	k := kernels[F, F]{name: v.name, minMax: v.minMax, minMaxEach: v.minMaxEachAll, apply: v.applyAll, applyEach: v.applyEachAll}
	if v.applyNT[0] != nil {
		k.stream = v.streamAll
	}
	return k
}

// streamAll is applyAll with the streaming routine for the part of dst
// that starts on a vector boundary.
func (v *floatVector[F, K]) streamAll(dst, src []F, q Quant[F], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	var f F
	head, ok := alignedFrom(dst, int(unsafe.Sizeof(f)), v.width)
	n := (len(src) - head) &^ (v.width - 1)
	if !ok || n == 0 {
		v.applyAll(dst, src, q, clamp, mode)
		return
	}
	v.applyAll(dst[:head], src[:head], q, clamp, mode)
	v.applyNT[variantOf(clamp, mode)](dst[head:head+n], src[head:head+n], q.Min, q.Max, q.Scale, q.Inv)
	v.applyAll(dst[head+n:], src[head+n:], q, clamp, mode)
}

// alignedFrom returns the index of the first element of dst whose address
// is a multiple of width elements of size bytes, or false when there is
// none (dst empty, or its elements not aligned to their size, as in a
// view of bytes at an odd offset).
func alignedFrom[T any](dst []T, size, width int) (int, bool) {
	if len(dst) == 0 {
		return 0, false
	}
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(dst)))
	if addr%uintptr(size) != 0 {
		return 0, false
	}
	align := uintptr(size * width)
	head := int((align-addr%align)%align) / size
	return head, head <= len(dst)
}

func (v *floatVector[F, K]) minMax(src []F, lo, hi F) (F, F) {
	n := len(src) &^ (v.width - 1)
	if n > 0 {
		var buf [32]K
		keys := buf[:2*v.width]
		v.minMaxKeys(src[:n], keys)
		kl, kh := keys[0], keys[v.width]
		for j := 1; j < v.width; j++ {
			kl, kh = min(kl, keys[j]), max(kh, keys[v.width+j])
		}
		lo, hi = min(lo, v.unkey(kl)), max(hi, v.unkey(kh))
	}
	return minMaxFloat(src[n:], lo, hi)
}

func (v *floatVector[F, K]) minMaxEachAll(lo, hi, src []F) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	n := len(src) &^ (v.width - 1)
	if n > 0 {
		v.minMaxEach(lo[:n], hi[:n], src[:n])
	}
	minMaxEachFloat(lo[n:], hi[n:], src[n:])
}

// applyAll runs the routine over the whole vectors of src, then once more
// over the rest padded with zeros.
func (v *floatVector[F, K]) applyAll(dst, src []F, q Quant[F], clamp bool, mode RoundMode) {
	f := v.apply[variantOf(clamp, mode)]
	dst = dst[:len(src)]
	n := len(src) &^ (v.width - 1)
	if n > 0 {
		f(dst[:n], src[:n], q.Min, q.Max, q.Scale, q.Inv)
	}
	if n < len(src) {
		var buf [16]F
		b := buf[:v.width]
		copy(b, src[n:])
		f(b, b, q.Min, q.Max, q.Scale, q.Inv)
		copy(dst[n:], b)
	}
}

func (v *floatVector[F, K]) applyEachAll(dst, src []F, q quantArrays[F], clamp bool, mode RoundMode) {
	f := v.applyEach[variantOf(clamp, mode)]
	dst = dst[:len(src)]
	q = q.slice(len(src))
	n := len(src) &^ (v.width - 1)
	if n > 0 {
		f(dst[:n], src[:n], q.Min[:n], q.Max[:n], q.Scale[:n], q.Inv[:n])
	}
	if n < len(src) {
		var buf, mn, mx, sc, inv [16]F
		w := v.width
		copy(buf[:w], src[n:])
		copy(mn[:w], q.Min[n:])
		copy(mx[:w], q.Max[n:])
		copy(sc[:w], q.Scale[n:])
		copy(inv[:w], q.Inv[n:])
		f(buf[:w], buf[:w], mn[:w], mx[:w], sc[:w], inv[:w])
		copy(dst[n:], buf[:w])
	}
}

// halfVector holds one instruction set's routines for a 16-bit storage
// type computed in float32.
type halfVector struct {
	name string
	// width is the float32 lanes per vector (elements per step of the
	// element-wise routines); keyWidth the 16-bit lanes per vector
	// (elements per range step); applyWidth the elements per apply step,
	// when not width (the bfloat16 routines take a whole vector of 16-bit
	// elements at a time).
	width, keyWidth, applyWidth int
	// inf is the bits of the format's +Inf.
	inf   uint16
	widen func(uint16) float32
	// minMaxKeys is as floatVector's, for 16-bit keys (see unkey16) of
	// either format.
	minMaxKeys func(src []uint16, inf uint16, keys []int16)
	minMaxEach func(lo, hi []float32, src []uint16)
	apply      [4]func(dst, src []uint16, min, max, scale, inv float32)
	// applyNT are as floatVector's.
	applyNT   [4]func(dst, src []uint16, min, max, scale, inv float32)
	applyEach [4]func(dst, src []uint16, min, max, scale, inv []float32)
	// portable is the format's portable kernel set, which finishes the
	// ranges.
	portable *kernels[uint16, float32]
}

// kernels returns the kernel set of v, streaming when v has the routines.
func (v *halfVector) kernels() kernels[uint16, float32] {
	k := kernels[uint16, float32]{name: v.name, minMax: v.minMax, minMaxEach: v.minMaxEachAll, apply: v.applyAll, applyEach: v.applyEachAll}
	if v.applyNT[0] != nil {
		k.stream = v.streamAll
	}
	return k
}

// applyStep returns the elements per apply step.
func (v *halfVector) applyStep() int {
	if v.applyWidth > 0 {
		return v.applyWidth
	}
	return v.width
}

// streamAll is floatVector's streamAll for 16-bit elements.
func (v *halfVector) streamAll(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode) {
	dst = dst[:len(src)]
	w := v.applyStep()
	head, ok := alignedFrom(dst, 2, w)
	n := (len(src) - head) &^ (w - 1)
	if !ok || n == 0 {
		v.applyAll(dst, src, q, clamp, mode)
		return
	}
	v.applyAll(dst[:head], src[:head], q, clamp, mode)
	v.applyNT[variantOf(clamp, mode)](dst[head:head+n], src[head:head+n], q.Min, q.Max, q.Scale, q.Inv)
	v.applyAll(dst[head+n:], src[head+n:], q, clamp, mode)
}

func (v *halfVector) minMax(src []uint16, lo, hi float32) (float32, float32) {
	n := len(src) &^ (v.keyWidth - 1)
	if n > 0 {
		var buf [64]int16
		keys := buf[:2*v.keyWidth]
		v.minMaxKeys(src[:n], v.inf, keys)
		kl, kh := keys[0], keys[v.keyWidth]
		for j := 1; j < v.keyWidth; j++ {
			kl, kh = min(kl, keys[j]), max(kh, keys[v.keyWidth+j])
		}
		lo, hi = min(lo, v.widen(unkey16(kl))), max(hi, v.widen(unkey16(kh)))
	}
	return v.portable.minMax(src[n:], lo, hi)
}

func (v *halfVector) minMaxEachAll(lo, hi []float32, src []uint16) {
	lo, hi = lo[:len(src)], hi[:len(src)]
	n := len(src) &^ (v.width - 1)
	if n > 0 {
		v.minMaxEach(lo[:n], hi[:n], src[:n])
	}
	v.portable.minMaxEach(lo[n:], hi[n:], src[n:])
}

func (v *halfVector) applyAll(dst, src []uint16, q Quant[float32], clamp bool, mode RoundMode) {
	f := v.apply[variantOf(clamp, mode)]
	dst = dst[:len(src)]
	w := v.applyStep()
	n := len(src) &^ (w - 1)
	if n > 0 {
		f(dst[:n], src[:n], q.Min, q.Max, q.Scale, q.Inv)
	}
	if n < len(src) {
		var buf [32]uint16
		b := buf[:w]
		copy(b, src[n:])
		f(b, b, q.Min, q.Max, q.Scale, q.Inv)
		copy(dst[n:], b)
	}
}

func (v *halfVector) applyEachAll(dst, src []uint16, q quantArrays[float32], clamp bool, mode RoundMode) {
	f := v.applyEach[variantOf(clamp, mode)]
	dst = dst[:len(src)]
	q = q.slice(len(src))
	n := len(src) &^ (v.width - 1)
	if n > 0 {
		f(dst[:n], src[:n], q.Min[:n], q.Max[:n], q.Scale[:n], q.Inv[:n])
	}
	if n < len(src) {
		var buf [16]uint16
		var mn, mx, sc, inv [16]float32
		w := v.width
		copy(buf[:w], src[n:])
		copy(mn[:w], q.Min[n:])
		copy(mx[:w], q.Max[n:])
		copy(sc[:w], q.Scale[n:])
		copy(inv[:w], q.Inv[n:])
		f(buf[:w], buf[:w], mn[:w], mx[:w], sc[:w], inv[:w])
		copy(dst[n:], buf[:w])
	}
}

// sumsVector is one instruction set's error sums: sums fills 5*width
// float64 lanes, as sumErrorsAVX2 documents.
type sumsVector struct {
	width int
	sums  func(x, y []float32, sums []float64)
}

// errorSums is ErrorSumsFloat32 with v's routine for the whole vectors,
// its lanes added in order, and the portable loop for the rest.
func (v sumsVector) errorSums(x, y []float32) (ErrorSums, bool) {
	y = y[:len(x)]
	n := len(x) &^ (v.width - 1)
	var s ErrorSums
	if n > 0 {
		var buf [40]float64
		w := v.width
		b := buf[:5*w]
		v.sums(x[:n], y[:n], b)
		for _, bad := range b[4*w:] {
			if bad != 0 {
				return ErrorSums{}, false
			}
		}
		s.N = int64(n)
		for j := range w {
			s.Signal += b[j]
			s.Noise += b[w+j]
			s.SumAbs += b[2*w+j]
			s.MaxAbs = max(s.MaxAbs, b[3*w+j])
		}
	}
	t, ok := errorSumsFloat32(x[n:], y[n:])
	if !ok {
		return ErrorSums{}, false
	}
	s.Add(t)
	return s, true
}

// conversions are one instruction set's 16-bit conversions over whole
// vectors, as its kernels do them; the tests check them on every input.
type conversions struct {
	width                int
	widenHalf, widenBF   func(dst []float32, src []uint16)
	narrowHalf, narrowBF func(dst []uint16, src []float32)
}

// Sortable keys of floats, as the range routines compute them: flipping
// the magnitude bits of negative values, b ^ (b>>(bits-1) & MaxInt),
// orders the bit patterns, read as signed integers, like the values, with
// -0 just below +0 and the NaNs beyond ±Inf. The flip is its own inverse,
// so the functions below, which turn keys back into floats, also make
// them.

// unkey32 returns the float32 whose sortable key is k.
func unkey32(k int32) float32 { return math.Float32frombits(uint32(k ^ k>>31&math.MaxInt32)) }

// unkey64 returns the float64 whose sortable key is k.
func unkey64(k int64) float64 { return math.Float64frombits(uint64(k ^ k>>63&math.MaxInt64)) }

// unkey16 returns the 16-bit float bits, of either format, whose sortable
// key is k.
func unkey16(k int16) uint16 { return uint16(k) ^ uint16(k>>15)&0x7fff }
