package quanttest

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// PerTensor is the Axis of a call with one range over the whole tensor.
const PerTensor = -1

// Case is one row of a hand-made table: a tensor, the operation's
// parameters and what must come out, for the listed storages. It
// describes the call as the root package's API does (values as float64,
// a shape and an axis), and the suite builds the Request as the root's
// validation does.
type Case struct {
	// Name names the row's subtests (with the storage appended).
	Name string
	// Storages lists the storages the row runs in; nil means all four.
	Storages []quant.Storage
	// Shape is the tensor's shape; nil means one dimension of len(In),
	// and an empty non-nil shape a rank-0 tensor.
	Shape []int
	// Axis is the channel axis, or PerTensor.
	Axis int
	// Params are the operation's parameters.
	Params quant.Params
	// Min and Max hold the given range, one value per channel, each
	// rounded once to the storage; nil means the range comes from the
	// data.
	Min, Max []float64
	// In holds the input, each value rounded once to the storage.
	In []float64
	// Want holds the first len(Want) outputs (nil: not checked), each
	// rounded once to the storage and compared bit for bit.
	Want []float64
	// Quant holds channel 0's parameters as float64 values (nil: not
	// checked), compared bit for bit with the returned ones widened.
	Quant *quant.Quant[float64]
	// Check, when set, checks the output (widened to float64) and the
	// returned parameters (widened) further.
	Check func(t *testing.T, out []float64, quants []quant.Quant[float64])
}

// shape returns c's shape, nil standing for one dimension.
func (c *Case) shape() []int {
	if c.Shape == nil {
		return []int{len(c.In)}
	}
	return c.Shape
}

// Layout returns c's layout, from its shape and axis.
func (c *Case) Layout() quant.Layout { return quant.LayoutOf(c.shape(), c.Axis) }

// call returns c as a call in storage s, built as the root package's
// compile builds it: the layout from the shape and the axis, the input
// and each given bound rounded once to s (then converted, exactly, to the
// compute type). The table must hold a valid call.
func (c *Case) call(t testing.TB, s quant.Storage) call {
	t.Helper()
	shape := c.shape()
	require.True(t, c.Axis >= PerTensor && c.Axis < len(shape), "axis %d of a rank-%d tensor", c.Axis, len(shape))
	lo, hi := c.Params.Levels()
	require.Less(t, lo, hi, "%+v leaves no levels", c.Params)
	cl := call{storage: s, layout: c.Layout(), params: c.Params, in: make([]uint64, len(c.In))}
	for i, x := range c.In {
		cl.in[i] = Encode(s, x)
	}
	if c.Min != nil || c.Max != nil {
		require.Len(t, c.Min, cl.layout.Depth, "one given minimum per channel")
		require.Len(t, c.Max, cl.layout.Depth, "one given maximum per channel")
		cl.given = make([]quant.Bounds[float64], len(c.Min))
		for i := range c.Min {
			cl.given[i] = quant.Bounds[float64]{Min: Round(s, c.Min[i]), Max: Round(s, c.Max[i])}
			require.True(t, cl.given[i].Min <= cl.given[i].Max, "the given range of channel %d is valid", i)
		}
	}
	return cl
}

// storages returns the storages c runs in.
func (c *Case) storages() []quant.Storage {
	if c.Storages == nil {
		return Storages
	}
	return c.Storages
}

// RunCases runs each case on b in each of its storages, one subtest
// each, and checks what the case asks for; declined calls are counted as
// in Run.
func RunCases(t *testing.T, b quant.Backend, cases []Case) Stats {
	var st Stats
	for i := range cases {
		c := &cases[i]
		for _, s := range c.storages() {
			t.Run(c.Name+"/"+s.String(), func(t *testing.T) {
				cl := c.call(t, s)
				o := cl.run(t, context.Background(), b)
				if !st.note(t, o.err, c.Name) {
					return
				}
				c.check(t, s, o)
			})
		}
	}
	return st
}

// check checks one outcome of c in storage s against the row.
func (c *Case) check(t *testing.T, s quant.Storage, o outcome) {
	t.Helper()
	require.GreaterOrEqual(t, len(o.out), len(c.Want), "the row wants more outputs than the tensor has")
	for i, w := range c.Want {
		want := Encode(s, w)
		assert.Equal(t, want, o.out[i], "element %d: got %v, want %v (bits %#x, %#x)", i, Decode(s, o.out[i]), Decode(s, want), o.out[i], want)
	}
	if c.Quant != nil {
		require.NotEmpty(t, o.quants)
		g, w := o.quants[0], *c.Quant
		for i, f := range [][2]float64{{w.Min, g.Min}, {w.Max, g.Max}, {w.Scale, g.Scale}, {w.InverseScale, g.InverseScale}} {
			assert.Equal(t, math.Float64bits(f[0]), math.Float64bits(f[1]), "parameter %d (min, max, scale, inverse): got %v, want %v", i, f[1], f[0])
		}
	}
	if c.Check != nil {
		c.Check(t, o.values(s), o.quants)
	}
}
