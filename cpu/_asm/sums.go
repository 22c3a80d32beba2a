package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

func sumErrors(s isa) {
	w := s.lanes(f64)
	name := "sumErrors" + s.name
	TEXT(name, NOSPLIT, "func(x, y []float32) (signal, noise, sumAbs, maxAbs float64, ok bool)")
	Pragma("noescape")
	Doc(
		name+" sums, in float64, over the first len(x) &^ "+fmt.Sprint(w-1)+" pairs (x[j], y[j]),",
		"with d = y[j]-x[j]: x², d², |d| and the largest |d|, each in "+fmt.Sprint(w)+" lanes (lane j%"+fmt.Sprint(w)+"",
		"takes pair j) added up in a fixed order at the end. ok is false, and the",
		"sums are not to be used, when some d is NaN or infinite. The sums are",
		"errorSumsFloat32's in another order.",
	)
	px := Load(Param("x").Base(), GP64())
	py := Load(Param("y").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	absMask := bcast64(s, 0x7fffffffffffffff)
	acc := make([]VecVirtual, 5) // signal, noise, abs, max, bad
	for i := range acc {
		acc[i] = s.vec()
		xor(s, acc[i], acc[i], acc[i])
	}
	x, y, t := s.vec(), s.vec(), s.vec()
	loop(name+"_loop", n, w, []cursor{{px, 4}, {py, 4}}, func() {
		VCVTPS2PD(Mem{Base: px}, x)
		VCVTPS2PD(Mem{Base: py}, y)
		VSUBPD(x, y, y) // d = y - x
		mul(f64, t, x, x)
		add(f64, acc[0], acc[0], t)
		mul(f64, t, y, y)
		add(f64, acc[1], acc[1], t)
		VSUBPD(y, y, t) // d - d: zero, or NaN when d is not finite
		add(f64, acc[4], acc[4], t)
		and(s, y, absMask, y)
		add(f64, acc[2], acc[2], y)
		greater(f64, acc[3], y, acc[3])
	})
	for i, a := range acc {
		if i == 3 {
			foldHalves(s, 8, a, func(moved, v VecVirtual) { greater(f64, v, moved, v) })
		} else {
			foldHalves(s, 8, a, func(moved, v VecVirtual) { add(f64, v, v, moved) })
		}
		if i < 4 {
			Store(a.AsX(), ReturnIndex(i))
		}
	}
	// The bad sum is +0 while every difference is finite.
	bad := GP64()
	VMOVQ(acc[4].AsX(), bad)
	TESTQ(bad, bad)
	ok := GP8()
	SETEQ(ok)
	Store(ok, ReturnIndex(4))
	VZEROUPPER()
	RET()
}
