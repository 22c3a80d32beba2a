package quant

import (
	"math"
	"math/big"
	"runtime"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

// nearestEven is a plain reference for rounding a finite float32 to a
// format whose values are enumerated by decode (a 16-bit format): it
// picks the closest of the two neighbours by exact float64 distance, ties
// to the even bit pattern.
func nearestEven(f float32, below, above uint16, decode func(uint16) float64) uint16 {
	d0 := math.Abs(float64(f) - decode(below))
	d1 := math.Abs(decode(above) - float64(f))
	switch {
	case d0 < d1:
		return below
	case d1 < d0:
		return above
	case below&1 == 0:
		return below
	}
	return above
}

// sweep runs check over all 2^32 float32 bit patterns on every core.
func sweep(t *testing.T, check func(b uint32) bool) {
	if testing.Short() {
		t.Skip("the 2^32 sweep is skipped with -short")
	}
	workers := runtime.GOMAXPROCS(0)
	bad := make([]uint64, workers) // first failing pattern + 1, per worker
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for b := uint64(w); b < 1<<32; b += uint64(workers) {
				if !check(uint32(b)) {
					bad[w] = b + 1
					return
				}
			}
		})
	}
	wg.Wait()
	for _, b := range bad {
		if b != 0 {
			t.Fatalf("first mismatch at float32 bits %#08x", b-1)
		}
	}
}

func TestFloat32ToFloat16MatchesX448AllInputs(t *testing.T) {
	sweep(t, func(b uint32) bool {
		return Float32ToFloat16(math.Float32frombits(b)) == float16.Fromfloat32(math.Float32frombits(b)).Bits()
	})
}

func TestFloat32ToBFloat16AllInputs(t *testing.T) {
	sweep(t, func(b uint32) bool {
		f := math.Float32frombits(b)
		got := Float32ToBFloat16(f)
		if f != f {
			return got == uint16(b>>16)|0x40
		}
		below := uint16(b >> 16) // truncation: the neighbour towards zero
		if uint32(below)<<16 == b {
			return got == below
		}
		return got == nearestEven(f, below, below+1, bfloat16Unbounded)
	})
}

// bfloat16Unbounded decodes bfloat16 bits as if the exponent went on past
// the largest finite value: the Inf pattern counts as 2^128, which is what
// IEEE rounding compares against at the top of the range.
func bfloat16Unbounded(b uint16) float64 {
	if b&0x7fff == 0x7f80 {
		return math.Copysign(0x1p128, float64(BFloat16ToFloat32(b)))
	}
	return float64(BFloat16ToFloat32(b))
}

func TestWideningIsExactForAll16BitPatterns(t *testing.T) {
	for i := range 1 << 16 {
		h := uint16(i)
		want := float16.Frombits(h).Float32()
		got := Float16ToFloat32(h)
		if want != want {
			require.True(t, got != got, "half %#04x", h)
		} else {
			require.Equal(t, math.Float32bits(want), math.Float32bits(got), "half %#04x", h)
		}
		// Narrowing a widened value gives the pattern back (NaNs quietened).
		wantBack := h
		if want != want {
			wantBack |= 0x0200
		}
		require.Equal(t, wantBack, Float32ToFloat16(got), "half %#04x", h)

		bf := BFloat16ToFloat32(h)
		require.Equal(t, uint32(h)<<16, math.Float32bits(bf), "bfloat16 %#04x", h)
		wantBF := h
		if bf != bf {
			wantBF |= 0x40
		}
		require.Equal(t, wantBF, Float32ToBFloat16(bf), "bfloat16 %#04x", h)
	}
}

func TestBFloat16NeighboursOfEveryPattern(t *testing.T) {
	// Around each bfloat16 value: just below and above the midpoint to the
	// next pattern, and the midpoint itself (a tie).
	for i := range 1<<15 - 1 {
		for _, sign := range []uint32{0, 1 << 31} {
			lo := uint32(i)<<16 | sign
			if math.IsNaN(float64(math.Float32frombits(lo))) || math.IsInf(float64(math.Float32frombits(lo)), 0) {
				continue
			}
			mid := lo | 0x8000
			even := uint16(lo >> 16)
			if even&1 == 1 {
				even++
			}
			assert.Equal(t, uint16(lo>>16), Float32ToBFloat16(math.Float32frombits(mid-1)), "below mid %#08x", mid)
			assert.Equal(t, uint16(lo>>16)+1, Float32ToBFloat16(math.Float32frombits(mid+1)), "above mid %#08x", mid)
			assert.Equal(t, even, Float32ToBFloat16(math.Float32frombits(mid)), "tie %#08x", mid)
		}
	}
}

// bigRound rounds f to a binary format with prec significand bits and
// minimum normal exponent emin (as big.Float's MantExp counts) by exact
// arithmetic, ties to even, returning the value as float64 (or ±Inf above
// maxFinite).
func bigRound(f float64, prec uint, emin int, maxFinite float64) float64 {
	if f == 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return f
	}
	x := new(big.Float).SetFloat64(f)
	exp := x.MantExp(nil)
	p := int(prec)
	if exp < emin { // subnormal: fewer bits
		p -= emin - exp
	}
	if p < 1 { // below half the smallest subnormal or around it
		tiny := math.Ldexp(1, emin-int(prec)) // the smallest subnormal
		switch a := math.Abs(f); {
		case a > tiny/2:
			return math.Copysign(tiny, f)
		default:
			return math.Copysign(0, f)
		}
	}
	r, _ := new(big.Float).SetMode(big.ToNearestEven).SetPrec(uint(p)).Set(x).Float64()
	if math.Abs(r) > maxFinite {
		return math.Inf(int(math.Copysign(1, f)))
	}
	return r
}

func TestFloat64ToNarrowRoundsOnce(t *testing.T) {
	cases := []float64{
		1 + 0x1p-11 + 0x1p-40, // float32 first would round to a tie, then down
		1 + 0x1p-8 + 0x1p-40,
		65519.99, 65520, 65504, 0x1p-24, 0x1p-25, 0x1p-25 + 0x1p-60, 0x1.8p-25,
		3.0e38, 3.4028235e38, 3.4e38 * 1.01, 0x1p-133, 0x1p-134 + 0x1p-170,
		0.1, 1.0 / 3, math.Pi, 1e-10, -2.5e-8, 123456.789,
	}
	rnd := newRand(1)
	for range 20000 {
		cases = append(cases, math.Ldexp(rnd.Float64()+0.5, rnd.IntN(300)-150)*float64(1-2*rnd.IntN(2)))
	}
	for _, f := range cases {
		for _, neg := range []float64{1, -1} {
			f := f * neg
			want16 := bigRound(f, 11, -13, 65504)
			got16 := float64(Float16ToFloat32(Float64ToFloat16(f)))
			assert.Equal(t, want16, got16, "float16 of %v", f)
			wantBF := bigRound(f, 8, -125, float64(math.Float32frombits(0x7f7f0000)))
			gotBF := float64(BFloat16ToFloat32(Float64ToBFloat16(f)))
			assert.Equal(t, wantBF, gotBF, "bfloat16 of %v", f)
		}
	}
	assert.True(t, math.IsNaN(float64(Float16ToFloat32(Float64ToFloat16(math.NaN())))))
	assert.True(t, math.IsNaN(float64(BFloat16ToFloat32(Float64ToBFloat16(math.NaN())))))
}
