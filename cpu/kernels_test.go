package cpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/qdqvk/qdq/internal/quant"
)

// specials are values every range loop must order right.
var specials = []float64{math.NaN(), 0, math.Copysign(0, -1), math.Inf(1), math.Inf(-1), 1, -1, 0x1p-140, -0x1p-149, 65504, -0.5}

// minMaxCase draws data mixing zeros of both signs, NaNs and normal values.
func minMaxData(seed uint64, n int) []float64 {
	r := newRand(seed)
	v := make([]float64, n)
	for i := range v {
		switch r.IntN(4) {
		case 0:
			v[i] = specials[r.IntN(len(specials))]
		case 1:
			v[i] = math.Copysign(0, float64(r.IntN(2)*2-1))
		default:
			v[i] = math.Abs(r.NormFloat64()) * float64(r.IntN(2)) // often non-negative, so zero can be the minimum
		}
	}
	return v
}

// foldReference folds values into [lo, hi] with MinimumNumber and
// MaximumNumber, as the definition says; lo > hi means "no value".
func foldReference[C quant.Float](vals []C, lo, hi C) (C, C) {
	l, h := C(math.NaN()), C(math.NaN())
	if lo <= hi {
		l, h = lo, hi
	}
	for _, x := range vals {
		l, h = quant.MinimumNumber(l, x), quant.MaximumNumber(h, x)
	}
	return l, h
}

// sameBound compares a kernel's bound with the reference's: equal bits,
// or the kernel's "no value" marker where the reference has NaN.
func sameBound(ref, got float64, empty bool) bool {
	if ref != ref {
		return empty
	}
	return math.Float64bits(ref) == math.Float64bits(got)
}

func TestMinMaxKernelsOrderZerosAndSkipNaN(t *testing.T) {
	starts := [][2]float64{{math.Inf(1), math.Inf(-1)}, {0, 0}, {math.Copysign(0, -1), math.Copysign(0, -1)}, {-0.25, 0.25}}
	for seed := range uint64(300) {
		vals := minMaxData(seed, int(seed%37))
		for _, st := range starts {
			f32 := make([]float32, len(vals))
			f16, b16 := make([]uint16, len(vals)), make([]uint16, len(vals))
			for i, v := range vals {
				f32[i] = float32(v)
				f16[i], b16[i] = quant.Float32ToFloat16(float32(v)), quant.Float32ToBFloat16(float32(v))
			}
			check := func(name string, got [2]float32, in []float32) {
				l, h := foldReference(in, float32(st[0]), float32(st[1]))
				empty := got[0] > got[1]
				assert.True(t, sameBound(float64(l), float64(got[0]), empty) && sameBound(float64(h), float64(got[1]), empty),
					"%s seed %d start %v: got %v, want [%v %v]", name, seed, st, got, l, h)
			}
			lo, hi := float32(st[0]), float32(st[1])
			l, h := scalarFloat32.minMax(f32, lo, hi)
			check("float32", [2]float32{l, h}, f32)
			widened := make([]float32, len(vals))
			for i := range f16 {
				widened[i] = quant.Float16ToFloat32(f16[i])
			}
			l, h = scalarFloat16.minMax(f16, lo, hi)
			check("float16", [2]float32{l, h}, widened)
			for i := range b16 {
				widened[i] = quant.BFloat16ToFloat32(b16[i])
			}
			l, h = scalarBFloat16.minMax(b16, lo, hi)
			check("bfloat16", [2]float32{l, h}, widened)

			l64, h64 := scalarFloat64.minMax(vals, st[0], st[1])
			rl, rh := foldReference(vals, st[0], st[1])
			empty := l64 > h64
			assert.True(t, sameBound(rl, l64, empty) && sameBound(rh, h64, empty), "float64 seed %d start %v", seed, st)
		}
	}
}

// TestLookupTableApplyEqualsDirect checks the portable 16-bit apply
// kernels' table path against their element-by-element path.
func TestLookupTableApplyEqualsDirect(t *testing.T) {
	src := make([]uint16, lutFrom+12345)
	r := newRand(3)
	for i := range src {
		src[i] = uint16(r.Uint32())
	}
	for i := range 1 << 16 {
		src[i] = uint16(i) // every pattern at least once
	}
	for _, k := range []*kernels[uint16, float32]{&scalarFloat16, &scalarBFloat16} {
		for _, q := range []quant.Quant[float32]{
			quant.ComputeQuant[float32](-128, 127, -1, 0.5), quant.ComputeQuant[float32](0, 15, 0, 3),
			quant.ComputeQuant[float32](-1<<30, 1<<30-1, -2, 2), quant.ComputeQuant[float32](-128, 127, 0, 0),
			quant.ComputeQuant(-128, 127, float32(math.Inf(-1)), 1),
		} {
			for _, clamp := range []bool{false, true} {
				for _, mode := range []quant.RoundMode{quant.HalfToEven, quant.HalfUp} {
					viaLUT := make([]uint16, len(src))
					k.apply(viaLUT, src, q, clamp, mode)
					direct := make([]uint16, len(src))
					for lo := 0; lo < len(src); lo += lutFrom / 2 { // below the threshold: no table
						hi := min(lo+lutFrom/2, len(src))
						k.apply(direct[lo:hi], src[lo:hi], q, clamp, mode)
					}
					assert.Equal(t, direct, viaLUT, "%s %+v clamp %t mode %d", k.name, q, clamp, mode)
				}
			}
		}
	}
}
