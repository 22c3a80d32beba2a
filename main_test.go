package qdq_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them:
// engines, batches, file runs and cancellations must leave none behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
