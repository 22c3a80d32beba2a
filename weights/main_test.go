package weights_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: file
// runs and their cancellations must leave none behind.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
