package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/atomicfile"
	"github.com/qdqvk/qdq/weights"
)

// isWeightFile reports whether path names a .safetensors file.
func isWeightFile(path string) bool {
	return strings.EqualFold(filepath.Ext(path), ".safetensors")
}

// runWeightFile runs "qdq run" on a .safetensors file.
func runWeightFile(f *runFlags, backend qdq.Backend, round qdq.RoundMode, inPath, outPath string, stdout, stderr io.Writer) error {
	fo, err := f.fileOptions(round, inPath, outPath)
	if err != nil {
		return err
	}
	engine, err := qdq.NewEngine(qdq.Config{Backend: backend})
	if err != nil {
		return usageError{err}
	}
	defer engine.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var bar *progressbar.ProgressBar
	if file, ok := stderr.(*os.File); ok && !f.quiet && term.IsTerminal(int(file.Fd())) {
		fo.Progress = func(p weights.Progress) { bar = drawProgress(bar, stderr, p) }
	}
	var channels map[string][]qdq.Channel
	if f.report != "" {
		// The report file lists every channel: keep them as they come.
		channels = map[string][]qdq.Channel{}
		fo.OnTensor = func(t weights.TensorReport) error {
			channels[t.Name] = t.Channels
			return nil
		}
	}
	rep, err := weights.QuantizeFile(ctx, engine, outPath, inPath, fo)
	if bar != nil {
		bar.Exit()
		fmt.Fprintln(stderr)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("interrupted: %s was not written", outPath)
		}
		var qerr *qdq.Error
		if errors.As(err, &qerr) {
			return usageError{err}
		}
		return err
	}
	if f.report != "" {
		if err := writeReport(f.report, rep, channels, []string{inPath, outPath}); err != nil {
			// OUT is complete: this is not an invalid argument.
			return fmt.Errorf("%s was written, but not the report: %s", outPath, oneLine(err))
		}
	}
	if !f.quiet {
		printReport(stdout, rep, engine)
	}
	return nil
}

// fileOptions returns the weight-file options the flags give.
func (f *runFlags) fileOptions(round qdq.RoundMode, inPath, outPath string) (weights.Options, error) {
	fo := weights.Options{
		Options: f.options(round),
		All:     f.all, Include: f.include, Exclude: f.exclude,
	}
	if f.rangeGiven {
		lo, err := parseBound("-min", f.min)
		if err != nil {
			return fo, err
		}
		hi, err := parseBound("-max", f.max)
		if err != nil {
			return fo, err
		}
		fo.InputMin, fo.InputMax = []float64{lo}, []float64{hi}
	}
	if f.mem != "" {
		n, err := parseBytes(f.mem)
		if err != nil {
			return fo, badUsage("-mem: %v", err)
		}
		fo.MemoryLimit = n
	}
	if f.report != "" {
		for _, p := range []string{inPath, outPath} {
			if samePath(f.report, p) {
				return fo, badUsage("-report %s: is also IN or OUT", f.report)
			}
		}
	}
	return fo, nil
}

// drawProgress shows p on the progress bar, creating it on first use.
func drawProgress(bar *progressbar.ProgressBar, w io.Writer, p weights.Progress) *progressbar.ProgressBar {
	if bar == nil {
		bar = progressbar.NewOptions64(p.TotalBytes,
			progressbar.OptionSetWriter(w),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionShowElapsedTimeOnFinish(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionClearOnFinish(),
		)
	}
	bar.Describe(fmt.Sprintf("tensor %d/%d", p.Tensors, p.TotalTensors))
	bar.Set64(p.Bytes)
	return bar
}

// samePath reports whether a and b name the same file: the same clean
// path, or the same existing file.
func samePath(a, b string) bool {
	if filepath.Clean(a) == filepath.Clean(b) {
		return true
	}
	sa, erra := os.Stat(a)
	sb, errb := os.Stat(b)
	return erra == nil && errb == nil && os.SameFile(sa, sb)
}

// parseBound parses one -min or -max number for a file's tensors.
func parseBound(name, s string) (float64, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, ",") {
		return 0, badUsage("%s: a weight file takes one number for every tensor, not a list", name)
	}
	v, err := strconv.ParseFloat(s, 64)
	var num *strconv.NumError
	switch {
	case errors.As(err, &num) && errors.Is(num.Err, strconv.ErrRange) && math.IsInf(v, 0):
		return 0, badUsage("%s: %s overflows float64", name, s)
	case errors.As(err, &num) && errors.Is(num.Err, strconv.ErrRange):
	case err != nil:
		return 0, badUsage("%s: %q is not a number", name, s)
	}
	return v, nil
}

// parseBytes parses a byte count: a number with an optional unit, B, K, M,
// G or T (powers of 1024, also written KiB, MiB, ...) or KB, MB, GB, TB
// (powers of 1000).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.TrimSpace(t[i:])
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || num == "" {
		return 0, fmt.Errorf("%q is not a size (e.g. 512MiB, 2G, 1000000)", s)
	}
	mult := map[string]float64{
		"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3,
		"M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9,
		"T": 1 << 40, "TIB": 1 << 40, "TB": 1e12,
	}[strings.ToUpper(unit)]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (want B, KiB, MiB, GiB, TiB, KB, MB, GB or TB)", s, unit)
	}
	n := v * mult
	if n < 1 || n >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is out of range", s)
	}
	return int64(n), nil
}

// printReport writes the table of tensors and the totals line.
func printReport(w io.Writer, rep *weights.Report, e *qdq.Engine) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TENSOR\tDTYPE\tSHAPE\tAXIS\tCHANNELS\tRANGE\tSCALE\tSQNR dB\tMAX |ERR|\tMEAN |ERR|\tBACKEND")
	for _, t := range rep.Tensors {
		shape := shapeString(t.Shape)
		if !t.Quantized {
			fmt.Fprintf(tw, "%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\tcopied\n", t.Name, t.DType, shape)
			continue
		}
		s := t.Summary
		axis := "tensor"
		if t.Options.PerChannel {
			axis = strconv.Itoa(t.Options.Axis)
		}
		scale := g(s.ScaleMin)
		if s.ScaleMin != s.ScaleMax {
			scale = g(s.ScaleMin) + ".." + g(s.ScaleMax)
		}
		backend := t.Backend.String()
		if t.Fallback != "" && t.Fallback != e.FallbackReason() {
			backend += "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t[%s, %s]\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.DType, shape, axis, s.Channels,
			g(s.Min), g(s.Max), scale, sqnr(t.Error), g(t.Error.MaxAbs), g(t.Error.MeanAbs()), backend)
	}
	tw.Flush()
	where := e.Kernels()
	if e.Backend() == qdq.GPU {
		where = e.Device()
	}
	secs := rep.Duration.Seconds()
	fmt.Fprintf(w, "total: %d tensors, %d fake-quantized, %s in %.2fs (%s/s) on %s (%s); SQNR %s dB, max |err| %s, mean |err| %s\n",
		len(rep.Tensors), rep.Quantized, bytesString(float64(rep.Bytes)), secs, bytesString(float64(rep.Bytes)/secs),
		e.Backend(), where, sqnr(rep.Total), g(rep.Total.MaxAbs), g(rep.Total.MeanAbs()))
	for _, t := range rep.Tensors {
		// An Auto engine on the CPU says why once, below, not per tensor.
		if t.Fallback != "" && t.Fallback != e.FallbackReason() {
			fmt.Fprintf(w, "* %s ran on the CPU: %s\n", t.Name, t.Fallback)
		}
	}
	if r := e.FallbackReason(); r != "" {
		fmt.Fprintf(w, "auto chose the CPU: %s\n", r)
	}
}

func g(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }

// sqnr formats a tensor's SQNR: "exact" when there is no error, "-"
// when nothing was compared.
func sqnr(s qdq.ErrorStats) string {
	switch {
	case s.Elements == 0:
		return "-"
	case s.Noise == 0:
		return "exact"
	}
	return strconv.FormatFloat(s.SQNR(), 'f', 1, 64)
}

func shapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// bytesString formats a byte count with a binary unit.
func bytesString(n float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return strconv.FormatFloat(n, 'f', 1, 64) + " " + units[i]
}

// writeReport writes the JSON report through a temporary file, with the
// channels of every tensor (collected as the run went).
func writeReport(path string, rep *weights.Report, channels map[string][]qdq.Channel, inputs []string) error {
	for i := range rep.Tensors {
		rep.Tensors[i].Channels = channels[rep.Tensors[i].Name]
	}
	return atomicfile.WriteFile(path, atomicfile.Options{Inputs: inputs}, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	})
}
