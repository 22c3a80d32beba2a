package quanttest

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// nanCase is one tensor whose outputs are NaN, with the bits the
// definition gives them, written as float32 bits.
type nanCase struct {
	name string
	src  []uint32
	// given is the range, or nil for the range from the data.
	given *quant.Bounds[float64]
	want  []uint32
}

// nanCases are the NaN rows of the definition: a NaN input comes out as
// itself with the quiet bit set, sign and payload kept, and a NaN the
// arithmetic makes is 0xFFC00000 (0xFFF8000000000000 for float64).
var nanCases = func() []nanCase {
	inf, negInf := math.Float32bits(float32(math.Inf(1))), math.Float32bits(float32(math.Inf(-1)))
	one := math.Float32bits(1.5)
	const made = 0xffc00000
	return []nanCase{
		// A NaN input among finite values: signalling and quiet, both signs.
		{"inputs", []uint32{0x7f800001, 0x80000000, 0xff812345, 0x7fc00000, 0xffffffff, 0x7fbfffff, 0}, nil,
			[]uint32{0x7fc00001, 0x80000000, 0xffc12345, 0x7fc00000, 0xffffffff, 0x7fffffff, 0}},
		// Every input NaN: the range is NaN, and so are the scale and the
		// inverse scale, yet each output is its own input's NaN.
		{"all NaN", []uint32{0x7f800001, 0xff812345, 0x7fc00000, 0xffa00000}, nil,
			[]uint32{0x7fc00001, 0xffc12345, 0x7fc00000, 0xffe00000}},
		// ±Inf in the data: scale 0 and inverse scale +Inf, so Inf·0 and
		// 0·Inf are made.
		{"made", []uint32{inf, one, negInf, 0, 0x80000000}, nil,
			[]uint32{made, made, made, made, made}},
		// A given range clamps infinities and passes NaNs.
		{"clamped", []uint32{0xff812345, inf, negInf}, &quant.Bounds[float64]{Min: -128, Max: 127},
			[]uint32{0xffc12345, math.Float32bits(127), math.Float32bits(-128)}},
	}
}()

// NaNBits checks the NaN bits the definition fixes, in every storage:
// they are x86's bits, so on other hardware (arm64 prefers signalling
// NaNs and makes 0x7FC00000; a GPU may make any NaN) they check the
// backend's fix-ups. Each tensor is repeated to a length that vector
// kernels take in whole vectors and in a tail; 16-bit outputs narrow the
// float32 bits, and float64 ones widen them.
func NaNBits(t *testing.T, b quant.Backend) Stats {
	var st Stats
	const repeat = 13
	for _, c := range nanCases {
		for _, s := range Storages {
			t.Run(c.name+"/"+s.String(), func(t *testing.T) {
				n := len(c.src) * repeat
				cl := call{storage: s, layout: quant.Layout{Outer: 1, Depth: 1, Inner: n}, params: signed8, in: make([]uint64, n)}
				if c.given != nil {
					cl.given = []quant.Bounds[float64]{*c.given}
				}
				want := make([]string, n)
				for j := range n {
					cl.in[j] = storageBits(s, c.src[j%len(c.src)])
					want[j] = fmt.Sprintf("%#x", storageBits(s, c.want[j%len(c.want)]))
				}
				o := cl.run(t, context.Background(), b)
				if !st.note(t, o.err, c.name) {
					return
				}
				got := make([]string, n)
				for j, x := range o.out {
					got[j] = fmt.Sprintf("%#x", x)
				}
				require.Equal(t, want, got)
			})
		}
	}
	return st
}

// storageBits returns the float32 bits b in storage s: unchanged for
// float32; widened for float64, a NaN's payload moved up as a conversion
// moves it; narrowed for 16-bit storage, a NaN keeping its sign and top
// payload bits.
func storageBits(s quant.Storage, b uint32) uint64 {
	f := math.Float32frombits(b)
	switch s {
	case quant.F64:
		if b&0x7fffffff > 0x7f800000 {
			return uint64(b&0x80000000)<<32 | 0x7ff0000000000000 | uint64(b&0x7fffff)<<29
		}
		return math.Float64bits(float64(f))
	case quant.F16:
		return uint64(quant.Float32ToFloat16(f))
	case quant.BF16:
		return uint64(quant.Float32ToBFloat16(f))
	}
	return uint64(b)
}
