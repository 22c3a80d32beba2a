package gpu

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/shaders"
)

func TestExactFor(t *testing.T) {
	const big32, tiny32 = 0x1p125, 0x1p-126
	cases := []struct {
		name               string
		scale, inv, lo, hi float64
		big, tiny          float64
		want               bool
	}{
		{"ordinary", 100, 0.01, -1, 1, big32, tiny32, true},
		{"zero range", 0, 0, 0, 0, big32, tiny32, true},
		{"subnormal scale", 1e-40, 1e40, -1, 1, big32, tiny32, false},
		{"subnormal inverse", 1e38, 1e-39, 0, 1e-38, big32, tiny32, false},
		{"negative subnormal inverse", -1e38, -1e-39, -1e-38, 0, big32, tiny32, false},
		{"big scale, range over subnormals", 0x1p126, 0x1p-126, -1e-38, 1e-38, big32, tiny32, false},
		{"big scale, range at zero only", 0x1p126, 0x1p-126, 0, 0, big32, tiny32, true},
		{"big scale, range of normals", 0x1p126, 0x1p-126, 0x1p-120, 0x1p-119, big32, tiny32, true},
		{"big scale, negative normals", 0x1p126, 0x1p-126, -0x1p-119, -0x1p-120, big32, tiny32, true},
		{"just below big, subnormals in range", 0x1p124, 0x1p-124, -1e-39, 1e-39, big32, tiny32, true},
		{"range touching tiny", 0x1p125, 0x1p-125, tiny32, 1, big32, tiny32, true},
		{"float64 ordinary", 1e300, 1e-300, 1e-300, 2e-300, 0x1p1021, 0x1p-1022, true},
		{"float64 subnormal inverse", 1e300, 1e-310, 0, 1, 0x1p1021, 0x1p-1022, false},
		{"float64 big scale over subnormals", 0x1p1022, 0x1p-1022, -1e-310, 1e-310, 0x1p1021, 0x1p-1022, false},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, exactFor(c.scale, c.inv, c.lo, c.hi, c.big, c.tiny), c.name)
	}
}

// TestFormatKeys checks that the formats decode the shaders' key ranges
// back into the values they came from, and an empty range as empty.
func TestFormatKeys(t *testing.T) {
	f := format32("f32")
	for _, v := range [][2]float32{{-1.5, 2}, {float32(math.Copysign(0, -1)), 0}, {-math.MaxFloat32, math.MaxFloat32}, {1e-45, 1e-44}} {
		b := make([]byte, f.rangeSize)
		putKeys32(b, quant.Key32(v[0]), quant.Key32(v[1]))
		got := f.bounds(f.keys(b))
		assert.Equal(t, math.Float32bits(v[0]), math.Float32bits(got.Min), "%v", v)
		assert.Equal(t, math.Float32bits(v[1]), math.Float32bits(got.Max), "%v", v)
	}
	b := make([]byte, f.rangeSize)
	putKeys32(b, math.MaxInt32, math.MinInt32)
	assert.Equal(t, quant.EmptyBounds[float32](), f.bounds(f.keys(b)))

	g := format64()
	for _, v := range [][2]float64{{-1.5, 2}, {math.Copysign(0, -1), 5e-324}, {-math.MaxFloat64, math.MaxFloat64}} {
		b := make([]byte, g.rangeSize)
		putKeys64(b, quant.Key64(v[0]), quant.Key64(v[1]))
		got := g.bounds(g.keys(b))
		assert.Equal(t, math.Float64bits(v[0]), math.Float64bits(got.Min), "%v", v)
		assert.Equal(t, math.Float64bits(v[1]), math.Float64bits(got.Max), "%v", v)
	}
	b = make([]byte, g.rangeSize)
	putKeys64(b, math.MaxInt64, math.MinInt64)
	assert.Equal(t, quant.EmptyBounds[float64](), g.bounds(g.keys(b)))
}

func putKeys32(b []byte, lo, hi int32) {
	for i, k := range []int32{lo, hi} {
		u := uint32(k)
		b[4*i], b[4*i+1], b[4*i+2], b[4*i+3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
}

func putKeys64(b []byte, lo, hi int64) {
	putKeys32(b, int32(lo), int32(lo>>32))
	putKeys32(b[8:], int32(hi), int32(hi>>32))
}

// TestFormatPack checks the parameters' layout the shaders read: Min,
// Max, Scale, InverseScale, little-endian, in the compute type.
func TestFormatPack(t *testing.T) {
	q32 := quant.Quant[float32]{Min: -1, Max: 2.5, Scale: 3e7, InverseScale: float32(math.Inf(1))}
	b := make([]byte, 16)
	format32("bf16").pack(q32, b)
	assert.Equal(t, bytesOf([]float32{q32.Min, q32.Max, q32.Scale, q32.InverseScale}), b)

	q64 := quant.Quant[float64]{Min: -1e300, Max: math.Copysign(0, -1), Scale: 1e-300, InverseScale: math.NaN()}
	b = make([]byte, 32)
	format64().pack(q64, b)
	assert.Equal(t, bytesOf([]float64{q64.Min, q64.Max, q64.Scale, q64.InverseScale}), b)
}

// TestFormatModules checks that every module a format asks for, with
// subgroups or without, is one the shaders package has.
func TestFormatModules(t *testing.T) {
	builds, err := shaders.Builds()
	require.NoError(t, err)
	have := map[string]bool{}
	for _, b := range builds {
		have[b.Name] = true
	}
	for _, name := range []string{"f32", "f16", "bf16"} {
		f := format32(name)
		for _, m := range []string{f.merge, fusedModule(name), minmaxModule(name, true), minmaxModule(name, false)} {
			assert.True(t, have[m], "module %s", m)
		}
		assert.Equal(t, "minmax_"+name+"_sg", minmaxModule(name, true))
	}
	f := format64()
	for _, m := range []string{f.merge, fusedModule("f64"), minmaxModule("f64", true)} {
		assert.True(t, have[m], "module %s", m)
	}
	assert.Equal(t, "minmax_f64", minmaxModule("f64", true), "float64 has no subgroup reduction")
}

// TestParameters checks that a given range is clamped to as QuantOf
// adjusts it, and a found range used as it is.
func TestParameters(t *testing.T) {
	p := quant.Params{Signed: true, NumBits: 8}
	r := quant.Request[float32]{Layout: quant.Layout{Outer: 1, Depth: 2, Inner: 1}, Params: p,
		Given: []quant.Bounds[float32]{{Min: -1, Max: 1}, {Min: 0.5, Max: 3}}}
	quants, bounds := parameters(r, nil)
	for c := range quants {
		assert.Equal(t, quant.QuantOf(p, r.Given[c]), quants[c])
		assert.Equal(t, quant.Bounds[float32]{Min: quants[c].Min, Max: quants[c].Max}, bounds[c])
	}
	r.Given = nil
	found := []quant.Bounds[float32]{{Min: -2, Max: 0.25}, quant.EmptyBounds[float32]()}
	quants, bounds = parameters(r, func(c int) quant.Bounds[float32] { return found[c] })
	assert.Equal(t, found, bounds)
	assert.Equal(t, quant.QuantOf(p, found[0]), quants[0])
	assert.True(t, math.IsNaN(float64(quants[1].Min)), "a channel without values has a NaN range")
	assert.Equal(t, -1, inexact(format32("f32"), quants[:1], bounds[:1]))
	assert.Equal(t, 0, inexact(format32("f32"), []quant.Quant[float32]{{Scale: 1e-40, InverseScale: 1e38}}, bounds[:1]))
}
