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
	"flag"
	"log"
	"os"

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
