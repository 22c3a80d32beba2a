package weights

import (
	"fmt"
	"path"
	"slices"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/internal/safetensors"
)

// fileDTypes maps the safetensors dtypes QuantizeFile fake-quantizes.
var fileDTypes = map[string]qdq.DType{"F32": qdq.F32, "F64": qdq.F64, "F16": qdq.F16, "BF16": qdq.BF16}

// job is one tensor of a file and what to do with it.
type job struct {
	t      safetensors.Tensor
	dtype  qdq.DType // when quantized
	quant  bool
	opts   qdq.Options  // with the axis resolved and the range broadcast
	layout quant.Layout // the tensor along opts.Axis
	report TensorReport
}

// plan decides, for every tensor of hdr, whether it is fake-quantized and
// with which options, and checks them all before anything is written.
func plan(hdr *safetensors.File, opts Options) ([]*job, error) {
	jobs := make([]*job, len(hdr.Tensors))
	emptyChannels := 0
	for i, t := range hdr.Tensors {
		j := &job{t: t}
		j.report = TensorReport{Name: t.Name, DType: t.DType, Shape: slices.Clone(t.Shape), Bytes: t.End - t.Begin}
		jobs[i] = j
		dtype, ok := fileDTypes[t.DType]
		if !ok || !selected(t, opts) {
			continue
		}
		o, ok := tensorOptions(t, opts)
		if !ok {
			continue
		}
		axis := -1
		if o.PerChannel {
			axis = o.Axis
		}
		if n := empty(t, axis); n > 0 {
			// An empty tensor may claim any number of channels, each with
			// its parameters: bound them over the whole file.
			if emptyChannels += n; emptyChannels > maxEmptyChannels {
				return nil, &qdq.Error{Kind: qdq.ErrShape, Msg: fmt.Sprintf("tensor %q: the empty tensors' axis %d holds more than the %d channels whose results can be reported", t.Name, axis, maxEmptyChannels)}
			}
		}
		if opts.OptionsFor == nil {

		}
		if err := o.Check(dtype, t.Shape); err != nil {
			return nil, about(fmt.Sprintf("tensor %q", t.Name), err)
		}
		j.dtype, j.quant, j.opts = dtype, true, o
		j.layout = quant.LayoutOf(t.Shape, axis)
		j.report.Quantized, j.report.Options = true, o
	}
	return jobs, nil
}

// tensorOptions returns the options tensor t runs with, opts.OptionsFor's
// or opts.Options, with a negative channel axis in range resolved from the
// front (as the report shows it).
func tensorOptions(t safetensors.Tensor, opts Options) (qdq.Options, bool) {
	o, ok := opts.Options, true
	if opts.OptionsFor != nil {
		o, ok = opts.OptionsFor(t.Name, slices.Clone(t.Shape))
	}
	if rank := len(t.Shape); o.PerChannel && o.Axis < 0 && o.Axis >= -rank {
		o.Axis += rank
	}
	return o, ok
}

// maxEmptyChannels bounds the channels of the empty tensors of one file.
const maxEmptyChannels = 1 << 24

// empty returns the channel count of t along axis when t has no element,
// else 0.
func empty(t safetensors.Tensor, axis int) int {
	if t.End > t.Begin || axis < 0 || axis >= len(t.Shape) {
		return 0
	}
	return t.Shape[axis]
}

// selected reports whether opts select the floating tensor t.
func selected(t safetensors.Tensor, opts Options) bool {
	if len(t.Shape) < 2 && !opts.All {
		return false
	}
	match := func(patterns []string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(p, t.Name); ok {
				return true
			}
		}
		return false
	}
	if len(opts.Include) > 0 && !match(opts.Include) {
		return false
	}
	return !match(opts.Exclude)
}

// about prefixes a *qdq.Error's message with what it is about.
func about(what string, err error) error {
	if qe, ok := err.(*qdq.Error); ok {
		return &qdq.Error{Kind: qe.Kind, Msg: what + ": " + qe.Msg, Err: qe.Err}
	}
	return err
}
