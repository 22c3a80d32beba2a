package gpu

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qdqvk/qdq/gpu/internal/vk"
	"github.com/qdqvk/qdq/internal/quant"
	"github.com/qdqvk/qdq/shaders"
)

// fakeDevice is a device in Go memory that runs what each shader does
// (its contract: the buffers it reads and writes) on the host, through
// quant's own code: the host side of the algorithm (pieces, channel
// offsets, parameter packing, key ranges, staging copies, guards,
// batches) is tested with it on every build. It also checks that every
// buffer a submission uses is live and large enough, and that Close
// leaves nothing behind.
type fakeDevice struct {
	mu        sync.Mutex
	local     bool // MappableLocalMemory
	mem       map[*vk.Buffer][]byte
	lanes     map[*vk.Lane]bool
	modules   map[*vk.Module]string
	pipelines map[*vk.Pipeline]fakePipeline
	submits   int
	// failAt fails the failAt-th submission (from 1) with a lost
	// device's error; 0 fails none.
	failAt int
	waited bool // WaitIdle was called
	closed bool
	errs   []error // what the checks found
}

type fakePipeline struct {
	module string
	spec   [3]uint32
}

func newFakeDevice(local bool) *fakeDevice {
	return &fakeDevice{local: local, mem: map[*vk.Buffer][]byte{}, lanes: map[*vk.Lane]bool{},
		modules: map[*vk.Module]string{}, pipelines: map[*vk.Pipeline]fakePipeline{}}
}

func (d *fakeDevice) errorf(format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf(format, args...))
}

func (d *fakeDevice) NewLane(maxSets int) (*vk.Lane, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	l := &vk.Lane{}
	d.lanes[l] = true
	return l, nil
}

func (d *fakeDevice) DestroyLane(l *vk.Lane) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.lanes, l)
}

func (d *fakeDevice) MappableLocalMemory() bool { return d.local }

func (d *fakeDevice) NewBuffer(size int, mapped, local bool) (*vk.Buffer, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	size = max(16, (size+15)&^15)
	b := &vk.Buffer{Size: size}
	d.mem[b] = make([]byte, size)
	if mapped {
		b.Data = d.mem[b]
	}
	return b, nil
}

func (d *fakeDevice) Free(b *vk.Buffer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.mem[b]; !ok {
		d.errorf("Free of a buffer that is not live")
	}
	delete(d.mem, b)
}

func (d *fakeDevice) ShaderModule(spirv []uint32) (*vk.Module, error) {
	builds, err := shaders.Builds()
	if err != nil {
		return nil, err
	}
	for _, b := range builds {
		if words, err := shaders.Module(b.Name); err == nil && slices.Equal(words, spirv) {
			m := &vk.Module{}
			d.mu.Lock()
			d.modules[m] = b.Name
			d.mu.Unlock()
			return m, nil
		}
	}
	return nil, fmt.Errorf("fake: SPIR-V of no known module")
}

func (d *fakeDevice) DestroyModule(m *vk.Module) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.modules, m)
}

func (d *fakeDevice) ComputePipeline(m *vk.Module, spec [3]uint32) (*vk.Pipeline, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := &vk.Pipeline{}
	d.pipelines[p] = fakePipeline{d.modules[m], spec}
	return p, nil
}

func (d *fakeDevice) DestroyPipeline(p *vk.Pipeline) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.pipelines, p)
}

func (d *fakeDevice) Submit(l *vk.Lane, stages [][]vk.Step, timed bool) (time.Duration, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.submits++
	if d.submits == d.failAt {
		return 0, &vk.Error{Call: "vkWaitForFences", Result: vk.ErrorDeviceLost, Pending: true}
	}
	if !d.lanes[l] {
		d.errorf("submission on a lane that is not live")
	}
	for _, stage := range stages {
		for _, st := range stage {
			if st.Dispatch == nil {
				d.copyStep(st)
			} else {
				d.dispatch(st.Dispatch)
			}
		}
	}
	if timed {
		return time.Microsecond, nil
	}
	return 0, nil
}

// buffer returns b's memory, checking that b is live and has n bytes.
func (d *fakeDevice) buffer(b *vk.Buffer, n int) []byte {
	m, ok := d.mem[b]
	if !ok {
		d.errorf("a submission uses a buffer that is not live")
		return make([]byte, n)
	}
	if len(m) < n {
		d.errorf("a submission uses %d bytes of a %d-byte buffer", n, len(m))
		return make([]byte, n)
	}
	return m
}

func (d *fakeDevice) copyStep(st vk.Step) {
	from := d.buffer(st.From, st.FromAt+st.Size)
	to := d.buffer(st.To, st.ToAt+st.Size)
	copy(to[st.ToAt:st.ToAt+st.Size], from[st.FromAt:])
}

func (d *fakeDevice) dispatch(dp *vk.Dispatch) {
	p, ok := d.pipelines[dp.Pipeline]
	if !ok {
		d.errorf("a dispatch of a pipeline that is not live")
		return
	}
	if len(dp.Push) != pushWords || len(dp.Buffers) > bindings || dp.Groups[0] == 0 || dp.Groups[1] == 0 || dp.Groups[2] == 0 {
		d.errorf("%s: a dispatch of %d push words, %d buffers, groups %v", p.module, len(dp.Push), len(dp.Buffers), dp.Groups)
	}
	switch {
	case strings.HasPrefix(p.module, "minmax_"):
		d.minmax(strings.TrimSuffix(strings.TrimPrefix(p.module, "minmax_"), "_sg"), dp)
	case p.module == "merge" || p.module == "merge_f64":
		// The fake's reduction writes each channel's range at once.
		size := 8 * int(dp.Push[0])
		if p.module == "merge_f64" {
			size *= 2
		}
		copy(d.buffer(dp.Buffers[1], size), d.buffer(dp.Buffers[0], size)[:size])
	case strings.HasPrefix(p.module, "qdq_"):
		d.fused(strings.TrimPrefix(p.module, "qdq_"), p.spec, dp)
	default:
		d.errorf("a dispatch of module %q", p.module)
	}
}

// elements decodes n elements of the storage type name.
func elements(name string, b []byte, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		switch name {
		case "f32":
			v[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		case "f16":
			v[i] = float64(quant.Float16ToFloat32(binary.LittleEndian.Uint16(b[2*i:])))
		case "bf16":
			v[i] = float64(quant.BFloat16ToFloat32(binary.LittleEndian.Uint16(b[2*i:])))
		case "f64":
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
	}
	return v
}

var elementSize = map[string]int{"f32": 4, "f16": 2, "bf16": 2, "f64": 8}

// minmax writes each channel's key range into the partial buffer, as the
// merge pass then gives it: inner, depth and outer*inner in the push
// constants.
func (d *fakeDevice) minmax(name string, dp *vk.Dispatch) {
	inner, depth, span := int(dp.Push[0]), int(dp.Push[1]), int(dp.Push[2])
	n := depth * span
	x := elements(name, d.buffer(dp.Buffers[0], n*elementSize[name]), n)
	rangeSize := 8
	if name == "f64" {
		rangeSize = 16
	}
	out := d.buffer(dp.Buffers[1], rangeSize*depth)
	for c := range depth {
		lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
		for o := range span / inner {
			for i := range inner {
				v := x[(o*depth+c)*inner+i]
				if math.IsNaN(v) {
					continue
				}
				k := quant.Key64(v)
				if name != "f64" {
					k = int64(quant.Key32(float32(v)))
				}
				lo, hi = min(lo, k), max(hi, k)
			}
		}
		if name == "f64" {
			binary.LittleEndian.PutUint64(out[16*c:], uint64(lo))
			binary.LittleEndian.PutUint64(out[16*c+8:], uint64(hi))
			continue
		}
		lo, hi = min(lo, math.MaxInt32), max(hi, math.MinInt32) // an empty channel keeps lo > hi
		binary.LittleEndian.PutUint32(out[8*c:], uint32(int32(lo)))
		binary.LittleEndian.PutUint32(out[8*c+4:], uint32(int32(hi)))
	}
}

// fused runs the fused pass through quant.Reference with the parameters
// the buffers (or, per tensor, the push constants) hold: count, inner and
// depth in the push constants; the round mode and the clamp in spec.
func (d *fakeDevice) fused(name string, spec [3]uint32, dp *vk.Dispatch) {
	n, inner, depth := int(dp.Push[0]), int(dp.Push[1]), int(dp.Push[2])
	size := elementSize[name]
	in := d.buffer(dp.Buffers[0], n*size)
	out := d.buffer(dp.Buffers[1], n*size)
	qsize := 16
	if name == "f64" {
		qsize = 32
	}
	params := d.buffer(dp.Buffers[2], depth*qsize)
	if depth == 1 {
		pushed := make([]byte, qsize)
		for i := range qsize / 4 {
			binary.LittleEndian.PutUint32(pushed[4*i:], dp.Push[4+i])
		}
		if !slices.Equal(pushed, params[:qsize]) {
			d.errorf("the push constants' parameters are not the buffer's")
		}
		params = pushed
	}
	l := quant.Layout{Outer: n / (depth * inner), Depth: depth, Inner: inner}
	p := quant.Params{Round: quant.RoundMode(spec[1])}
	if err := fusedReference(name, out, in, params, l, p, spec[2] == 1); err != nil {
		d.errorf("%v", err)
	}
}

// fusedReference writes into out what the fused pass makes of in.
func fusedReference(name string, out, in, params []byte, l quant.Layout, p quant.Params, clamp bool) error {
	ctx := context.Background()
	n := l.Len()
	if name == "f64" {
		r := quant.Request[float64]{Layout: l, Params: p, Quant: make([]quant.Quant[float64], l.Depth)}
		for c := range r.Quant {
			v := elements("f64", params[32*c:], 4)
			r.Quant[c] = quant.Quant[float64]{Min: v[0], Max: v[1], Scale: v[2], InverseScale: v[3]}
		}
		if clamp {
			r.Given = make([]quant.Bounds[float64], l.Depth)
		}
		src, dst := make([]float64, n), make([]float64, n)
		copy(bytesOf(src), in)
		_, err := quant.Reference{}.Float64(ctx, dst, src, r)
		copy(out, bytesOf(dst))
		return err
	}
	r := quant.Request[float32]{Layout: l, Params: p, Quant: make([]quant.Quant[float32], l.Depth)}
	for c := range r.Quant {
		v := elements("f32", params[16*c:], 4)
		r.Quant[c] = quant.Quant[float32]{Min: float32(v[0]), Max: float32(v[1]), Scale: float32(v[2]), InverseScale: float32(v[3])}
	}
	if clamp {
		r.Given = make([]quant.Bounds[float32], l.Depth)
	}
	var err error
	switch name {
	case "f32":
		src, dst := make([]float32, n), make([]float32, n)
		copy(bytesOf(src), in)
		_, err = quant.Reference{}.Float32(ctx, dst, src, r)
		copy(out, bytesOf(dst))
	case "f16", "bf16":
		src, dst := make([]uint16, n), make([]uint16, n)
		copy(bytesOf(src), in)
		if name == "f16" {
			_, err = quant.Reference{}.Float16(ctx, dst, src, r)
		} else {
			_, err = quant.Reference{}.BFloat16(ctx, dst, src, r)
		}
		copy(out, bytesOf(dst))
	}
	return err
}

func (d *fakeDevice) WaitIdle() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.waited = true
}

func (d *fakeDevice) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.mem) != 0 || len(d.lanes) != 0 || len(d.modules) != 0 || len(d.pipelines) != 0 {
		d.errorf("Close leaves %d buffers, %d lanes, %d modules, %d pipelines", len(d.mem), len(d.lanes), len(d.modules), len(d.pipelines))
	}
	d.closed = true
}

// check returns what the fake's checks found.
func (d *fakeDevice) check() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return errors.Join(d.errs...)
}
