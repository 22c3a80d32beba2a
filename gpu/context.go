//go:build cgo && linux && !novulkan

package gpu

/*
#include "vkshim.h"
*/
import "C"

import (
	"context"
	"encoding/binary"
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

	vk "github.com/vulkan-go/vulkan"

	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/shaders"
)

// workgroup is the local size every shader is specialised with; the
// shaders' shared arrays are sized for it.
const workgroup = 256

// Context is an open Vulkan device with qdq's pipelines. It is safe for
// concurrent use: it has two lanes, each with its own command buffer,
// fence and buffers, so that one call's host copies overlap another's work
// on the device; a third call waits for a free lane. BatchFloat32 and
// BatchFloat64 put many tensors in one submission.
type Context struct {
	mu      sync.Mutex // guards modules, pipelines and closed
	queueMu sync.Mutex // vkQueueSubmit needs the queue to itself
	in      *instance
	shim    *C.qdqDevice // the device, for the calls made through vkshim.c
	dev     vk.Device
	queue   vk.Queue
	family  uint32
	info    Device
	memory  memoryProps

	setLayout vk.DescriptorSetLayout
	layout    vk.PipelineLayout
	modules   map[string]vk.ShaderModule
	pipelines map[pipelineKey]vk.Pipeline
	cache     vk.PipelineCache
	// timestampPeriod is nanoseconds per timestamp tick, 0 without
	// timestamps.
	timestampPeriod float64
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
	lost   atomic.Bool
	faults *faultPlan // Config.Faults' failures, or nil
	cfg    Config
}

// lanes is how many calls a context runs at once.
const lanes = 2

// lane is what one call in flight owns.
type lane struct {
	descPool vk.DescriptorPool
	cmdPool  vk.CommandPool
	cmd      vk.CommandBuffer
	fence    vk.Fence
	queries  vk.QueryPool // two timestamps, or null without timestamp support
	buffers  map[string]*buffer
}

type pipelineKey struct {
	module string
	round  uint32
	clamp  uint32
}

// Open opens the device cfg chooses (see Choose) with cfg's settings.
func Open(cfg Config) (*Context, error) {
	in, err := newInstance(cfg.Library)
	if err != nil {
		return nil, err
	}
	phys, devs, err := in.physicalDevices()
	if err != nil {
		in.close()
		return nil, err
	}
	d, err := Choose(devs, cfg.Device, cfg.AllowCPU)
	if err != nil {
		in.close()
		return nil, err
	}
	if d.MaxWorkGroupInvocation < workgroup || d.MaxWorkGroupSizeX < workgroup || !apiAtLeast11(d.API) {
		in.close()
		return nil, fmt.Errorf("%w: %s (Vulkan %s) cannot run workgroups of %d (Vulkan 1.1 and %d invocations needed)",
			ErrNoVulkan, d.Name, d.API, workgroup, workgroup)
	}
	if cfg.NoFloat64 {
		d.Float64 = false
	}
	if cfg.NoSubgroups {
		d.SubgroupArithmetic = false
	}
	faults, err := parseFaults(cfg.Faults)
	if err != nil {
		in.close()
		return nil, err
	}
	c := &Context{in: in, info: d, modules: map[string]vk.ShaderModule{}, pipelines: map[pipelineKey]vk.Pipeline{},
		lanes: make(chan *lane, lanes), faults: faults, cfg: cfg}
	if err := c.init(phys[d.Index]); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Device describes the device the context runs on.
func (c *Context) Device() Device { return c.info }

// apiAtLeast11 reports whether a "major.minor.patch" version is 1.1 or
// later, which the shaders' SPIR-V needs.
func apiAtLeast11(v string) bool {
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		return false
	}
	return major > 1 || major == 1 && minor >= 1
}

func vkErr(call string, res vk.Result) error {
	if res == vk.Success {
		return nil
	}
	return &vkError{call, res}
}

// vkError is a failed Vulkan call. It is an ErrDevice, and an
// ErrDeviceLost when the device was lost.
type vkError struct {
	call string
	res  vk.Result
}

func (e *vkError) Error() string { return fmt.Sprintf("gpu: %s: %v", e.call, vk.Error(e.res)) }

// Is reports whether e is target: every Vulkan failure is an ErrDevice
// (and so declines the call, quant.ErrDeclined); a lost device is also
// ErrDeviceLost.
func (e *vkError) Is(target error) bool {
	return target == ErrDevice || target == quant.ErrDeclined || (target == ErrDeviceLost && e.res == vk.ErrorDeviceLost)
}

// faultPlan is a parsed Config.Faults.
type faultPlan struct {
	mu    sync.Mutex
	at    map[string]int // the call to fail; 0 for every one
	count map[string]int // calls so far
}

// parseFaults parses a Config.Faults value; nil means no faults.
func parseFaults(s string) (*faultPlan, error) {
	if s == "" {
		return nil, nil
	}
	p := &faultPlan{at: map[string]int{}, count: map[string]int{}}
	for _, item := range strings.Split(s, ",") {
		name, n, found := strings.Cut(strings.TrimSpace(item), "@")
		at := 0
		if found {
			v, err := strconv.Atoi(n)
			if err != nil || v < 1 {
				return nil, fmt.Errorf("gpu: faults %q: %q is not NAME or NAME@N with N >= 1", s, item)
			}
			at = v
		}
		p.at[name] = at
	}
	return p, nil
}

// fails counts a call of name and reports the result it must fail with,
// or Success.
func (p *faultPlan) fails(name string) vk.Result {
	if p == nil {
		return vk.Success
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.at[name]
	if !ok {
		return vk.Success
	}
	p.count[name]++
	if at != 0 && p.count[name] != at {
		return vk.Success
	}
	if name == "vkWaitForFences" {
		return vk.ErrorDeviceLost
	}
	return vk.ErrorOutOfDeviceMemory
}

// vkCall makes the Vulkan call name through f, unless the context's
// fault plan fails it.
func (c *Context) vkCall(name string, f func() vk.Result) error {
	if res := c.faults.fails(name); res != vk.Success {
		return vkErr(name, res)
	}
	return vkErr(name, f())
}

func (c *Context) init(phys vk.PhysicalDevice) error {
	c.memory = c.in.memory(phys)
	family, timestampBits := c.in.computeFamily(phys)
	if family < 0 {
		return fmt.Errorf("%w: %s has no compute queue", ErrNoVulkan, c.info.Name)
	}
	c.family = uint32(family)
	c.direct = !c.cfg.Staging && c.hasLargeMappableLocalMemory()
	c.guard = c.cfg.Guard
	// shaderFloat64 is enabled where the device has it: qdq_f64 declares
	// the Float64 capability.
	if err := c.vkCall("vkCreateDevice", func() vk.Result { return c.createDevice(phys, family, c.info.Float64) }); err != nil {
		return err
	}
	var queue vk.Queue
	vk.GetDeviceQueue(c.dev, uint32(family), 0, &queue)
	c.queue = queue

	var setLayout vk.DescriptorSetLayout
	if err := c.vkCall("vkCreateDescriptorSetLayout", func() vk.Result { return c.createSetLayout(3, &setLayout) }); err != nil {
		return err
	}
	c.setLayout = setLayout
	var layout vk.PipelineLayout
	if err := c.vkCall("vkCreatePipelineLayout", func() vk.Result { return c.createPipelineLayout(4*pushWords, &layout) }); err != nil {
		return err
	}
	c.layout = layout
	var cache vk.PipelineCache
	if err := c.vkCall("vkCreatePipelineCache", func() vk.Result { return c.createPipelineCache(&cache) }); err != nil {
		return err
	}
	c.cache = cache
	if timestampBits > 0 && c.info.TimestampPeriod > 0 {
		c.timestampPeriod = float64(c.info.TimestampPeriod)
	}
	for range lanes {
		ln, err := c.newLane()
		c.lanes <- ln // Close frees even a half-made lane
		c.made++
		if err != nil {
			return err
		}
	}
	return nil
}

// newLane creates one lane's descriptor pool, command buffer, fence and
// timestamp queries. On error it returns what it made, for Close.
func (c *Context) newLane() (*lane, error) {
	ln := &lane{buffers: map[string]*buffer{}}
	var descPool vk.DescriptorPool
	if err := c.vkCall("vkCreateDescriptorPool", func() vk.Result { return c.createDescriptorPool(3*maxBatch, 9*maxBatch, &descPool) }); err != nil {
		return ln, err
	}
	ln.descPool = descPool
	var cmdPool vk.CommandPool
	if err := c.vkCall("vkCreateCommandPool", func() vk.Result { return c.createCommandPool(&cmdPool) }); err != nil {
		return ln, err
	}
	ln.cmdPool = cmdPool
	var cmd vk.CommandBuffer
	if err := c.vkCall("vkAllocateCommandBuffers", func() vk.Result { return c.allocateCommandBuffer(ln.cmdPool, &cmd) }); err != nil {
		return ln, err
	}
	ln.cmd = cmd
	var fence vk.Fence
	if err := c.vkCall("vkCreateFence", func() vk.Result { return c.createFence(&fence) }); err != nil {
		return ln, err
	}
	ln.fence = fence
	if c.timestampPeriod > 0 {
		var queries vk.QueryPool
		if err := c.vkCall("vkCreateQueryPool", func() vk.Result { return c.createTimestamps(2, &queries) }); err != nil {
			return ln, err
		}
		ln.queries = queries
	}
	return ln, nil
}

// destroy releases a lane's objects.
func (c *Context) destroyLane(ln *lane) {
	for _, b := range ln.buffers {
		c.free(b)
	}
	if ln.queries != vk.NullQueryPool {
		vk.DestroyQueryPool(c.dev, ln.queries, nil)
	}
	if ln.fence != vk.NullFence {
		vk.DestroyFence(c.dev, ln.fence, nil)
	}
	if ln.cmdPool != vk.NullCommandPool {
		vk.DestroyCommandPool(c.dev, ln.cmdPool, nil) // frees its command buffer
	}
	if ln.descPool != vk.NullDescriptorPool {
		vk.DestroyDescriptorPool(c.dev, ln.descPool, nil)
	}
}

// hasLargeMappableLocalMemory reports whether some memory type is
// device-local, host-visible and coherent in a heap of at least 1 GiB
// (UMA, resizable BAR, lavapipe): buffers there need no staging copies.
func (c *Context) hasLargeMappableLocalMemory() bool {
	want := vk.MemoryPropertyFlags(vk.MemoryPropertyDeviceLocalBit | vk.MemoryPropertyHostVisibleBit | vk.MemoryPropertyHostCoherentBit)
	for _, t := range c.memory.types {
		if t.flags&want == want && t.heap < len(c.memory.heaps) && c.memory.heaps[t.heap].size >= 1<<30 {
			return true
		}
	}
	return false
}

// Close releases every Vulkan object, after the calls in flight. It is
// idempotent.
func (c *Context) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.inflight.Wait() // every lane is back
	if c.shim != nil {
		vk.DeviceWaitIdle(c.dev)
		for range c.made {
			c.destroyLane(<-c.lanes)
		}
		for _, p := range c.pipelines {
			vk.DestroyPipeline(c.dev, p, nil)
		}
		for _, m := range c.modules {
			vk.DestroyShaderModule(c.dev, m, nil)
		}
		if c.cache != vk.NullPipelineCache {
			vk.DestroyPipelineCache(c.dev, c.cache, nil)
		}
		if c.layout != vk.NullPipelineLayout {
			vk.DestroyPipelineLayout(c.dev, c.layout, nil)
		}
		if c.setLayout != vk.NullDescriptorSetLayout {
			vk.DestroyDescriptorSetLayout(c.dev, c.setLayout, nil)
		}
		c.destroyDevice()
	}
	c.in.close()
	return nil
}

// pipeline returns the compute pipeline for a module and its
// specialisation, building it on first use.
func (c *Context) pipeline(module string, round, clamp uint32) (vk.Pipeline, error) {
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
		if err := c.vkCall("vkCreateShaderModule", func() vk.Result { return c.createShaderModule(words, &mod) }); err != nil {
			return nil, err
		}
		c.modules[module] = mod
	}
	p, err := c.createComputePipeline(mod, [3]uint32{workgroup, round, clamp})
	if err != nil {
		return nil, err
	}
	c.pipelines[key] = p
	return p, nil
}

// buffer is a storage buffer; data is its mapped memory when it is
// host-visible, else nil.
type buffer struct {
	buf  vk.Buffer
	mem  vk.DeviceMemory
	size int
	data []byte
}

// newBuffer allocates a storage buffer of at least size bytes. A mapped
// buffer is host-visible and coherent (device-local too where the device
// has such memory: UMA, ReBAR, lavapipe); an unmapped one is device-local.
func (c *Context) newBuffer(size int, mapped bool) (*buffer, error) {
	size = max(16, (size+15)&^15)
	var buf vk.Buffer
	usage := vk.BufferUsageStorageBufferBit | vk.BufferUsageTransferSrcBit | vk.BufferUsageTransferDstBit
	if err := c.vkCall("vkCreateBuffer", func() vk.Result { return c.createBuffer(size, usage, &buf) }); err != nil {
		return nil, err
	}
	b := &buffer{buf: buf, size: size}
	reqSize, typeBits := c.requirements(b.buf)
	index := c.memoryType(typeBits, mapped, mapped && c.direct)
	if index < 0 {
		vk.DestroyBuffer(c.dev, b.buf, nil)
		return nil, fmt.Errorf("%w: %s has no suitable memory for storage buffers", ErrNoVulkan, c.info.Name)
	}
	var mem vk.DeviceMemory
	if err := c.vkCall("vkAllocateMemory", func() vk.Result { return c.allocateMemory(reqSize, index, &mem) }); err != nil {
		vk.DestroyBuffer(c.dev, b.buf, nil)
		return nil, err
	}
	b.mem = mem
	if err := c.vkCall("vkBindBufferMemory", func() vk.Result { return vk.BindBufferMemory(c.dev, b.buf, b.mem, 0) }); err != nil {
		c.free(b)
		return nil, err
	}
	if mapped {
		var p unsafe.Pointer
		if err := c.vkCall("vkMapMemory", func() vk.Result { return vk.MapMemory(c.dev, b.mem, 0, vk.DeviceSize(size), 0, &p) }); err != nil {
			c.free(b)
			return nil, err
		}
		b.data = unsafe.Slice((*byte)(p), size)
	}
	return b, nil
}

// memoryType picks a memory type among allowed. An unmapped buffer is
// device-local. A mapped one is host-visible and coherent: device-local
// too when local is set (the direct path, where that memory is large), and
// otherwise preferably not, and host-cached, so that staging and reading
// results back go through ordinary system memory rather than a small,
// write-combined window of video memory.
func (c *Context) memoryType(allowed uint32, mapped, local bool) int {
	host := vk.MemoryPropertyFlags(vk.MemoryPropertyHostVisibleBit | vk.MemoryPropertyHostCoherentBit)
	devLocal := vk.MemoryPropertyFlags(vk.MemoryPropertyDeviceLocalBit)
	cached := vk.MemoryPropertyFlags(vk.MemoryPropertyHostCachedBit)
	best, bestScore := -1, -1
	for i, t := range c.memory.types {
		f := t.flags
		if allowed&(1<<i) == 0 {
			continue
		}
		score := -1
		switch {
		case !mapped && f&devLocal != 0:
			score = 0
		case mapped && f&host == host:
			score = 0
			if (f&devLocal != 0) == local {
				score += 2
			}
			if !local && f&cached != 0 {
				score++
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

func (c *Context) free(b *buffer) {
	if b == nil {
		return
	}
	if b.data != nil {
		vk.UnmapMemory(c.dev, b.mem)
	}
	vk.DestroyBuffer(c.dev, b.buf, nil)
	vk.FreeMemory(c.dev, b.mem, nil)
}

// reusable returns the lane's buffer for a role, of at least size
// bytes, reallocating it only when it must grow.
func (c *Context) reusable(ln *lane, role string, size int, mapped bool) (*buffer, error) {
	if b := ln.buffers[role]; b != nil && b.size >= size && (b.data != nil) == mapped {
		return b, nil
	}
	c.free(ln.buffers[role])
	delete(ln.buffers, role)
	b, err := c.newBuffer(size, mapped)
	if err != nil {
		return nil, err
	}
	ln.buffers[role] = b
	return b, nil
}

// pushWords is the size of the shaders' push constants in 32-bit words:
// four counts, then up to 32 bytes of per-tensor parameters.
const pushWords = 12

// dispatch is one compute dispatch of a recorded batch.
type dispatch struct {
	pipeline vk.Pipeline
	buffers  []*buffer
	push     [pushWords]uint32
	groups   [3]uint32
}

// step is one command of a batch: a dispatch, or a copy of size bytes
// between buffers.
type step struct {
	dispatch     *dispatch
	from, to     *buffer
	size         int
	fromAt, toAt int // byte offsets of a copy
}

// dispatchStep makes a step of a dispatch.
func dispatchStep(d dispatch) step { return step{dispatch: &d} }

// copyStep makes a step copying the first n bytes of from into to.
func copyStep(from, to *buffer, n int) step { return step{from: from, to: to, size: n} }

// barrier makes every earlier transfer or shader write visible to every
// later transfer or shader access, or to the host.
func (c *Context) barrier(ln *lane, toHost bool) {
	src := vk.PipelineStageFlags(vk.PipelineStageComputeShaderBit | vk.PipelineStageTransferBit)
	dst, access := src, vk.AccessFlags(vk.AccessShaderReadBit|vk.AccessShaderWriteBit|vk.AccessTransferReadBit|vk.AccessTransferWriteBit)
	if toHost {
		dst, access = vk.PipelineStageFlags(vk.PipelineStageHostBit), vk.AccessFlags(vk.AccessHostReadBit)
	}
	c.cmdBarrier(ln.cmd, src, dst, vk.AccessFlags(vk.AccessShaderWriteBit|vk.AccessTransferWriteBit), access)
}

// waitIdle waits until the queue has finished its work, or the device
// says it is lost.
func (c *Context) waitIdle() {
	c.queueMu.Lock()
	vk.QueueWaitIdle(c.queue)
	c.queueMu.Unlock()
}

// acquire admits a call: it fails on a lost or closed context, else waits
// for a free lane (or ctx). release gives the lane back and lets Close
// proceed.
func (c *Context) acquire(ctx context.Context) (ln *lane, release func(), err error) {
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
		return ln, func() { c.lanes <- ln; c.inflight.Done() }, nil
	case <-ctx.Done():
		c.inflight.Done()
		return nil, nil, ctx.Err()
	}
}

// noteLoss marks the context lost when err says the device was.
func (c *Context) noteLoss(err error) {
	if errors.Is(err, ErrDeviceLost) {
		c.lost.Store(true)
	}
}

// submit records the steps in order, with a barrier between each, runs
// them, waits, and adds the time the dispatches took on the device to
// stats (when the queue has timestamps).
func (c *Context) submit(ln *lane, stats *Stats, steps []step) error {
	stages := make([][]step, len(steps))
	for i := range steps {
		stages[i] = steps[i : i+1]
	}
	return c.submitStages(ln, stats, stages)
}

// submitStages is submit for stages of steps: the steps of one stage are
// independent and may overlap on the device; a barrier separates stages.
func (c *Context) submitStages(ln *lane, stats *Stats, stages [][]step) error {
	if err := c.vkCall("vkResetDescriptorPool", func() vk.Result { return vk.ResetDescriptorPool(c.dev, ln.descPool, 0) }); err != nil {
		return err
	}
	sets := make([][]vk.DescriptorSet, len(stages))
	for si, stage := range stages {
		sets[si] = make([]vk.DescriptorSet, len(stage))
		for i, st := range stage {
			if st.dispatch == nil {
				continue
			}
			if err := c.vkCall("vkAllocateDescriptorSets", func() vk.Result {
				return c.allocateSet(ln.descPool, &sets[si][i])
			}); err != nil {
				return err
			}
			if err := c.writeSet(sets[si][i], st.dispatch.buffers); err != nil {
				return err
			}
		}
	}
	if err := c.vkCall("vkBeginCommandBuffer", func() vk.Result { return c.begin(ln.cmd) }); err != nil {
		return err
	}
	timed := ln.queries != vk.NullQueryPool && stats != nil
	if timed {
		vk.CmdResetQueryPool(ln.cmd, ln.queries, 0, 2)
	}
	first, last := -1, -1
	for si, stage := range stages {
		for _, st := range stage {
			if st.dispatch != nil {
				if first < 0 {
					first = si
				}
				last = si
			}
		}
	}
	for si, stage := range stages {
		if si > 0 {
			c.barrier(ln, false)
		}
		if timed && si == first {
			vk.CmdWriteTimestamp(ln.cmd, vk.PipelineStageTopOfPipeBit, ln.queries, 0)
		}
		for i, st := range stage {
			if d := st.dispatch; d != nil {
				vk.CmdBindPipeline(ln.cmd, vk.PipelineBindPointCompute, d.pipeline)
				vk.CmdBindDescriptorSets(ln.cmd, vk.PipelineBindPointCompute, c.layout, 0, 1, []vk.DescriptorSet{sets[si][i]}, 0, nil)
				push := d.push
				vk.CmdPushConstants(ln.cmd, c.layout, vk.ShaderStageFlags(vk.ShaderStageComputeBit), 0, 4*pushWords, unsafe.Pointer(&push[0]))
				vk.CmdDispatch(ln.cmd, d.groups[0], d.groups[1], d.groups[2])
			} else {
				c.cmdCopy(ln.cmd, st.from.buf, st.to.buf, st.fromAt, st.toAt, st.size)
			}
		}
		if timed && si == last {
			vk.CmdWriteTimestamp(ln.cmd, vk.PipelineStageBottomOfPipeBit, ln.queries, 1)
		}
	}
	c.barrier(ln, true)
	if err := c.vkCall("vkEndCommandBuffer", func() vk.Result { return vk.EndCommandBuffer(ln.cmd) }); err != nil {
		vk.ResetCommandBuffer(ln.cmd, 0) // out of the recording state, for the next call
		return err
	}
	c.queueMu.Lock()
	err := c.vkCall("vkQueueSubmit", func() vk.Result { return c.queueSubmit(ln.cmd, ln.fence) })
	c.queueMu.Unlock()
	if err != nil {
		c.noteLoss(err)
		return err
	}
	fences := []vk.Fence{ln.fence}
	if err := c.vkCall("vkWaitForFences", func() vk.Result { return vk.WaitForFences(c.dev, 1, fences, vk.True, math.MaxUint64) }); err != nil {
		// The work may still be running, and the lane with it: the
		// context takes no more calls.
		c.lost.Store(true)
		return err
	}
	if err := c.vkCall("vkResetFences", func() vk.Result { return vk.ResetFences(c.dev, 1, fences) }); err != nil {
		// A fence left signalled would let the next wait return early.
		c.lost.Store(true)
		return err
	}
	if timed && first >= 0 {
		var ts [2]uint64
		if vk.GetQueryPoolResults(c.dev, ln.queries, 0, 2, 16, unsafe.Pointer(&ts[0]), 8, vk.QueryResultFlags(vk.QueryResult64Bit)) == vk.Success && ts[1] >= ts[0] {
			stats.Kernel += time.Duration(float64(ts[1]-ts[0]) * c.timestampPeriod)
		}
	}
	return nil
}

func statsOf(ctx context.Context) *Stats {
	s, _ := ctx.Value(statsKey{}).(*Stats)
	return s
}

// groups returns a workgroup count for n items, within the device limit
// (the shaders loop over the rest).
func (c *Context) groups(n, axis int) uint32 {
	return uint32(max(1, min(ceilDiv(n, workgroup), int(c.info.MaxWorkGroupCount[axis]))))
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Float32 fake-quantizes src into dst on the device, as cpu.Fast.Float32.
func (c *Context) Float32(ctx context.Context, dst, src []float32, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, c, c.format32("f32"), bytesOf(dst), bytesOf(src), len(src), r)
}

// Float16 is Float32 for IEEE half bits.
func (c *Context) Float16(ctx context.Context, dst, src []uint16, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, c, c.format32("f16"), bytesOf(dst), bytesOf(src), len(src), r)
}

// BFloat16 is Float32 for bfloat16 bits.
func (c *Context) BFloat16(ctx context.Context, dst, src []uint16, r quant.Request[float32]) ([]quant.Quant[float32], error) {
	return run(ctx, c, c.format32("bf16"), bytesOf(dst), bytesOf(src), len(src), r)
}

// Float64 is Float32 for float64, on devices with shaderFloat64; others
// return ErrInexact.
func (c *Context) Float64(ctx context.Context, dst, src []float64, r quant.Request[float64]) ([]quant.Quant[float64], error) {
	if !c.info.Float64 {
		return nil, fmt.Errorf("%w: %s has no shaderFloat64", ErrInexact, c.info.Name)
	}
	return run(ctx, c, c.format64(), bytesOf(dst), bytesOf(src), len(src), r)
}

// format64 is float64's format.
func (c *Context) format64() format[float64] {
	return format[float64]{
		name: "f64", merge: "merge_f64", rangeSize: 16, quantSize: 32, words: 2,
		keys: func(b []byte) (int64, int64) {
			return int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
		},
		value: quant.Unkey64,
		pack: func(q quant.Quant[float64], b []byte) {
			for i, v := range []float64{q.Min, q.Max, q.Scale, q.Inv} {
				binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(v))
			}
		},
		exact: func(q quant.Quant[float64], lo, hi float64) bool {
			return exactFor(float64(q.Scale), float64(q.Inv), lo, hi, 0x1p1021, 0x1p-1022)
		},
	}
}

// minmaxModule names the reduction module for f on this device.
func (c *Context) minmaxModule(name string) string {
	if c.info.SubgroupArithmetic && name != "f64" {
		return "minmax_" + name + "_sg"
	}
	return "minmax_" + name
}

// parameters returns each channel's parameters, from its given range or
// else from found(c), the range the reduction found, through
// quant.QuantOf, and the interval the values reaching the multiplication
// lie in, for the exactness rule: the adjusted range when the range is
// given (the values are clamped to it), else the range found.
func parameters[C quant.Float](r quant.Request[C], found func(c int) quant.Bounds[C]) ([]quant.Quant[C], []quant.Bounds[C]) {
	quants := make([]quant.Quant[C], r.Layout.Depth)
	bounds := make([]quant.Bounds[C], r.Layout.Depth)
	for c := range quants {
		if r.Given != nil {
			quants[c] = quant.QuantOf(r.Params, r.Given[c])
			bounds[c] = quant.Bounds[C]{Min: quants[c].Min, Max: quants[c].Max}
			continue
		}
		bounds[c] = found(c)
		quants[c] = quant.QuantOf(r.Params, bounds[c])
	}
	return quants, bounds
}

// format is what run needs to know of a storage type with compute type C.
type format[C quant.Float] struct {
	name, merge string // shader module suffix, and the merge module
	rangeSize   int    // bytes of one channel's key range
	quantSize   int    // bytes of one channel's parameters
	words       int    // 32-bit words per element (1 for 16-bit pairs too)
	// keys decodes a channel's key range as int64 keys, which order as the
	// values do; lo > hi means no value.
	keys func(b []byte) (lo, hi int64)
	// value turns a key back into its value.
	value func(k int64) C
	pack  func(q quant.Quant[C], b []byte)
	exact func(q quant.Quant[C], lo, hi C) bool
}

// bounds turns a channel's key range back into its range: the empty
// range when lo > hi (no value).
func (f format[C]) bounds(lo, hi int64) quant.Bounds[C] {
	if lo > hi {
		return quant.EmptyBounds[C]()
	}
	return quant.Bounds[C]{Min: f.value(lo), Max: f.value(hi)}
}

func (c *Context) format32(name string) format[float32] {
	return format[float32]{
		name: name, merge: "merge", rangeSize: 8, quantSize: 16, words: 1,
		keys: func(b []byte) (int64, int64) {
			return int64(int32(binary.LittleEndian.Uint32(b))), int64(int32(binary.LittleEndian.Uint32(b[4:])))
		},
		value: func(k int64) float32 { return quant.Unkey32(int32(k)) },
		pack: func(q quant.Quant[float32], b []byte) {
			for i, v := range []float32{q.Min, q.Max, q.Scale, q.Inv} {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
			}
		},
		exact: func(q quant.Quant[float32], lo, hi float32) bool {
			return exactFor(float64(q.Scale), float64(q.Inv), float64(lo), float64(hi), 0x1p125, 0x1p-126)
		},
	}
}

func bytesOf[T float32 | float64 | uint16](s []T) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// exactFor reports whether a channel is computed exactly by a device that
// may flush subnormal floats, given the interval [lo, hi] that the values
// reaching the multiplication lie in (the data's range, or the clamp's
// bounds). With the range and the clamp done in integers, subnormals can
// matter only in the two multiplications: a subnormal scale or inverse
// scale (below tiny, the smallest normal); or a subnormal x times a scale
// of at least big (2^125 for float32: a smaller scale makes the product
// less than 1/2, which rounds to a zero of the same sign either way).
//
// No shader declares SPIR-V's DenormPreserve execution mode, so even a
// device that could keep subnormals may flush them: the rule always
// applies.
//
// A NaN input never reaches the arithmetic: the shaders give it back made
// quiet in integer code, the definition's bits on any device.
func exactFor(scale, inv, lo, hi, big, tiny float64) bool {
	subnormals := lo < tiny && hi > -tiny && !(lo == 0 && hi == 0)
	scale, inv = math.Abs(scale), math.Abs(inv)
	switch {
	case scale >= big && subnormals:
		return false
	case scale != 0 && scale < tiny, inv != 0 && inv < tiny:
		return false
	}
	return true
}

// split cuts layout l into the pieces one dispatch each sees, so that no
// buffer a piece binds (its elements, its channels' parameters, key
// ranges and partial ranges) exceeds the chunk limit: a piece can have as
// many channels as elements.
func (c *Context) split(l quant.Layout, size, quantSize, rangeSize int) []quant.Piece {
	limit := c.chunkLimit(size)
	maxBytes := limit * size
	for {
		parts := slices.Collect(quant.Pieces(l, limit))
		fits := true
		for _, p := range parts {
			blocks := reductionBlocks(p.Layout)
			if p.Layout.Depth*max(quantSize, rangeSize*blocks) > maxBytes {
				fits = false
				break
			}
		}
		if fits || limit <= 2 {
			return parts
		}
		limit = max(2, limit/2&^1)
	}
}

// chunkLimit is the most elements of size bytes one dispatch sees.
func (c *Context) chunkLimit(size int) int {
	// At most 256 MiB a chunk: each lane keeps an input, an output and a
	// staging buffer of that size.
	limit := min(c.info.MaxStorageBufferRange, 256<<20)
	if c.info.MaxAllocation > 0 {
		limit = min(limit, c.info.MaxAllocation)
	}
	if c.cfg.MaxChunk > 0 {
		limit = min(limit, uint64(c.cfg.MaxChunk))
	}
	return max(2, int(limit)/size&^1) // even, so 16-bit pairs stay whole
}

// run runs one call chunk by chunk: the reduction passes when the range
// comes from the data (their per-chunk key ranges folded on the host), the
// channels' parameters on the host (quant.ComputeQuant, the CPU's own
// code), then the fused pass.
func run[C quant.Float](ctx context.Context, c *Context, f format[C], dst, src []byte, n int, r quant.Request[C]) ([]quant.Quant[C], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.Quant != nil {
		return nil, fmt.Errorf("%w: parameters fixed beforehand (a tensor processed in pieces) run on the CPU", ErrInexact)
	}
	ln, release, err := c.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	stats := statsOf(ctx)
	l := r.Layout
	if n == 0 {
		quants, _ := parameters(r, func(int) quant.Bounds[C] { return quant.EmptyBounds[C]() })
		return quants, nil
	}
	var quants []quant.Quant[C]
	// bounds holds, per channel, the interval the values reaching the
	// multiplication lie in.
	var bounds []quant.Bounds[C]
	if r.Given != nil {
		quants, bounds = parameters(r, nil)
	}
	size := len(src) / n
	parts := c.split(l, size, f.quantSize, f.rangeSize)
	if len(parts) > 1 && n > math.MaxUint32/2 {
		return nil, fmt.Errorf("%w: %d elements are beyond 32-bit indexes", ErrInexact, n)
	}
	// loaded is the chunk whose elements the "in" buffer holds, if any.
	loaded := -1
	// upload puts chunk i's elements in the "in" buffer, directly or
	// through the staging buffer, whose copy step it returns.
	upload := func(i int) (*buffer, []step, error) {
		p := parts[i]
		bytes := src[p.First*size : (p.First+p.Layout.Len())*size]
		in, err := c.reusable(ln, "in", len(bytes), c.direct)
		if err != nil || loaded == i {
			return in, nil, err
		}
		loaded = i
		if c.direct {
			copy(in.data, bytes)
			return in, nil, nil
		}
		staging, err := c.reusable(ln, "staging", len(bytes), true)
		if err != nil {
			return nil, nil, err
		}
		copy(staging.data, bytes)
		return in, []step{copyStep(staging, in, len(bytes))}, nil
	}

	if r.Given == nil {
		klo, khi := make([]int64, l.Depth), make([]int64, l.Depth)
		for i := range klo {
			klo[i], khi[i] = math.MaxInt64, math.MinInt64
		}
		for i, p := range parts {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			in, steps, err := upload(i)
			if err != nil {
				return nil, err
			}
			if err := reduce(c, ln, stats, f, in, steps, p, klo, khi); err != nil {
				return nil, err
			}
		}
		quants, bounds = parameters(r, func(c int) quant.Bounds[C] { return f.bounds(klo[c], khi[c]) })
	}
	for i, q := range quants {
		if !f.exact(q, bounds[i].Min, bounds[i].Max) {
			return nil, fmt.Errorf("%w: scale %g, inverse %g could meet subnormal values, which the device may flush", ErrInexact, q.Scale, q.Inv)
		}
	}
	var clamp uint32
	if r.Given != nil {
		clamp = 1
	}
	p, err := c.pipeline("qdq_"+f.name, uint32(r.Params.Round), clamp)
	if err != nil {
		return nil, err
	}
	for i, part := range parts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		in, steps, err := upload(i)
		if err != nil {
			return nil, err
		}
		out := dst[part.First*size : (part.First+part.Layout.Len())*size]
		if err := apply(c, ln, stats, f, p, in, steps, part, quants, out); err != nil {
			return nil, err
		}
	}
	return quants, nil
}

// reductionBlocks is how many blocks the first reduction pass splits
// each channel of l into.
func reductionBlocks(l quant.Layout) int {
	return max(1, min(ceilDiv(l.Outer*l.Inner, workgroup*64), 1024))
}

// reductionSteps returns the two reduction passes over in for layout l:
// per-block key ranges into partial, then one per channel into ranges.
func (c *Context) reductionSteps(name, mergeModule string, in, partial, ranges *buffer, l quant.Layout) ([]step, error) {
	minmax, err := c.pipeline(c.minmaxModule(name), 0, 0)
	if err != nil {
		return nil, err
	}
	merge, err := c.pipeline(mergeModule, 0, 0)
	if err != nil {
		return nil, err
	}
	span, blocks := l.Outer*l.Inner, reductionBlocks(l)
	return []step{
		dispatchStep(dispatch{minmax, []*buffer{in, partial}, [pushWords]uint32{uint32(l.Inner), uint32(l.Depth), uint32(span), uint32(blocks)},
			[3]uint32{uint32(min(blocks, int(c.info.MaxWorkGroupCount[0]))), uint32(min(l.Depth, int(c.info.MaxWorkGroupCount[1]))), 1}}),
		dispatchStep(dispatch{merge, []*buffer{partial, ranges}, [pushWords]uint32{uint32(l.Depth), uint32(blocks)},
			[3]uint32{uint32(min(l.Depth, int(c.info.MaxWorkGroupCount[0]))), 1, 1}}),
	}, nil
}

// fusedStep returns the fused pass over in into out for layout l, with
// the channels' packed parameters in quant (and, per tensor, in the push
// constants); outBytes is the output's length.
func (c *Context) fusedStep(p vk.Pipeline, in, out, quant *buffer, l quant.Layout, quantSize, wordsPerElement, outBytes int) step {
	push := [pushWords]uint32{uint32(l.Len()), uint32(l.Inner), uint32(l.Depth)}
	if l.Depth == 1 { // per tensor: the parameters travel as push constants
		for i := range quantSize / 4 {
			push[4+i] = binary.LittleEndian.Uint32(quant.data[4*i:])
		}
	}
	return dispatchStep(dispatch{p, []*buffer{in, out, quant}, push, [3]uint32{c.groups(ceilDiv(outBytes, 4*wordsPerElement), 0), 1, 1}})
}

// reduce runs the reduction passes over one chunk (after the upload steps)
// and folds its channels' key ranges into klo and khi.
func reduce[C quant.Float](c *Context, ln *lane, stats *Stats, f format[C], in *buffer, steps []step, p quant.Piece, klo, khi []int64) error {
	l := p.Layout
	partial, err := c.reusable(ln, "partial", f.rangeSize*l.Depth*reductionBlocks(l), false)
	if err != nil {
		return err
	}
	ranges, err := c.reusable(ln, "ranges", f.rangeSize*l.Depth, true)
	if err != nil {
		return err
	}
	passes, err := c.reductionSteps(f.name, f.merge, in, partial, ranges, l)
	if err != nil {
		return err
	}
	if err := c.submit(ln, stats, append(steps, passes...)); err != nil {
		return err
	}
	for i := range l.Depth {
		lo, hi := f.keys(ranges.data[i*f.rangeSize:])
		ch := p.Channel + i
		klo[ch], khi[ch] = min(klo[ch], lo), max(khi[ch], hi)
	}
	return nil
}

// apply runs the fused pass over one chunk (after the upload steps) into
// dst, its bytes of the output.
func apply[C quant.Float](c *Context, ln *lane, stats *Stats, f format[C], p vk.Pipeline, in *buffer, steps []step,
	part quant.Piece, quants []quant.Quant[C], dst []byte) error {
	l := part.Layout
	qbuf, err := c.reusable(ln, "quant", f.quantSize*l.Depth, true)
	if err != nil {
		return err
	}
	for i, q := range quants[part.Channel : part.Channel+l.Depth] {
		f.pack(q, qbuf.data[i*f.quantSize:])
	}
	guard := 0
	if c.guard {
		guard = guardBytes
	}
	// The shaders write whole 32-bit words: a 16-bit output of odd length
	// ends with a half word of padding, and the guard starts after it.
	words := (len(dst) + 3) &^ 3
	out, err := c.reusable(ln, "out", words+guard, c.direct)
	if err != nil {
		return err
	}
	if guard > 0 {
		if err := c.fillGuard(ln, out, words); err != nil {
			return err
		}
	}
	steps = append(steps, c.fusedStep(p, in, out, qbuf, l, f.quantSize, f.words, len(dst)))
	result := out
	if !c.direct {
		if result, err = c.reusable(ln, "staging", len(dst), true); err != nil {
			return err
		}
		steps = append(steps, copyStep(out, result, len(dst)))
	}
	if err := c.submit(ln, stats, steps); err != nil {
		return err
	}
	if guard > 0 {
		if err := c.checkGuard(ln, out, words); err != nil {
			return err
		}
	}
	copy(dst, result.data[:len(dst)])
	return nil
}

// guardBytes is how many bytes after a chunk's output Config.Guard fills with
// a pattern and checks after the fused pass.
const guardBytes = 64

// fillGuard writes the guard pattern after the first n bytes of out.
func (c *Context) fillGuard(ln *lane, out *buffer, n int) error {
	return c.withGuard(ln, out, n, func(b []byte) error {
		for i := range b {
			b[i] = 0xa5
		}
		return nil
	}, true)
}

// checkGuard reports an error if the guard pattern after the first n
// bytes of out changed.
func (c *Context) checkGuard(ln *lane, out *buffer, n int) error {
	return c.withGuard(ln, out, n, func(b []byte) error {
		for i, v := range b {
			if v != 0xa5 {
				return fmt.Errorf("gpu: the fused pass wrote past its output: byte %d after the end is %#x", i, v)
			}
		}
		return nil
	}, false)
}

// withGuard gives fn the guard region of out, mapped directly or through
// the staging buffer.
func (c *Context) withGuard(ln *lane, out *buffer, n int, fn func([]byte) error, write bool) error {
	if out.data != nil {
		return fn(out.data[n : n+guardBytes])
	}
	tmp, err := c.newBuffer(guardBytes, true)
	if err != nil {
		return err
	}
	defer c.free(tmp)
	if write {
		if err := fn(tmp.data); err != nil {
			return err
		}
		return c.copyRange(ln, tmp, 0, out, n)
	}
	if err := c.copyRange(ln, out, n, tmp, 0); err != nil {
		return err
	}
	return fn(tmp.data)
}

// copyRange copies guardBytes bytes between buffers on the device.
func (c *Context) copyRange(ln *lane, from *buffer, fromAt int, to *buffer, toAt int) error {
	return c.submit(ln, nil, []step{{from: from, to: to, size: guardBytes, fromAt: fromAt, toAt: toAt}})
}
