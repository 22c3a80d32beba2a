package cpu

// ErrorSums are the sums that error statistics are made of, in float64,
// over pairs (x, y) of an input element and its fake-quantized output.
type ErrorSums struct {
	// N is how many pairs were summed.
	N int64
	// Signal is Σx² and Noise Σ(y-x)².
	Signal, Noise float64
	// SumAbs is Σ|y-x| and MaxAbs the largest |y-x|.
	SumAbs, MaxAbs float64
}

// Add adds the sums t to s.
func (s *ErrorSums) Add(t ErrorSums) {
	s.N += t.N
	s.Signal += t.Signal
	s.Noise += t.Noise
	s.SumAbs += t.SumAbs
	s.MaxAbs = max(s.MaxAbs, t.MaxAbs)
}

// ErrorSumsFloat32 sums the errors of the pairs (x[j], y[j]), y as long
// as x, with f's kernels. It returns ok false and no sums when some
// difference y[j]-x[j] is NaN or infinite: the caller then sorts those
// pairs out itself. Each kernel set always adds in the same order, so its
// sums are reproducible; the sets' orders differ, and so may the last
// bits of their sums.
func (f Fast) ErrorSumsFloat32(x, y []float32) (s ErrorSums, ok bool) {
	return f.set().errorSums(x, y)
}

// errorSumsFloat32 is the portable ErrorSumsFloat32: two pairs at a
// time, each into its own sums so that neighbouring additions overlap.
// The conversions round every product before it is added, so no
// compiler fuses them.
func errorSumsFloat32(x, y []float32) (ErrorSums, bool) {
	y = y[:len(x)]
	var sig, no, abs, most [2]float64
	for i, xi := range x {
		k := i & 1
		x0 := float64(xi)
		d := float64(y[i]) - x0
		if d-d != 0 {
			return ErrorSums{}, false
		}
		a := max(d, -d)
		sig[k] += float64(x0 * x0)
		no[k] += float64(d * d)
		abs[k] += a
		most[k] = max(most[k], a)
	}
	return ErrorSums{N: int64(len(x)), Signal: sig[0] + sig[1], Noise: no[0] + no[1], SumAbs: abs[0] + abs[1], MaxAbs: max(most[0], most[1])}, true
}
