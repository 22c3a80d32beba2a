package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Constants.

// bcast32 returns a vector of s with every 32-bit lane c.
func bcast32(s isa, c uint32) VecVirtual {
	r := GP32()
	MOVL(U32(c), r)
	x := XMM()
	MOVD(r, x)
	v := s.vec()
	VPBROADCASTD(x, v)
	return v
}

// bcast64 returns a vector of s with every 64-bit lane c.
func bcast64(s isa, c uint64) VecVirtual {
	r := GP64()
	MOVQ(U64(c), r)
	x := XMM()
	MOVQ(r, x)
	v := s.vec()
	VPBROADCASTQ(x, v)
	return v
}

// bcastKey returns a vector of s with every lane of type t the bits c.
func bcastKey(s isa, t float, c uint64) VecVirtual {
	if t.size == 4 {
		return bcast32(s, uint32(c))
	}
	return bcast64(s, c)
}

// bcastParam returns a vector of s with every lane the float parameter
// name, of type t.
func bcastParam(s isa, t float, name string) VecVirtual {
	x := Load(Param(name), XMM())
	v := s.vec()
	if t.size == 4 {
		VBROADCASTSS(x, v)
	} else {
		VBROADCASTSD(x, v)
	}
	return v
}

// bcast16 returns a vector of s with every 16-bit lane the low 16 bits
// of r.
func bcast16(s isa, r Register) VecVirtual {
	x := XMM()
	MOVD(r, x)
	v := s.vec()
	VPBROADCASTW(x, v)
	return v
}

// Floating-point operations, written dst = a op b with a the first source
// operand (Go's assembler takes the operands in the reverse order). On x86
// the result of an operation with NaN operands is the first source
// operand's NaN, made quiet, so a is the operand whose NaN wins.

func mul(t float, dst, a, b Op) {
	if t.size == 4 {
		VMULPS(b, a, dst)
	} else {
		VMULPD(b, a, dst)
	}
}

func add(t float, dst, a, b Op) {
	if t.size == 4 {
		VADDPS(b, a, dst)
	} else {
		VADDPD(b, a, dst)
	}
}

// less sets dst to a < b ? a : b (MINPS): a NaN in either gives b.
func less(t float, dst, a, b Op) {
	if t.size == 4 {
		VMINPS(b, a, dst)
	} else {
		VMINPD(b, a, dst)
	}
}

// greater sets dst to a > b ? a : b (MAXPS): a NaN in either gives b.
func greater(t float, dst, a, b Op) {
	if t.size == 4 {
		VMAXPS(b, a, dst)
	} else {
		VMAXPD(b, a, dst)
	}
}

// round rounds src to an integer in the direction mode into dst.
func round(s isa, t float, mode int, src, dst Op) {
	switch {
	case s.wide() && t.size == 4:
		VRNDSCALEPS(U8(mode), src, dst)
	case s.wide():
		VRNDSCALEPD(U8(mode), src, dst)
	case t.size == 4:
		VROUNDPS(U8(mode), src, dst)
	default:
		VROUNDPD(U8(mode), src, dst)
	}
}

// compare sets the AVX2 lane mask or the AVX-512 mask register dst to
// a pred b.
func compare(t float, pred int, a, b, dst Op) {
	if t.size == 4 {
		VCMPPS(U8(pred), b, a, dst)
	} else {
		VCMPPD(U8(pred), b, a, dst)
	}
}

// blend sets dst to mask ? a : b, lane by lane, on AVX2.
func blend(t float, mask, a, b, dst Op) {
	if t.size == 4 {
		VBLENDVPS(mask, a, b, dst)
	} else {
		VBLENDVPD(mask, a, b, dst)
	}
}

// Bitwise operations on whole vectors of s, dst = a op b.

func and(s isa, a, b, dst Op) {
	if s.wide() {
		VPANDD(b, a, dst)
	} else {
		VPAND(b, a, dst)
	}
}

func or(s isa, a, b, dst Op) {
	if s.wide() {
		VPORD(b, a, dst)
	} else {
		VPOR(b, a, dst)
	}
}

func xor(s isa, a, b, dst Op) {
	if s.wide() {
		VPXORD(b, a, dst)
	} else {
		VPXOR(b, a, dst)
	}
}

// Integer operations of AVX-512 on lanes of t's size, under a mask: the
// lanes whose mask bit is clear keep dst.

func orMasked(t float, k, a, b, dst Op) {
	if t.size == 4 {
		VPORD(b, a, k, dst)
	} else {
		VPORQ(b, a, k, dst)
	}
}

func andMasked(t float, k, a, b, dst Op) {
	if t.size == 4 {
		VPANDD(b, a, k, dst)
	} else {
		VPANDQ(b, a, k, dst)
	}
}

// loop emits a loop that calls body for each block of step elements at
// the current pointers, while n holds at least step elements, advancing
// every pointer by its element size times step. It returns nothing; the
// caller emits the loops from the widest step down.
type cursor struct {
	reg  Register // the pointer
	size int      // bytes per element
}

func loop(name string, n Register, step int, ptrs []cursor, body func()) {
	Label(name)
	CMPQ(n, U32(step))
	JL(LabelRef(name + "_done"))
	body()
	for _, p := range ptrs {
		ADDQ(U32(step*p.size), p.reg)
	}
	SUBQ(U32(step), n)
	JMP(LabelRef(name))
	Label(name + "_done")
}
