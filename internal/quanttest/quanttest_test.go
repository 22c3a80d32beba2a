package quanttest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// TestReference runs the suite on the definition itself: the tables'
// expected values hold for it, and it declines nothing.
func TestReference(t *testing.T) {
	st := Run(t, quant.Reference{})
	assert.Zero(t, st.Declined, "%v", st)
	assert.Positive(t, st.Ran)
}

// decliner is the reference, declining every float64 call and every call
// with parameters fixed beforehand, as a GPU without shaderFloat64 does.
type decliner struct{ quant.Reference }

var errNoFloat64 = fmt.Errorf("no float64 here (%w)", quant.ErrDeclined)

func (decliner) Float64(context.Context, []float64, []float64, quant.Request[float64]) ([]quant.Quant[float64], error) {
	return nil, errNoFloat64
}

func (d decliner) Float32(ctx context.Context, dst, src []float32, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	if r.Quant != nil {
		return nil, fmt.Errorf("fixed parameters (%w)", quant.ErrDeclined)
	}
	return d.Reference.Float32(ctx, dst, src, r)
}

// TestDeclinesAreCounted checks that declined calls pass, are counted
// with their reasons, and leave the other calls compared.
func TestDeclinesAreCounted(t *testing.T) {
	st := Run(t, decliner{})
	require.Positive(t, st.Declined)
	assert.Positive(t, st.Ran)
	assert.Positive(t, st.Reasons[errNoFloat64.Error()])
	assert.Positive(t, st.Reasons["fixed parameters (declined)"])
	assert.Equal(t, st.Declined, st.Reasons[errNoFloat64.Error()]+st.Reasons["fixed parameters (declined)"])
	assert.Contains(t, st.String(), "declined: ")
}

func TestStatsAdd(t *testing.T) {
	var a Stats
	a.Add(Stats{Ran: 2, Declined: 1, Reasons: map[string]int{"x": 1}})
	a.Add(Stats{Ran: 1, Declined: 3, Reasons: map[string]int{"x": 1, "y": 2}})
	assert.Equal(t, Stats{Ran: 3, Declined: 4, Reasons: map[string]int{"x": 2, "y": 2}}, a)
	assert.Equal(t, "3 calls ran, 4 declined: 2× x; 2× y", a.String())
}
