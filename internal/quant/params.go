package quant

// Float is the set of compute types.
type Float interface {
	~float32 | ~float64
}

// RoundMode selects how scaled values are rounded to integers.
type RoundMode uint8

const (
	// HalfToEven rounds to the nearest integer, ties to even (IEEE
	// roundTiesToEven, as rint).
	HalfToEven RoundMode = iota
	// HalfUp computes floor(z + 0.5), with z + 0.5 first rounded to the
	// compute type, so ties go towards +Inf.
	HalfUp
)

// Params are the quantization attributes of one call.
type Params struct {
	Signed  bool      // signed_input
	NumBits int       // num_bits: 1..61 signed, 1..62 unsigned
	Narrow  bool      // narrow_range (signed only)
	Round   RoundMode // round_mode
}

// Levels returns the integer range [minQ, maxQ] of p, exactly as
// TensorFlow computes it in 64-bit integers.
func (p Params) Levels() (minQ, maxQ int64) {
	n := uint(p.NumBits)
	if !p.Signed {
		return 0, int64(uint64(1)<<n - 1)
	}
	maxQ = int64(uint64(1)<<(n-1) - 1)
	if p.Narrow {
		return -maxQ, maxQ
	}
	return -int64(uint64(1) << (n - 1)), maxQ
}
