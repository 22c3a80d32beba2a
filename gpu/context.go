package gpu

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qdqvk/qdq/gpu/internal/vk"
	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/shaders"
)

// workgroup is the local size every shader is specialised with; the
// shaders' shared arrays are sized for it.
const workgroup = 256

// lanes is how many calls a context runs at once.
const lanes = 2

// pushWords is the size of the shaders' push constants in 32-bit words:
// four counts, then up to 32 bytes of per-tensor parameters.
const pushWords = 12

// bindings is how many storage buffers a dispatch binds at most.
const bindings = 3

// device is the Vulkan device as a Context uses it: a *vk.Device in a
// build with Vulkan (open_vulkan.go).
type device interface {
	NewLane(maxSets int) (*vk.Lane, error)
	DestroyLane(l *vk.Lane)
	MappableLocalMemory() bool
	NewBuffer(size int, mapped, local bool) (*vk.Buffer, error)
	Free(b *vk.Buffer)
	ShaderModule(spirv []uint32) (*vk.Module, error)
	DestroyModule(m *vk.Module)
	ComputePipeline(m *vk.Module, spec [3]uint32) (*vk.Pipeline, error)
	DestroyPipeline(p *vk.Pipeline)
	Submit(l *vk.Lane, stages [][]vk.Step, timed bool) (time.Duration, error)
	WaitIdle()
	Close()
}

// Context is an open Vulkan device with qdq's pipelines. It is safe for
// concurrent use: it has two lanes, each with its own command buffer,
// fence and buffers, so that one call's host copies overlap another's work
// on the device; a third call waits for a free lane. BatchFloat32 and
// BatchFloat64 put many tensors in one submission.
type Context struct {
	mu        sync.Mutex // guards modules, pipelines and closed
	dev       device
	info      Device
	cfg       Config
	modules   map[string]*vk.Module
	pipelines map[pipelineKey]*vk.Pipeline
	// direct is set when buffers can be device-local and mapped at once,
	// so that no staging copies are needed.
	direct   bool
	guard    bool           // check the bytes after each output (Config.Guard)
	lanes    chan *lane     // the idle lanes
	made     int            // lanes created
	inflight sync.WaitGroup // calls holding or waiting for a lane
	closed   bool
	// lost is set once the device is lost, or a wait for it failed:
	// every later call fails with ErrDeviceLost.
	lost atomic.Bool
}

// lane is what one call in flight owns: the device's lane, and buffers
// by role, reused from call to call.
type lane struct {
	vk      *vk.Lane
	buffers map[string]*vk.Buffer
}

type pipelineKey struct {
	module string
	round  uint32
	clamp  uint32
}

// errNotOpen reports a call on a Context that Open did not make.
var errNotOpen = fmt.Errorf("%w: the Context was not made by Open", ErrClosed)

// newContext makes a Context of an open device and its description,
// with its lanes. On error it closes dev.
func newContext(dev device, info Device, cfg Config) (*Context, error) {
	c := &Context{dev: dev, info: info, cfg: cfg, modules: map[string]*vk.Module{}, pipelines: map[pipelineKey]*vk.Pipeline{},
		lanes: make(chan *lane, lanes), guard: cfg.Guard}
	c.direct = !cfg.Staging && dev.MappableLocalMemory()
	for range lanes {
		// Each lane's descriptor pool holds the sets of one batch: three
		// dispatches (reduction, merge, fused pass) per call.
		l, err := dev.NewLane(3 * maxBatch)
		if err != nil {
			c.Close()
			return nil, deviceErr(err)
		}
		c.lanes <- &lane{vk: l, buffers: map[string]*vk.Buffer{}}
		c.made++
	}
	return c, nil
}

// Device describes the device the context runs on.
func (c *Context) Device() Device { return c.info }

// Close releases every Vulkan object, after the calls in flight. It is
// idempotent.
func (c *Context) Close() error {
	if c.dev == nil {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.inflight.Wait() // every lane is back
	c.dev.WaitIdle()
	for range c.made {
		ln := <-c.lanes
		for _, b := range ln.buffers {
			c.dev.Free(b)
		}
		c.dev.DestroyLane(ln.vk)
	}
	for _, p := range c.pipelines {
		c.dev.DestroyPipeline(p)
	}
	for _, m := range c.modules {
		c.dev.DestroyModule(m)
	}
	c.dev.Close()
	return nil
}

// acquire admits a call: it fails on a lost or closed context, else waits
// for a free lane (or ctx). release gives the lane back and lets Close
// proceed.
func (c *Context) acquire(ctx context.Context) (ln *lane, release func(), err error) {
	if c.dev == nil {
		return nil, nil, errNotOpen
	}
	if c.lost.Load() {
		return nil, nil, ErrDeviceLost
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, nil, ErrClosed
	}
	c.inflight.Add(1)
	c.mu.Unlock()
	select {
	case ln = <-c.lanes:
		if c.lost.Load() {
			// The lane may be the one whose work never finished waiting:
			// once lost, no lane is used again. (lost is set before a
			// failed call gives its lane back.)
			c.lanes <- ln
			c.inflight.Done()
			return nil, nil, ErrDeviceLost
		}
		return ln, func() { c.lanes <- ln; c.inflight.Done() }, nil
	case <-ctx.Done():
		c.inflight.Done()
		return nil, nil, ctx.Err()
	}
}

// pipeline returns the compute pipeline for a module and its
// specialisation, building it on first use.
func (c *Context) pipeline(module string, round, clamp uint32) (*vk.Pipeline, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := pipelineKey{module, round, clamp}
	if p, ok := c.pipelines[key]; ok {
		return p, nil
	}
	mod, ok := c.modules[module]
	if !ok {
		words, err := shaders.Module(module)
		if err != nil {
			return nil, err
		}
		if mod, err = c.dev.ShaderModule(words); err != nil {
			return nil, err
		}
		c.modules[module] = mod
	}
	p, err := c.dev.ComputePipeline(mod, [3]uint32{workgroup, round, clamp})
	if err != nil {
		return nil, err
	}
	c.pipelines[key] = p
	return p, nil
}

// newBuffer allocates a storage buffer of at least size bytes. A mapped
// buffer is host-visible and coherent (device-local too on the direct
// path: UMA, ReBAR, lavapipe); an unmapped one is device-local.
func (c *Context) newBuffer(size int, mapped bool) (*vk.Buffer, error) {
	return c.dev.NewBuffer(size, mapped, c.direct)
}

// reusable returns the lane's buffer for a role, of at least size
// bytes, reallocating it only when it must grow.
func (c *Context) reusable(ln *lane, role string, size int, mapped bool) (*vk.Buffer, error) {
	if b := ln.buffers[role]; b != nil && b.Size >= size && (b.Data != nil) == mapped {
		return b, nil
	}
	if b := ln.buffers[role]; b != nil {
		c.dev.Free(b)
		delete(ln.buffers, role)
	}
	b, err := c.newBuffer(size, mapped)
	if err != nil {
		return nil, err
	}
	ln.buffers[role] = b
	return b, nil
}

// submit records the steps in order, with a barrier between each, runs
// them, waits, and adds the time the dispatches took on the device to
// stats (when the queue has timestamps).
func (c *Context) submit(ln *lane, stats *Stats, steps []vk.Step) error {
	stages := make([][]vk.Step, len(steps))
	for i := range steps {
		stages[i] = steps[i : i+1]
	}
	return c.submitStages(ln, stats, stages)
}

// submitStages is submit for stages of steps: the steps of one stage are
// independent and may overlap on the device; a barrier separates stages.
func (c *Context) submitStages(ln *lane, stats *Stats, stages [][]vk.Step) error {
	t, err := c.dev.Submit(ln.vk, stages, stats != nil)
	if err != nil {
		if errors.Is(err, vk.ErrDeviceLost) || errors.Is(err, vk.ErrPending) {
			// The work may still be running, and the lane with it: the
			// context takes no more calls.
			c.lost.Store(true)
		}
		return err
	}
	if stats != nil {
		stats.Kernel += t
	}
	return nil
}

// groups returns a workgroup count for n items, within the device limit
// on axis (the shaders loop over the rest).
func (c *Context) groups(n, axis int) uint32 {
	return uint32(max(1, min(ceilDiv(n, workgroup), int(c.info.MaxWorkGroupCount[axis]))))
}

// Float32 fake-quantizes src into dst on the device, as cpu.Fast.Float32.
func (c *Context) Float32(ctx context.Context, dst, src []float32, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, c, format32("f32"), bytesOf(dst), bytesOf(src), len(src), r)
}

// Float16 is Float32 for IEEE half bits.
func (c *Context) Float16(ctx context.Context, dst, src []uint16, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, c, format32("f16"), bytesOf(dst), bytesOf(src), len(src), r)
}

// BFloat16 is Float32 for bfloat16 bits.
func (c *Context) BFloat16(ctx context.Context, dst, src []uint16, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, c, format32("bf16"), bytesOf(dst), bytesOf(src), len(src), r)
}

// Float64 is Float32 for float64, on devices with shaderFloat64; others
// return ErrInexact.
func (c *Context) Float64(ctx context.Context, dst, src []float64, r quant.Request[float64]) ([]quant.Quant[float64], error) {
	if !c.info.Float64 {
		return nil, fmt.Errorf("%w: %s has no shaderFloat64", ErrInexact, c.info.Name)
	}
	return run(ctx, c, format64(), bytesOf(dst), bytesOf(src), len(src), r)
}
