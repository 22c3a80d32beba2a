// Command _asm generates the amd64 assembly of package cpu's vector
// kernels with avo: every kernel is written once below and expanded over
// the instruction sets (AVX2 with 256-bit and AVX-512 with 512-bit
// vectors) and the element types.
//
// It writes the routines (kernels_amd64.s), their Go declarations
// (kernels_stubs_amd64.go) and the kernel sets that use them
// (kernels_sets_amd64.go). Run it from the repository root with "make
// asm", which runs
//
//	go run . -out ../kernels_amd64.s -stubs ../kernels_stubs_amd64.go -sets ../kernels_sets_amd64.go -pkg cpu
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
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"strings"

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

// setsPath is where the Go file of the kernel sets goes.
var setsPath = flag.String("sets", "", "write the Go kernel sets of the routines to `file`")

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
			convert16(s, h, true)
			convert16(s, h, false)
		}
	}
	Generate()
	if *setsPath != "" {
		if err := os.WriteFile(*setsPath, kernelSets(), 0o666); err != nil {
			log.Fatal(err)
		}
	}
}

// title returns s with its first letter upper-case.
func title(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

// kernelSets returns the Go source of the kernel sets built from the
// routines: one kernelSet per instruction set, wired to its routines.
func kernelSets() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by command: go run main.go %s. DO NOT EDIT.\n\n", strings.Join(os.Args[1:], " "))
	b.WriteString("//go:build !purego\n\npackage cpu\n\nimport \"github.com/qdqvk/qdq/internal/quant\"\n\n")
	b.WriteString("// The kernel sets of the routines in kernels_amd64.s, one per instruction\n// set; kernels_amd64.go says which the CPU can run.\nvar (\n")
	names := func(prefix, suffix string) string {
		var list []string
		for _, v := range variants {
			list = append(list, prefix+v.suffix()+suffix)
		}
		return strings.Join(list, ", ")
	}
	for _, s := range isas {
		set := strings.ToLower(s.name)
		for _, t := range floats {
			w := s.lanes(t)
			fn := fmt.Sprintf("func(dst, src []%[1]s, min, max, scale, inv %[1]s)", t.goType)
			fnEach := fmt.Sprintf("func(dst, src []%[1]s, min, max, scale, inv []%[1]s)", t.goType)
			fmt.Fprintf(&b, "%s%s = (&vector[%s, %s]{\n", set, title(t.goType), t.goType, t.goType)
			fmt.Fprintf(&b, "name: %q, width: %d, rangeWidth: %d,\n", set, w, w)
			fmt.Fprintf(&b, "vecRange: floatRange(minMaxKeys%s%s, quant.Unkey%d),\n", t.name, s.name, t.size*8)
			fmt.Fprintf(&b, "minMaxEach: minMaxEach%s%s,\n", t.name, s.name)
			fmt.Fprintf(&b, "apply: [4]%s{%s},\n", fn, names("apply"+t.name, s.name))
			fmt.Fprintf(&b, "applyNT: [4]%s{%s},\n", fn, names("apply"+t.name, "NT"+s.name))
			fmt.Fprintf(&b, "applyEach: [4]%s{%s},\n", fnEach, names("applyEach"+t.name, s.name))
			fmt.Fprintf(&b, "portable: &scalar%s,\n}).kernels()\n", title(t.goType))
		}
		for _, h := range halfs16 {
			w := s.lanes(f32)
			goName := map[half16]string{f16: "Float16", bf16: "BFloat16"}[h]
			inf := map[half16]string{f16: "0x7c00", bf16: "0x7f80"}[h]
			applyWidth := w
			if h == bf16 {
				applyWidth = s.bytes / 2
			}
			fn := "func(dst, src []uint16, min, max, scale, inv float32)"
			fnEach := "func(dst, src []uint16, min, max, scale, inv []float32)"
			fmt.Fprintf(&b, "%s%s = (&vector[uint16, float32]{\n", set, goName)
			fmt.Fprintf(&b, "name: %q, width: %d, rangeWidth: %d, applyWidth: %d,\n", set, w, s.bytes/2, applyWidth)
			fmt.Fprintf(&b, "vecRange: halfRange(minMaxKeys16%s, %s, quant.%sToFloat32),\n", s.name, inf, goName)
			fmt.Fprintf(&b, "minMaxEach: minMaxEach%s%s,\n", h.name, s.name)
			fmt.Fprintf(&b, "apply: [4]%s{%s},\n", fn, names("apply"+h.name, s.name))
			fmt.Fprintf(&b, "applyNT: [4]%s{%s},\n", fn, names("apply"+h.name, "NT"+s.name))
			fmt.Fprintf(&b, "applyEach: [4]%s{%s},\n", fnEach, names("applyEach"+h.name, s.name))
			fmt.Fprintf(&b, "portable: &scalar%s,\n}).kernels()\n", goName)
		}
		fmt.Fprintf(&b, "%sSet = kernelSet{%q, &%sFloat32, &%sFloat64, &%sFloat16, &%sBFloat16, sumsVector(%d, sumErrors%s)}\n\n",
			set, set, set, set, set, set, s.lanes(f64), s.name)
	}
	b.WriteString(")\n\n")
	b.WriteString("// conversionsOf returns the 16-bit conversions of the named kernel set.\nfunc conversionsOf(set string) conversions {\nswitch set {\n")
	for _, s := range isas {
		fmt.Fprintf(&b, "case %q:\nreturn conversions{%d, widenF16%[3]s, widenBF16%[3]s, narrowF16%[3]s, narrowBF16%[3]s}\n", strings.ToLower(s.name), s.lanes(f32), s.name)
	}
	b.WriteString("}\npanic(\"no conversions for kernel set \" + set)\n}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatalf("the kernel sets: %v\n%s", err, b.Bytes())
	}
	return src
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
