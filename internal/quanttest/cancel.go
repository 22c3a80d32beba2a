package quanttest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq/internal/quant"
)

// Cancelled checks cancellation in every storage: a call on a context
// cancelled beforehand, with the range from the data or given, returns
// an error wrapping context.Canceled (and so does b's range pass when b
// is a quant.Ranger); a large call cancelled while it runs returns that
// error too or, having finished, the reference's bits. None panics or
// writes past its output. A backend may decline such a call before it
// looks at the context (counted as in Run).
func Cancelled(t *testing.T, b quant.Backend) Stats {
	var st Stats
	r := rand.New(rand.NewPCG(3, 0xca))
	for _, s := range Storages {
		t.Run(s.String(), func(t *testing.T) {
			small := call{storage: s, layout: quant.Layout{Outer: 1, Depth: 4, Inner: 1024}, params: signed8,
				in: encodeAll(s, randomValues(r, 4096, 1, true))}
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			for _, given := range []bool{false, true} {
				cl := small
				if given {
					cl.given = slices4(quant.Bounds[float64]{Min: -1, Max: 1})
				}
				o := noPanic(t, func() outcome { return cl.run(t, ctx, b) })
				cancelled(t, &st, o.err, fmt.Sprintf("given %t", given))
			}
			if rg, ok := b.(quant.Ranger); ok {
				require.ErrorIs(t, rangesOf(ctx, rg, small), context.Canceled, "the range pass on a cancelled context")
			}
			l := quant.Layout{Outer: 2, Depth: 2048, Inner: 256}
			if testing.Short() {
				l.Inner = 64
			}
			big := call{storage: s, layout: l, params: signed8, in: encodeAll(s, randomValues(r, l.Len(), 1, true))}
			cancelledWhileRunning(t, b, &st, big)
		})
	}
	return st
}

// cancelledWhileRunning runs c twice: first to be compared, timed, and
// to count how often b asks its context whether it is done; then on a
// context that says it is cancelled half way through those questions, or
// a tenth of the first run's time after the call began, whichever comes
// first (a timer alone may not fire in time while b's workers hold every
// processor).
func cancelledWhileRunning(t *testing.T, b quant.Backend, st *Stats, c call) {
	want := reference(t, c)
	first := newStopping(math.MaxInt64)
	defer first.stop()
	var began time.Time
	c.starting = func() { began = time.Now() }
	o := c.run(t, first, b)
	took := time.Since(began)
	if st.note(t, o.err, "a large call") {
		same(t, want, o, c, "a large call")
	}
	ctx := newStopping(first.asked.Load() / 2)
	defer ctx.stop()
	var timer *time.Timer
	c.starting = func() { timer = time.AfterFunc(took/10, ctx.stop) }
	o = noPanic(t, func() outcome { return c.run(t, ctx, b) })
	timer.Stop()
	if o.err == nil {
		t.Logf("the large call finished before its context was cancelled")
		st.Ran++
		same(t, want, o, c, "a call that finished before its context was cancelled")
		return
	}
	t.Logf("the large call, cancelled while it ran: %v", o.err)
	cancelled(t, st, o.err, "cancelled while running")
}

// stopping is a context that is cancelled when stop is called or when
// Err is asked more than after times, whichever comes first.
type stopping struct {
	context.Context // Background: no deadline, no values
	after           int64
	asked           atomic.Int64
	once            sync.Once
	done            chan struct{}
}

func newStopping(after int64) *stopping {
	return &stopping{Context: context.Background(), after: after, done: make(chan struct{})}
}

// Done returns a channel closed once the context is cancelled.
func (s *stopping) Done() <-chan struct{} { return s.done }

// Err returns context.Canceled once the context is cancelled, counting
// the question.
func (s *stopping) Err() error {
	if s.asked.Add(1) > s.after {
		s.stop()
	}
	select {
	case <-s.done:
		return context.Canceled
	default:
		return nil
	}
}

// stop cancels the context.
func (s *stopping) stop() { s.once.Do(func() { close(s.done) }) }

// slices4 returns four copies of b, one range per channel.
func slices4(b quant.Bounds[float64]) []quant.Bounds[float64] {
	return []quant.Bounds[float64]{b, b, b, b}
}

// cancelled fails t unless err wraps context.Canceled or, counted in st,
// quant.ErrDeclined.
func cancelled(t testing.TB, st *Stats, err error, what string) {
	t.Helper()
	switch {
	case errors.Is(err, context.Canceled):
	case errors.Is(err, quant.ErrDeclined):
		st.note(t, err, what)
	default:
		t.Fatalf("%s: a call on a cancelled context returned %v, want an error wrapping context.Canceled", what, err)
	}
}

// noPanic runs fn and fails t if it panics (on this goroutine).
func noPanic(t testing.TB, fn func() outcome) (o outcome) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("the call panicked: %v", p)
		}
	}()
	return fn()
}

// rangesOf runs rg's range pass on c's input and returns its error.
func rangesOf(ctx context.Context, rg quant.Ranger, c call) error {
	switch c.storage {
	case quant.F32:
		return rangesAs(ctx, f32Format, rg, c)
	case quant.F64:
		return rangesAs(ctx, f64Format, rg, c)
	case quant.F16:
		return rangesAs(ctx, f16Format, rg, c)
	}
	return rangesAs(ctx, bf16Format, rg, c)
}

// rangesAs is rangesOf for storage f.
func rangesAs[S any, C quant.Float](ctx context.Context, f format[S, C], rg quant.Ranger, c call) error {
	src := make([]S, len(c.in))
	for i, u := range c.in {
		src[i] = f.fromBits(u)
	}
	_, err := f.ranges(rg)(ctx, src, c.layout)
	return err
}
