package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The 16-bit kernels. A vector of float32 lanes holds as many 16-bit
// elements as it has lanes: they are widened from half a vector's bytes
// and narrowed back into as many.

// widen loads the lanes of s's float32 vector dst from the 16-bit
// elements of h at m, exactly (F16C's VCVTPH2PS for halves, a shift for
// bfloat16).
func widen(s isa, h half16, m Mem, dst VecVirtual) {
	if h == f16 {
		VCVTPH2PS(m, dst)
		return
	}
	VPMOVZXWD(m, dst)
	VPSLLD(U8(16), dst, dst)
}

// narrowConsts are the constants of the bfloat16 rounding (roundBF16).
type narrowConsts struct {
	round, one, bit16 VecVirtual
}

func newNarrowConsts(s isa, h half16) narrowConsts {
	if h == f16 {
		return narrowConsts{}
	}
	c := narrowConsts{round: bcast32(s, 0x7fff), one: bcast32(s, 1)}
	if s.wide() {
		c.bit16 = bcast32(s, 0x10000)
	}
	return c
}

// narrow rounds the float32 lanes of x, the result of an arithmetic
// operation, to h, to nearest-even, and stores them at m, exactly as
// Float32ToFloat16 (F16C's VCVTPS2PH) or Float32ToBFloat16 (roundBF16,
// then the top 16 bits of each lane packed) do, with a non-temporal move
// when nt. x is overwritten.
func narrow(s isa, h half16, c narrowConsts, x VecVirtual, m Mem, nt bool) {
	var half VecVirtual // a register of half the vector's size
	if s.wide() {
		half = YMM()
	} else {
		half = XMM()
	}
	store := func(r VecVirtual) {
		if nt {
			VMOVNTDQ(r, m)
		} else {
			VMOVDQU(r, m)
		}
	}
	if h == f16 {
		if !nt {
			VCVTPS2PH(U8(roundNearestEven), x, m)
			return
		}
		VCVTPS2PH(U8(roundNearestEven), x, half)
		store(half)
		return
	}
	roundBF16(s, x, c.round, c.one, c.bit16)
	VPSRLD(U8(16), x, x)
	if s.wide() {
		if !nt {
			VPMOVDW(x, m)
			return
		}
		VPMOVDW(x, half)
		store(half)
		return
	}
	VEXTRACTI128(U8(1), x, half)
	VPACKUSDW(half, x.AsX(), half)
	store(half)
}

// key16 sets dst to the sortable keys of the 16-bit float bits x.
func key16(s isa, x, absMask, dst VecVirtual) {
	sign := s.vec()
	VPSRAW(U8(15), x, sign)
	and(s, sign, absMask, sign)
	xor(s, sign, x, dst)
}

// foldKeys16 folds the keys of the 16-bit float bits x into lo and hi,
// NaNs (magnitudes above inf) left out.
func foldKeys16(s isa, x, lo, hi, absMask, inf, bottom VecVirtual) {
	k, abs := s.vec(), s.vec()
	key16(s, x, absMask, k)
	if s.wide() {
		VPANDD(absMask, x, abs)
		ord := K()
		VPCMPW(U8(cmpLE), inf, abs, ord) // abs <= inf
		VPMINSW(k, lo, ord, lo)
		VPMAXSW(k, hi, ord, hi)
		return
	}
	VPAND(absMask, x, abs)
	nan, kmin, kmax := s.vec(), s.vec(), s.vec()
	VPCMPGTW(inf, abs, nan) // abs > inf
	VPBLENDVB(nan, absMask, k, kmin)
	VPBLENDVB(nan, bottom, k, kmax)
	VPMINSW(kmin, lo, lo)
	VPMAXSW(kmax, hi, hi)
}

func minMaxKeys16(s isa) {
	w := s.bytes / 2
	name := "minMaxKeys16" + s.name
	TEXT(name, NOSPLIT, "func(src []uint16, inf uint16) (lo, hi int16)")
	Pragma("noescape")
	Doc(
		name+" returns the range of the first len(src) &^ "+fmt.Sprint(w-1)+" 16-bit floats of src,",
		"of either format (inf is the bits of its +Inf), as sortable keys (unkey16),",
		"NaNs left out: the keys of +Inf and -Inf when there is none. Folded with",
		"the portable loop over the rest, it equals minMaxFloat16 and",
		"minMaxBFloat16.",
	)
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	infReg := Load(Param("inf"), GP32())
	inf := bcast16(s, infReg)
	absMask := bcast32(s, 0x7fff7fff)
	bottom := bcast32(s, 0x80008000)
	lo0, hi0, lo1, hi1 := s.vec(), s.vec(), s.vec(), s.vec()
	VMOVDQU64orU(s, inf, lo0) // the key of +Inf
	// The key of -Inf is ^inf: -Inf's bits inf|0x8000 with the magnitude
	// flipped.
	ones := s.vec()
	if s.wide() {
		VPTERNLOGD(U8(0xff), ones, ones, ones)
		VPXORD(ones, inf, hi0)
	} else {
		VPCMPEQW(ones, ones, ones)
		VPXOR(ones, inf, hi0)
	}
	VMOVDQU64orU(s, lo0, lo1)
	VMOVDQU64orU(s, hi0, hi1)
	x0, x1 := s.vec(), s.vec()
	loop(name+"_by2", n, 2*w, []cursor{{p, 2}}, func() {
		VMOVDQU64orU2(s, Mem{Base: p}, x0)
		VMOVDQU64orU2(s, Mem{Base: p, Disp: s.bytes}, x1)
		foldKeys16(s, x0, lo0, hi0, absMask, inf, bottom)
		foldKeys16(s, x1, lo1, hi1, absMask, inf, bottom)
	})
	loop(name+"_by1", n, w, []cursor{{p, 2}}, func() {
		VMOVDQU64orU2(s, Mem{Base: p}, x0)
		foldKeys16(s, x0, lo0, hi0, absMask, inf, bottom)
	})
	VPMINSW(lo1, lo0, lo0)
	VPMAXSW(hi1, hi0, hi0)
	foldHalves(s, 2, lo0, func(moved, v VecVirtual) { VPMINSW(moved, v, v) })
	foldHalves(s, 2, hi0, func(moved, v VecVirtual) { VPMAXSW(moved, v, v) })
	storeLane0(2, lo0, 0)
	storeLane0(2, hi0, 1)
	VZEROUPPER()
	RET()
}

// VMOVDQU64orU2 moves a vector of s between memory and a register.
func VMOVDQU64orU2(s isa, a, b Op) {
	if s.wide() {
		VMOVDQU64(a, b)
	} else {
		VMOVDQU(a, b)
	}
}

func minMaxEach16(s isa, h half16) {
	w := s.lanes(f32)
	name := "minMaxEach" + h.name + s.name
	portable := map[half16]string{f16: "minMaxEachFloat16", bf16: "minMaxEachBFloat16"}[h]
	TEXT(name, NOSPLIT, "func(lo, hi []float32, src []uint16)")
	Pragma("noescape")
	Doc(
		name+" is "+portable+" over the first len(src) &^ "+fmt.Sprint(w-1)+" elements",
		"of src: lo[j] and hi[j] take the "+h.doc+" src[j] widened, NaNs left out",
		"and -0 below +0.",
	)
	lo := Load(Param("lo").Base(), GP64())
	hi := Load(Param("hi").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	x, l, hv := s.vec(), s.vec(), s.vec()
	loop(name+"_loop", n, w, []cursor{{lo, 4}, {hi, 4}, {p, 2}}, func() {
		widen(s, h, Mem{Base: p}, x)
		VMOVUPS(Mem{Base: lo}, l)
		VMOVUPS(Mem{Base: hi}, hv)
		foldEach(s, f32, x, l, hv)
		VMOVUPS(l, Mem{Base: lo})
		VMOVUPS(hv, Mem{Base: hi})
	})
	VZEROUPPER()
	RET()
}

func apply16(s isa, h half16, v variant, nt bool) {
	if h == bf16 {
		applyBF16(s, v, nt)
		return
	}
	w := s.lanes(f32)
	name := "apply" + h.name + v.suffix() + ntSuffix(nt) + s.name
	portable := map[half16]string{f16: "applyFloat16", bf16: "applyBFloat16"}[h]
	TEXT(name, NOSPLIT, "func(dst, src []uint16, min, max, scale, inv float32)")
	Pragma("noescape")
	doc := []string{
		name + " is " + portable + " over the first len(src) &^ " + fmt.Sprint(w-1) + " elements of",
		"src, " + v.describe() + ", computed in float32.",
	}
	if nt {
		doc = append(doc, streamDoc(s.bytes/2)...)
	}
	Doc(doc...)
	d, p, n, lo, hi, scale, inv, half := applyArgs(s, f32, v)
	c := newNarrowConsts(s, h)
	const unroll = 2
	xs := make([]VecVirtual, unroll)
	for i := range xs {
		xs[i] = s.vec()
	}
	ptrs := []cursor{{d, 2}, {p, 2}}
	step := s.bytes / 2 // bytes of 16-bit elements per vector
	loop(name+"_by2", n, unroll*w, ptrs, func() {
		for i, x := range xs {
			widen(s, h, Mem{Base: p, Disp: i * step}, x)
		}
		for i, x := range xs {
			quantize(s, f32, v, x, lo, hi, scale, inv, half)
			narrow(s, h, c, x, Mem{Base: d, Disp: i * step}, nt)
		}
	})
	loop(name+"_by1", n, w, ptrs, func() {
		widen(s, h, Mem{Base: p}, xs[0])
		quantize(s, f32, v, xs[0], lo, hi, scale, inv, half)
		narrow(s, h, c, xs[0], Mem{Base: d}, nt)
	})
	finish(nt)
}

// applyBF16 is apply16 for bfloat16, on pairs: the bfloat16 elements
// 2j and 2j+1 are the low and high halves of the j-th 32-bit lane of a
// loaded vector, so a shift and a mask widen them into two float32
// vectors of even and odd elements, and the rounded results go back into
// the halves of one vector: no shuffles, and one vector of elements per
// step.
func applyBF16(s isa, v variant, nt bool) {
	w := s.bytes / 2 // elements per vector
	name := "applyBF16" + v.suffix() + ntSuffix(nt) + s.name
	TEXT(name, NOSPLIT, "func(dst, src []uint16, min, max, scale, inv float32)")
	Pragma("noescape")
	doc := []string{
		name + " is applyBFloat16 over the first len(src) &^ " + fmt.Sprint(w-1) + " elements of",
		"src, " + v.describe() + ", computed in float32.",
	}
	if nt {
		doc = append(doc, streamDoc(s.bytes)...)
	}
	Doc(doc...)
	d, p, n, lo, hi, scale, inv, half := applyArgs(s, f32, v)
	upper := bcast32(s, 0xffff0000)
	c := newNarrowConsts(s, bf16)
	in, even, odd := s.vec(), s.vec(), s.vec()
	loop(name+"_loop", n, w, []cursor{{d, 2}, {p, 2}}, func() {
		VMOVDQU64orU2(s, Mem{Base: p}, in)
		VPSLLD(U8(16), in, even)
		and(s, in, upper, odd)
		for _, x := range []VecVirtual{even, odd} {
			quantize(s, f32, v, x, lo, hi, scale, inv, half)
			roundBF16(s, x, c.round, c.one, c.bit16)
		}
		// The even results' top halves down, the odd ones' kept.
		VPSRLD(U8(16), even, even)
		if s.wide() {
			VPTERNLOGD(U8(0xf8), upper, odd, even) // even | (odd & upper)
		} else {
			VPAND(upper, odd, odd)
			VPOR(odd, even, even)
		}
		if nt {
			VMOVNTDQ(even, Mem{Base: d})
		} else {
			VMOVDQU64orU2(s, even, Mem{Base: d})
		}
	})
	finish(nt)
}

// roundBF16 rounds the float32 lanes of x in place so that their top 16
// bits are Float32ToBFloat16's: b + 0x7fff + (b>>16 & 1) with the
// carry, and NaN lanes left as they are, since x is the result of an
// arithmetic operation, whose NaNs are quiet: their top bits are the
// bfloat16 NaN with the quiet bit set. bit16 is 0x10000 in each lane, for
// AVX-512 only.
func roundBF16(s isa, x, round, one, bit16 VecVirtual) {
	if s.wide() {
		ord, odd := K(), K()
		compare(f32, cmpOrd, x, x, ord)
		VPTESTMD(bit16, x, odd)
		KANDW(ord, odd, odd)
		VPADDD(round, x, ord, x)
		VPADDD(one, x, odd, x)
		return
	}
	lsb, r, nan := s.vec(), s.vec(), s.vec()
	VPSRLD(U8(16), x, lsb)
	VPAND(one, lsb, lsb)
	VPADDD(round, x, r)
	VPADDD(lsb, r, r)
	compare(f32, cmpUnord, x, x, nan)
	VBLENDVPS(nan, x, r, x)
}

func applyEach16(s isa, h half16, v variant) {
	w := s.lanes(f32)
	name := "applyEach" + h.name + v.suffix() + s.name
	portable := map[half16]string{f16: "applyEachFloat16", bf16: "applyEachBFloat16"}[h]
	TEXT(name, NOSPLIT, "func(dst, src []uint16, min, max, scale, inv []float32)")
	Pragma("noescape")
	Doc(
		name+" is "+portable+" over the first len(src) &^ "+fmt.Sprint(w-1)+" elements",
		"of src, "+v.describe()+", computed in float32:",
		"element j uses min[j], max[j], scale[j] and inv[j].",
	)
	d, p, n, mn, mx, sc, iv := eachArgs(v)
	half := halfVec(s, f32, v)
	c := newNarrowConsts(s, h)
	x, lo, hi, scale, inv := s.vec(), s.vec(), s.vec(), s.vec(), s.vec()
	ptrs := []cursor{{d, 2}, {p, 2}, {sc, 4}, {iv, 4}}
	if v.clamp {
		ptrs = append(ptrs, cursor{mn, 4}, cursor{mx, 4})
	}
	loop(name+"_loop", n, w, ptrs, func() {
		widen(s, h, Mem{Base: p}, x)
		if v.clamp {
			VMOVUPS(Mem{Base: mn}, lo)
			VMOVUPS(Mem{Base: mx}, hi)
		}
		VMOVUPS(Mem{Base: sc}, scale)
		VMOVUPS(Mem{Base: iv}, inv)
		quantize(s, f32, v, x, lo, hi, scale, inv, half)
		narrow(s, h, c, x, Mem{Base: d}, false)
	})
	VZEROUPPER()
	RET()
}

// convert16 writes the test entry points of the 16-bit conversions the
// kernels use: widen (16-bit elements to float32) or, when !widening,
// narrow (float32 to 16-bit elements). The narrowing is meant for the
// results of arithmetic, whose NaNs are quiet: for bfloat16 a signalling
// NaN loses its payload's top bits instead of being made quiet.
func convert16(s isa, h half16, widening bool) {
	w := s.lanes(f32)
	name, portable, sig, sizes := "narrow"+h.name+s.name, map[half16]string{f16: "quant.Float32ToFloat16", bf16: "quant.Float32ToBFloat16"}[h],
		"func(dst []uint16, src []float32)", [2]int{2, 4}
	if widening {
		name, portable, sig, sizes = "widen"+h.name+s.name, map[half16]string{f16: "quant.Float16ToFloat32", bf16: "quant.BFloat16ToFloat32"}[h],
			"func(dst []float32, src []uint16)", [2]int{4, 2}
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(
		name+" sets dst[j] to "+portable+"(src[j]) for the first len(src) &^ "+fmt.Sprint(w-1),
		"elements of src, with the code the "+s.name+" kernels use.",
	)
	d := Load(Param("dst").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	c := newNarrowConsts(s, h)
	x := s.vec()
	loop(name+"_loop", n, w, []cursor{{d, sizes[0]}, {p, sizes[1]}}, func() {
		if widening {
			widen(s, h, Mem{Base: p}, x)
			VMOVUPS(x, Mem{Base: d})
			return
		}
		VMOVUPS(Mem{Base: p}, x)
		narrow(s, h, c, x, Mem{Base: d}, false)
	})
	VZEROUPPER()
	RET()
}
