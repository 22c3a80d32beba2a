package qdq

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/qdqvk/qdq/cpu"
	"github.com/qdqvk/qdq/gpu"
)

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

// ParseBackend returns the backend named s: "auto", "cpu" or "gpu", in
// any case. On error it returns an invalid Backend, which NewEngine
// refuses.
func ParseBackend(s string) (Backend, error) {
	for _, b := range []Backend{Auto, CPU, GPU} {
		if strings.EqualFold(strings.TrimSpace(s), b.String()) {
			return b, nil
		}
	}
	return invalidBackend, newError(ErrBackend, "unknown backend %q: want auto, cpu or gpu", s)
}

// invalidBackend is what ParseBackend returns with an error.
const invalidBackend = Backend(255)

// MarshalText returns the backend's name, as String does.
func (b Backend) MarshalText() ([]byte, error) {
	if b > GPU {
		return nil, newError(ErrBackend, "invalid backend %d", uint8(b))
	}
	return []byte(b.String()), nil
}

// UnmarshalText sets b to the backend named by text, as ParseBackend.
func (b *Backend) UnmarshalText(text []byte) error {
	v, err := ParseBackend(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
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
	// mu is held for reading by every call in flight and for writing by
	// Close, which so waits for them.
	mu     sync.RWMutex
	closed atomic.Bool
}

// enter starts a call: it fails with ErrClosed once Close has begun.
// Every successful enter is matched by a leave.
func (e *Engine) enter() error {
	e.mu.RLock()
	if e.closed.Load() {
		e.mu.RUnlock()
		return newError(ErrClosed, "engine is closed")
	}
	return nil
}

// leave ends a call that entered.
func (e *Engine) leave() { e.mu.RUnlock() }

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
			return nil, &Error{Kind: ErrBackend, Msg: "gpu backend: " + err.Error(), Err: err}
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

// Workers returns the most goroutines one CPU call uses.
func (e *Engine) Workers() int {
	if e.cpu.Workers > 0 {
		return e.cpu.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// CPUKernels names the CPU inner loops this build can run on this CPU,
// the portable "scalar" first and the best last: "avx2" and "avx512" on
// amd64 CPUs that have them, "neon" on arm64. Every build has them, chosen
// at run time, except one made with the purego build tag, which has the
// portable loops only. All give the same bits.
func CPUKernels() []string { return cpu.KernelSets() }

// Close releases the engine's resources, on every backend alike: it waits
// for the calls in flight, which finish normally, and every call that
// starts after Close has begun fails with ErrClosed. Close is idempotent;
// it must not be called from inside a call (a callback of a call that
// holds the engine).
func (e *Engine) Close() error {
	if e.closed.Swap(true) {
		return nil
	}
	e.mu.Lock() // every call in flight has left
	defer e.mu.Unlock()
	if e.gpu == nil {
		return nil
	}
	return e.gpu.Close()
}
