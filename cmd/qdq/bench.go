package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/qdqvk/qdq"
)

// benchFlags are the flags of "qdq bench".
type benchFlags struct {
	fs      *flag.FlagSet
	dtypes  string
	size    string
	modes   string
	backend string
	count   int
	json    bool
	kernels string
}

var benchModes = []string{"tensor-given", "tensor-data", "channel-given", "channel-data"}

func newBenchFlags(out io.Writer) *benchFlags {
	f := &benchFlags{fs: flag.NewFlagSet("bench", flag.ContinueOnError)}
	fs := f.fs
	fs.StringVar(&f.dtypes, "dtype", "float32,float64,float16,bfloat16", "comma-separated dtypes to measure")
	fs.StringVar(&f.size, "size", "64Mi", "elements per tensor (suffixes Ki, Mi, Gi); per-channel runs use [4096, size/4096]")
	fs.StringVar(&f.modes, "mode", strings.Join(benchModes, ","), "comma-separated modes to measure")
	fs.StringVar(&f.backend, "backend", "cpu", "comma-separated backends to measure: auto, cpu, gpu (cpu,gpu gives both rows)")
	fs.IntVar(&f.count, "count", 5, "timed repetitions per row; the median is reported")
	fs.BoolVar(&f.json, "json", false, "print one JSON object per row instead of a table")
	fs.StringVar(&f.kernels, "kernels", "", "CPU inner loops: "+strings.Join(qdq.CPUKernels(), ", ")+" (default: the best)")
	setUsage(fs, out, func() {
		fmt.Fprint(out, `usage: qdq bench [flags]

Measures fake-quantization throughput in GB/s (bytes read + written) for
each dtype and mode, next to the memory limit measured in the same run.
Modes: tensor-given and tensor-data (axis -1, range given or from the
data), channel-given and channel-data (axis 0 of a [4096, size/4096]
matrix).

The memory limit is a copy of the same byte count split into contiguous
parts, one goroutine each, over as many goroutines as the engine has
workers (the copy workers column: GOMAXPROCS, the CPU backend's default).
The gpu backend has no workers: its rows are compared with the same host
copy over GOMAXPROCS goroutines. The limit counts bytes read + written
like the rows and is the median of -count copies, timed between the row's
repetitions so that a noisy machine slows both alike. The ratio column is the
row's GB/s divided by the limit's GB/s: near 1× the row moves bytes about
as fast as a plain copy can. With -json, copy_gbps is the limit and
copy_workers its number of goroutines.

Flags:
`)
		fs.PrintDefaults()
	})
	return f
}

// benchRow is one measured row; the JSON field names are a stable contract.
type benchRow struct {
	Backend  string  `json:"backend"`
	Kernels  string  `json:"kernels"`
	DType    string  `json:"dtype"`
	Mode     string  `json:"mode"`
	Elements int     `json:"elements"`
	Seconds  float64 `json:"seconds"`
	GBps     float64 `json:"gbps"`
	// CopyGBps is the memory limit: the throughput of copying the same
	// bytes split over CopyWorkers goroutines, one contiguous part each.
	CopyGBps float64 `json:"copy_gbps"`
	// CopyWorkers is the number of goroutines the memory limit's copy
	// used: the engine's worker count, or GOMAXPROCS for the GPU.
	CopyWorkers int `json:"copy_workers"`
	// Ratio is GBps divided by CopyGBps.
	Ratio float64 `json:"ratio"`
	// KernelGBps is the GPU's throughput counting only the time its
	// shaders ran (timestamps), without transfers; 0 on the CPU.
	KernelGBps float64 `json:"kernel_gbps,omitempty"`
}

// parseSize parses an element count with an optional Ki, Mi or Gi suffix.
func parseSize(s string) (int, error) {
	mult := 1
	for suffix, m := range map[string]int{"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30} {
		if strings.HasSuffix(s, suffix) {
			s, mult = strings.TrimSuffix(s, suffix), m
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, badUsage("-size %q: want a positive element count such as 1048576 or 64Mi", s)
	}
	return n * mult, nil
}

func benchCommand(args []string, stdout, stderr io.Writer) error {
	f := newBenchFlags(stderr)
	pos, err := parseFlags(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return badUsage("bench takes no positional arguments, got %q", pos)
	}
	n, err := parseSize(f.size)
	if err != nil {
		return err
	}
	if n%4096 != 0 {
		return badUsage("-size %d: must be a multiple of 4096 (per-channel rows are [4096, size/4096])", n)
	}
	if f.count < 1 {
		return badUsage("-count %d: must be at least 1", f.count)
	}
	var dtypes []qdq.DType
	for _, s := range strings.Split(f.dtypes, ",") {
		d, err := qdq.ParseDType(strings.TrimSpace(s))
		if err != nil {
			return usageError{err}
		}
		dtypes = append(dtypes, d)
	}
	modes := strings.Split(f.modes, ",")
	for _, m := range modes {
		if !slices.Contains(benchModes, m) {
			return badUsage("-mode %q: want some of %s", m, strings.Join(benchModes, ","))
		}
	}
	var engines []benchEngine
	defer func() {
		for _, e := range engines {
			e.Close()
		}
	}()
	for _, s := range strings.Split(f.backend, ",") {
		backend, err := qdq.ParseBackend(strings.TrimSpace(s))
		if err != nil {
			return usageError{err}
		}
		cfg := qdq.Config{Backend: backend, Kernels: f.kernels}
		engine, err := qdq.NewEngine(cfg)
		if err != nil {
			return usageError{err}
		}
		engines = append(engines, benchEngine{engine, min(copyWorkers(engine, cfg), n)})
	}

	var table *tabwriter.Writer
	if !f.json {
		table = tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(table, "backend\tkernels\tdtype\tmode\telements\tms\tGB/s\tcopy workers\tlimit GB/s\tratio\tkernel GB/s\t")
	}
	for _, dtype := range dtypes {
		in, out := benchTensors(dtype, n)
		for _, e := range engines {
			for _, mode := range modes {
				if err := benchRowFor(e.Engine, mode, in, out, n, dtype, e.copyWorkers, f, stdout, table); err != nil {
					return err
				}
			}
		}
	}
	if table != nil {
		return table.Flush()
	}
	return nil
}

// benchEngine is an engine to measure and the number of goroutines its
// memory limit's copy uses.
type benchEngine struct {
	*qdq.Engine
	copyWorkers int
}

// copyWorkers returns how many goroutines the memory limit for engine,
// made from cfg, copies with: the CPU engine's worker count, which is
// cfg.Workers or GOMAXPROCS when that is 0 (the CPU backend's rule), and
// GOMAXPROCS for the GPU, whose limit is a host copy.
func copyWorkers(engine *qdq.Engine, cfg qdq.Config) int {
	if engine.Backend() == qdq.CPU && cfg.Workers > 0 {
		return cfg.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// benchRowFor measures one engine on one mode and prints the row, with
// the memory limit (the copy over copyWorkers goroutines) timed between
// the row's repetitions, so that both see the machine in the same state.
func benchRowFor(engine *qdq.Engine, mode string, in, out qdq.Tensor, n int, dtype qdq.DType, copyWorkers int,
	f *benchFlags, stdout io.Writer, table *tabwriter.Writer) error {
	opts := benchOptions(mode, in)
	in2, out2 := reshape(in, mode), reshape(out, mode)
	var (
		runErr     error
		kernelSecs []float64
	)
	run := func() {
		res, err := engine.RunInto(context.Background(), out2, in2, opts)
		if err != nil {
			runErr = err
		}
		kernelSecs = append(kernelSecs, res.KernelTime.Seconds())
	}
	limit := func() { copyTensor(out, in, copyWorkers) }
	limit() // fault the output's pages in
	run()   // warm up
	kernelSecs = kernelSecs[:0]
	secs, copySecs := medians(f.count, run, limit)
	if runErr != nil {
		return runErr
	}
	bytes := float64(2 * n * dtype.Size())
	kernels := engine.Kernels()
	if engine.Backend() == qdq.GPU {
		kernels = engine.Device()
	}
	row := benchRow{
		Backend: engine.Backend().String(), Kernels: kernels, DType: dtype.String(), Mode: mode,
		Elements: n, Seconds: secs, GBps: bytes / secs / 1e9,
		CopyGBps: bytes / copySecs / 1e9, CopyWorkers: copyWorkers,
	}
	row.Ratio = row.GBps / row.CopyGBps
	if slices.Sort(kernelSecs); kernelSecs[len(kernelSecs)/2] > 0 {
		row.KernelGBps = bytes / kernelSecs[len(kernelSecs)/2] / 1e9
	}
	if f.json {
		b, _ := json.Marshal(row)
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	kernel := "-"
	if row.KernelGBps > 0 {
		kernel = fmt.Sprintf("%.2f", row.KernelGBps)
	}
	fmt.Fprintf(table, "%s\t%s\t%s\t%s\t%d\t%.2f\t%.2f\t%d\t%.2f\t%.2f×\t%s\t\n", row.Backend, row.Kernels, row.DType, row.Mode,
		row.Elements, row.Seconds*1e3, row.GBps, row.CopyWorkers, row.CopyGBps, row.Ratio, kernel)
	return nil
}

// medians runs a and b count times each, alternately, and returns the
// median seconds of each.
func medians(count int, a, b func()) (secsA, secsB float64) {
	ta, tb := make([]float64, count), make([]float64, count)
	for i := range count {
		start := time.Now()
		a()
		ta[i] = time.Since(start).Seconds()
		start = time.Now()
		b()
		tb[i] = time.Since(start).Seconds()
	}
	slices.Sort(ta)
	slices.Sort(tb)
	return ta[count/2], tb[count/2]
}

// benchTensors returns an input of n normal values and an output tensor.
func benchTensors(dtype qdq.DType, n int) (in, out qdq.Tensor) {
	r := rand.New(rand.NewPCG(1, 2))
	shape := []int{n}
	switch dtype {
	case qdq.F32:
		d := make([]float32, n)
		for i := range d {
			d[i] = float32(r.NormFloat64())
		}
		in, _ = qdq.NewTensor(shape, d)
	case qdq.F64:
		d := make([]float64, n)
		for i := range d {
			d[i] = r.NormFloat64()
		}
		in, _ = qdq.NewTensor(shape, d)
	case qdq.F16:
		d := make([]uint16, n)
		for i := range d {
			d[i] = qdq.Float16FromFloat64(r.NormFloat64()).Bits()
		}
		in, _ = qdq.NewTensorBits(dtype, shape, d)
	case qdq.BF16:
		d := make([]uint16, n)
		for i := range d {
			d[i] = qdq.BFloat16FromFloat64(r.NormFloat64()).Bits()
		}
		in, _ = qdq.NewTensorBits(dtype, shape, d)
	}
	return in, qdq.ZerosLike(in)
}

// reshape views t as [4096, n/4096] for the per-channel modes.
func reshape(t qdq.Tensor, mode string) qdq.Tensor {
	if !strings.HasPrefix(mode, "channel") {
		return t
	}
	shape := []int{4096, t.Len() / 4096}
	var r qdq.Tensor
	switch t.DType() {
	case qdq.F32:
		d, _ := qdq.Data[float32](t)
		r, _ = qdq.NewTensor(shape, d)
	case qdq.F64:
		d, _ := qdq.Data[float64](t)
		r, _ = qdq.NewTensor(shape, d)
	default:
		r, _ = qdq.NewTensorBits(t.DType(), shape, t.Bits16())
	}
	return r
}

func benchOptions(mode string, in qdq.Tensor) qdq.Options {
	o := qdq.DefaultOptions()
	depth := 1
	if strings.HasPrefix(mode, "channel") {
		o.PerChannel, depth = true, 4096
	}
	if strings.HasSuffix(mode, "given") {
		o.RangeGiven = true
		o.InputMin, o.InputMax = make([]float64, depth), make([]float64, depth)
		for i := range depth {
			o.InputMin[i], o.InputMax[i] = -3, 3
		}
	}
	return o
}

// copyTensor is the memory limit's copy: src into dst, the same bytes read
// and written as a row, split into workers contiguous parts that are
// copied by a goroutine each.
func copyTensor(dst, src qdq.Tensor, workers int) {
	switch src.DType() {
	case qdq.F32:
		d, _ := qdq.Data[float32](dst)
		s, _ := qdq.Data[float32](src)
		parallelCopy(d, s, workers)
	case qdq.F64:
		d, _ := qdq.Data[float64](dst)
		s, _ := qdq.Data[float64](src)
		parallelCopy(d, s, workers)
	default:
		parallelCopy(dst.Bits16(), src.Bits16(), workers)
	}
}

// parallelCopy copies src into dst (the same length) in the parts
// copyBounds gives, one goroutine each, and returns when all are done.
func parallelCopy[T any](dst, src []T, workers int) {
	bounds := copyBounds(len(src), workers)
	var wg sync.WaitGroup
	for i := range len(bounds) - 1 {
		lo, hi := bounds[i], bounds[i+1]
		wg.Go(func() { copy(dst[lo:hi], src[lo:hi]) })
	}
	wg.Wait()
}

// copyBounds splits [0, n) into parts contiguous ranges whose lengths
// differ by at most one, the i-th being [b[i], b[i+1]). parts is clamped
// to [1, max(n, 1)].
func copyBounds(n, parts int) []int {
	parts = max(1, min(parts, n))
	b := make([]int, parts+1)
	q, r := n/parts, n%parts // the first r parts have one more
	for i := range b {
		b[i] = i*q + min(i, r)
	}
	return b
}
