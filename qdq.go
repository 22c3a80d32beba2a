// Package qdq runs TensorFlow's QuantizeAndDequantizeV2 operation (fake
// quantization) bit for bit as TensorFlow's CPU kernel does, for float32,
// float64, float16 and bfloat16 tensors, per tensor or per channel.
//
// For each channel (the whole tensor when Axis is -1) the operation finds
// a range [min, max] (given, or the channel's own), chooses a symmetric,
// zero-preserving scale from the side that needs the smaller one, and
// replaces every element x by
//
//	round(clamp(x) * scale) * inverseScale
//
// where clamp applies only to a given range and round is HALF_TO_EVEN or
// HALF_UP. float16 and bfloat16 compute in float32 and round the result
// once to their own type. The definition, with the decisions qdq makes
// where TensorFlow leaves them open, the error table and the NaN bits, is
// docs/semantics.md in the module.
//
// Special cases are:
//
//	NaN elements give NaN; NaNs take no part in a range found in the data
//	a channel that is all NaN gives NaN throughout
//	±Inf in the data, range from the data: the scale is 0 and the whole
//	  channel becomes NaN (as in TensorFlow)
//	an all-zero channel gives zeros (scale = the largest float, inverse 0)
//	-0.0 orders below +0.0 when finding a range; negative values that
//	  round to zero give -0.0
//	an empty tensor gives an empty tensor
//
// An Engine runs calls on a backend. The generic functions Apply and
// ApplyInto run on a shared default engine for plain slices.
package qdq

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/qdqvk/qdq/cpu"
	"github.com/qdqvk/qdq/gpu"
	"github.com/qdqvk/qdq/internal/quant"
)

// RoundMode selects how scaled values round to integers. The zero value is
// HalfToEven, TensorFlow's default.
type RoundMode uint8

const (
	// HalfToEven rounds to the nearest integer, ties to even (rint).
	HalfToEven RoundMode = iota
	// HalfUp computes floor(z + 0.5) with z + 0.5 rounded to the compute
	// type first: ties go towards +Inf, so -2.5 gives -2.
	HalfUp
)

// String returns TensorFlow's name for m: "HALF_TO_EVEN" or "HALF_UP".
func (m RoundMode) String() string {
	switch m {
	case HalfToEven:
		return "HALF_TO_EVEN"
	case HalfUp:
		return "HALF_UP"
	}
	return fmt.Sprintf("RoundMode(%d)", uint8(m))
}

// cpu returns the cpu package's constant for m.
func (m RoundMode) cpu() quant.RoundMode {
	if m == HalfUp {
		return quant.HalfUp
	}
	return quant.HalfToEven
}

// ParseRoundMode returns the round mode TensorFlow calls s.
func ParseRoundMode(s string) (RoundMode, error) {
	switch s {
	case "HALF_TO_EVEN":
		return HalfToEven, nil
	case "HALF_UP":
		return HalfUp, nil
	}
	return 0, roundModeError(s)
}

func roundModeError(s string) error {
	return newError(ErrRoundMode, "Round mode string must be 'HALF_UP' or 'HALF_TO_EVEN', is '%s'", s)
}

// Options are the attributes of QuantizeAndDequantizeV2, plus the given
// range. Start from DefaultOptions and change what differs: in a zero
// Options, SignedInput false means unsigned and Axis 0 means one range per
// index of axis 0, unlike TensorFlow's defaults (signed, axis -1); NumBits
// 0 is rejected.
type Options struct {
	// SignedInput selects the integer range [-2^(n-1), 2^(n-1)-1]
	// (or [-2^(n-1)+1, 2^(n-1)-1] with NarrowRange) instead of [0, 2^n-1].
	SignedInput bool
	// NumBits is n: 1..61 when signed, 1..62 when unsigned.
	NumBits int
	// RangeGiven uses InputMin and InputMax instead of the data's range,
	// and clamps the data to the (adjusted) range.
	RangeGiven bool
	// InputMin and InputMax are the given range: one value each when Axis
	// is -1, else one per channel. Each value is first rounded once to the
	// tensor's dtype, as TensorFlow's input_min and input_max tensors
	// have the input's type. They are never modified; the range actually
	// used is in the Result.
	InputMin, InputMax []float64
	// RoundMode is HalfToEven or HalfUp.
	RoundMode RoundMode
	// NarrowRange drops the most negative level in signed mode.
	NarrowRange bool
	// Axis is the channel axis, or -1 for one range over the whole tensor.
	Axis int
}

// DefaultOptions returns TensorFlow's defaults: signed, 8 bits, range from
// the data, HALF_TO_EVEN, not narrow, per tensor.
func DefaultOptions() Options {
	return Options{SignedInput: true, NumBits: 8, RoundMode: HalfToEven, Axis: -1}
}

// Backend selects where an Engine runs.
type Backend uint8

const (
	// Auto uses the best backend available: a GPU when one is usable,
	// else the CPU. It never picks a CPU implementation of Vulkan (slower
	// than the CPU backend) on its own, but it uses the device that
	// Config.Device or QDQ_VULKAN_DEVICE names, whatever its type.
	// Engine.FallbackReason and each Result.Fallback say why it chose the
	// CPU.
	Auto Backend = iota
	// CPU runs on all cores with the vectorised CPU implementation.
	CPU
	// GPU runs on a Vulkan device, a CPU implementation such as Mesa's
	// lavapipe included; NewEngine fails when there is none. Calls the
	// device cannot compute exactly run on the CPU (Result.Fallback).
	GPU
)

// String returns "auto", "cpu" or "gpu".
func (b Backend) String() string {
	switch b {
	case Auto:
		return "auto"
	case CPU:
		return "cpu"
	case GPU:
		return "gpu"
	}
	return fmt.Sprintf("Backend(%d)", uint8(b))
}

// ParseBackend returns the backend named s: "auto", "cpu" or "gpu".
func ParseBackend(s string) (Backend, error) {
	for _, b := range []Backend{Auto, CPU, GPU} {
		if s == b.String() {
			return b, nil
		}
	}
	return 0, newError(ErrBackend, "unknown backend %q: want auto, cpu or gpu", s)
}

// Config configures an Engine. The zero value is Auto with every core.
type Config struct {
	Backend Backend
	// Workers is the most goroutines a CPU call uses; 0 means GOMAXPROCS.
	Workers int
	// Kernels chooses the CPU inner loops by name, one of CPUKernels():
	// "scalar" for the portable loops, "avx2" or "avx512" where this
	// build and CPU have them. Empty means the best available.
	Kernels string
	// Reference makes the CPU backend run the plain, single-threaded
	// reference implementation: slow, and the oracle the other paths are
	// tested against.
	Reference bool
	// Device chooses the GPU by index or by a case-insensitive substring
	// of its name, as `qdq devices` lists them; empty means the
	// QDQ_VULKAN_DEVICE environment variable, or else the best device by
	// type (discrete, integrated, virtual, other). A device named here or
	// there is used even if it is a CPU implementation of Vulkan; Auto
	// never picks one on its own.
	Device string
}

// Engine runs fake quantization on one backend. It is safe for concurrent
// use by multiple goroutines and may be reused for any number of calls.
// Create one with NewEngine; the zero Engine runs on the CPU.
type Engine struct {
	backend Backend
	reason  string
	cpu     cpu.Fast
	ref     bool
	gpu     *gpu.Context // nil on the CPU backend
	closed  atomic.Bool
}

// NewEngine returns an engine for cfg.Backend. With Auto it never fails:
// it falls back to the CPU and records why (FallbackReason).
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.Kernels != "" && !slices.Contains(cpu.KernelSets(), cfg.Kernels) {
		return nil, newError(ErrBackend, "cpu kernels %q: not available here (have %s)", cfg.Kernels, strings.Join(cpu.KernelSets(), ", "))
	}
	e := &Engine{backend: CPU, cpu: cpu.Fast{Workers: cfg.Workers, Kernels: cfg.Kernels}, ref: cfg.Reference}
	gcfg := gpu.ConfigFromEnv()
	if cfg.Device != "" {
		gcfg.Device = cfg.Device
	}
	switch cfg.Backend {
	case Auto:
		g, err := gpu.Open(gcfg)
		if err != nil {
			e.reason = err.Error()
			return e, nil
		}
		e.backend, e.gpu = GPU, g
	case CPU:
	case GPU:
		gcfg.AllowCPU = true
		g, err := gpu.Open(gcfg)
		if err != nil {
			return nil, newError(ErrBackend, "gpu backend: %v", err)
		}
		e.backend, e.gpu = GPU, g
	default:
		return nil, newError(ErrBackend, "unknown backend %v", cfg.Backend)
	}
	return e, nil
}

// Device names the GPU the engine runs on, or is empty on the CPU.
func (e *Engine) Device() string {
	if e.gpu == nil {
		return ""
	}
	return e.gpu.Device().Name
}

// Backend returns the backend the engine runs on (CPU or GPU, never Auto).
func (e *Engine) Backend() Backend {
	if e.backend == Auto { // the zero Engine runs on the CPU
		return CPU
	}
	return e.backend
}

// FallbackReason says why an Auto engine runs on the CPU, or is empty.
func (e *Engine) FallbackReason() string { return e.reason }

// Kernels names the CPU inner loops in use: "avx512", "avx2", "neon",
// "scalar" or "reference".
func (e *Engine) Kernels() string {
	if e.ref {
		return "reference"
	}
	return e.cpu.KernelsInUse()
}

// CPUKernels names the CPU inner loops this build can run on this CPU,
// the portable "scalar" first and the best last: "avx2" and "avx512" on
// amd64 CPUs that have them, "neon" on arm64. Every build has them, chosen
// at run time, except one made with the purego build tag, which has the
// portable loops only. All give the same bits.
func CPUKernels() []string { return cpu.KernelSets() }

// Close releases the engine's resources. Calls after Close fail with
// ErrClosed. Close is idempotent.
func (e *Engine) Close() error {
	if e.closed.Swap(true) || e.gpu == nil {
		return nil
	}
	return e.gpu.Close()
}

// Channel is what one channel used: the range (one bound adjusted so that
// zero is exact), the scale and the inverse scale, each the compute-type
// value widened exactly to float64. A range found in data with no non-NaN
// element is NaN.
type Channel struct {
	Min, Max, Scale, InverseScale float64
}

// Result describes a finished call.
type Result struct {
	Backend  Backend   // where the call ran
	Channels []Channel // one per channel; one when Axis is -1
	// Fallback says why the call ran on the CPU although a GPU was
	// asked for: why a GPU engine declined it (values the device cannot
	// treat exactly, a tensor beyond its limits, a device failure), or why
	// an Auto engine found no usable GPU. It is empty otherwise.
	Fallback string
	// KernelTime is how long the GPU's shaders ran, from its timestamps
	// (zero on the CPU, or where the device has no timestamps).
	KernelTime time.Duration
}

// Run fake-quantizes in and returns a new tensor of the same dtype and
// shape.
func (e *Engine) Run(ctx context.Context, in Tensor, opts Options) (Tensor, Result, error) {
	c, err := e.prepare(in, opts)
	if err != nil {
		return Tensor{}, Result{}, err
	}
	out := ZerosLike(in)
	res, err := e.run(ctx, out, in, c)
	if err != nil {
		return Tensor{}, Result{}, err
	}
	return out, res, nil
}

// RunInto fake-quantizes in into out, which must have in's dtype and
// shape. out may be in itself (in place) but must not otherwise overlap
// it. On error out's contents are unspecified. A cancelled ctx stops the
// call between work items and returns an error wrapping ctx.Err().
func (e *Engine) RunInto(ctx context.Context, out, in Tensor, opts Options) (Result, error) {
	c, err := e.prepare(in, opts)
	if err != nil {
		return Result{}, err
	}
	if err := checkOutput(out, in); err != nil {
		return Result{}, err
	}
	return e.run(ctx, out, in, c)
}

// checkOutput checks that out can receive in's result.
func checkOutput(out, in Tensor) error {
	if err := out.check(); err != nil {
		return about("output", err)
	}
	if out.dtype != in.dtype || !slices.Equal(out.shape, in.shape) {
		return newError(ErrShape, "output is %v %v but input is %v %v", out.dtype, out.shape, in.dtype, in.shape)
	}
	if partialOverlap(out, in) {
		return newError(ErrShape, "output overlaps the input without being the same memory")
	}
	return nil
}

// bytes returns t's elements as little-endian bytes, sharing its memory.
func (t Tensor) bytes() []byte {
	switch t.dtype {
	case F32:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.f32))), 4*len(t.f32))
	case F64:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.f64))), 8*len(t.f64))
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.b16))), 2*len(t.b16))
}

// prepare checks the engine, the input and the options.
func (e *Engine) prepare(in Tensor, opts Options) (call, error) {
	if e.closed.Load() {
		return call{}, newError(ErrClosed, "engine is closed")
	}
	if err := in.check(); err != nil {
		return call{}, err
	}
	return compile(in, opts)
}

// run runs a validated call: on the GPU when the engine has one, and on
// the CPU when it has none or the GPU declined the call.
func (e *Engine) run(ctx context.Context, out, in Tensor, c call) (Result, error) {
	fallback := e.reason // why an Auto engine runs on the CPU
	if e.gpu != nil {
		var stats gpu.Stats
		ch, err := runOn(gpu.WithStats(ctx, &stats), e.gpu, out, in, c)
		switch {
		case err == nil:
			return Result{Backend: GPU, Channels: ch, KernelTime: stats.Kernel}, nil
		case e.closed.Load():
			return Result{}, newError(ErrClosed, "engine is closed")
		case !errors.Is(err, quant.ErrDeclined):
			return Result{}, fmt.Errorf("qdq: %w", err)
		}
		// Not exact on the device, or the device failed (out of memory,
		// lost): the CPU computes the whole output again.
		fallback = err.Error()
	}
	ch, err := runOn(ctx, e.cpuBackend(), out, in, c)
	if err != nil {
		return Result{}, fmt.Errorf("qdq: %w", err)
	}
	return Result{Backend: CPU, Channels: ch, Fallback: fallback}, nil
}

// cpuBackend returns the CPU implementation the engine runs: the fast
// one, or the reference.
func (e *Engine) cpuBackend() quant.Backend {
	if e.ref {
		return quant.Reference{}
	}
	return e.cpu
}

// runOn runs one call on backend b.
func runOn(ctx context.Context, b quant.Backend, out, in Tensor, c call) ([]Channel, error) {
	switch in.dtype {
	case F32:
		return runTyped(ctx, b.Float32, out.f32, in.f32, c)
	case F64:
		return runTyped(ctx, b.Float64, out.f64, in.f64, c)
	case F16:
		return runTyped(ctx, b.Float16, out.b16, in.b16, c)
	}
	return runTyped(ctx, b.BFloat16, out.b16, in.b16, c)
}

// runTyped runs one call through one of a backend's methods.
func runTyped[S any, C quant.Float](ctx context.Context, fn backendFunc[S, C], dst, src []S, c call) ([]Channel, error) {
	quants, err := fn(ctx, dst, src, request[C](c))
	if err != nil {
		return nil, err
	}
	return channelsOf(quants), nil
}

// backendFunc is the shape of a quant.Backend method.
type backendFunc[S any, C quant.Float] func(context.Context, []S, []S, quant.Request[C]) ([]quant.Quant[C], error)

// partialOverlap reports whether a's and b's elements share memory without
// being exactly the same slice.
func partialOverlap(a, b Tensor) bool {
	pa, na := a.memory()
	pb, nb := b.memory()
	if na == 0 || nb == 0 || pa == pb {
		return false
	}
	return pa < pb+nb && pb < pa+na
}

func (t Tensor) memory() (start, size uintptr) {
	switch t.dtype {
	case F32:
		return uintptr(unsafe.Pointer(unsafe.SliceData(t.f32))), uintptr(len(t.f32)) * 4
	case F64:
		return uintptr(unsafe.Pointer(unsafe.SliceData(t.f64))), uintptr(len(t.f64)) * 8
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(t.b16))), uintptr(len(t.b16)) * 2
}

// maxEmptyChannels bounds the channel count of an empty tensor. A tensor
// with elements has no more channels than elements, so its per-channel
// results are never larger than it; an empty one could claim any count.
const maxEmptyChannels = 1 << 24

// call is a validated call: the layout, the parameters and the given
// range as float64 values already rounded to the tensor's dtype.
type call struct {
	layout   quant.Layout
	params   quant.Params
	min, max []float64 // nil when the range comes from the data
	// fixed, when not nil, holds each channel's parameters worked out
	// beforehand (a tensor run in pieces); min and max are then nil.
	// fixedQuant, when not nil, is fixed already in the cpu package's
	// form ([]quant.Quant[C] of the compute type), made once per tensor.
	fixed      []Channel
	fixedQuant any
}

// request is the backends' form of a validated call.
func request[C quant.Float](c call) quant.Request[C] {
	r := quant.Request[C]{Layout: c.layout, Params: c.params}
	if q, ok := c.fixedQuant.([]quant.Quant[C]); ok {
		r.Quant = q
	} else if c.fixed != nil {
		// The parameters are compute-type values widened exactly.
		r.Quant = convertQuants[C](c.fixed)
	}
	if c.min != nil {
		// The bounds were rounded to the dtype, so converting them to its
		// compute type is exact.
		r.Given = make([]quant.Bounds[C], len(c.min))
		for i := range c.min {
			r.Given[i] = quant.Bounds[C]{Min: C(c.min[i]), Max: C(c.max[i])}
		}
	}
	return r
}

// channelsOf widens per-channel results to the public form.
func channelsOf[C quant.Float](quants []quant.Quant[C]) []Channel {
	ch := make([]Channel, len(quants))
	for i, q := range quants {
		ch[i] = Channel{float64(q.Min), float64(q.Max), float64(q.Scale), float64(q.Inv)}
	}
	return ch
}

// compile validates opts against in, in TensorFlow's order, and returns
// the call to run.
func compile(in Tensor, opts Options) (call, error) {
	return compileFor(in.dtype, in.shape, in.Len(), opts)
}

// compileFor is compile for a tensor of n elements with the given dtype
// and shape.
func compileFor(dtype DType, shape []int, n int, opts Options) (call, error) {
	var c call
	if opts.NumBits < 1 || (opts.SignedInput && opts.NumBits >= 62) || (!opts.SignedInput && opts.NumBits >= 63) {
		return c, newError(ErrNumBits, "num_bits is out of range: %d with signed_input_ %t", opts.NumBits, opts.SignedInput)
	}
	if opts.RoundMode != HalfToEven && opts.RoundMode != HalfUp {
		return c, roundModeError(opts.RoundMode.String())
	}
	rank := len(shape)
	if opts.Axis < -1 {
		return c, newError(ErrAxis, "Axis must be at least -1. Found %d", opts.Axis)
	}
	if opts.Axis >= rank {
		return c, newError(ErrAxis, "Shape must be at least rank %d but is rank %d", uint64(opts.Axis)+1, rank)
	}
	if opts.NumBits == 1 && opts.SignedInput && opts.NarrowRange {
		return c, newError(ErrNumBits, "num_bits 1 with signed_input and narrow_range leaves no quantization levels")
	}
	c.layout = quant.Layout{Outer: 1, Depth: 1, Inner: n}
	if opts.Axis >= 0 {
		depth := shape[opts.Axis]
		inner := 1
		for _, d := range shape[opts.Axis+1:] {
			inner *= d
		}
		outer := 1
		for _, d := range shape[:opts.Axis] {
			outer *= d
		}
		c.layout = quant.Layout{Outer: outer, Depth: depth, Inner: inner}
		if n == 0 && depth > maxEmptyChannels {
			return c, newError(ErrShape, "axis %d of the empty tensor %v has %d channels: more than the %d whose results can be reported", opts.Axis, shape, depth, maxEmptyChannels)
		}
	}
	c.params = quant.Params{Signed: opts.SignedInput, NumBits: opts.NumBits, Narrow: opts.NarrowRange, Round: opts.RoundMode.cpu()}
	if !opts.RangeGiven {
		return c, nil
	}
	return c, c.given(dtype, opts)
}

// given validates the given range and stores it rounded to dtype.
func (c *call) given(dtype DType, opts Options) error {
	want := c.layout.Depth
	if opts.Axis == -1 {
		for _, v := range []struct {
			name string
			vals []float64
		}{{"input_min", opts.InputMin}, {"input_max", opts.InputMax}} {
			if len(v.vals) != 1 {
				return newError(ErrRangeShape, "%s must be a scalar when axis is -1, got %d values", v.name, len(v.vals))
			}
		}
	} else {
		for _, v := range []struct {
			name string
			vals []float64
		}{{"input_min", opts.InputMin}, {"input_max", opts.InputMax}} {
			if len(v.vals) != want {
				return newError(ErrRangeShape, "%s_tensor has incorrect size, was %d expected %d to match dim %d of the input", v.name, len(v.vals), want, opts.Axis)
			}
		}
	}
	round := dtype.Round
	c.min, c.max = make([]float64, want), make([]float64, want)
	bits := 64
	if dtype != F64 {
		bits = 32
	}
	for i := range want {
		lo, hi := round(opts.InputMin[i]), round(opts.InputMax[i])
		if !(lo <= hi) {
			f := func(x float64) string { return formatTF(x, bits) }
			if opts.Axis == -1 {
				return newError(ErrRange, "Invalid range: input_min %s > input_max %s", f(lo), f(hi))
			}
			return newError(ErrRange, "Invalid range for channel %d of axis %d: input_min %s > input_max %s", i, opts.Axis, f(lo), f(hi))
		}
		c.min[i], c.max[i] = lo, hi
	}
	return nil
}

// formatTF formats x as TensorFlow's StrCat does: the shortest decimal
// that reads back as the same value, and nan, inf, -inf.
func formatTF(x float64, bits int) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	}
	return strconv.FormatFloat(x, 'g', -1, bits)
}

// defaultEngine backs Apply and ApplyInto.
var defaultEngine = sync.OnceValue(func() *Engine {
	e, _ := NewEngine(Config{}) // Auto never fails
	return e
})

// Apply fake-quantizes src, viewed with the given shape (nil means
// one dimension of len(src)), and returns the result in a new slice. It
// runs on a shared engine with the Auto backend.
func Apply[T Element](src []T, shape []int, opts Options) ([]T, Result, error) {
	dst := make([]T, len(src))
	res, err := ApplyInto(dst, src, shape, opts)
	if err != nil {
		return nil, Result{}, err
	}
	return dst, res, nil
}

// ApplyInto is Apply writing into dst, which must have len(src) elements
// and may be src itself.
func ApplyInto[T Element](dst, src []T, shape []int, opts Options) (Result, error) {
	if shape == nil {
		shape = []int{len(src)}
	}
	in, err := NewTensor(shape, src)
	if err != nil {
		return Result{}, err
	}
	out, err := NewTensor(shape, dst)
	if err != nil {
		return Result{}, about("output", err)
	}
	return defaultEngine().RunInto(context.Background(), out, in, opts)
}
