package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/atomicfile"
	"github.com/qdqvk/qdq/internal/npy"
)

// runFlags are the flags of "qdq run".
type runFlags struct {
	fs         *flag.FlagSet
	bits       int
	signed     bool
	rangeGiven bool
	min, max   string
	round      string
	narrow     bool
	axis       int
	backend    string
	dtype      string
	verbose    bool
	// Weight files only.
	all              bool
	include, exclude stringList
	mem              string
	quiet            bool
	report           string
}

// stringList is a flag that may be repeated.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// options returns the operation's options the flags give (the given
// range aside): -axis -1 is one range per tensor, any other axis is per
// channel, counted from the end when negative.
func (f *runFlags) options(round qdq.RoundMode) qdq.Options {
	return qdq.Options{
		Unsigned: !f.signed, NumBits: f.bits, RangeGiven: f.rangeGiven, RoundMode: round,
		NarrowRange: f.narrow, PerChannel: f.axis != -1, Axis: f.axis,
	}
}

func newRunFlags(out io.Writer) *runFlags {
	f := &runFlags{fs: flag.NewFlagSet("run", flag.ContinueOnError)}
	fs := f.fs
	var d qdq.Options // TensorFlow's defaults
	fs.IntVar(&f.bits, "bits", 8, "num_bits: 1..61 signed, 1..62 unsigned")
	fs.BoolVar(&f.signed, "signed", true, "signed_input (-signed=false for unsigned)")
	fs.BoolVar(&f.rangeGiven, "range-given", false, "use -min/-max instead of the data's range")
	fs.StringVar(&f.min, "min", "", "given input_min: one number, or a comma-separated list (one per channel)")
	fs.StringVar(&f.max, "max", "", "given input_max: one number, or a comma-separated list (one per channel)")
	fs.StringVar(&f.round, "round", d.RoundMode.String(), "round_mode: HALF_TO_EVEN or HALF_UP")
	fs.BoolVar(&f.narrow, "narrow", false, "narrow_range")
	fs.IntVar(&f.axis, "axis", -1, "channel axis; -1 for one range over the whole tensor; -2 is the second to last axis, and so on")
	fs.StringVar(&f.backend, "backend", "auto", "auto, cpu or gpu")
	fs.StringVar(&f.dtype, "dtype", "", "bfloat16: read a '<u2' or '|V2' array as bfloat16 bits and write it back likewise")
	fs.BoolVar(&f.verbose, "v", false, "print what was done to stderr (.npy)")
	fs.BoolVar(&f.all, "all", false, "also fake-quantize rank 0 and 1 tensors: biases, norms (.safetensors)")
	fs.Var(&f.include, "include", "fake-quantize only tensors whose name matches this glob; repeatable (.safetensors)")
	fs.Var(&f.exclude, "exclude", "leave tensors whose name matches this glob unchanged; repeatable (.safetensors)")
	fs.StringVar(&f.mem, "mem", "", "cap on tensor data held in memory, e.g. 512MiB or 2G (.safetensors; default: 1/16 of RAM, 256MiB..8GiB)")
	fs.BoolVar(&f.quiet, "q", false, "print no progress bar and no report table (.safetensors)")
	fs.StringVar(&f.report, "report", "", "write the per-tensor report, per-channel ranges and scales included, to this JSON file (.safetensors)")
	setUsage(fs, out, func() {
		fmt.Fprint(out, `usage: qdq run [flags] IN.npy OUT.npy
       qdq run [flags] IN.safetensors OUT.safetensors

Fake-quantizes IN exactly as TensorFlow's QuantizeAndDequantizeV2 and
writes OUT with the same dtypes and shapes. OUT is written to a temporary
file in its directory, synced and renamed into place, so it is never left
half-written, and an interrupt (Ctrl-C) leaves nothing behind.

.npy: float32, float64 and float16 ('<f4', '<f8', '<f2') arrays are read
as they are; bfloat16 needs -dtype. -min/-max are parsed at the tensor's
precision (any Go float syntax, hexadecimal included: 0x1.8p-3); with
-axis >= 0 one number applies to every channel.

.safetensors: F32, F64, F16 and BF16 tensors of rank 2 or more are
fake-quantized (-all adds rank 0 and 1; -include and -exclude narrow the
choice by name, globs as in Go's path.Match); every other tensor, the
header and its __metadata__ are copied byte for byte. -axis applies to
every chosen tensor: -1 is one range per tensor, -2 the second to last
axis, -3 the one before; a tensor without that axis is an error. One -min
and one -max apply to every channel, rounded once to each tensor's dtype.
The file is memory-mapped and streamed, holding at most -mem bytes of
tensor data. A report table per tensor (range, scale, SQNR, errors, in
float64 against the original values) goes to stdout, a progress bar to
stderr when it is a terminal.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprint(out, `
Exit status: 0 on success, 2 for an invalid argument, attribute or file
(OUT is then neither created nor changed), 1 for any other failure.
`)
	})
	return f
}

// setUsage makes fs print nothing while parsing (errors are reported as
// one "qdq: ..." line by the caller) and print its help text, with the
// flag defaults, to out when asked.
func setUsage(fs *flag.FlagSet, out io.Writer, text func()) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fs.SetOutput(out)
		defer fs.SetOutput(io.Discard)
		text()
	}
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments; after "--" every argument is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseFlags parses args, printing the help text only for -h.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	usage := fs.Usage
	fs.Usage = func() {}
	pos, err := parseInterleaved(fs, args)
	fs.Usage = usage
	if errors.Is(err, flag.ErrHelp) {
		usage()
		return nil, errHelp
	}
	if err != nil {
		return nil, usageError{err}
	}
	return pos, nil
}

func runCommand(args []string, stdout, stderr io.Writer) error {
	f := newRunFlags(stderr)
	pos, err := parseFlags(f.fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return badUsage("run needs IN and OUT (.npy or .safetensors), got %d arguments (see qdq help run)", len(pos))
	}
	inPath, outPath := pos[0], pos[1]
	inFile, outFile := isWeightFile(inPath), isWeightFile(outPath)
	if inFile != outFile {
		return badUsage("IN and OUT must both be .npy or both be .safetensors: %s, %s", inPath, outPath)
	}
	if !inFile && (f.all || len(f.include) > 0 || len(f.exclude) > 0 || f.mem != "" || f.quiet || f.report != "") {
		return badUsage("-all, -include, -exclude, -mem, -q and -report apply to .safetensors files only")
	}
	backend, round, err := f.check()
	if err != nil {
		return err
	}
	if inFile {
		return runWeightFile(f, backend, round, inPath, outPath, stdout, stderr)
	}
	return runNpy(f, backend, round, inPath, outPath, stderr)
}

// check validates the flags that do not depend on the files and returns
// the backend and the round mode they name.
func (f *runFlags) check() (qdq.Backend, qdq.RoundMode, error) {
	backend, err := qdq.ParseBackend(f.backend)
	if err != nil {
		return backend, 0, usageError{err}
	}
	round, err := qdq.ParseRoundMode(f.round)
	switch {
	case err != nil:
		return backend, round, usageError{err}
	case !f.rangeGiven && (f.min != "" || f.max != ""):
		return backend, round, badUsage("-min and -max need -range-given")
	case f.rangeGiven && (f.min == "" || f.max == ""):
		return backend, round, badUsage("-range-given needs both -min and -max")
	case f.bits == 0:
		// num_bits 0 is not the library's "default": the flag is num_bits.
		return backend, round, usageError{&qdq.Error{Kind: qdq.ErrNumBits, Msg: fmt.Sprintf("num_bits is out of range: 0 with signed_input_ %t", f.signed)}}
	case f.dtype != "" && f.dtype != "bfloat16":
		return backend, round, badUsage("-dtype %q: only bfloat16 can be chosen (other dtypes come from the file)", f.dtype)
	}
	return backend, round, nil
}

// runNpy runs "qdq run" on a .npy file.
func runNpy(f *runFlags, backend qdq.Backend, round qdq.RoundMode, inPath, outPath string, stderr io.Writer) error {
	in, arr, err := readTensor(inPath, f.dtype == "bfloat16")
	if err != nil {
		return err
	}
	// The output is created (and checked: not a directory, not the input
	// under any name) before the work, and renamed into place after it.
	dst, err := atomicfile.Create(outPath, atomicfile.Options{Inputs: []string{inPath}})
	if err != nil {
		return usageError{err}
	}
	defer dst.Abort()
	opts := f.options(round)
	if f.rangeGiven {
		if opts.InputMin, err = parseRange("-min", f.min, in.DType()); err != nil {
			return err
		}
		if opts.InputMax, err = parseRange("-max", f.max, in.DType()); err != nil {
			return err
		}
	}
	engine, err := qdq.NewEngine(qdq.Config{Backend: backend})
	if err != nil {
		return usageError{err}
	}
	defer engine.Close()
	if f.verbose && engine.FallbackReason() != "" {
		fmt.Fprintf(stderr, "qdq: backend %s (auto: %s)\n", engine.Backend(), engine.FallbackReason())
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out, res, err := engine.Run(ctx, in, opts)
	if err != nil {
		var qerr *qdq.Error
		if errors.As(err, &qerr) {
			return usageError{err}
		}
		return err
	}
	if err := writeTensor(ctx, dst, arr.Descr, out); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: %s was not written", outPath)
		}
		return err
	}
	if f.verbose {
		summarize(stderr, inPath, outPath, in, out, opts, res, engine)
	}
	return nil
}

// readTensor reads an .npy file as a tensor. With bfloat16, '<u2' and '|V2'
// arrays are bfloat16 bits.
func readTensor(path string, bfloat16 bool) (qdq.Tensor, *npy.Array, error) {
	file, err := os.Open(path)
	if err != nil {
		return qdq.Tensor{}, nil, usageError{err}
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return qdq.Tensor{}, nil, usageError{err}
	}
	if st.IsDir() {
		return qdq.Tensor{}, nil, badUsage("%s: is a directory", path)
	}
	arr, err := npy.Read(bufio.NewReaderSize(file, 1<<16), st.Size())
	if err != nil {
		return qdq.Tensor{}, nil, badUsage("%s: %v", path, err)
	}
	var t qdq.Tensor
	switch arr.Descr {
	case "<f4":
		t, err = qdq.NewTensor(arr.Shape, arr.F32)
	case "<f8":
		t, err = qdq.NewTensor(arr.Shape, arr.F64)
	case "<f2":
		if bfloat16 {
			return t, nil, badUsage("%s: -dtype bfloat16 given but the file holds float16 ('<f2')", path)
		}
		t, err = qdq.NewTensorBits(qdq.F16, arr.Shape, arr.U16)
	default: // "<u2", "|V2"
		if !bfloat16 {
			return t, nil, badUsage("%s: 16-bit words (%q): pass -dtype bfloat16 if they are bfloat16", path, arr.Descr)
		}
		t, err = qdq.NewTensorBits(qdq.BF16, arr.Shape, arr.U16)
	}
	if err != nil {
		return t, nil, badUsage("%s: %v", path, err)
	}
	if bfloat16 && t.DType() != qdq.BF16 {
		return t, nil, badUsage("%s: -dtype bfloat16 given but the file holds %v (%q)", path, t.DType(), arr.Descr)
	}
	return t, arr, nil
}

// parseRange parses a -min or -max value: one number or a comma-separated
// list, at the tensor's precision. A float32 tensor parses each number
// straight to float32; float16 and bfloat16 parse to float64, which the
// engine rounds once to the type. One number applies to every channel.
func parseRange(name, s string, dtype qdq.DType) ([]float64, error) {
	bits := 64
	if dtype == qdq.F32 {
		bits = 32
	}
	parts := strings.Split(s, ",")
	vals := make([]float64, len(parts))
	for i, p := range parts {
		p = strings.TrimSpace(p)
		v, err := strconv.ParseFloat(p, bits)
		var num *strconv.NumError
		switch {
		case errors.As(err, &num) && errors.Is(num.Err, strconv.ErrRange) && math.IsInf(v, 0):
			return nil, badUsage("%s: %s overflows %v", name, p, dtype)
		case errors.As(err, &num) && errors.Is(num.Err, strconv.ErrRange):
			// Underflow: ParseFloat has rounded to zero or a subnormal,
			// which is the value at this precision.
		case err != nil:
			return nil, badUsage("%s: %q is not a number", name, p)
		case !math.IsInf(v, 0) && math.IsInf(dtype.Round(v), 0):
			return nil, badUsage("%s: %s overflows %v", name, p, dtype)
		}
		vals[i] = v
	}
	return vals, nil
}

// writeTensor writes t to dst as .npy with the given descriptor and
// commits it, unless ctx is done by the time its bytes are on the disk.
func writeTensor(ctx context.Context, dst *atomicfile.File, descr string, t qdq.Tensor) error {
	var data any
	switch t.DType() {
	case qdq.F32:
		data, _ = qdq.Data[float32](t)
	case qdq.F64:
		data, _ = qdq.Data[float64](t)
	default:
		data = t.Bits16()
	}
	if err := npy.Write(dst, descr, t.Shape(), data); err != nil {
		return fmt.Errorf("writing %s: %w", dst.Name(), err)
	}
	return dst.CommitContext(ctx)
}

// summarize prints what a run did.
func summarize(w io.Writer, inPath, outPath string, in, out qdq.Tensor, o qdq.Options, res qdq.Result, e *qdq.Engine) {
	fmt.Fprintf(w, "qdq: %s %v %v -> %s\n", inPath, in.DType(), in.Shape(), outPath)
	sign := "signed"
	if o.Unsigned {
		sign = "unsigned"
	}
	axis := -1
	if o.PerChannel {
		axis = o.Axis
	}
	where := e.Kernels()
	if res.Backend == qdq.GPU {
		where = e.Device()
	}
	fmt.Fprintf(w, "qdq: %d-bit %s, %v, narrow=%t, axis %d, range given=%t, backend %s (%s)\n",
		o.NumBits, sign, o.RoundMode, o.NarrowRange, axis, o.RangeGiven, res.Backend, where)
	if res.Fallback != "" && res.Fallback != e.FallbackReason() { // that one is said once, above
		fmt.Fprintf(w, "qdq: ran on the CPU: %s\n", res.Fallback)
	}
	show := res.Channels
	if len(show) > 4 {
		show = show[:4]
	}
	// Values are printed at the compute precision: float32 values
	// widened to float64 print as the float32 they are.
	bits := 32
	if in.DType() == qdq.F64 {
		bits = 64
	}
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, bits) }
	for i, c := range show {
		fmt.Fprintf(w, "qdq: channel %d: range [%s, %s] scale %s inverse %s\n", i, g(c.Min), g(c.Max), g(c.Scale), g(c.InverseScale))
	}
	if len(res.Channels) > len(show) {
		fmt.Fprintf(w, "qdq: ... %d channels in all\n", len(res.Channels))
	}
	n := min(in.Len(), 6)
	for i := range n {
		fmt.Fprintf(w, "qdq: element %d: %s -> %s\n", i, g(in.Float64At(i)), g(out.Float64At(i)))
	}
	stats, err := qdq.Measure(in, out)
	if err != nil {
		fmt.Fprintf(w, "qdq: %v\n", err)
		return
	}
	fmt.Fprintf(w, "qdq: %d elements, max |error| %.3g, SQNR %.1f dB\n", in.Len(), stats.MaxAbs, stats.SQNR())
}
