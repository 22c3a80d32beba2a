package weights

import "io"

// SetWrapOutput makes every output file QuantizeFile writes go through
// f (nil: straight to the file) and returns a function restoring the
// previous hook. Tests using it must not run in parallel.
func SetWrapOutput(f func(io.Writer) io.Writer) (restore func()) {
	old := wrapOutput
	wrapOutput = f
	return func() { wrapOutput = old }
}
