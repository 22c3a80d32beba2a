package weights

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/atomicfile"
	"github.com/qdqvk/qdq/internal/mapfile"
	"github.com/qdqvk/qdq/internal/safetensors"
)

// run is one QuantizeFile run.
type run struct {
	e        *qdq.Engine
	in       *mapfile.File
	out      *atomicfile.File
	hdr      *safetensors.File
	jobs     []*job
	opts     Options
	start    time.Time
	src      string
	report   Report
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
	job   *job
	off   int64 // offset in the data buffer
	last  bool  // the job's last segment
	mem   int64 // budget bytes it holds until written
	done  chan struct{}
	data  []byte // the bytes to write, once done
	err   error
	res   qdq.Result
	c0    int // its first channel, for a piece
	stats qdq.ErrorStats
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
	// resident set and measures the error while each cache-sized piece of it is in cache. A
	// GPU engine takes tensors up to a third of the memory limit whole.
	maxWholeCPU = 2 * maxPiece
)

func (r *run) run(ctx context.Context) error {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	limit := r.opts.MemoryLimit
	if limit == 0 {
		limit = DefaultMemoryLimit()
	}
	inFlight := cpuInFlight
	r.whole = min(int64(maxWholeCPU), limit/4)
	if r.e.Backend() == qdq.GPU {
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
	if _, err := r.out.Write(head); err != nil {
		return outputError(err)
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
func (r *run) consume(ctx context.Context) error {
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
				rep.Channels = make([]qdq.Channel, j.layout.Depth)
				rep.Backend = seg.res.Backend
			}
			copy(rep.Channels[seg.c0:], seg.res.Channels)
			if seg.res.Backend == qdq.CPU {
				rep.Backend = qdq.CPU
			}
			if rep.Fallback == "" {
				rep.Fallback = seg.res.Fallback
			}
		}
		n := int64(len(seg.data))
		_, err := r.out.Write(seg.data)
		r.in.Release(r.hdr.DataOffset+seg.off, n)
		r.release(seg)
		if err != nil {
			return outputError(err)
		}
		r.progress.Bytes += n
		if seg.last {
			if err := r.finish(j); err != nil {
				return err
			}
		}
		if r.opts.Progress != nil {
			r.progress.Elapsed = time.Since(r.start)
			r.opts.Progress(r.progress)
		}
	}
	return nil
}

// finish records a tensor that is written: its report, without the
// per-channel parameters, which only OnTensor sees.
func (r *run) finish(j *job) error {
	r.progress.Tensors++
	rep := j.report
	if j.quant {
		rep.Summary = Summarize(rep.Channels)
		r.report.Quantized++
		r.report.Total.Add(rep.Error)
	}
	j.report = TensorReport{}
	r.report.Bytes += rep.Bytes
	if r.opts.OnTensor != nil {
		if err := r.opts.OnTensor(rep); err != nil {
			return err
		}
	}
	rep.Channels = nil
	r.report.Tensors = append(r.report.Tensors, rep)
	return nil
}

// release returns what seg holds: its buffers, budget and slot.
func (r *run) release(seg *segment) {
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
func (r *run) produce(ctx context.Context) error {
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
func (r *run) launch(ctx context.Context, seg *segment, mem int64, fn func() error) error {
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
func (r *run) produceCopy(ctx context.Context, j *job) error {
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
