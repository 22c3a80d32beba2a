//go:build !purego && (amd64 || arm64)

package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/qdqvk/qdq/internal/quant"
)

// nanBitsValues are float32 bit patterns that meet every NaN rule of the
// apply kernels: quiet and signalling NaNs of both signs with payloads,
// the zeros and infinities whose products are invalid, halfway values,
// and the extremes.
var nanBitsValues = []uint32{
	0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3f000000, 0xbf000000,
	0x3fc00000, 0xc0200000, 0x7f800000, 0xff800000, 0x7f7fffff, 0xff7fffff,
	0x00000001, 0x80000001, 0x00800000, 0x42fe0000, 0x3c010204,
	0x7fc00000, 0xffc00000, 0x7fc12345, 0xffe00001, 0x7fffffff, // quant.Quiet NaNs
	0x7f800001, 0xff812345, 0x7fbfffff, 0xffa00000, 0x7fa0e000, // signalling NaNs
}

// nanBits16 are 16-bit patterns of both formats with the same roles.
var nanBits16 = []uint16{
	0x0000, 0x8000, 0x3c00, 0xbc00, 0x3800, 0x3e00, 0x7c00, 0xfc00, 0x7bff, 0x0001, 0x8001,
	0x7e00, 0xfe00, 0x7e01, 0x7c01, 0xfc23, 0x7dff, 0xfd00, // quant.HalfTable NaNs
	0x3f80, 0xbf80, 0x3f00, 0x7f80, 0xff80, 0x7f7f, 0x0080,
	0x7fc0, 0xffc1, 0x7f81, 0xff85, 0x7fbf, 0xffa0, // bfloat16 NaNs (halves too)
}

// TestVectorKernelsNaNBits compares the apply kernels of every vector
// set with the portable ones bit for bit, NaNs included, on data and
// parameters (min, max, scale, inv) drawn from nanBitsValues, signalling
// NaN parameters too: the vector code's NaN fix-ups must give x86's bits
// in every case, not only for the parameters ComputeQuant makes.
func TestVectorKernelsNaNBits(t *testing.T) {
	sets := cpuSIMDSets()
	if len(sets) == 0 {
		t.Skip("no SIMD kernels on this CPU")
	}
	f32 := make([]float32, len(nanBitsValues))
	for j, b := range nanBitsValues {
		f32[j] = math.Float32frombits(b)
	}
	f64 := make([]float64, len(f32))
	for j, b := range nanBitsValues {
		f64[j] = math.Float64frombits(nanBitsWiden(b))
	}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, 12))
			nanBitsCheck(t, r, s.float32, &scalarFloat32, f32, f32, func(x float32) uint64 { return uint64(math.Float32bits(x)) })
			nanBitsCheck(t, r, s.float64, &scalarFloat64, f64, f64, math.Float64bits)
			nanBitsCheck(t, r, s.float16, &scalarFloat16, nanBits16, f32, func(h uint16) uint64 { return uint64(h) })
			nanBitsCheck(t, r, s.bfloat16, &scalarBFloat16, nanBits16, f32, func(h uint16) uint64 { return uint64(h) })
		})
	}
}

// nanBitsCheck runs apply and applyEach of k and of the portable set
// with every (scale, inv) pair of params, min and max drawn from params
// at random, on data: every element of data, repeated to a length with
// whole vectors and a tail.
func nanBitsCheck[S any, C quant.Float](t *testing.T, r *rand.Rand, k, scalar *kernels[S, C], data []S, params []C, bits func(S) uint64) {
	t.Helper()
	src := make([]S, 0, 3*len(data)+5)
	for range 3 {
		src = append(src, data...)
	}
	src = append(src, data[:5]...)
	n := len(src)
	want, got := make([]S, n), make([]S, n)
	same := func(what string) bool {
		for j := range want {
			if bits(want[j]) != bits(got[j]) {
				t.Errorf("%s: %s: element %d (%#x): want %#x, got %#x", k.name, what, j, bits(src[j]), bits(want[j]), bits(got[j]))
				return false
			}
		}
		return true
	}
	pick := func() C { return params[r.IntN(len(params))] }
	for _, scale := range params {
		for _, inv := range params {
			q := quant.Quant[C]{Min: pick(), Max: pick(), Scale: scale, InverseScale: inv}
			for _, mode := range []quant.RoundMode{quant.HalfToEven, quant.HalfUp} {
				for _, clamp := range []bool{false, true} {
					scalar.apply(want, src, q, clamp, mode)
					k.apply(got, src, q, clamp, mode)
					if !same(fmt.Sprintf("apply %T q=%v mode=%d clamp=%v", want[0], q, mode, clamp)) {
						return
					}
				}
			}
		}
	}
	qa := quantArrays[C]{make([]C, n), make([]C, n), make([]C, n), make([]C, n)}
	for range 20 {
		for j := range n {
			qa.Min[j], qa.Max[j], qa.Scale[j], qa.InverseScale[j] = pick(), pick(), pick(), pick()
		}
		for _, mode := range []quant.RoundMode{quant.HalfToEven, quant.HalfUp} {
			for _, clamp := range []bool{false, true} {
				scalar.applyEach(want, src, qa, clamp, mode)
				k.applyEach(got, src, qa, clamp, mode)
				if !same(fmt.Sprintf("applyEach %T mode=%d clamp=%v", want[0], mode, clamp)) {
					return
				}
			}
		}
	}
}

// nanBitsWiden returns the float64 bits of the float32 bits b, exactly
// and with a NaN's payload moved up but its quiet bit as it was (a
// conversion would set it).
func nanBitsWiden(b uint32) uint64 {
	if b&0x7fffffff > 0x7f800000 {
		return uint64(b&0x80000000)<<32 | 0x7ff0000000000000 | uint64(b&0x7fffff)<<29
	}
	return math.Float64bits(float64(math.Float32frombits(b)))
}
