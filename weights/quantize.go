package weights

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"time"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/atomicfile"
	"github.com/qdqvk/qdq/internal/mapfile"
	"github.com/qdqvk/qdq/internal/safetensors"
)

// QuantizeFile fake-quantizes the floating tensors of the .safetensors
// file src with e and writes the result to dst: the same file with the
// selected tensors' data replaced, every other byte (header, metadata,
// other tensors) copied unchanged. It reads src through a memory mapping
// and holds at most opts.MemoryLimit bytes of tensor data at once; a
// tensor too large for that is processed in pieces on the CPU, with its
// ranges found in a first pass. Every tensor's options are checked before
// anything is written. dst is written to a temporary file in its
// directory, synced and renamed into place when complete: on any error,
// including a cancelled ctx, dst is neither created nor changed. dst may
// not be src, under any name.
//
// Errors are *qdq.Error values: ErrFile for the file itself, ErrOption
// for bad options, and the operation's kinds (ErrAxis, ErrNumBits, ...)
// for a tensor the options do not fit, naming the tensor.
func QuantizeFile(ctx context.Context, e *qdq.Engine, dst, src string, opts Options) (*Report, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, fileError(src, "", err)
	}
	if err := checkOptions(opts); err != nil {
		return nil, err
	}
	in, err := mapfile.Open(src)
	if err != nil {
		return nil, fileError(src, "", err)
	}
	defer in.Close()
	hdr, err := safetensors.ReadHeader(io.NewSectionReader(in.OS(), 0, in.Size()), in.Size())
	if err != nil {
		return nil, fileError(src, "", err)
	}
	jobs, err := plan(hdr, opts)
	if err != nil {
		return nil, fileError(src, "", err)
	}
	st, err := in.OS().Stat()
	if err != nil {
		return nil, fileError(src, "", err)
	}
	out, err := atomicfile.Create(dst, atomicfile.Options{InputInfos: []fs.FileInfo{st}, Wrap: wrapOutput})
	if err != nil {
		return nil, outputError(err)
	}
	defer out.Abort() // on an error, or a panic in a callback; nothing after Commit
	r := &run{e: e, in: in, out: out, hdr: hdr, jobs: jobs, opts: opts, start: start, src: src}
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	if err := out.CommitContext(ctx); err != nil {
		if ctx.Err() != nil {
			return nil, fileError(src, "", ctx.Err())
		}
		return nil, outputError(err)
	}
	r.report.Input, r.report.Output, r.report.Options = src, dst, opts
	r.report.Backend, r.report.Device, r.report.Kernels = e.Backend(), e.Device(), e.Kernels()
	r.report.Duration = time.Since(start)
	return &r.report, nil
}

// wrapOutput, when set by a test, wraps the writes to every output file
// (to simulate a full disk).
var wrapOutput func(io.Writer) io.Writer

// checkOptions validates what does not depend on a tensor.
func checkOptions(opts Options) error {
	for _, p := range append(slices.Clone(opts.Include), opts.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return &qdq.Error{Kind: qdq.ErrOption, Msg: fmt.Sprintf("tensor name pattern %q: %v", p, err)}
		}
	}
	if opts.MemoryLimit < 0 {
		return &qdq.Error{Kind: qdq.ErrOption, Msg: fmt.Sprintf("memory limit %d is negative", opts.MemoryLimit)}
	}
	if opts.OptionsFor != nil {
		return nil
	}
	if opts.RangeGiven && (len(opts.InputMin) != 1 || len(opts.InputMax) != 1) {
		return &qdq.Error{Kind: qdq.ErrRangeShape, Msg: fmt.Sprintf("a weight file takes one input_min and one input_max for every tensor, got %d and %d values", len(opts.InputMin), len(opts.InputMax))}
	}
	// The attributes themselves, on a stand-in tensor.
	o := opts.Options
	o.PerChannel = false
	return o.Check(qdq.F32, nil)
}

// fileError wraps an error about a weight file and, when not empty, one
// of its tensors, as a *qdq.Error. A cancellation becomes
// "qdq: FILE: context canceled", wrapping the context's error.
func fileError(file, tensor string, err error) error {
	what := file
	if tensor != "" {
		what += fmt.Sprintf(": tensor %q", tensor)
	}
	for _, stop := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, stop) {
			return fmt.Errorf("qdq: %s: %w", file, stop)
		}
	}
	var qe *qdq.Error
	if errors.As(err, &qe) {
		return &qdq.Error{Kind: qe.Kind, Msg: what + ": " + qe.Msg, Err: qe.Err}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &qdq.Error{Kind: qdq.ErrFile, Msg: what + ": " + err.Error(), Err: err}
}

// outputError is an error of the output file, whose message names it.
func outputError(err error) error {
	return &qdq.Error{Kind: qdq.ErrFile, Msg: err.Error(), Err: err}
}
