package qdqtest

import (
	"sync"
	"testing"

	"github.com/qdqvk/qdq"
)

// reference is the engine of the CPU reference implementation, the
// oracle.
var reference = sync.OnceValue(func() *qdq.Engine {
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Reference: true})
	if err != nil {
		panic(err) // the CPU backend always exists
	}
	return e
})

// Reference runs a call on the reference implementation.
func Reference(t testing.TB, in qdq.Tensor, o qdq.Options) (qdq.Tensor, qdq.Result, error) {
	t.Helper()
	return Call(t, reference().RunInto, in, o)
}
