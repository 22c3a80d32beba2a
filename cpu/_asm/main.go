// Command _asm generates the amd64 assembly of package cpu's vector
// kernels with avo: every kernel is written once below and expanded over
// the instruction sets (AVX2 with 256-bit and AVX-512 with 512-bit
// vectors) and the element types.
//
// Run it from the repository root with "make asm", which runs
//
//	go run . -out ../kernels_amd64.s -stubs ../kernels_stubs_amd64.go -pkg cpu
//
// in this folder. The folder has its own go.mod, so the library itself
// never depends on avo, and its name starts with an underscore, so the go
// tool ignores it.
//
// The generated routines equal the portable loops of kernels.go bit for
// bit: they use the same IEEE operations in the same order, with the
// operand order fixed so that the x86 rule for NaN operands (the first
// source operand's NaN, made quiet) is the definition's; no fused
// multiply-add; MINPS and MAXPS only in the operand order whose rule is
// exactly the portable compare-and-select (a < b ? a : b), with equal
// operands (signed zeros) settled by integer OR and AND; ranges on
// sortable integer keys.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// isa is one x86 vector instruction set.
type isa struct {
	name  string // suffix of every routine: "AVX2" or "AVX512"
	bytes int    // vector size in bytes
}

var (
	avx2   = isa{"AVX2", 32}
	avx512 = isa{"AVX512", 64}
	isas   = []isa{avx2, avx512}
)

// wide reports whether s is AVX-512, which has mask registers, 64-bit
// integer shifts and min/max, and narrowing moves.
func (s isa) wide() bool { return s.bytes == 64 }

// vec allocates a vector register of s.
func (s isa) vec() VecVirtual {
	if s.wide() {
		return ZMM()
	}
	return YMM()
}

// float is a vector element type of the float kernels.
type float struct {
	name   string // "F32" or "F64"
	size   int    // bytes per element
	goType string // Go element type
	key    string // Go type of its sortable key
}

var (
	f32    = float{"F32", 4, "float32", "int32"}
	f64    = float{"F64", 8, "float64", "int64"}
	floats = []float{f32, f64}
)

// lanes returns the elements of t in one vector of s.
func (s isa) lanes(t float) int { return s.bytes / t.size }

// half16 is a 16-bit storage type, computed in float32.
type half16 struct {
	name string // "F16" or "BF16"
	doc  string // the type's name in doc comments
}

var (
	f16     = half16{"F16", "IEEE half"}
	bf16    = half16{"BF16", "bfloat16"}
	halfs16 = []half16{f16, bf16}
)

// The four apply variants: clamping to the given range or not, and
// rounding half to even or half up.
type variant struct {
	clamp, up bool
}

var variants = []variant{{false, false}, {true, false}, {false, true}, {true, true}}

// suffix names v in routine names.
func (v variant) suffix() string {
	s := ""
	if v.clamp {
		s += "Clamp"
	}
	if v.up {
		s += "Up"
	}
	return s
}

// describe says what v does, for doc comments.
func (v variant) describe() string {
	s := "rounding half to even"
	if v.up {
		s = "rounding half up (floor(z+0.5))"
	}
	if v.clamp {
		s = "clamping to [min, max] first, " + s
	}
	return s
}

// The immediate of VROUNDPS and VRNDSCALEPS: no fraction bits, and the
// rounding direction.
const (
	roundNearestEven = 0
	roundDown        = 1
)

// Predicates of VCMPPS and VCMPPD.
const (
	cmpEQ    = 0 // equal, ordered
	cmpUnord = 3 // either operand is NaN
	cmpNEQ   = 4 // not equal, or unordered
	cmpOrd   = 7 // neither operand is NaN
)

// Predicate of VPCMPW.
const cmpLE = 2

func main() {
	ConstraintExpr("!purego")

	hasF16C()
	for _, s := range isas {
		for _, t := range floats {
			minMaxKeys(s, t)
			minMaxEach(s, t)
			for _, v := range variants {
				apply(s, t, v, false)
				apply(s, t, v, true)
			}
			for _, v := range variants {
				applyEach(s, t, v)
			}
		}
		minMaxKeys16(s)
		sumErrors(s)
		for _, h := range halfs16 {
			minMaxEach16(s, h)
			for _, v := range variants {
				apply16(s, h, v, false)
				apply16(s, h, v, true)
			}
			for _, v := range variants {
				applyEach16(s, h, v)
			}
			widen16(s, h)
			narrow16(s, h)
		}
	}
	Generate()
}

// hasF16C reports the F16C flag: golang.org/x/sys/cpu has no field for
// it, so it is read here, from CPUID leaf 1, ECX bit 29.
func hasF16C() {
	TEXT("hasF16C", NOSPLIT, "func() bool")
	Doc("hasF16C reports whether the CPU has the F16C conversions (CPUID leaf 1, ECX bit 29).")
	MOVL(U32(1), EAX)
	XORL(ECX, ECX)
	CPUID()
	SHRL(U8(29), ECX)
	ANDL(U32(1), ECX)
	Store(CL, ReturnIndex(0))
	RET()
}

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
	TEXT(name, NOSPLIT, fmt.Sprintf("func(src []%s, keys []%s)", t.goType, t.key))
	Pragma("noescape")
	Doc(
		name+" finds the range of the first len(src) &^ "+fmt.Sprint(w-1)+" elements of src as",
		"sortable keys (unkey"+fmt.Sprint(t.size*8)+"), NaNs left out: it stores the lane-wise",
		"minima in keys[:"+fmt.Sprint(w)+"] and the maxima in keys["+fmt.Sprint(w)+":"+fmt.Sprint(2*w)+"]. Folded",
		"with minMaxFloat's loop over the rest, it equals minMaxFloat.",
	)
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	out := Load(Param("keys").Base(), GP64())
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
	VMOVUPS(lo0, Mem{Base: out})
	VMOVUPS(hi0, Mem{Base: out, Disp: s.bytes})
	VZEROUPPER()
	RET()
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
	d := Load(Param("dst").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	var lo, hi, half VecVirtual
	if v.clamp {
		lo, hi = bcastParam(s, t, "min"), bcastParam(s, t, "max")
	}
	scale, inv := bcastParam(s, t, "scale"), bcastParam(s, t, "inv")
	if v.up {
		half = bcastKey(s, t, halfBits(t))
	}
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
	d := Load(Param("dst").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	var mn, mx Register
	if v.clamp {
		mn = Load(Param("min").Base(), GP64())
		mx = Load(Param("max").Base(), GP64())
	}
	sc := Load(Param("scale").Base(), GP64())
	iv := Load(Param("inv").Base(), GP64())
	var half VecVirtual
	if v.up {
		half = bcastKey(s, t, halfBits(t))
	}
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

// narrowConsts are the constants of the bfloat16 rounding.
type narrowConsts struct {
	round, one, quiet VecVirtual
}

func newNarrowConsts(s isa, h half16) narrowConsts {
	if h == f16 {
		return narrowConsts{}
	}
	return narrowConsts{bcast32(s, 0x7fff), bcast32(s, 1), bcast32(s, 0x40)}
}

// narrow rounds the float32 lanes of x to h, to nearest-even, and stores
// them at m, exactly as Float32ToFloat16 (F16C's VCVTPS2PH) or
// Float32ToBFloat16 (integer rounding: b + 0x7fff + (b>>16 & 1), then the
// top 16 bits; a NaN keeps its top bits with the quiet bit set), with a
// non-temporal move when nt. x is overwritten.
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
	top, r := s.vec(), s.vec()
	VPSRLD(U8(16), x, top)
	and(s, top, c.one, r)
	if s.wide() {
		VPADDD(c.round, r, r)
		VPADDD(x, r, r)
		VPSRLD(U8(16), r, r)
		nan := K()
		compare(f32, cmpUnord, x, x, nan)
		VPORD(c.quiet, top, nan, r)
		if !nt {
			VPMOVDW(r, m)
			return
		}
		VPMOVDW(r, half)
		store(half)
		return
	}
	VPADDD(c.round, r, r)
	VPADDD(x, r, r)
	VPSRLD(U8(16), r, r)
	nan := s.vec()
	compare(f32, cmpUnord, x, x, nan)
	VPOR(c.quiet, top, top)
	VBLENDVPS(nan, top, r, r)
	VEXTRACTI128(U8(1), r, half)
	VPACKUSDW(half, r.AsX(), half)
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
	TEXT(name, NOSPLIT, "func(src []uint16, inf uint16, keys []int16)")
	Pragma("noescape")
	Doc(
		name+" finds the range of the first len(src) &^ "+fmt.Sprint(w-1)+" 16-bit floats of src,",
		"of either format (inf is the bits of its +Inf), as sortable keys (unkey16),",
		"NaNs left out: it stores the lane-wise minima in keys[:"+fmt.Sprint(w)+"] and the",
		"maxima in keys["+fmt.Sprint(w)+":"+fmt.Sprint(2*w)+"]. Folded with the portable loop over the",
		"rest, it equals minMaxFloat16 and minMaxBFloat16.",
	)
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	out := Load(Param("keys").Base(), GP64())
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
	VMOVDQU64orU2(s, lo0, Mem{Base: out})
	VMOVDQU64orU2(s, hi0, Mem{Base: out, Disp: s.bytes})
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
	d := Load(Param("dst").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	var lo, hi, half VecVirtual
	if v.clamp {
		lo, hi = bcastParam(s, f32, "min"), bcastParam(s, f32, "max")
	}
	scale, inv := bcastParam(s, f32, "scale"), bcastParam(s, f32, "inv")
	if v.up {
		half = bcast32(s, uint32(halfBits(f32)))
	}
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
	d := Load(Param("dst").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	var lo, hi, half VecVirtual
	if v.clamp {
		lo, hi = bcastParam(s, f32, "min"), bcastParam(s, f32, "max")
	}
	scale, inv := bcastParam(s, f32, "scale"), bcastParam(s, f32, "inv")
	if v.up {
		half = bcast32(s, uint32(halfBits(f32)))
	}
	upper := bcast32(s, 0xffff0000)
	round, one := bcast32(s, 0x7fff), bcast32(s, 1)
	var bit16 VecVirtual
	if s.wide() {
		bit16 = bcast32(s, 0x10000)
	}
	in, even, odd := s.vec(), s.vec(), s.vec()
	loop(name+"_loop", n, w, []cursor{{d, 2}, {p, 2}}, func() {
		VMOVDQU64orU2(s, Mem{Base: p}, in)
		VPSLLD(U8(16), in, even)
		and(s, in, upper, odd)
		for _, x := range []VecVirtual{even, odd} {
			quantize(s, f32, v, x, lo, hi, scale, inv, half)
			roundBF16(s, x, round, one, bit16)
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
	d := Load(Param("dst").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	var mn, mx Register
	if v.clamp {
		mn = Load(Param("min").Base(), GP64())
		mx = Load(Param("max").Base(), GP64())
	}
	sc := Load(Param("scale").Base(), GP64())
	iv := Load(Param("inv").Base(), GP64())
	var half VecVirtual
	if v.up {
		half = bcast32(s, uint32(halfBits(f32)))
	}
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

func widen16(s isa, h half16) {
	w := s.lanes(f32)
	name := "widen" + h.name + s.name
	portable := map[half16]string{f16: "Float16ToFloat32", bf16: "BFloat16ToFloat32"}[h]
	TEXT(name, NOSPLIT, "func(dst []float32, src []uint16)")
	Pragma("noescape")
	Doc(
		name+" sets dst[j] to "+portable+"(src[j]) for the first len(src) &^ "+fmt.Sprint(w-1),
		"elements of src, with the widening the "+s.name+" kernels use.",
	)
	d := Load(Param("dst").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	x := s.vec()
	loop(name+"_loop", n, w, []cursor{{d, 4}, {p, 2}}, func() {
		widen(s, h, Mem{Base: p}, x)
		VMOVUPS(x, Mem{Base: d})
	})
	VZEROUPPER()
	RET()
}

func narrow16(s isa, h half16) {
	w := s.lanes(f32)
	name := "narrow" + h.name + s.name
	portable := map[half16]string{f16: "Float32ToFloat16", bf16: "Float32ToBFloat16"}[h]
	TEXT(name, NOSPLIT, "func(dst []uint16, src []float32)")
	Pragma("noescape")
	Doc(
		name+" sets dst[j] to "+portable+"(src[j]) for the first len(src) &^ "+fmt.Sprint(w-1),
		"elements of src, with the rounding the "+s.name+" kernels use.",
	)
	d := Load(Param("dst").Base(), GP64())
	p := Load(Param("src").Base(), GP64())
	n := Load(Param("src").Len(), GP64())
	c := newNarrowConsts(s, h)
	x := s.vec()
	loop(name+"_loop", n, w, []cursor{{d, 2}, {p, 4}}, func() {
		VMOVUPS(Mem{Base: p}, x)
		narrow(s, h, c, x, Mem{Base: d}, false)
	})
	VZEROUPPER()
	RET()
}

func sumErrors(s isa) {
	w := s.lanes(f64)
	name := "sumErrors" + s.name
	TEXT(name, NOSPLIT, "func(x, y []float32, sums []float64)")
	Pragma("noescape")
	Doc(
		name+" sums, in float64 lanes, over the first len(x) &^ "+fmt.Sprint(w-1)+" pairs",
		"(x[j], y[j]) with d = y[j]-x[j]: x² into sums[0:"+fmt.Sprint(w)+"], d² into",
		"sums["+fmt.Sprint(w)+":"+fmt.Sprint(2*w)+"], |d| into sums["+fmt.Sprint(2*w)+":"+fmt.Sprint(3*w)+"], the largest |d| into",
		"sums["+fmt.Sprint(3*w)+":"+fmt.Sprint(4*w)+"] and d-d into sums["+fmt.Sprint(4*w)+":"+fmt.Sprint(5*w)+"], which stays zero while every d",
		"is finite. Lane j%"+fmt.Sprint(w)+" takes pair j, so the sums are those of the portable",
		"errorSumsFloat32 in another order.",
	)
	px := Load(Param("x").Base(), GP64())
	py := Load(Param("y").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	out := Load(Param("sums").Base(), GP64())
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
		VSUBPD(y, y, t)
		add(f64, acc[4], acc[4], t)
		and(s, y, absMask, y)
		add(f64, acc[2], acc[2], y)
		greater(f64, acc[3], y, acc[3])
	})
	for i, a := range acc {
		VMOVUPD(a, Mem{Base: out, Disp: i * s.bytes})
	}
	VZEROUPPER()
	RET()
}
