package quanttest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/qdqvk/qdq/internal/quant"
)

// shaped is a shape and axis chosen to reach a particular way a backend
// may split work.
type shaped struct {
	shape []int
	axis  int
}

// largeShapes reach every work split of the CPU's fast path, with more
// elements than it runs on one goroutine, and every split of a GPU's.
var largeShapes = []shaped{
	{[]int{50021}, -1},        // per tensor
	{[]int{1, 40000}, 1},      // one element per channel
	{[]int{40000, 3}, 1},      // few channels, inner 1
	{[]int{3, 40000}, 0},      // few channels, long rows
	{[]int{64, 1000}, 0},      // many channels, one row each
	{[]int{10, 64, 100}, 1},   // many channels, several rows each
	{[]int{1000, 40, 4}, 1},   // many channels, short rows
	{[]int{2, 9000, 3}, 1},    // many channels, short rows, two slabs
	{[]int{4, 4, 4, 1000}, 3}, // axis last
	{[]int{7, 5, 3, 331}, 2},  // odd sizes
	{[]int{33000, 1}, 0},      // one element per channel, outer 1
	{[]int{5, 1, 7000}, 1},    // depth 1 with a middle axis
	{[]int{2, 17, 19, 61}, 0}, // few channels, mid-sized rows
	{[]int{65537}, 0},         // 65,537 channels of one element
	{[]int{2, 16, 1100}, 1},   // depth at the split threshold
	{[]int{3, 7, 1600}, 1},    // depth just under it
	{[]int{40000, 2, 1}, 1},   // tiny slabs
}

// randomShape draws a shape and an axis: a large one of largeShapes
// sometimes, else a small one of rank 0 to 4 whose dimensions may be 0
// (an empty tensor, and a channel axis of size 0).
func randomShape(r *rand.Rand) shaped {
	if r.IntN(6) == 0 {
		return largeShapes[r.IntN(len(largeShapes))]
	}
	rank := r.IntN(5)
	s := shaped{shape: make([]int, rank), axis: PerTensor}
	for i := range s.shape {
		s.shape[i] = r.IntN(7)
		if r.IntN(8) == 0 {
			s.shape[i] = 1 + r.IntN(40)
		}
	}
	if rank > 0 && r.IntN(3) > 0 {
		s.axis = r.IntN(rank)
	}
	return s
}

// randomParams draws the operation's parameters: signed or not, narrow
// or not, either round mode, any valid bit count (1 to 61 signed, 1 to
// 62 unsigned) a quarter of the time and 2 to 16 otherwise.
func randomParams(r *rand.Rand) quant.Params {
	p := quant.Params{Signed: r.IntN(2) == 0, Narrow: r.IntN(3) == 0}
	if r.IntN(2) == 0 {
		p.Round = quant.HalfUp
	}
	switch {
	case r.IntN(4) > 0:
		p.NumBits = 2 + r.IntN(15)
	case p.Signed:
		p.NumBits = 1 + r.IntN(61)
	default:
		p.NumBits = 1 + r.IntN(62)
	}
	if p.NumBits == 1 && p.Signed {
		p.Narrow = false // no levels otherwise
	}
	return p
}

// randomValues draws n values of magnitude about scale: normal or
// uniform, with special values (NaN, zeros of both signs, infinities,
// subnormals) at one of three rates, and mostly non-negative for an
// unsigned call.
func randomValues(r *rand.Rand, n int, scale float64, signed bool) []float64 {
	special := []float64{nan, 0, negZ, inf, -inf, 0x1p-140, -0x1p-149, 0x1p-20, 1e-300, 0.5, -0.5}
	pSpecial := []int{0, 50, 1000}[r.IntN(3)]
	vals := make([]float64, n)
	for i := range vals {
		switch {
		case pSpecial > 0 && r.IntN(pSpecial) == 0:
			vals[i] = special[r.IntN(len(special))]
			if math.IsInf(vals[i], 0) && r.IntN(4) > 0 {
				vals[i] = nan // keep infinities rarer: they turn whole channels to NaN
			}
		case r.IntN(2) == 0:
			vals[i] = r.NormFloat64() * scale
		default:
			vals[i] = (r.Float64()*2 - 1) * scale
		}
		if !signed && r.IntN(4) > 0 {
			vals[i] = math.Abs(vals[i])
		}
	}
	return vals
}

// randomCase draws a call: storage, shape, axis, parameters, data, and a
// given range (in the storage's precision) two times in five.
func randomCase(r *rand.Rand) (quant.Storage, Case) {
	s := Storages[r.IntN(len(Storages))]
	sh := randomShape(r)
	c := Case{Shape: sh.shape, Axis: sh.axis, Params: randomParams(r)}
	scale := math.Ldexp(1, r.IntN(40)-20)
	c.In = randomValues(r, c.Layout().Len(), scale, c.Params.Signed)
	if r.IntN(5) < 2 {
		depth := c.Layout().Depth
		c.Min, c.Max = make([]float64, depth), make([]float64, depth)
		for i := range depth {
			a, b := Round(s, r.NormFloat64()*scale), Round(s, r.NormFloat64()*scale)
			if r.IntN(6) == 0 {
				b = a
			}
			c.Min[i], c.Max[i] = min(a, b), max(a, b)
		}
	}
	return s, c
}

// Random compares b with quant.Reference on randomised calls (fixed
// seeds) in every storage: outputs and parameters bit for bit, 400 calls
// (100 with -short). One call in four runs in place (dst and src the
// same slice).
func Random(t *testing.T, b quant.Backend) Stats {
	var st Stats
	cases := 400
	if testing.Short() {
		cases = 100
	}
	for seed := range uint64(cases) {
		r := rand.New(rand.NewPCG(seed, 0x51ed))
		s, c := randomCase(r)
		name := fmt.Sprintf("seed %d %v %v axis %d %+v given %t", seed, s, c.Shape, c.Axis, c.Params, c.Min != nil)
		cl := c.call(t, s)
		want := reference(t, cl)
		cl.inPlace = seed%4 == 3
		got := cl.run(t, context.Background(), b)
		if st.note(t, got.err, name) {
			same(t, want, got, cl, name)
		}
	}
	return st
}

// HalfPrecision checks the rule for float16 and bfloat16: widen exactly,
// compute in float32, round the result once. A 16-bit call on b must
// equal b's float32 call on the widened values, rounded, with the same
// parameters. It draws 40 calls of each (15 with -short).
func HalfPrecision(t *testing.T, b quant.Backend) Stats {
	var st Stats
	seeds := 40
	if testing.Short() {
		seeds = 15
	}
	for _, s := range []quant.Storage{quant.F16, quant.BF16} {
		for seed := range uint64(seeds) {
			r := rand.New(rand.NewPCG(seed, 0x16))
			cs, c := randomCase(r)
			for cs != s {
				cs, c = randomCase(r)
			}
			name := fmt.Sprintf("%v seed %d", s, seed)
			c16 := c.call(t, s)
			c32 := c16
			c32.storage = quant.F32
			c32.in = make([]uint64, len(c16.in))
			for i, h := range c16.in {
				c32.in[i] = uint64(math.Float32bits(widen16(s, h)))
			}
			o16 := c16.run(t, context.Background(), b)
			o32 := c32.run(t, context.Background(), b)
			ran16, ran32 := st.note(t, o16.err, name), st.note(t, o32.err, name+" as float32")
			if !ran16 || !ran32 {
				continue
			}
			want := outcome{out: make([]uint64, len(o32.out)), quants: o32.quants, qbits: o32.qbits}
			for i, x := range o32.out {
				want.out[i] = Encode(s, Decode(quant.F32, x))
			}
			same(t, want, o16, c16, name)
		}
	}
	return st
}

// widen16 widens the 16-bit bits h of storage s to float32, exactly (a
// signalling NaN stays signalling).
func widen16(s quant.Storage, h uint64) float32 {
	if s == quant.F16 {
		return quant.Float16ToFloat32(uint16(h))
	}
	return quant.BFloat16ToFloat32(uint16(h))
}
