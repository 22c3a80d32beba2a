//go:build !purego && (amd64 || arm64)

package cpu

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// Data distributions for the kernel tests.
const (
	simdDistNormal    = iota // normal, with a random spread
	simdDistWide             // random sign and exponent over the whole range
	simdDistSubnormal        // mostly subnormals and tiny normals
	simdDistBits             // random bit patterns (NaNs included)
	simdDistHalfway          // values that scale to near k+0.5
	simdDistSmall            // small integers and halves
	simdNumDists
)

// simdTestParams are the quantization attributes the kernel tests use.
func simdTestParams() []quant.Params {
	var ps []quant.Params
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 52, 53, 54, 60, 61} {
		ps = append(ps, quant.Params{Signed: true, NumBits: n})
		if n > 1 {
			ps = append(ps, quant.Params{Signed: true, NumBits: n, Narrow: true})
		}
	}
	for _, n := range []int{1, 2, 4, 8, 16, 24, 31, 32, 53, 62} {
		ps = append(ps, quant.Params{NumBits: n})
	}
	return ps
}

// simdSpecial returns one of the values every test sprinkles in.
func simdSpecial[C quant.Float](r *rand.Rand) C {
	nan32 := []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345, 0x7fbfffff, 0x7fe00001}
	nan64 := []uint64{0x7ff8000000000000, 0xfff8000000000000, 0x7ff0000000000001, 0xfff0123456789abc, 0x7ff7ffffffffffff}
	var c C
	switch r.IntN(10) {
	case 0:
		return C(math.Copysign(0, -1))
	case 1:
		return 0
	case 2:
		return C(math.Inf(1))
	case 3:
		return C(math.Inf(-1))
	case 4, 5:
		if unsafe.Sizeof(c) == 4 {
			return C(math.Float32frombits(nan32[r.IntN(len(nan32))]))
		}
		return C(math.Float64frombits(nan64[r.IntN(len(nan64))]))
	case 6:
		return quant.MaxFloat[C]() * C(1-2*r.IntN(2))
	case 7:
		if unsafe.Sizeof(c) == 4 {
			return C(math.Float32frombits(1)) * C(1-2*r.IntN(2))
		}
		return C(math.Float64frombits(1)) * C(1-2*r.IntN(2))
	case 8:
		return 0.5 * C(1-2*r.IntN(2))
	}
	return C(r.IntN(5) - 2)
}

// simdGenFloats returns n values of compute type C from distribution dist;
// q, when dist is simdDistHalfway, gives the scale that values are placed
// around k+0.5 of.
func simdGenFloats[C quant.Float](r *rand.Rand, n, dist int, q quant.Quant[C]) []C {
	var c C
	is32 := unsafe.Sizeof(c) == 4
	out := make([]C, n)
	spread := math.Pow(10, 6*r.Float64()-3)
	sprinkle := r.IntN(3) == 0
	for j := range out {
		var x C
		switch dist {
		case simdDistNormal:
			x = C(r.NormFloat64() * spread)
		case simdDistWide:
			if is32 {
				x = C(math.Float32frombits(uint32(r.IntN(255))<<23 | r.Uint32()&0x807fffff))
			} else {
				x = C(math.Float64frombits(uint64(r.IntN(2047))<<52 | r.Uint64()&0x800fffffffffffff))
			}
		case simdDistSubnormal:
			if is32 {
				x = C(math.Float32frombits(uint32(r.IntN(3))<<23 | r.Uint32()&0x807fffff))
			} else {
				x = C(math.Float64frombits(uint64(r.IntN(3))<<52 | r.Uint64()&0x800fffffffffffff))
			}
		case simdDistBits:
			if is32 {
				x = C(math.Float32frombits(r.Uint32()))
			} else {
				x = C(math.Float64frombits(r.Uint64()))
			}
		case simdDistHalfway:
			k := C(r.IntN(2001)-1000) + 0.5
			x = C(k / q.Scale)
			if r.IntN(2) == 0 {
				x = C(k * q.InverseScale)
			}
			for range r.IntN(5) - 2 {
				if is32 {
					x = C(math.Nextafter32(float32(x), float32(math.Inf(1-2*r.IntN(2)))))
				} else {
					x = C(math.Nextafter(float64(x), math.Inf(1-2*r.IntN(2))))
				}
			}
		default:
			x = C(r.IntN(41)-20) * 0.5
		}
		if sprinkle && r.IntN(8) == 0 {
			x = simdSpecial[C](r)
		}
		out[j] = x
	}
	return out
}

// exactBits reports whether a and b have the same bits, NaNs included.
func exactBits[C quant.Float](a, b C) bool {
	if unsafe.Sizeof(a) == 4 {
		return math.Float32bits(float32(a)) == math.Float32bits(float32(b))
	}
	return math.Float64bits(float64(a)) == math.Float64bits(float64(b))
}

// simdSameBits reports whether a and b have the same bits, or are both
// NaN: the running bounds of the range kernels may start from a NaN
// (outside their contract), where only NaN-ness is defined.
func simdSameBits[C quant.Float](a, b C) bool {
	if a != a && b != b {
		return true
	}
	if unsafe.Sizeof(a) == 4 {
		return math.Float32bits(float32(a)) == math.Float32bits(float32(b))
	}
	return math.Float64bits(float64(a)) == math.Float64bits(float64(b))
}

// simdKernelCase describes one storage type for the generic kernel tests.
type simdKernelCase[S any, C quant.Float] struct {
	simd, scalar *kernels[S, C]
	widen        func(S) C
	narrow       func(C) S
	// same compares outputs: they must be identical, NaNs included.
	same func(a, b S) bool
	// bits returns a random bit pattern of S.
	bits func(r *rand.Rand) S
}

// gen returns n elements of S from distribution dist.
func (k simdKernelCase[S, C]) gen(r *rand.Rand, n, dist int, q quant.Quant[C]) []S {
	xs := simdGenFloats(r, n, dist, q)
	out := make([]S, n)
	for j, x := range xs {
		out[j] = k.narrow(x)
		if dist == simdDistBits {
			out[j] = k.bits(r)
		}
	}
	return out
}

// simdQuants returns parameters for data with range [lo, hi]: from every
// test parameter set (or a random few), plus the degenerate cases.
func simdQuants[C quant.Float](r *rand.Rand, lo, hi C, few bool) []quant.Quant[C] {
	inf := C(math.Inf(1))
	ranges := [][2]C{{lo, hi}, {0, 0}, {-inf, inf}, {C(math.NaN()), C(math.NaN())}, {C(math.Copysign(0, -1)), 0}, {-1, 1}, {0, inf}}
	ps := simdTestParams()
	var qs []quant.Quant[C]
	for _, rg := range ranges {
		if few {
			minQ, maxQ := ps[r.IntN(len(ps))].Levels()
			qs = append(qs, quant.ComputeQuant(minQ, maxQ, rg[0], rg[1]))
			continue
		}
		for _, p := range ps {
			minQ, maxQ := p.Levels()
			qs = append(qs, quant.ComputeQuant(minQ, maxQ, rg[0], rg[1]))
		}
	}
	// A clamp range inside the data's range.
	a, b := C(r.NormFloat64()), C(r.NormFloat64())
	if lo <= hi && !math.IsInf(float64(hi-lo), 0) {
		a, b = lo+(hi-lo)*C(r.Float64()), lo+(hi-lo)*C(r.Float64())
	}
	p := ps[r.IntN(len(ps))]
	minQ, maxQ := p.Levels()
	return append(qs, quant.ComputeQuant(minQ, maxQ, min(a, b), max(a, b)))
}

// checkApply compares apply and applyEach of k with the scalar kernels on
// src, for q, both round modes and clamp on and off.
func (k simdKernelCase[S, C]) checkApply(t *testing.T, r *rand.Rand, src []S, qs []quant.Quant[C], what string) bool {
	n := len(src)
	want, got := make([]S, n), make([]S, n)
	for _, q := range qs {
		for _, mode := range []quant.RoundMode{quant.HalfToEven, quant.HalfUp} {
			for _, clamp := range []bool{false, true} {
				k.scalar.apply(want, src, q, clamp, mode)
				k.simd.apply(got, src, q, clamp, mode)
				if !k.sameAll(t, want, got, src, fmt.Sprintf("%s apply q=%+v mode=%d clamp=%v", what, q, mode, clamp)) {
					return false
				}
				copy(got, src)
				k.simd.apply(got, got, q, clamp, mode)
				if !k.sameAll(t, want, got, src, fmt.Sprintf("%s apply in place q=%+v mode=%d clamp=%v", what, q, mode, clamp)) {
					return false
				}
				// The streaming apply, into outputs starting at every
				// alignment.
				for off := range 5 * btoi(k.simd.stream != nil) {
					buf := make([]S, n+off)
					out := buf[off:]
					k.simd.stream(out, src, q, clamp, mode)
					if !k.sameAll(t, want, out, src, fmt.Sprintf("%s stream at +%d q=%+v mode=%d clamp=%v", what, off, q, mode, clamp)) {
						return false
					}
				}
			}
		}
	}
	// Per-element parameters drawn from qs.
	qa := quantArrays[C]{make([]C, n), make([]C, n), make([]C, n), make([]C, n)}
	for j := range n {
		q := qs[r.IntN(len(qs))]
		qa.Min[j], qa.Max[j], qa.Scale[j], qa.InverseScale[j] = q.Min, q.Max, q.Scale, q.InverseScale
	}
	for _, mode := range []quant.RoundMode{quant.HalfToEven, quant.HalfUp} {
		for _, clamp := range []bool{false, true} {
			k.scalar.applyEach(want, src, qa, clamp, mode)
			k.simd.applyEach(got, src, qa, clamp, mode)
			if !k.sameAll(t, want, got, src, fmt.Sprintf("%s applyEach mode=%d clamp=%v", what, mode, clamp)) {
				return false
			}
			copy(got, src)
			k.simd.applyEach(got, got, qa, clamp, mode)
			if !k.sameAll(t, want, got, src, fmt.Sprintf("%s applyEach in place mode=%d clamp=%v", what, mode, clamp)) {
				return false
			}
		}
	}
	return true
}

// sameAll reports whether want and got agree element by element, and
// fails t at the first difference.
func (k simdKernelCase[S, C]) sameAll(t *testing.T, want, got, src []S, what string) bool {
	t.Helper()
	for j := range want {
		if !k.same(want[j], got[j]) {
			assert.Failf(t, "kernel mismatch", "%s: len %d, element %d: src %v (%v): want %v, got %v",
				what, len(want), j, src[j], k.widen(src[j]), want[j], got[j])
			return false
		}
	}
	return true
}

// simdStartValue returns a running range bound to start a fold from.
func simdStartValue[C quant.Float](r *rand.Rand, inf C) C {
	switch r.IntN(6) {
	case 0, 1:
		return inf
	case 2:
		return simdSpecial[C](r)
	}
	return C(r.NormFloat64())
}

// checkMinMax compares minMax and minMaxEach of k with the scalar kernels
// on src.
func (k simdKernelCase[S, C]) checkMinMax(t *testing.T, r *rand.Rand, src []S, what string) bool {
	inf := C(math.Inf(1))
	starts := [][2]C{{inf, -inf}, {simdStartValue(r, inf), simdStartValue(r, -inf)}, {0, C(math.Copysign(0, -1))}}
	for _, s := range starts {
		wl, wh := k.scalar.minMax(src, s[0], s[1])
		gl, gh := k.simd.minMax(src, s[0], s[1])
		if !assert.Truef(t, simdSameBits(wl, gl) && simdSameBits(wh, gh), "%s minMax len %d from %v, %v: want [%v, %v], got [%v, %v]",
			what, len(src), s[0], s[1], wl, wh, gl, gh) {
			return false
		}
	}
	n := len(src)
	wlo, whi, glo, ghi := make([]C, n), make([]C, n), make([]C, n), make([]C, n)
	for j := range n {
		wlo[j], whi[j] = simdStartValue(r, inf), simdStartValue(r, -inf)
	}
	copy(glo, wlo)
	copy(ghi, whi)
	for range 2 {
		k.scalar.minMaxEach(wlo, whi, src)
		k.simd.minMaxEach(glo, ghi, src)
		for j := range n {
			if !assert.Truef(t, simdSameBits(wlo[j], glo[j]) && simdSameBits(whi[j], ghi[j]), "%s minMaxEach len %d, element %d (%v): want [%v, %v], got [%v, %v]",
				what, n, j, k.widen(src[j]), wlo[j], whi[j], glo[j], ghi[j]) {
				return false
			}
		}
	}
	return true
}

// run runs every kernel check for one storage type.
func (k simdKernelCase[S, C]) run(t *testing.T) {
	r := rand.New(rand.NewPCG(1, uint64(len(k.simd.name))))
	inf := C(math.Inf(1))
	// Every length up to 100 (tails), at random offsets, with a few
	// parameter sets each.
	for n := 0; n <= 100; n++ {
		for dist := range simdNumDists {
			qh := quant.ComputeQuant(-128, 127, C(-r.Float64()*10), C(r.Float64()*10))
			off := r.IntN(4)
			src := k.gen(r, n+off, dist, qh)[off:]
			lo, hi := k.scalar.minMax(src, inf, -inf)
			qs := append(simdQuants(r, lo, hi, true), qh)
			what := fmt.Sprintf("len %d dist %d", n, dist)
			if !k.checkApply(t, r, src, qs, what) || !k.checkMinMax(t, r, src, what) {
				return
			}
		}
	}
	// Longer slices with every parameter set.
	for _, n := range []int{1000, 4099} {
		for dist := range simdNumDists {
			qh := quant.ComputeQuant(-1<<15, 1<<15-1, C(-r.Float64()*100), C(r.Float64()*100))
			src := k.gen(r, n, dist, qh)
			lo, hi := k.scalar.minMax(src, inf, -inf)
			qs := append(simdQuants(r, lo, hi, false), qh)
			what := fmt.Sprintf("len %d dist %d", n, dist)
			if !k.checkApply(t, r, src, qs, what) || !k.checkMinMax(t, r, src, what) {
				return
			}
		}
	}
	// Ranges of signed zeros, all NaN, and infinities.
	negZero := C(math.Copysign(0, -1))
	nan := C(math.NaN())
	for _, vals := range [][]C{{0, negZero}, {negZero, 0}, {negZero}, {0}, {nan}, {inf, -inf, nan}, {-inf}, {inf}, {nan, 1, negZero}} {
		for n := range 70 {
			src := make([]S, n)
			for j := range src {
				src[j] = k.narrow(vals[r.IntN(len(vals))])
			}
			lo, hi := k.scalar.minMax(src, inf, -inf)
			what := fmt.Sprintf("values %v", vals)
			if !k.checkMinMax(t, r, src, what) || !k.checkApply(t, r, src, simdQuants(r, lo, hi, true), what) {
				return
			}
		}
	}
}

// simdTestSets runs f for every SIMD kernel set this CPU can run.
func simdTestSets(t *testing.T, f func(t *testing.T, s kernelSet)) {
	sets := cpuSIMDSets()
	if len(sets) == 0 {
		t.Skip("no SIMD kernels on this CPU")
	}
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) { f(t, s) })
	}
}

// TestSIMDKernelsFloat32 compares the float32 SIMD kernels with the
// scalar ones.
func TestSIMDKernelsFloat32(t *testing.T) {
	simdTestSets(t, func(t *testing.T, s kernelSet) {
		simdKernelCase[float32, float32]{
			simd: s.float32, scalar: &scalarFloat32,
			widen: identity[float32], narrow: identity[float32],
			same: exactBits[float32],
			bits: func(r *rand.Rand) float32 { return math.Float32frombits(r.Uint32()) },
		}.run(t)
	})
}

// TestSIMDKernelsFloat64 compares the float64 SIMD kernels with the
// scalar ones.
func TestSIMDKernelsFloat64(t *testing.T) {
	simdTestSets(t, func(t *testing.T, s kernelSet) {
		simdKernelCase[float64, float64]{
			simd: s.float64, scalar: &scalarFloat64,
			widen: identity[float64], narrow: identity[float64],
			same: exactBits[float64],
			bits: func(r *rand.Rand) float64 { return math.Float64frombits(r.Uint64()) },
		}.run(t)
	})
}

// TestSIMDKernelsFloat16 compares the float16 SIMD kernels with the
// scalar ones.
func TestSIMDKernelsFloat16(t *testing.T) {
	simdTestSets(t, func(t *testing.T, s kernelSet) {
		simdKernelCase[uint16, float32]{
			simd: s.float16, scalar: &scalarFloat16,
			widen: quant.Float16ToFloat32, narrow: quant.Float32ToFloat16,
			same: func(a, b uint16) bool { return a == b },
			bits: func(r *rand.Rand) uint16 { return uint16(r.Uint32()) },
		}.run(t)
	})
}

// TestSIMDKernelsBFloat16 compares the bfloat16 SIMD kernels with the
// scalar ones.
func TestSIMDKernelsBFloat16(t *testing.T) {
	simdTestSets(t, func(t *testing.T, s kernelSet) {
		simdKernelCase[uint16, float32]{
			simd: s.bfloat16, scalar: &scalarBFloat16,
			widen: quant.BFloat16ToFloat32, narrow: quant.Float32ToBFloat16,
			same: func(a, b uint16) bool { return a == b },
			bits: func(r *rand.Rand) uint16 { return uint16(r.Uint32()) },
		}.run(t)
	})
}

// TestSIMDKernelsAll16 runs the 16-bit kernels over every 16-bit pattern.
func TestSIMDKernelsAll16(t *testing.T) {
	all := make([]uint16, 1<<16)
	for j := range all {
		all[j] = uint16(j)
	}
	simdTestSets(t, func(t *testing.T, s kernelSet) {
		r := rand.New(rand.NewPCG(3, 4))
		for _, k := range []simdKernelCase[uint16, float32]{
			{simd: s.float16, scalar: &scalarFloat16, widen: quant.Float16ToFloat32, same: func(a, b uint16) bool { return a == b }},
			{simd: s.bfloat16, scalar: &scalarBFloat16, widen: quant.BFloat16ToFloat32, same: func(a, b uint16) bool { return a == b }},
		} {
			qs := []quant.Quant[float32]{
				quant.ComputeQuant[float32](-128, 127, -1, 1),
				quant.ComputeQuant[float32](-1<<15, 1<<15-1, -1e-3, 1e-3),
				quant.ComputeQuant[float32](0, 1<<16-1, 0, 6e4),
				quant.ComputeQuant[float32](-1<<23, 1<<23-1, -1e30, 1e30),
				quant.ComputeQuant[float32](-1<<60, 1<<60-1, -1e-30, 1e-30),
			}
			if !k.checkApply(t, r, all, qs, "all patterns") || !k.checkMinMax(t, r, all, "all patterns") {
				return
			}
		}
	})
}

// TestSIMDWiden checks the vector widening of every 16-bit pattern: the
// half helper bit for bit, NaNs included, and the widening inside the
// minMaxEach kernels of both formats, which from a (+Inf, -Inf) start
// must give each non-NaN value exactly.
func TestSIMDWiden(t *testing.T) {
	all := make([]uint16, 1<<16)
	for j := range all {
		all[j] = uint16(j)
	}
	simdTestSets(t, func(t *testing.T, s kernelSet) {
		for h := 0; h < 1<<16; h += 16 {
			got := widenHalfBlock(s.name, (*[16]uint16)(all[h:]))
			for j, g := range got {
				require.Equalf(t, math.Float32bits(quant.Float16ToFloat32(all[h+j])), math.Float32bits(g), "half %#04x", all[h+j])
			}
		}
		for _, f := range []struct {
			k     *kernels[uint16, float32]
			widen func(uint16) float32
		}{{s.float16, quant.Float16ToFloat32}, {s.bfloat16, quant.BFloat16ToFloat32}} {
			lo, hi := make([]float32, len(all)), make([]float32, len(all))
			for j := range all {
				lo[j], hi[j] = float32(math.Inf(1)), float32(math.Inf(-1))
			}
			f.k.minMaxEach(lo, hi, all)
			for j, h := range all {
				want := f.widen(h)
				if want != want {
					require.Truef(t, math.IsInf(float64(lo[j]), 1) && math.IsInf(float64(hi[j]), -1), "NaN %#04x taken: [%v, %v]", h, lo[j], hi[j])
					continue
				}
				require.Equalf(t, math.Float32bits(want), math.Float32bits(lo[j]), "%#04x: lo", h)
				require.Equalf(t, math.Float32bits(want), math.Float32bits(hi[j]), "%#04x: hi", h)
			}
		}
	})
}

// TestSIMDNarrow checks the vector float32 to half and to bfloat16
// roundings of every SIMD set against Float32ToFloat16 and
// Float32ToBFloat16, on every float32 bit pattern (but the signalling
// NaNs, for bfloat16), or on a fixed sample of 2^24 of them in short mode.
func TestSIMDNarrow(t *testing.T) {
	sets := cpuSIMDSets()
	if len(sets) == 0 {
		t.Skip("no SIMD kernels on this CPU")
	}
	check := func(hi uint32) error {
		var h, b [1 << 16]uint16
		for _, s := range sets {
			narrowChunk(s.name, hi, &h, &b)
			for lo := range uint32(1 << 16) {
				f := math.Float32frombits(hi<<16 | lo)
				if w := quant.Float32ToFloat16(f); h[lo] != w {
					return fmt.Errorf("%s: float32 %#08x to quant.HalfTable: want %#04x, got %#04x", s.name, math.Float32bits(f), w, h[lo])
				}
				// The kernels narrow results of arithmetic, never a
				// signalling NaN: only bfloat16's narrowing relies on
				// that, keeping a NaN's top bits as they are.
				if w := quant.Float32ToBFloat16(f); b[lo] != w && !signalling(f) {
					return fmt.Errorf("%s: float32 %#08x to bfloat16: want %#04x, got %#04x", s.name, math.Float32bits(f), w, b[lo])
				}
			}
		}
		return nil
	}
	if testing.Short() {
		// A fixed sample of 2^24 patterns: the edges of every rounding
		// case, then random top halves.
		his := []uint32{0, 0x3800, 0x3880, 0x3f00, 0x477f, 0x4780, 0x7f80, 0x7fc0, 0x8000, 0xb880, 0xc77f, 0xff80, 0xffff}
		r := rand.New(rand.NewPCG(5, 6))
		for len(his) < 256 {
			his = append(his, r.Uint32()>>16)
		}
		for _, hi := range his {
			require.NoError(t, check(hi))
		}
		return
	}
	require.NoError(t, simdSweep16(check))
}

// widenHalfBlock widens 16 halves with the named set's vector code.
func widenHalfBlock(set string, in *[16]uint16) [16]float32 {
	var out [16]float32
	conversionsOf(set).widenHalf(out[:], in[:])
	return out
}

// narrowChunk rounds the 65,536 float32s whose top 16 bits are hi to
// halves and to bfloat16s with the named set's vector code.
func narrowChunk(set string, hi uint32, h, b *[1 << 16]uint16) {
	var f [1 << 16]float32
	for lo := range uint32(1 << 16) {
		f[lo] = math.Float32frombits(hi<<16 | lo)
	}
	c := conversionsOf(set)
	c.narrowHalf(h[:], f[:])
	c.narrowBF(b[:], f[:])
}

// simdSweep16 calls check for every value of the top 16 bits, spread over
// GOMAXPROCS goroutines, and returns the first error.
func simdSweep16(check func(hi uint32) error) error {
	var next atomic.Uint32
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				hi := next.Add(1) - 1
				if hi >= 1<<16 {
					return
				}
				if err := check(hi); err != nil {
					once.Do(func() { first = err })
					next.Store(1 << 16)
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// simdBenchKernels benchmarks the four kernels of one storage type, the
// scalar set and every SIMD set, on 1Mi elements. Bytes count what each
// kernel reads and writes.
func simdBenchKernels[S any, C quant.Float](b *testing.B, sets map[string]*kernels[S, C], names []string, src []S) {
	n := len(src)
	var s S
	var c C
	sz, cz := int64(unsafe.Sizeof(s)), int64(unsafe.Sizeof(c))
	inf := C(math.Inf(1))
	lo, hi := simdScalarOf(sets).minMax(src, inf, -inf)
	q := quant.ComputeQuant(-128, 127, lo, hi)
	dst := make([]S, n)
	qa := quantArrays[C]{make([]C, n), make([]C, n), make([]C, n), make([]C, n)}
	qa.fill(0, n, q)
	los, his := make([]C, n), make([]C, n)
	for _, name := range names {
		k := sets[name]
		b.Run("minMax/"+name, func(b *testing.B) {
			b.SetBytes(int64(n) * sz)
			for b.Loop() {
				k.minMax(src, inf, -inf)
			}
		})
		b.Run("minMaxEach/"+name, func(b *testing.B) {
			b.SetBytes(int64(n) * (sz + 4*cz))
			for b.Loop() {
				k.minMaxEach(los, his, src)
			}
		})
		b.Run("apply/"+name, func(b *testing.B) {
			b.SetBytes(int64(n) * 2 * sz)
			for b.Loop() {
				k.apply(dst, src, q, false, quant.HalfToEven)
			}
		})
		b.Run("applyEach/"+name, func(b *testing.B) {
			b.SetBytes(int64(n) * (2*sz + 2*cz))
			for b.Loop() {
				k.applyEach(dst, src, qa, false, quant.HalfToEven)
			}
		})
	}
}

// simdScalarOf returns the scalar set of sets.
func simdScalarOf[S any, C quant.Float](sets map[string]*kernels[S, C]) *kernels[S, C] {
	return sets["scalar"]
}

// BenchmarkKernels measures every kernel of every storage type, scalar
// and SIMD, single-threaded on 1Mi normal values.
func BenchmarkKernels(b *testing.B) {
	const n = 1 << 20
	r := rand.New(rand.NewPCG(7, 8))
	xs := make([]float64, n)
	for j := range xs {
		xs[j] = r.NormFloat64()
	}
	names := []string{"scalar"}
	f32 := map[string]*kernels[float32, float32]{"scalar": &scalarFloat32}
	f64 := map[string]*kernels[float64, float64]{"scalar": &scalarFloat64}
	f16 := map[string]*kernels[uint16, float32]{"scalar": &scalarFloat16}
	bf16 := map[string]*kernels[uint16, float32]{"scalar": &scalarBFloat16}
	for _, s := range cpuSIMDSets() {
		names = append(names, s.name)
		f32[s.name], f64[s.name], f16[s.name], bf16[s.name] = s.float32, s.float64, s.float16, s.bfloat16
	}
	src32, src64, src16, srcB := make([]float32, n), make([]float64, n), make([]uint16, n), make([]uint16, n)
	for j, x := range xs {
		src32[j], src64[j] = float32(x), x
		src16[j], srcB[j] = quant.Float32ToFloat16(float32(x)), quant.Float32ToBFloat16(float32(x))
	}
	b.Run("float32", func(b *testing.B) { simdBenchKernels(b, f32, names, src32) })
	b.Run("float64", func(b *testing.B) { simdBenchKernels(b, f64, names, src64) })
	b.Run("float16", func(b *testing.B) { simdBenchKernels(b, f16, names, src16) })
	b.Run("bfloat16", func(b *testing.B) { simdBenchKernels(b, bf16, names, srcB) })
}

// TestStreamingFastMatchesPortable runs Fast on tensors large enough for
// the streaming stores (streamFrom), into an output that starts off a
// vector boundary, with every kernel set: the bits must be the portable
// kernels'.
func TestStreamingFastMatchesPortable(t *testing.T) {
	if testing.Short() {
		t.Skip("tensors of 16 MiB and more")
	}
	ctx := context.Background()
	r := rand.New(rand.NewPCG(9, 10))
	n := streamFrom/2 + 77 // 16-bit elements: streamFrom bytes and more
	req := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 1, Inner: n}, Params: quant.Params{Signed: true, NumBits: 8}}
	x := make([]float32, n)
	h := make([]uint16, n)
	for j := range x {
		x[j] = float32(r.NormFloat64())
		h[j] = quant.Float32ToFloat16(x[j])
	}
	want32, want16 := make([]float32, n), make([]uint16, n)
	_, err := Fast{Kernels: "scalar"}.Float32(ctx, want32, x, req)
	require.NoError(t, err)
	_, err = Fast{Kernels: "scalar"}.Float16(ctx, want16, h, req)
	require.NoError(t, err)
	for _, set := range cpuSIMDSets() {
		f := Fast{Kernels: set.name}
		got32 := make([]float32, n+1)[1:]
		_, err := f.Float32(ctx, got32, x, req)
		require.NoError(t, err)
		require.Equal(t, want32, got32, set.name)
		got16 := make([]uint16, n+3)[3:]
		_, err = f.Float16(ctx, got16, h, req)
		require.NoError(t, err)
		require.Equal(t, want16, got16, set.name)
	}
}

// btoi is 1 for true and 0 for false.
func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// signalling reports whether f is a signalling NaN, which no arithmetic
// gives.
func signalling(f float32) bool {
	b := math.Float32bits(f)
	return b&0x7fffffff > 0x7f800000 && b&(1<<22) == 0
}

func identity[T any](x T) T { return x }
