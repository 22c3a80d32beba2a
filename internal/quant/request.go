package quant

// Request describes one call: the layout of its tensor, the parameters
// and where each channel's range comes from.
type Request[C Float] struct {
	Layout Layout
	Params Params
	// Given holds one range per channel (len Layout.Depth) when the range
	// is given, and is nil when the range comes from the data.
	Given []Bounds[C]
	// Quant, when not nil, holds each channel's parameters, worked out
	// beforehand: from a range found over a tensor too large to process
	// at once, by a Ranger, MergeBounds and QuantOf. They are used as they
	// are; no range is found and nothing is clamped, exactly as if the
	// range had come from this call's data. Given must then be nil.
	Quant []Quant[C]
}
