package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the command's tests if any goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
