package qdq

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path"
	"runtime"
	"slices"
	"sync"
	"time"
	"unsafe"

	"github.com/qdqvk/qdq/cpu"
	"github.com/qdqvk/qdq/internal/mapfile"
	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/internal/safetensors"
)

// ErrFile is the sentinel of errors about a weight file: malformed,
// unreadable, or not writable where asked.
var ErrFile = errors.New("invalid weight file")

// FileOptions configure Engine.QuantizeFile.
type FileOptions struct {
	// Options apply to every selected tensor. Axis -1 means one range
	// per tensor; an Axis below -1 counts from the end, so -2 is each
	// tensor's second to last axis. With RangeGiven, InputMin and
	// InputMax hold one value each, applied to every channel.
	Options
	// All selects floating tensors of rank 0 and 1 too (biases, norms);
	// by default only those of rank 2 and more are fake-quantized.
	All bool
	// Include, when not empty, keeps only the tensors whose name matches
	// one of its patterns; Exclude then drops those matching one of its.
	// Patterns are path.Match globs: '*' matches any run of characters
	// but '/', '?' one character, [...] a class.
	Include, Exclude []string
	// MemoryLimit caps the bytes of tensor data held in memory at once
	// (inputs read or mapped, outputs not yet written). 0 means
	// DefaultMemoryLimit().
	MemoryLimit int64
	// Progress, when not nil, is called after each write with how far
	// the run has come, from the goroutine that called QuantizeFile.
	Progress func(Progress)
	// OnTensor, when not nil, is called with each tensor's report once
	// the tensor is written, in file order, from the goroutine that
	// called QuantizeFile. An error it returns stops the run.
	OnTensor func(TensorReport) error
}

// Progress is how far a QuantizeFile run has come.
type Progress struct {
	Tensors, TotalTensors int   // tensors written, of all
	Bytes, TotalBytes     int64 // tensor data bytes written, of all
	Elapsed               time.Duration
}

// TensorReport describes what QuantizeFile did with one tensor.
type TensorReport struct {
	Name  string
	DType string // as the file spells it: "F32", "BF16", "I64", ...
	Shape []int
	// Quantized is false for a tensor copied through unchanged; the
	// fields below are then zero.
	Quantized bool
	Axis      int // the channel axis used, or -1 for one range
	// Backend is where the tensor ran; Fallback says why a GPU engine ran
	// it on the CPU.
	Backend  Backend
	Fallback string
	// Channels are the parameters used, one per channel.
	Channels []Channel
	// Error compares the output with the input.
	Error ErrorStats
	Bytes int64 // data bytes
}

// ErrorStats measure the error fake quantization introduced, computed in
// float64 against the original values.
type ErrorStats struct {
	// Elements is how many finite inputs with a finite output were
	// compared. NonFinite counts inputs that were NaN or ±Inf, left out;
	// Lost counts finite inputs whose output is NaN or ±Inf (a channel
	// with an infinity in it), left out too.
	Elements, NonFinite, Lost int64
	// Signal and Noise are the sums of x² and (y-x)² over the compared
	// elements, x the input and y the output.
	Signal, Noise float64
	// MaxAbs and SumAbs are the largest and the sum of |y-x|.
	MaxAbs, SumAbs float64
}

// SQNR returns the signal-to-quantization-noise ratio in decibels,
// 10·log10(Signal/Noise): +Inf when there is no error (or the signal
// overflowed float64), NaN when nothing was compared.
func (s ErrorStats) SQNR() float64 {
	if s.Elements == 0 {
		return math.NaN()
	}
	return 10 * math.Log10(s.Signal/s.Noise)
}

// MeanAbs returns the mean absolute error, or NaN when nothing was
// compared.
func (s ErrorStats) MeanAbs() float64 {
	if s.Elements == 0 {
		return math.NaN()
	}
	return s.SumAbs / float64(s.Elements)
}

// Add accumulates t into s.
func (s *ErrorStats) Add(t ErrorStats) {
	s.Elements += t.Elements
	s.NonFinite += t.NonFinite
	s.Lost += t.Lost
	s.Signal += t.Signal
	s.Noise += t.Noise
	s.MaxAbs = max(s.MaxAbs, t.MaxAbs)
	s.SumAbs += t.SumAbs
}

// FileReport describes a finished QuantizeFile run.
type FileReport struct {
	Input, Output string
	Tensors       []TensorReport // every tensor, in file order
	Quantized     int            // how many were fake-quantized
	Bytes         int64          // tensor data bytes
	Total         ErrorStats     // over every quantized tensor
	Duration      time.Duration
}

// DefaultMemoryLimit returns the memory limit QuantizeFile uses when
// FileOptions.MemoryLimit is 0: a sixteenth of the machine's memory,
// between 256 MiB and 8 GiB.
func DefaultMemoryLimit() int64 {
	return min(max(totalMemory()/16, 256<<20), 8<<30)
}

// fileDTypes maps the safetensors dtypes QuantizeFile fake-quantizes.
var fileDTypes = map[string]DType{"F32": F32, "F64": F64, "F16": F16, "BF16": BF16}

// QuantizeFile fake-quantizes the floating tensors of the .safetensors
// file src and writes the result to dst: the same file with the selected
// tensors' data replaced, every other byte (header, metadata, other
// tensors) copied unchanged. It reads src through a memory mapping and
// holds at most opts.MemoryLimit bytes of tensor data at once; a tensor
// too large for that is processed in pieces on the CPU, with its range
// found in a first pass. dst is written to a temporary file in its
// directory, synced and renamed into place when complete: on any error,
// including a cancelled ctx, dst is neither created nor changed. dst may
// not be src.
func (e *Engine) QuantizeFile(ctx context.Context, dst, src string, opts FileOptions) (*FileReport, error) {
	start := time.Now()
	if e.closed.Load() {
		return nil, newError(ErrClosed, "engine is closed")
	}
	if err := ctx.Err(); err != nil {
		return nil, fileError(src, "", err)
	}
	if !littleEndian {
		return nil, newError(ErrFile, "safetensors data is little-endian; this machine is not")
	}
	if err := checkFileOptions(opts); err != nil {
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
	jobs, err := planFile(hdr, opts)
	if err != nil {
		return nil, fileError(src, "", err)
	}
	out, err := createOutput(dst, in.OS())
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			out.abort() // on an error, or a panic in a callback
		}
	}()
	r := &fileRun{e: e, in: in, out: out, hdr: hdr, jobs: jobs, opts: opts, start: start, src: src, dst: dst}
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	committed = true
	if err := out.commit(); err != nil {
		return nil, err
	}
	r.report.Input, r.report.Output = src, dst
	r.report.Duration = time.Since(start)
	return &r.report, nil
}

// checkFileOptions validates what does not depend on a tensor.
func checkFileOptions(opts FileOptions) error {
	for _, p := range append(slices.Clone(opts.Include), opts.Exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return newError(ErrShape, "tensor name pattern %q: %v", p, err)
		}
	}
	if opts.MemoryLimit < 0 {
		return newError(ErrShape, "memory limit %d is negative", opts.MemoryLimit)
	}
	if opts.RangeGiven && (len(opts.InputMin) != 1 || len(opts.InputMax) != 1) {
		return newError(ErrRangeShape, "a weight file takes one input_min and one input_max for every tensor, got %d and %d values", len(opts.InputMin), len(opts.InputMax))
	}
	// The attributes themselves, on a stand-in tensor.
	o := opts.Options
	o.Axis = -1
	_, err := compileFor(F32, nil, 1, o)
	return err
}

// fileError wraps an error about a weight file and, when not empty, one
// of its tensors. A cancellation becomes "qdq: FILE: context canceled",
// wrapping the context's error.
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
	var qe *Error
	if errors.As(err, &qe) {
		return &Error{Kind: qe.Kind, Msg: what + ": " + qe.Msg, cause: qe.cause}
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &Error{Kind: ErrFile, Msg: what + ": " + err.Error(), cause: err}
}

// fileJob is one tensor of a file and what to do with it.
type fileJob struct {
	t      safetensors.Tensor
	dtype  DType // when quantized
	quant  bool
	opts   Options // with the axis resolved and the range broadcast
	c      call    // the whole tensor's validated call
	n      int     // elements
	report TensorReport
}

// planFile decides, for every tensor of hdr, whether it is fake-quantized
// and with which options, and validates them all before anything is
// written.
func planFile(hdr *safetensors.File, opts FileOptions) ([]*fileJob, error) {
	jobs := make([]*fileJob, len(hdr.Tensors))
	emptyChannels := 0
	for i, t := range hdr.Tensors {
		j := &fileJob{t: t}
		j.report = TensorReport{Name: t.Name, DType: t.DType, Shape: slices.Clone(t.Shape), Bytes: t.End - t.Begin, Axis: -1}
		jobs[i] = j
		dtype, ok := fileDTypes[t.DType]
		if !ok || !selected(t, opts) {
			continue
		}
		j.dtype, j.quant = dtype, true
		j.n = int((t.End - t.Begin) / int64(dtype.Size()))
		j.opts = opts.Options
		rank := len(t.Shape)
		if opts.Axis < -1 {
			j.opts.Axis = rank + opts.Axis
			if j.opts.Axis < 0 {
				return nil, newError(ErrAxis, "tensor %q: axis %d: the tensor has rank %d", t.Name, opts.Axis, rank)
			}
		}
		if j.opts.Axis >= 0 && j.opts.Axis < rank && j.n == 0 {
			// An empty tensor may claim any number of channels, each
			// with its report: bound them over the whole file.
			emptyChannels += t.Shape[j.opts.Axis]
			if emptyChannels > maxEmptyChannels {
				return nil, newError(ErrShape, "tensor %q: the empty tensors' axis %d holds more than the %d channels whose results can be reported", t.Name, j.opts.Axis, maxEmptyChannels)
			}
		}
		if opts.RangeGiven && j.opts.Axis >= 0 && j.opts.Axis < rank {
			depth := t.Shape[j.opts.Axis]
			j.opts.InputMin = slices.Repeat(opts.InputMin[:1], depth)
			j.opts.InputMax = slices.Repeat(opts.InputMax[:1], depth)
		}
		c, err := compileFor(dtype, t.Shape, j.n, j.opts)
		if err != nil {
			return nil, about(fmt.Sprintf("tensor %q", t.Name), err)
		}
		j.c = c
		j.report.Quantized, j.report.Axis = true, j.opts.Axis
	}
	return jobs, nil
}

// selected reports whether opts select the floating tensor t.
func selected(t safetensors.Tensor, opts FileOptions) bool {
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

// fileRun is one QuantizeFile run.
type fileRun struct {
	e        *Engine
	in       *mapfile.File
	out      *output
	hdr      *safetensors.File
	jobs     []*fileJob
	opts     FileOptions
	start    time.Time
	src, dst string
	report   FileReport
	progress Progress

	// The pipeline: the producer queues segments in file order, holding a
	// slot and budget bytes for each until the writer has written it.
	budget  *budget
	slots   chan struct{}
	queue   chan *segment
	pool    *bufferPool
	workers sync.WaitGroup // segments being computed
	whole   int64          // the largest tensor run in one call (input + output bytes)
	piece   int64          // the output bytes of a piece
}

// segment is a run of output bytes, written in file order: a copied
// stretch of a tensor, a whole quantized tensor, or a piece of one.
type segment struct {
	job   *fileJob
	off   int64 // offset in the data buffer
	last  bool  // the job's last segment
	mem   int64 // budget bytes it holds until written
	done  chan struct{}
	data  []byte // the bytes to write, once done
	err   error
	res   Result
	c0    int // its first channel, for a piece
	stats ErrorStats
	bufs  [][]byte // pooled buffers to give back once written
}

// Tuning of the pipeline.
const (
	// cpuInFlight and gpuInFlight are how many segments may be between
	// the producer and the writer: on the CPU one computes (on every
	// core) while the previous ones are checked and written; a GPU engine
	// has two lanes, so one tensor can upload while another computes and
	// others are written.
	cpuInFlight, gpuInFlight = 3, 4
	// maxPiece caps the output bytes of a piece.
	maxPiece = 16 << 20
	// maxWholeCPU is the most bytes (input and output) of a tensor the
	// CPU runs in one call: larger ones run in pieces, which bounds the
	// resident set and measures the error while each part is in cache. A
	// GPU engine takes tensors up to a third of the memory limit whole.
	maxWholeCPU = 2 * maxPiece
)

func (r *fileRun) run(ctx context.Context) error {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	limit := r.opts.MemoryLimit
	if limit == 0 {
		limit = DefaultMemoryLimit()
	}
	inFlight := cpuInFlight
	r.whole = min(int64(maxWholeCPU), limit/4)
	if r.e.gpu != nil {
		inFlight, r.whole = gpuInFlight, limit/3
	}
	// Pieces are small enough that every slot's input and output fit the
	// budget at once.
	r.piece = min(int64(maxPiece), max(limit/int64(2*inFlight+2), 1<<12))
	r.budget = newBudget(limit)
	r.slots = make(chan struct{}, inFlight)
	r.queue = make(chan *segment, inFlight)
	r.pool = &bufferPool{size: r.piece}
	r.report.Tensors = make([]TensorReport, 0, len(r.jobs))
	r.progress.TotalTensors = len(r.jobs)
	r.progress.TotalBytes = r.in.Size() - r.hdr.DataOffset

	// The header, metadata included, is copied as it is.
	head, _, err := r.in.Bytes(0, r.hdr.DataOffset)
	if err != nil {
		return fileError(r.src, "", err)
	}
	if err := r.out.write(head); err != nil {
		return err
	}

	produced := make(chan error, 1)
	go func() {
		produced <- r.produce(inner)
		close(r.queue)
	}()
	// Stopping runs on every way out, a panic in a callback included: no
	// goroutine may touch the mapping once run returns.
	var perr error
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		for seg := range r.queue { // drain, so the producer can finish
			<-seg.done
			r.release(seg)
		}
		perr = <-produced
		r.workers.Wait()
	}
	defer stop()
	err = r.consume(inner)
	stop()
	if err == nil {
		err = perr
	}
	if err == nil {
		err = ctx.Err()
	}
	if err != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		err = fileError(r.src, "", err)
	}
	return err
}

// consume writes segments in order and assembles the reports.
func (r *fileRun) consume(ctx context.Context) error {
	for seg := range r.queue {
		if err := ctx.Err(); err != nil {
			<-seg.done
			r.release(seg)
			return err
		}
		select {
		case <-seg.done:
		case <-ctx.Done():
			<-seg.done
			r.release(seg)
			return fileError(r.src, "", ctx.Err())
		}
		if seg.err != nil {
			r.release(seg)
			return seg.err
		}
		j := seg.job
		if j.quant {
			rep := &j.report
			rep.Error.Add(seg.stats)
			if rep.Channels == nil {
				rep.Channels = make([]Channel, j.c.layout.Depth)
				rep.Backend = seg.res.Backend
			}
			copy(rep.Channels[seg.c0:], seg.res.Channels)
			if seg.res.Backend == CPU {
				rep.Backend = CPU
			}
			if rep.Fallback == "" {
				rep.Fallback = seg.res.Fallback
			}
		}
		n := int64(len(seg.data))
		err := r.out.write(seg.data)
		r.in.Release(r.hdr.DataOffset+seg.off, n)
		r.release(seg)
		if err != nil {
			return err
		}
		r.progress.Bytes += n
		if seg.last {
			r.progress.Tensors++
			r.report.Tensors = append(r.report.Tensors, j.report)
			r.report.Bytes += j.report.Bytes
			if j.quant {
				r.report.Quantized++
				r.report.Total.Add(j.report.Error)
			}
			if r.opts.OnTensor != nil {
				if err := r.opts.OnTensor(j.report); err != nil {
					return err
				}
			}
		}
		if r.opts.Progress != nil {
			r.progress.Elapsed = time.Since(r.start)
			r.opts.Progress(r.progress)
		}
	}
	return nil
}

// release returns what seg holds: its buffers, budget and slot.
func (r *fileRun) release(seg *segment) {
	for _, b := range seg.bufs {
		r.pool.put(b)
	}
	seg.bufs, seg.data = nil, nil
	r.budget.release(seg.mem)
	seg.mem = 0
	<-r.slots
}

// produce queues every tensor's segments in file order, starting the
// computation of each quantized one.
func (r *fileRun) produce(ctx context.Context) error {
	for _, j := range r.jobs {
		size := j.t.End - j.t.Begin
		var err error
		switch {
		case !j.quant:
			err = r.produceCopy(ctx, j)
		case 2*size <= r.whole:
			seg := &segment{job: j, off: j.t.Begin, last: true}
			err = r.launch(ctx, seg, 2*size, func() error { return r.runWhole(ctx, seg) })
		default:
			err = r.producePieces(ctx, j)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// launch takes a slot and mem budget bytes for seg, queues it, and runs
// fn for it on its own goroutine, which closes seg.done; a nil fn means
// seg is ready.
func (r *fileRun) launch(ctx context.Context, seg *segment, mem int64, fn func() error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := r.budget.acquire(ctx, mem); err != nil {
		<-r.slots
		return err
	}
	seg.mem = mem
	seg.done = make(chan struct{})
	if fn == nil {
		close(seg.done)
	} else {
		r.workers.Add(1)
		go func() {
			defer r.workers.Done()
			if seg.err = ctx.Err(); seg.err == nil {
				seg.err = fn()
			}
			close(seg.done)
		}()
	}
	// The queue has room for every slot, so this never blocks.
	r.queue <- seg
	return nil
}

// produceCopy queues the tensor's bytes, a piece at a time.
func (r *fileRun) produceCopy(ctx context.Context, j *fileJob) error {
	off := j.t.Begin
	for {
		n := min(r.piece, j.t.End-off)
		seg := &segment{job: j, off: off, last: off+n == j.t.End}
		var err error
		seg.data, _, err = r.in.Bytes(r.hdr.DataOffset+off, n)
		if err != nil {
			seg.err = fileError(r.src, j.t.Name, err)
		}
		if err := r.launch(ctx, seg, n, nil); err != nil {
			return err
		}
		off += n
		if seg.last {
			return nil
		}
	}
}

// input returns the tensor bytes [off, off+n) of the data buffer as a
// slice aligned for dtype, recording any pooled copy in seg.
func (r *fileRun) input(seg *segment, j *fileJob, off, n int64) ([]byte, error) {
	b, copied, err := r.in.Bytes(r.hdr.DataOffset+off, n)
	if err != nil {
		return nil, fileError(r.src, j.t.Name, err)
	}
	r.in.Prefetch(r.hdr.DataOffset+off, n)
	if !copied && n > 0 && uintptr(unsafe.Pointer(&b[0]))%uintptr(j.dtype.Size()) != 0 {
		// A header whose length is not a multiple of 8 leaves the data
		// unaligned; the kernels need aligned elements.
		a := r.buffer(seg, n)
		copy(a, b)
		b = a
	}
	return b, nil
}

// buffer returns an aligned buffer of n bytes, pooled when it fits a
// piece, recorded in seg (when not nil) to be given back once written.
func (r *fileRun) buffer(seg *segment, n int64) []byte {
	b := r.pool.get(n)
	if seg != nil {
		seg.bufs = append(seg.bufs, b)
	}
	return b
}

// runWhole fake-quantizes a whole tensor in one engine call.
func (r *fileRun) runWhole(ctx context.Context, seg *segment) error {
	j := seg.job
	size := j.t.End - j.t.Begin
	src, err := r.input(seg, j, j.t.Begin, size)
	if err != nil {
		return err
	}
	dst := r.buffer(seg, size)
	in, out := bytesTensor(j.dtype, j.t.Shape, src), bytesTensor(j.dtype, j.t.Shape, dst)
	seg.res, err = r.e.RunInto(ctx, out, in, j.opts)
	if err != nil {
		return fileError(r.src, j.t.Name, err)
	}
	seg.data = dst
	seg.stats = errorStats(r.e.cpu, j.dtype, src, dst)
	return nil
}

// producePieces queues a tensor too large for one call as pieces of whole
// slabs or rows (part of a row where a row is larger than a piece).
// Unless the range is given, a first pass finds every channel's range.
func (r *fileRun) producePieces(ctx context.Context, j *fileJob) error {
	size := int64(j.dtype.Size())
	elems := int(max(r.piece/size, 1))
	var fixed []Channel
	if !j.opts.RangeGiven {
		var err error
		if fixed, err = r.findRange(ctx, j, elems); err != nil {
			return err
		}
	}
	fallback := ""
	if r.e.gpu != nil {
		fallback = fmt.Sprintf("its %d bytes are beyond a third of the memory limit, so it ran in pieces on the CPU", j.t.End-j.t.Begin)
	}
	fixedQuant := quantsOf(j.dtype, fixed)
	for p := range quant.Pieces(j.c.layout, elems) {
		off := j.t.Begin + int64(p.First)*size
		n := int64(p.Layout.Len()) * size
		seg := &segment{job: j, off: off, last: off+n == j.t.End, c0: p.Channel}
		c := call{layout: p.Layout, params: j.c.params}
		d := p.Layout.Depth
		if fixed != nil {
			c.fixed = fixed[p.Channel : p.Channel+d]
			c.fixedQuant = sliceQuants(fixedQuant, p.Channel, p.Channel+d)
		} else {
			c.min, c.max = j.c.min[p.Channel:p.Channel+d], j.c.max[p.Channel:p.Channel+d]
		}
		err := r.launch(ctx, seg, 2*n, func() error {
			src, err := r.input(seg, j, off, n)
			if err != nil {
				return err
			}
			dst := r.buffer(seg, n)
			var res Result
			if r.e.ref || (r.e.gpu != nil && fixed == nil) {
				shape := []int{p.Layout.Len()}
				res, err = r.e.runCall(ctx, bytesTensor(j.dtype, shape, dst), bytesTensor(j.dtype, shape, src), c)
				seg.stats = errorStats(r.e.cpu, j.dtype, src, dst)
			} else {
				res, seg.stats, err = r.e.runFused(ctx, j.dtype, dst, src, c)
			}
			if err != nil {
				return fileError(r.src, j.t.Name, err)
			}
			if fixed != nil {
				res.Fallback = fallback // fixed parameters always run on the CPU
			}
			seg.res, seg.data = res, dst
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// findRange finds every channel's range over the tensor, piece by piece,
// and returns the parameters one call over the whole tensor would use.
func (r *fileRun) findRange(ctx context.Context, j *fileJob, elems int) ([]Channel, error) {
	size := int64(j.dtype.Size())
	depth := j.c.layout.Depth
	// A tensor within a quarter of the budget keeps its pages mapped for
	// the second pass; a larger one gives them back as it goes.
	release := j.t.End-j.t.Begin > r.budget.size/4
	fold := func(merge func(c int, b []byte, l quant.Layout) error) error {
		for p := range quant.Pieces(j.c.layout, elems) {
			off, n := j.t.Begin+int64(p.First)*size, int64(p.Layout.Len())*size
			seg := &segment{}
			src, err := r.input(seg, j, off, n)
			if err != nil {
				return err
			}
			err = merge(p.Channel, src, p.Layout)
			if release {
				r.in.Release(r.hdr.DataOffset+off, n)
			}
			for _, b := range seg.bufs {
				r.pool.put(b)
			}
			if err != nil {
				return fileError(r.src, j.t.Name, err)
			}
		}
		return nil
	}
	switch j.dtype {
	case F64:
		return foldRanges(depth, j.c.params, fold, func(b []byte, l quant.Layout) ([]quant.Bounds[float64], error) {
			return r.e.cpu.RangeFloat64(ctx, unsafe.Slice((*float64)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/8), l)
		})
	case F32:
		return foldRanges(depth, j.c.params, fold, func(b []byte, l quant.Layout) ([]quant.Bounds[float32], error) {
			return r.e.cpu.RangeFloat32(ctx, unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4), l)
		})
	case F16:
		return foldRanges(depth, j.c.params, fold, func(b []byte, l quant.Layout) ([]quant.Bounds[float32], error) {
			return r.e.cpu.RangeFloat16(ctx, unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/2), l)
		})
	default:
		return foldRanges(depth, j.c.params, fold, func(b []byte, l quant.Layout) ([]quant.Bounds[float32], error) {
			return r.e.cpu.RangeBFloat16(ctx, unsafe.Slice((*uint16)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/2), l)
		})
	}
}

// foldRanges merges the ranges of every piece fold visits and returns the
// channels' parameters.
func foldRanges[C quant.Float](depth int, params quant.Params, fold func(func(int, []byte, quant.Layout) error) error, rng func([]byte, quant.Layout) ([]quant.Bounds[C], error)) ([]Channel, error) {
	merged := make([]quant.Bounds[C], depth)
	for c := range merged {
		merged[c] = quant.EmptyBounds[C]()
	}
	err := fold(func(c0 int, b []byte, l quant.Layout) error {
		found, err := rng(b, l)
		for i, f := range found {
			merged[c0+i] = quant.MergeBounds(merged[c0+i], f)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	quants := make([]quant.Quant[C], depth)
	for c, m := range merged {
		quants[c] = quant.QuantOf(params, m)
	}
	return channelsOf(quants), nil
}

// fusedElems is the size of the parts runFused gives each worker: small
// enough that a part's input and output are still in cache when its
// error is measured.
const fusedElems = 1 << 15

// runFused runs c, a piece of a tensor, on the CPU over src into dst,
// bytes of dtype, in parts of about fusedElems elements spread over the
// workers; each worker measures its part's error right after computing
// it, while the part is in cache.
func (e *Engine) runFused(ctx context.Context, dtype DType, dst, src []byte, c call) (Result, ErrorStats, error) {
	if e.closed.Load() {
		return Result{}, ErrorStats{}, newError(ErrClosed, "engine is closed")
	}
	one := cpu.Fast{Workers: 1, Kernels: e.cpu.Kernels}
	var parts []quant.Piece
	for p := range quant.Pieces(c.layout, fusedElems) {
		parts = append(parts, p)
	}
	res := Result{Backend: CPU, Channels: c.fixed}
	if c.fixed == nil {
		res.Channels = make([]Channel, c.layout.Depth)
	}
	stats := make([]ErrorStats, len(parts))
	chans := make([][]Channel, len(parts))
	errs := make([]error, len(parts))
	size := int64(dtype.Size())
	workers := e.cpu.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var next sync.Mutex
	item := 0
	var wg sync.WaitGroup
	for range min(workers, len(parts)) {
		wg.Go(func() {
			for ctx.Err() == nil {
				next.Lock()
				i := item
				item++
				next.Unlock()
				if i >= len(parts) {
					return
				}
				p := parts[i]
				a, b := int64(p.First)*size, int64(p.First+p.Layout.Len())*size
				sub := call{layout: p.Layout, params: c.params}
				d := p.Layout.Depth
				if c.fixed != nil {
					sub.fixed = c.fixed[p.Channel : p.Channel+d]
					sub.fixedQuant = sliceQuants(c.fixedQuant, p.Channel, p.Channel+d)
				} else {
					sub.min, sub.max = c.min[p.Channel:p.Channel+d], c.max[p.Channel:p.Channel+d]
				}
				// Fixed parameters are the report already: only a given
				// range's parameters are collected from the parts.
				want := c.fixed == nil
				var ch []Channel
				var err error
				switch dtype {
				case F32:
					ch, err = runPart(ctx, one.Float32, bytesTensor(F32, nil, dst[a:b]).f32, bytesTensor(F32, nil, src[a:b]).f32, sub, want)
				case F64:
					ch, err = runPart(ctx, one.Float64, bytesTensor(F64, nil, dst[a:b]).f64, bytesTensor(F64, nil, src[a:b]).f64, sub, want)
				case F16:
					ch, err = runPart(ctx, one.Float16, bytesTensor(F16, nil, dst[a:b]).b16, bytesTensor(F16, nil, src[a:b]).b16, sub, want)
				default:
					ch, err = runPart(ctx, one.BFloat16, bytesTensor(BF16, nil, dst[a:b]).b16, bytesTensor(BF16, nil, src[a:b]).b16, sub, want)
				}
				if err != nil {
					errs[i] = err
					continue
				}
				chans[i] = ch
				stats[i] = statsRange(one, dtype, src[a:b], dst[a:b], 0, p.Layout.Len())
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Result{}, ErrorStats{}, err
	}
	var total ErrorStats
	for i := range parts {
		if errs[i] != nil {
			return Result{}, ErrorStats{}, errs[i]
		}
		total.Add(stats[i])
		// Parts of one channel report the same parameters.
		if chans[i] != nil {
			copy(res.Channels[parts[i].Channel:], chans[i])
		}
	}
	return res, total, nil
}

// runPart runs c through fn and returns its channels when want is set.
func runPart[S any, C quant.Float](ctx context.Context, fn backendFunc[S, C], dst, src []S, c call, want bool) ([]Channel, error) {
	quants, err := fn(ctx, dst, src, request[C](c))
	if err != nil || !want {
		return nil, err
	}
	return channelsOf(quants), nil
}

// quantsOf converts parameters to the cpu package's form for dtype's
// compute type, or returns nil for nil.
func quantsOf(dtype DType, chs []Channel) any {
	if chs == nil {
		return nil
	}
	if dtype == F64 {
		return convertQuants[float64](chs)
	}
	return convertQuants[float32](chs)
}

func convertQuants[C quant.Float](chs []Channel) []quant.Quant[C] {
	q := make([]quant.Quant[C], len(chs))
	for i, ch := range chs {
		q[i] = quant.Quant[C]{Min: C(ch.Min), Max: C(ch.Max), Scale: C(ch.Scale), Inv: C(ch.InverseScale)}
	}
	return q
}

// sliceQuants returns q[a:b] for a slice from quantsOf.
func sliceQuants(q any, a, b int) any {
	switch q := q.(type) {
	case []quant.Quant[float32]:
		return q[a:b]
	case []quant.Quant[float64]:
		return q[a:b]
	}
	return nil
}

// runCall runs a call already validated (or built) by the package, on the
// engine's backend; a GPU engine declines fixed parameters and runs them
// on the CPU.
func (e *Engine) runCall(ctx context.Context, out, in Tensor, c call) (Result, error) {
	if e.closed.Load() {
		return Result{}, newError(ErrClosed, "engine is closed")
	}
	return e.run(ctx, out, in, c)
}

// bufferPool keeps buffers of one size for reuse, so that pieces do not
// each cost fresh pages.
type bufferPool struct {
	size int64
	pool sync.Pool
}

// get returns a buffer of n bytes, aligned for any element type, not
// zeroed when it comes from the pool.
func (p *bufferPool) get(n int64) []byte {
	if n > p.size {
		return alignedBytes(n)
	}
	if b, ok := p.pool.Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return alignedBytes(p.size)[:n]
}

// put gives back a buffer from get.
func (p *bufferPool) put(b []byte) {
	if int64(cap(b)) == p.size {
		p.pool.Put(&b)
	}
}

// alignedBytes returns n zero bytes aligned for any element type.
func alignedBytes(n int64) []byte {
	words := make([]uint64, (n+7)/8)
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(words))), n)
}

// bytesTensor views b, aligned for dtype, as a tensor.
func bytesTensor(dtype DType, shape []int, b []byte) Tensor {
	t := Tensor{dtype: dtype, shape: shape}
	p := unsafe.Pointer(unsafe.SliceData(b))
	switch dtype {
	case F32:
		t.f32 = unsafe.Slice((*float32)(p), len(b)/4)
	case F64:
		t.f64 = unsafe.Slice((*float64)(p), len(b)/8)
	default:
		t.b16 = unsafe.Slice((*uint16)(p), len(b)/2)
	}
	return t
}

// littleEndian reports whether this machine stores integers as the
// safetensors format does.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// budget is a counting semaphore over bytes of memory.
type budget struct {
	mu         sync.Mutex
	free, size int64
	wake       chan struct{} // closed and replaced on every release
}

func newBudget(size int64) *budget {
	return &budget{free: size, size: size, wake: make(chan struct{})}
}

// acquire waits until n bytes are free and takes them. A request larger
// than the whole budget is granted when nothing else is held.
func (b *budget) acquire(ctx context.Context, n int64) error {
	for {
		b.mu.Lock()
		if n <= b.free || b.free == b.size {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// release gives back n bytes.
func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}
