package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// quantize sets x to fakeQuant of x: the clamp to [lo, hi] as clampTF
// does it (min(hi, x) then max(lo, ·) with hi and lo first, so a NaN x
// passes), z = x*scale, z+0.5 when rounding half up, the rounding, then
// the rounded value times inv.
func quantize(s isa, t float, v variant, x, lo, hi, scale, inv, half VecVirtual) {
	if v.clamp {
		less(t, x, hi, x)    // hi < x ? hi : x
		greater(t, x, lo, x) // lo > x ? lo : x
	}
	mul(t, x, x, scale)
	mode := roundNearestEven
	if v.up {
		add(t, x, x, half)
		mode = roundDown
	}
	round(s, t, mode, x, x)
	mul(t, x, x, inv)
}

// applyArgs loads the arguments of an apply routine of variant v: the
// dst and src pointers, the element count, and the parameters min, max
// (when it clamps), scale and inv broadcast to vectors of t, with 0.5
// when it rounds half up.
func applyArgs(s isa, t float, v variant) (d, p, n Register, lo, hi, scale, inv, half VecVirtual) {
	d = Load(Param("dst").Base(), GP64())
	p = Load(Param("src").Base(), GP64())
	n = Load(Param("src").Len(), GP64())
	if v.clamp {
		lo, hi = bcastParam(s, t, "min"), bcastParam(s, t, "max")
	}
	scale, inv = bcastParam(s, t, "scale"), bcastParam(s, t, "inv")
	return d, p, n, lo, hi, scale, inv, halfVec(s, t, v)
}

// eachArgs loads the arguments of an applyEach routine of variant v: the
// dst and src pointers, the element count, and the pointers to the
// per-element min and max (when it clamps), scale and inv.
func eachArgs(v variant) (d, p, n, mn, mx, sc, iv Register) {
	d = Load(Param("dst").Base(), GP64())
	p = Load(Param("src").Base(), GP64())
	n = Load(Param("src").Len(), GP64())
	if v.clamp {
		mn = Load(Param("min").Base(), GP64())
		mx = Load(Param("max").Base(), GP64())
	}
	sc = Load(Param("scale").Base(), GP64())
	iv = Load(Param("inv").Base(), GP64())
	return d, p, n, mn, mx, sc, iv
}

// halfVec returns a vector of 0.5 in t for a variant that rounds half up,
// and nil for the others.
func halfVec(s isa, t float, v variant) VecVirtual {
	if !v.up {
		return nil
	}
	return bcastKey(s, t, halfBits(t))
}

// halfBits returns the bits of 0.5 in t.
func halfBits(t float) uint64 {
	if t.size == 4 {
		return 0x3f000000
	}
	return 0x3fe0000000000000
}

// streamDoc is the doc comment paragraph of the streaming apply routines.
func streamDoc(align int) []string {
	return []string{
		"It stores with non-temporal moves, which write dst to memory without",
		"reading it into the cache first: dst must be aligned to " + fmt.Sprint(align) + " bytes.",
	}
}

// storeVec stores the vector x at m, with a non-temporal move when nt.
func storeVec(x VecVirtual, m Mem, nt bool) {
	if nt {
		VMOVNTPS(x, m)
	} else {
		VMOVUPS(x, m)
	}
}

func apply(s isa, t float, v variant, nt bool) {
	w := s.lanes(t)
	name := "apply" + t.name + v.suffix() + ntSuffix(nt) + s.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(dst, src []%s, min, max, scale, inv %s)", t.goType, t.goType))
	Pragma("noescape")
	doc := []string{
		name + " is applyFloat over the first len(src) &^ " + fmt.Sprint(w-1) + " elements of src,",
		v.describe() + ".",
	}
	if nt {
		doc = append(doc, streamDoc(s.bytes)...)
	}
	Doc(doc...)
	d, p, n, lo, hi, scale, inv, half := applyArgs(s, t, v)
	const unroll = 4
	xs := make([]VecVirtual, unroll)
	for i := range xs {
		xs[i] = s.vec()
	}
	ptrs := []cursor{{d, t.size}, {p, t.size}}
	loop(name+"_by4", n, unroll*w, ptrs, func() {
		for i, x := range xs {
			VMOVUPS(Mem{Base: p, Disp: i * s.bytes}, x)
		}
		for _, x := range xs {
			quantize(s, t, v, x, lo, hi, scale, inv, half)
		}
		for i, x := range xs {
			storeVec(x, Mem{Base: d, Disp: i * s.bytes}, nt)
		}
	})
	loop(name+"_by1", n, w, ptrs, func() {
		VMOVUPS(Mem{Base: p}, xs[0])
		quantize(s, t, v, xs[0], lo, hi, scale, inv, half)
		storeVec(xs[0], Mem{Base: d}, nt)
	})
	finish(nt)
}

// ntSuffix names the streaming variants.
func ntSuffix(nt bool) string {
	if nt {
		return "NT"
	}
	return ""
}

// finish ends a vector routine: after non-temporal stores a fence orders
// them before any later store (as the Go runtime's memmove does), and
// the upper halves of the vector registers are cleared for SSE code.
func finish(nt bool) {
	if nt {
		SFENCE()
	}
	VZEROUPPER()
	RET()
}

func applyEach(s isa, t float, v variant) {
	w := s.lanes(t)
	name := "applyEach" + t.name + v.suffix() + s.name
	TEXT(name, NOSPLIT, fmt.Sprintf("func(dst, src, min, max, scale, inv []%s)", t.goType))
	Pragma("noescape")
	Doc(
		name+" is applyEachFloat over the first len(src) &^ "+fmt.Sprint(w-1)+" elements of",
		"src, "+v.describe()+": element j uses min[j], max[j],",
		"scale[j] and inv[j].",
	)
	d, p, n, mn, mx, sc, iv := eachArgs(v)
	half := halfVec(s, t, v)
	x, lo, hi, scale, inv := s.vec(), s.vec(), s.vec(), s.vec(), s.vec()
	ptrs := []cursor{{d, t.size}, {p, t.size}, {sc, t.size}, {iv, t.size}}
	if v.clamp {
		ptrs = append(ptrs, cursor{mn, t.size}, cursor{mx, t.size})
	}
	loop(name+"_loop", n, w, ptrs, func() {
		VMOVUPS(Mem{Base: p}, x)
		if v.clamp {
			VMOVUPS(Mem{Base: mn}, lo)
			VMOVUPS(Mem{Base: mx}, hi)
		}
		VMOVUPS(Mem{Base: sc}, scale)
		VMOVUPS(Mem{Base: iv}, inv)
		quantize(s, t, v, x, lo, hi, scale, inv, half)
		VMOVUPS(x, Mem{Base: d})
	})
	VZEROUPPER()
	RET()
}
