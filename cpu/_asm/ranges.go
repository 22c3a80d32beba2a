package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The kernels.

// key sets dst to the sortable key of the float lanes x: the magnitude
// bits of negative values flipped, so that the bits read as signed
// integers order like the values, -0 just below +0, with NaNs beyond
// ±Inf. zero is a zero vector, used on AVX2 for float64 (which has no
// 64-bit arithmetic shift); absMask has every bit but the sign.
func key(s isa, t float, x, absMask, zero, dst VecVirtual) {
	sign := s.vec()
	switch {
	case t.size == 4:
		VPSRAD(U8(31), x, sign)
	case s.wide():
		VPSRAQ(U8(63), x, sign)
	default:
		VPCMPGTQ(x, zero, sign) // 0 > x
	}
	and(s, sign, absMask, sign)
	xor(s, sign, x, dst)
}

// foldKeys folds the keys of the float lanes x into the running key
// minimum lo and maximum hi, NaN lanes left out.
func foldKeys(s isa, t float, x, lo, hi, absMask, bottom, zero VecVirtual) {
	k := s.vec()
	key(s, t, x, absMask, zero, k)
	if s.wide() {
		ord := K()
		compare(t, cmpOrd, x, x, ord)
		if t.size == 4 {
			VPMINSD(k, lo, ord, lo)
			VPMAXSD(k, hi, ord, hi)
		} else {
			VPMINSQ(k, lo, ord, lo)
			VPMAXSQ(k, hi, ord, hi)
		}
		return
	}
	nan, kmin, kmax := s.vec(), s.vec(), s.vec()
	compare(t, cmpUnord, x, x, nan)
	blend(t, nan, absMask, k, kmin) // absMask is the largest key
	blend(t, nan, bottom, k, kmax)
	minKeys(s, t, kmin, lo)
	maxKeys(s, t, kmax, hi)
}

// minKeys sets acc to the lane-wise minimum of the keys acc and k.
func minKeys(s isa, t float, k, acc VecVirtual) {
	switch {
	case t.size == 4:
		VPMINSD(k, acc, acc)
	case s.wide():
		VPMINSQ(k, acc, acc)
	default:
		gt := s.vec()
		VPCMPGTQ(k, acc, gt) // acc > k
		VBLENDVPD(gt, k, acc, acc)
	}
}

// maxKeys sets acc to the lane-wise maximum of the keys acc and k.
func maxKeys(s isa, t float, k, acc VecVirtual) {
	switch {
	case t.size == 4:
		VPMAXSD(k, acc, acc)
	case s.wide():
		VPMAXSQ(k, acc, acc)
	default:
		gt := s.vec()
		VPCMPGTQ(acc, k, gt) // k > acc
		VBLENDVPD(gt, k, acc, acc)
	}
}

// infKeys returns the sortable keys of +Inf and -Inf, the largest key
// (every bit but the sign) and the smallest (the sign bit alone) of t.
func infKeys(t float) (posInf, negInf, top, bottom uint64) {
	if t.size == 4 {
		return 0x7f800000, 0x7f800000 ^ 0xffffffff, 0x7fffffff, 0x80000000
	}
	return 0x7ff0000000000000, 0x7ff0000000000000 ^ 0xffffffffffffffff, 0x7fffffffffffffff, 0x8000000000000000
}

func minMaxKeys(s isa, t float) {
	w := s.lanes(t)
	name := "minMaxKeys" + t.name + s.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(src []%s) (lo, hi %s)", t.goType, t.key))
	Pragma("noescape")
	Doc(
		name+" returns the range of the first len(src) &^ "+fmt.Sprint(w-1)+" elements of src as",
		"sortable keys (quant.Unkey"+fmt.Sprint(t.size*8)+"), NaNs left out: the keys of +Inf and -Inf when",
		"there is none. Folded with minMaxFloat's loop over the rest, it equals",
		"minMaxFloat.",
	)
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	posInf, negInf, top, bottomKey := infKeys(t)
	absMask := bcastKey(s, t, top)
	bottom := bcastKey(s, t, bottomKey)
	var zero VecVirtual
	if !s.wide() && t.size == 8 {
		zero = s.vec()
		VPXOR(zero, zero, zero)
	}
	lo0, hi0 := bcastKey(s, t, posInf), bcastKey(s, t, negInf)
	lo1, hi1 := s.vec(), s.vec()
	VMOVDQU64orU(s, lo0, lo1)
	VMOVDQU64orU(s, hi0, hi1)
	x0, x1 := s.vec(), s.vec()
	loop(name+"_by2", n, 2*w, []cursor{{p, t.size}}, func() {
		VMOVUPS(Mem{Base: p}, x0)
		VMOVUPS(Mem{Base: p, Disp: s.bytes}, x1)
		foldKeys(s, t, x0, lo0, hi0, absMask, bottom, zero)
		foldKeys(s, t, x1, lo1, hi1, absMask, bottom, zero)
	})
	loop(name+"_by1", n, w, []cursor{{p, t.size}}, func() {
		VMOVUPS(Mem{Base: p}, x0)
		foldKeys(s, t, x0, lo0, hi0, absMask, bottom, zero)
	})
	minKeys(s, t, lo1, lo0)
	maxKeys(s, t, hi1, hi0)
	foldHalves(s, t.size, lo0, func(moved, v VecVirtual) { minKeys(s, t, moved, v) })
	foldHalves(s, t.size, hi0, func(moved, v VecVirtual) { maxKeys(s, t, moved, v) })
	storeLane0(t.size, lo0, 0)
	storeLane0(t.size, hi0, 1)
	VZEROUPPER()
	RET()
}

// foldHalves folds the lanes of v, laneBytes bytes each, into its lowest
// lane: at each step the upper half of the part still in play is moved
// onto the lower half and combined with it by combine(moved, v), which
// updates v.
func foldHalves(s isa, laneBytes int, v VecVirtual, combine func(moved, v VecVirtual)) {
	t := s.vec()
	if s.wide() {
		VSHUFI64X2(U8(0x4e), v, v, t) // the 256-bit halves swapped
		combine(t, v)
		VSHUFI64X2(U8(0xb1), v, v, t) // the 128-bit quarters swapped
		combine(t, v)
	} else {
		VPERM2I128(U8(0x01), v, v, t) // the 128-bit halves swapped
		combine(t, v)
	}
	VPSHUFD(U8(0x4e), v, t) // the 64-bit halves of each 128 bits swapped
	combine(t, v)
	if laneBytes == 8 {
		return
	}
	VPSHUFD(U8(0xb1), v, t) // the 32-bit halves of each 64 bits swapped
	combine(t, v)
	if laneBytes == 2 {
		VPSRLD(U8(16), v, t) // the upper 16 bits of each 32 down
		combine(t, v)
	}
}

// storeLane0 stores the lowest lane of v, an integer of size bytes, as
// the i-th result.
func storeLane0(size int, v VecVirtual, i int) {
	switch size {
	case 8:
		r := GP64()
		VMOVQ(v.AsX(), r)
		Store(r, ReturnIndex(i))
	case 4:
		r := GP32()
		VMOVD(v.AsX(), r)
		Store(r, ReturnIndex(i))
	default:
		r := GP32()
		VMOVD(v.AsX(), r)
		Store(r.As16(), ReturnIndex(i))
	}
}

// VMOVDQU64orU copies the vector a to b.
func VMOVDQU64orU(s isa, a, b VecVirtual) {
	if s.wide() {
		VMOVDQU64(a, b)
	} else {
		VMOVDQU(a, b)
	}
}

// foldEach folds the float lanes x into the running bounds lo and hi
// (registers, updated in place) as minMaxEachFloat does: x < lo ? x : lo,
// with equal values (zeros of either sign) ORed so that -0 wins, and
// x > hi ? x : hi with equal values ANDed so that +0 wins; a NaN x leaves
// both unchanged, a NaN bound stays.
func foldEach(s isa, t float, x, lo, hi VecVirtual) {
	if s.wide() {
		eq := K()
		compare(t, cmpEQ, x, lo, eq)
		less(t, lo, x, lo)
		orMasked(t, eq, lo, x, lo)
		compare(t, cmpEQ, x, hi, eq)
		greater(t, hi, x, hi)
		andMasked(t, eq, hi, x, hi)
		return
	}
	eq, m := s.vec(), s.vec()
	compare(t, cmpEQ, x, lo, eq)
	if t.size == 4 {
		VANDPS(x, eq, eq)
	} else {
		VANDPD(x, eq, eq)
	}
	less(t, lo, x, lo)
	VPOR(eq, lo, lo)
	compare(t, cmpNEQ, x, hi, m)
	VPOR(x, m, m)
	greater(t, hi, x, hi)
	VPAND(m, hi, hi)
}

func minMaxEach(s isa, t float) {
	w := s.lanes(t)
	name := "minMaxEach" + t.name + s.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(lo, hi, src []%s)", t.goType))
	Pragma("noescape")
	Doc(
		name+" is minMaxEachFloat over the first len(src) &^ "+fmt.Sprint(w-1)+" elements of",
		"src: lo[j] and hi[j] take src[j], NaNs left out and -0 below +0.",
	)
	lo := Load(Param("lo").Base(), GP64())
	hi := Load(Param("hi").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	x, l, h := s.vec(), s.vec(), s.vec()
	loop(name+"_loop", n, w, []cursor{{lo, t.size}, {hi, t.size}, {p, t.size}}, func() {
		VMOVUPS(Mem{Base: p}, x)
		VMOVUPS(Mem{Base: lo}, l)
		VMOVUPS(Mem{Base: hi}, h)
		foldEach(s, t, x, l, h)
		VMOVUPS(l, Mem{Base: lo})
		VMOVUPS(h, Mem{Base: hi})
	})
	VZEROUPPER()
	RET()
}
