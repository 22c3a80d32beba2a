package cpu

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// nanCase is one tensor whose outputs are NaN, with the bits the
// definition gives them.
type nanCase struct {
	name string
	src  []uint32 // float32 bits
	// given is the range, or nil for the range from the data.
	given *quant.Bounds[float32]
	want  []uint32
}

// TestNaNBits checks the NaN bits the definition fixes, on every kernel
// set of this build and the reference: a NaN input comes out as itself
// with the quiet bit set, sign and payload kept, and a NaN the arithmetic
// makes is 0xFFC00000 (0xFFF8000000000000 for float64); 16-bit outputs
// narrow those. They are x86's bits, so on arm64 (whose hardware prefers
// signalling NaNs and makes 0x7FC00000) this checks the integer fix-ups.
func TestNaNBits(t *testing.T) {
	inf, negInf := math.Float32bits(float32(math.Inf(1))), math.Float32bits(float32(math.Inf(-1)))
	one := math.Float32bits(1.5)
	const made = 0xffc00000
	cases := []nanCase{
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
		{"clamped", []uint32{0xff812345, inf, negInf}, &quant.Bounds[float32]{Min: -128, Max: 127},
			[]uint32{0xffc12345, math.Float32bits(127), math.Float32bits(-128)}},
	}
	for _, c := range cases {
		for _, set := range KernelSets() {
			for _, dtype := range []string{"float32", "float64", "float16", "bfloat16"} {
				t.Run(fmt.Sprintf("%s/%s/%s", c.name, set, dtype), func(t *testing.T) {
					got, want := nanRun(t, Fast{Kernels: set}, c, dtype)
					require.Equal(t, want, got)
				})
			}
		}
		for _, dtype := range []string{"float32", "float64", "float16", "bfloat16"} {
			t.Run(c.name+"/reference/"+dtype, func(t *testing.T) {
				got, want := nanRun(t, quant.Reference{}, c, dtype)
				require.Equal(t, want, got)
			})
		}
	}
}

// nanRun runs c's tensor as dtype, per tensor and repeated to a length
// that every kernel takes in whole vectors and in a tail, with b, and
// returns the output and the wanted output
// as hexadecimal bits.
func nanRun(t *testing.T, b quant.Backend, c nanCase, dtype string) (got, want []string) {
	t.Helper()
	const repeat = 13
	n := len(c.src) * repeat
	r32 := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: n}, Params: quant.Params{Signed: true, NumBits: 8}}
	r64 := quant.Request[float64]{Layout: r32.Layout, Params: r32.Params}
	if c.given != nil {
		r32.Given = []quant.Bounds[float32]{*c.given}
		r64.Given = []quant.Bounds[float64]{{Min: float64(c.given.Min), Max: float64(c.given.Max)}}
	}
	ctx := context.Background()
	for j := range n {
		w := c.want[j%len(c.want)]
		switch dtype {
		case "float32", "float16", "bfloat16":
			want = append(want, fmt.Sprintf("%#x", narrowBits(dtype, w)))
		case "float64":
			want = append(want, fmt.Sprintf("%#x", widenBits(w)))
		}
	}
	switch dtype {
	case "float32":
		src, dst := make([]float32, n), make([]float32, n)
		for j := range src {
			src[j] = math.Float32frombits(c.src[j%len(c.src)])
		}
		_, err := b.Float32(ctx, dst, src, r32)
		require.NoError(t, err)
		for _, y := range dst {
			got = append(got, fmt.Sprintf("%#x", math.Float32bits(y)))
		}
	case "float64":
		src, dst := make([]float64, n), make([]float64, n)
		for j := range src {
			src[j] = math.Float64frombits(widenBits(c.src[j%len(c.src)]))
		}
		_, err := b.Float64(ctx, dst, src, r64)
		require.NoError(t, err)
		for _, y := range dst {
			got = append(got, fmt.Sprintf("%#x", math.Float64bits(y)))
		}
	default:
		src, dst := make([]uint16, n), make([]uint16, n)
		for j := range src {
			src[j] = uint16(narrowBits(dtype, c.src[j%len(c.src)]))
		}
		run := b.Float16
		if dtype == "bfloat16" {
			run = b.BFloat16
		}
		_, err := run(ctx, dst, src, r32)
		require.NoError(t, err)
		for _, y := range dst {
			got = append(got, fmt.Sprintf("%#x", y))
		}
	}
	return got, want
}

// widenBits returns the float64 bits of the float32 bits b, a NaN's
// payload moved up as a conversion moves it.
func widenBits(b uint32) uint64 {
	if b&0x7fffffff > 0x7f800000 {
		return uint64(b&0x80000000)<<32 | 0x7ff0000000000000 | uint64(b&0x7fffff)<<29
	}
	return math.Float64bits(float64(math.Float32frombits(b)))
}

// narrowBits returns b as dtype: unchanged for float32, else the 16-bit
// bits, a NaN keeping its sign and top payload bits.
func narrowBits(dtype string, b uint32) uint32 {
	switch dtype {
	case "float16":
		return uint32(quant.Float32ToFloat16(math.Float32frombits(b)))
	case "bfloat16":
		return uint32(quant.Float32ToBFloat16(math.Float32frombits(b)))
	}
	return b
}
