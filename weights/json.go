package weights

import (
	"cmp"
	"encoding/json"
	"math"

	"github.com/qdqvk/qdq"
)

// MarshalJSON writes the report as the qdq command's -report file: the
// options, where the engine ran, the totals and every tensor with its
// summary and error statistics (and its channels, where a caller has put
// them in Channels). Figures that are not finite are null; an SQNR is
// null when the output is exact ("exact": true) or nothing was compared.
func (r *Report) MarshalJSON() ([]byte, error) {
	o := r.Options.Options
	jr := jsonReport{
		Input: r.Input, Output: r.Output,
		Options: jsonOptions{
			NumBits: cmp.Or(o.NumBits, 8), SignedInput: !o.Unsigned, NarrowRange: o.NarrowRange,
			RoundMode: o.RoundMode.String(), Axis: tfAxis(o), RangeGiven: o.RangeGiven,
			All: r.Options.All, Include: r.Options.Include, Exclude: r.Options.Exclude,
		},
		Backend: r.Backend.String(), Device: r.Device, Kernels: r.Kernels,
		Seconds: r.Duration.Seconds(), Bytes: r.Bytes, Quantized: r.Quantized,
		Total: r.Total,
	}
	if o.RangeGiven && len(o.InputMin) == 1 && len(o.InputMax) == 1 {
		jr.Options.InputMin, jr.Options.InputMax = num(o.InputMin[0]), num(o.InputMax[0])
	}
	for _, t := range r.Tensors {
		jr.Tensors = append(jr.Tensors, tensorJSON(t))
	}
	return json.Marshal(jr)
}

// MarshalJSON writes the tensor's report as the -report file does.
func (t TensorReport) MarshalJSON() ([]byte, error) { return json.Marshal(tensorJSON(t)) }

func tensorJSON(t TensorReport) jsonTensorRep {
	jt := jsonTensorRep{Name: t.Name, DType: t.DType, Shape: t.Shape, Quantized: t.Quantized, Bytes: t.Bytes}
	if jt.Shape == nil {
		jt.Shape = []int{}
	}
	if !t.Quantized {
		return jt
	}
	axis := tfAxis(t.Options)
	s := t.Summary
	errs := t.Error
	jt.Axis, jt.Backend, jt.Fallback, jt.Errors = &axis, t.Backend.String(), t.Fallback, &errs
	jt.Channels = &s.Channels
	jt.Range = []*float64{num(s.Min), num(s.Max)}
	jt.Scale = []*float64{num(s.ScaleMin), num(s.ScaleMax)}
	if t.Channels != nil {
		jt.PerChannel = make([]jsonChannel, len(t.Channels))
		for i, c := range t.Channels {
			jt.PerChannel[i] = jsonChannel{num(c.Min), num(c.Max), num(c.Scale), num(c.InverseScale)}
		}
	}
	return jt
}

// jsonReport is the JSON form of a Report.
type jsonReport struct {
	Input     string          `json:"input"`
	Output    string          `json:"output"`
	Options   jsonOptions     `json:"options"`
	Backend   string          `json:"backend"`
	Device    string          `json:"device,omitempty"`
	Kernels   string          `json:"cpu_kernels"`
	Seconds   float64         `json:"seconds"`
	Bytes     int64           `json:"bytes"`
	Quantized int             `json:"quantized"`
	Total     qdq.ErrorStats  `json:"total"`
	Tensors   []jsonTensorRep `json:"tensors"`
}

type jsonOptions struct {
	NumBits     int      `json:"num_bits"`
	SignedInput bool     `json:"signed_input"`
	NarrowRange bool     `json:"narrow_range"`
	RoundMode   string   `json:"round_mode"`
	Axis        int      `json:"axis"`
	RangeGiven  bool     `json:"range_given"`
	InputMin    *float64 `json:"input_min,omitempty"`
	InputMax    *float64 `json:"input_max,omitempty"`
	All         bool     `json:"all"`
	Include     []string `json:"include,omitempty"`
	Exclude     []string `json:"exclude,omitempty"`
}

type jsonTensorRep struct {
	Name       string          `json:"name"`
	DType      string          `json:"dtype"`
	Shape      []int           `json:"shape"`
	Quantized  bool            `json:"quantized"`
	Bytes      int64           `json:"bytes"`
	Axis       *int            `json:"axis,omitempty"`
	Backend    string          `json:"backend,omitempty"`
	Fallback   string          `json:"fallback,omitempty"`
	Range      []*float64      `json:"range,omitempty"`
	Scale      []*float64      `json:"scale,omitempty"`
	Errors     *qdq.ErrorStats `json:"errors,omitempty"`
	Channels   *int            `json:"channel_count,omitempty"`
	PerChannel []jsonChannel   `json:"channels,omitempty"`
}

type jsonChannel struct {
	Min          *float64 `json:"min"`
	Max          *float64 `json:"max"`
	Scale        *float64 `json:"scale"`
	InverseScale *float64 `json:"inverse_scale"`
}

// tfAxis returns TensorFlow's axis attribute for o: -1 for one range per
// tensor, else the channel axis.
func tfAxis(o qdq.Options) int {
	if !o.PerChannel {
		return -1
	}
	return o.Axis
}

// num returns x, or nil (JSON null) when it is not finite.
func num(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
