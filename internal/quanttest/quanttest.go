// Package quanttest is the conformance suite every implementation of
// quant.Backend runs, in the style of gonum's blas/testblas: it imports
// only the contract (package quant), never an implementation, and the
// cpu and gpu packages run it on their own backends in their own tests.
//
// It holds TensorFlow's own test vectors, hand-made tables for the rows
// of the definition's decision table (docs/semantics.md), rounding traps,
// every bit count, the NaN bits the definition fixes, tensors run in
// pieces, cancellation, and randomised comparisons with quant.Reference,
// the executable definition. Outputs and the returned parameters are
// compared bit for bit (a NaN's sign and payload included), and every
// output lies between guard elements that must come back unchanged.
//
// The suite calls a backend as a validated caller would: it never sends
// an invalid Request. Validation of the operation's arguments (the
// definition's error table) belongs to the root package's API and is
// tested there.
package quanttest

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// Storages lists every storage, in the order the suite runs them.
var Storages = []quant.Storage{quant.F32, quant.F64, quant.F16, quant.BF16}

// Stats counts the calls of a run of the suite, or of part of it, by what
// became of them.
//
// A call whose error wraps quant.ErrDeclined is not a failure: the
// contract lets a backend decline a call it cannot compute exactly (a
// GPU may decline scales that could meet subnormal values, float64
// without shaderFloat64, or parameters fixed beforehand in
// Request.Quant), for the caller to run it elsewhere. The suite then
// compares nothing for that call (nor for a comparison that needs it,
// such as the rest of a tensor run in pieces) and counts it here, so
// that the caller can assert how many calls ran: a CPU backend declines
// none, a GPU backend almost none. Any other error fails the test.
//
// The calls made on quant.Reference as the oracle are not counted, nor
// the calls on a cancelled context that return its error.
type Stats struct {
	// Ran is the number of calls that returned without an error; their
	// results were compared.
	Ran int
	// Declined is the number of calls that returned an error wrapping
	// quant.ErrDeclined.
	Declined int
	// Reasons counts the declined calls by their error's message.
	Reasons map[string]int
}

// Add adds o's counts to s.
func (s *Stats) Add(o Stats) {
	s.Ran += o.Ran
	s.Declined += o.Declined
	for why, n := range o.Reasons {
		s.decline(why, n)
	}
}

// String gives the counts and the reasons, the most frequent first.
func (s Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d calls ran, %d declined", s.Ran, s.Declined)
	reasons := slices.SortedFunc(maps.Keys(s.Reasons), func(x, y string) int {
		if c := s.Reasons[y] - s.Reasons[x]; c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	for i, why := range reasons {
		sep := "; "
		if i == 0 {
			sep = ": "
		}
		fmt.Fprintf(&b, "%s%d× %s", sep, s.Reasons[why], why)
	}
	return b.String()
}

func (s *Stats) decline(why string, n int) {
	if s.Reasons == nil {
		s.Reasons = map[string]int{}
	}
	s.Reasons[why] += n
}

// note records the result of one call on the backend under test and
// reports whether the call ran, so that its results are to be compared:
// a declined call is counted and gives false, any other error fails t.
func (s *Stats) note(t testing.TB, err error, what string) bool {
	t.Helper()
	switch {
	case err == nil:
		s.Ran++
		return true
	case errors.Is(err, quant.ErrDeclined):
		s.Declined++
		s.decline(err.Error(), 1)
		return false
	}
	require.NoError(t, err, "%s", what)
	return false
}

// suite is one sub-suite, as Run runs it.
type suite struct {
	name string
	run  func(*testing.T, quant.Backend) Stats
}

// suites lists the sub-suites in the order Run runs them.
var suites = []suite{
	{"TensorFlow", TensorFlowVectors},
	{"WorkedExamples", WorkedExamples},
	{"Decisions", Decisions},
	{"Rounding", Rounding},
	{"NumBits", NumBits},
	{"HalfPrecision", HalfPrecision},
	{"NaNBits", NaNBits},
	{"Random", Random},
	{"Pieces", Pieces},
	{"Cancelled", Cancelled},
}

// Run runs the whole suite against b, each sub-suite as a subtest, and
// returns what became of the calls. A call b declines (an error wrapping
// quant.ErrDeclined) is counted, not failed: see Stats. The caller
// asserts on the counts; a CPU backend must have Declined == 0.
func Run(t *testing.T, b quant.Backend) Stats {
	var total Stats
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			st := s.run(t, b)
			total.Add(st)
			t.Logf("%s: %v", s.name, st)
		})
	}
	t.Logf("all: %v", total)
	return total
}
