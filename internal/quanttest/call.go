package quanttest

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// guard is how many elements surround every output to catch writes out
// of bounds.
const guard = 17

// method is the shape of a quant.Backend method.
type method[S any, C quant.Float] func(context.Context, []S, []S, quant.Request[C]) ([]quant.Quant[C], error)

// ranger is the shape of a quant.Ranger method.
type ranger[S any, C quant.Float] func(context.Context, []S, quant.Layout) ([]quant.Bounds[C], error)

// format is what the suite needs to know of one storage: its Go element
// type S, its compute type C, its methods, and its bits.
type format[S any, C quant.Float] struct {
	storage  quant.Storage
	method   func(quant.Backend) method[S, C]
	ranges   func(quant.Ranger) ranger[S, C]
	bits     func(S) uint64
	fromBits func(uint64) S
	// fill is a signalling NaN no output holds (the operation quiets
	// every NaN): the value of the guards and of the output before the
	// call, so that an element left unwritten shows.
	fill uint64
}

var (
	f32Format = format[float32, float32]{
		storage:  quant.F32,
		method:   func(b quant.Backend) method[float32, float32] { return b.Float32 },
		ranges:   func(r quant.Ranger) ranger[float32, float32] { return r.RangeFloat32 },
		bits:     func(x float32) uint64 { return uint64(math.Float32bits(x)) },
		fromBits: func(u uint64) float32 { return math.Float32frombits(uint32(u)) },
		fill:     0x7fa5a5a5,
	}
	f64Format = format[float64, float64]{
		storage:  quant.F64,
		method:   func(b quant.Backend) method[float64, float64] { return b.Float64 },
		ranges:   func(r quant.Ranger) ranger[float64, float64] { return r.RangeFloat64 },
		bits:     math.Float64bits,
		fromBits: math.Float64frombits,
		fill:     0x7ff5a5a5a5a5a5a5,
	}
	f16Format = format[uint16, float32]{
		storage:  quant.F16,
		method:   func(b quant.Backend) method[uint16, float32] { return b.Float16 },
		ranges:   func(r quant.Ranger) ranger[uint16, float32] { return r.RangeFloat16 },
		bits:     func(x uint16) uint64 { return uint64(x) },
		fromBits: func(u uint64) uint16 { return uint16(u) },
		fill:     0x7da5,
	}
	bf16Format = format[uint16, float32]{
		storage:  quant.BF16,
		method:   func(b quant.Backend) method[uint16, float32] { return b.BFloat16 },
		ranges:   func(r quant.Ranger) ranger[uint16, float32] { return r.RangeBFloat16 },
		bits:     func(x uint16) uint64 { return uint64(x) },
		fromBits: func(u uint64) uint16 { return uint16(u) },
		fill:     0x7fa5,
	}
)

// Encode returns x rounded once to storage s, as s's bits: float32(x) for
// float32, and quant's single-rounding conversions for float16 and
// bfloat16.
func Encode(s quant.Storage, x float64) uint64 {
	switch s {
	case quant.F32:
		return uint64(math.Float32bits(float32(x)))
	case quant.F64:
		return math.Float64bits(x)
	case quant.F16:
		return uint64(quant.Float64ToFloat16(x))
	}
	return uint64(quant.Float64ToBFloat16(x))
}

// Decode widens the bits b of storage s to float64, exactly.
func Decode(s quant.Storage, b uint64) float64 {
	switch s {
	case quant.F32:
		return float64(math.Float32frombits(uint32(b)))
	case quant.F64:
		return math.Float64frombits(b)
	case quant.F16:
		return float64(quant.Float16ToFloat32(uint16(b)))
	}
	return float64(quant.BFloat16ToFloat32(uint16(b)))
}

// Round returns x rounded once to storage s, as a float64.
func Round(s quant.Storage, x float64) float64 { return Decode(s, Encode(s, x)) }

// call is one call in a form common to every storage.
type call struct {
	storage quant.Storage
	layout  quant.Layout
	params  quant.Params
	// given holds one range per channel, each bound already in the
	// storage's precision, or is nil for the range from the data.
	given []quant.Bounds[float64]
	// in holds the input's storage bits.
	in []uint64
	// inPlace runs the call with dst and src the same slice.
	inPlace bool
	// starting, when set, is called just before the backend's method.
	starting func()
}

// outcome is what one call gave, in a form common to every storage.
type outcome struct {
	out    []uint64               // the output's storage bits
	quants []quant.Quant[float64] // the returned parameters, widened exactly
	qbits  [][4]uint64            // their bits in the compute type
	err    error
}

// values returns the output widened to float64.
func (o outcome) values(s quant.Storage) []float64 {
	v := make([]float64, len(o.out))
	for i, b := range o.out {
		v[i] = Decode(s, b)
	}
	return v
}

// run runs c on b with ctx. It fails t if a guard element around the
// output changed, if the input changed, or if a call without an error
// returned other than one Quant per channel.
func (c call) run(t testing.TB, ctx context.Context, b quant.Backend) outcome {
	t.Helper()
	switch c.storage {
	case quant.F32:
		return runAs(t, ctx, f32Format, b, c)
	case quant.F64:
		return runAs(t, ctx, f64Format, b, c)
	case quant.F16:
		return runAs(t, ctx, f16Format, b, c)
	}
	return runAs(t, ctx, bf16Format, b, c)
}

// request returns c's Request in compute type C. The given bounds are in
// the storage's precision already, so converting them is exact.
func request[C quant.Float](c call) quant.Request[C] {
	r := quant.Request[C]{Layout: c.layout, Params: c.params}
	if c.given != nil {
		r.Given = make([]quant.Bounds[C], len(c.given))
		for i, g := range c.given {
			r.Given[i] = quant.Bounds[C]{Min: C(g.Min), Max: C(g.Max)}
		}
	}
	return r
}

// runAs is run for storage f: it decodes the input, calls f's method of
// b between guards, and encodes what came back.
func runAs[S any, C quant.Float](t testing.TB, ctx context.Context, f format[S, C], b quant.Backend, c call) outcome {
	t.Helper()
	require.Equal(t, c.layout.Len(), len(c.in), "the input has the layout's length")
	src := make([]S, len(c.in))
	for i, u := range c.in {
		src[i] = f.fromBits(u)
	}
	fn := f.method(b)
	if c.starting != nil {
		inner := fn
		fn = func(ctx context.Context, dst, src []S, r quant.Request[C]) ([]quant.Quant[C], error) {
			c.starting()
			return inner(ctx, dst, src, r)
		}
	}
	dst, q, err := guarded(t, ctx, f, fn, src, request[C](c), c.inPlace)
	o := outcome{err: err}
	if err != nil {
		return o
	}
	require.Len(t, q, c.layout.Depth, "one Quant per channel")
	o.out = make([]uint64, len(dst))
	for i, x := range dst {
		o.out[i] = f.bits(x)
	}
	o.quants, o.qbits = widen(q)
	return o
}

// guarded runs fn on src into an output surrounded by guard elements
// (into a copy of src so surrounded, when inPlace) and fails t if a guard
// or, out of place, the input changed.
func guarded[S any, C quant.Float](t testing.TB, ctx context.Context, f format[S, C], fn method[S, C], src []S, r quant.Request[C], inPlace bool) ([]S, []quant.Quant[C], error) {
	t.Helper()
	n := len(src)
	buf := make([]S, n+2*guard)
	for i := range buf {
		buf[i] = f.fromBits(f.fill)
	}
	dst := buf[guard : guard+n : guard+n]
	var before []uint64
	if inPlace {
		copy(dst, src)
		src = dst
	} else {
		before = make([]uint64, n)
		for i, x := range src {
			before[i] = f.bits(x)
		}
	}
	q, err := fn(ctx, dst, src, r)
	for i := range guard {
		if f.bits(buf[i]) != f.fill || f.bits(buf[guard+n+i]) != f.fill {
			t.Fatalf("%v %+v: a guard element around the output was overwritten (error %v)", f.storage, r.Layout, err)
		}
	}
	for i, x := range before {
		if f.bits(src[i]) != x {
			t.Fatalf("%v %+v: input element %d was overwritten", f.storage, r.Layout, i)
		}
	}
	return dst, q, err
}

// widen returns the parameters widened to float64 (exactly) and their
// bits in C.
func widen[C quant.Float](q []quant.Quant[C]) ([]quant.Quant[float64], [][4]uint64) {
	wide := make([]quant.Quant[float64], len(q))
	bits := make([][4]uint64, len(q))
	for i, x := range q {
		wide[i] = quant.Quant[float64]{Min: float64(x.Min), Max: float64(x.Max), Scale: float64(x.Scale), InverseScale: float64(x.InverseScale)}
		bits[i] = [4]uint64{bitsOf(x.Min), bitsOf(x.Max), bitsOf(x.Scale), bitsOf(x.InverseScale)}
	}
	return wide, bits
}

// bitsOf returns x's bits in its own type.
func bitsOf[C quant.Float](x C) uint64 {
	if f, ok := any(x).(float32); ok {
		return uint64(math.Float32bits(f))
	}
	return math.Float64bits(float64(x))
}

// reference runs c on quant.Reference, the oracle, which never declines.
func reference(t testing.TB, c call) outcome {
	t.Helper()
	c.inPlace = false
	o := c.run(t, context.Background(), quant.Reference{})
	require.NoError(t, o.err, "the reference")
	return o
}

// same fails t unless got has want's output bits and parameter bits.
func same(t testing.TB, want, got outcome, c call, what string) {
	t.Helper()
	require.Len(t, got.out, len(want.out), "%s", what)
	for i := range want.out {
		if want.out[i] != got.out[i] {
			t.Fatalf("%s: element %d: got %#x (%v), want %#x (%v); input %#x (%v)", what, i,
				got.out[i], Decode(c.storage, got.out[i]), want.out[i], Decode(c.storage, want.out[i]),
				c.in[i], Decode(c.storage, c.in[i]))
		}
	}
	require.Len(t, got.qbits, len(want.qbits), "%s", what)
	for i := range want.qbits {
		if want.qbits[i] != got.qbits[i] {
			t.Fatalf("%s: channel %d: got %+v (bits %#x), want %+v (bits %#x)", what, i, got.quants[i], got.qbits[i], want.quants[i], want.qbits[i])
		}
	}
}
