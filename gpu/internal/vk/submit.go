//go:build cgo && linux && !novulkan

package vk

/*
#include "vkshim.h"
*/
import "C"

import (
	"fmt"
	"math"
	"time"
	"unsafe"

	vulkan "github.com/vulkan-go/vulkan"
)

// Submit records stages of steps on lane l, runs them and waits for
// them. The steps of one stage are independent and may overlap on the
// device; a barrier separates stages, and a last one makes every write
// visible to the host. When timed is set and the queue has timestamps, it
// returns the time from the start of the first stage with a dispatch to
// the end of the last one; otherwise 0.
//
// An error whose call was the wait or the fence's reset has Pending set
// (ErrPending): the work may still be running.
func (d *Device) Submit(l *Lane, stages [][]Step, timed bool) (time.Duration, error) {
	sets, err := d.descriptorSets(l, stages)
	if err != nil {
		return 0, err
	}
	timed = timed && l.queries != nil
	first, last := dispatchStages(stages)
	if err := d.record(l, stages, sets, timed, first, last); err != nil {
		return 0, err
	}
	if err := d.run(l); err != nil {
		return 0, err
	}
	if !timed || first < 0 {
		return 0, nil
	}
	return d.elapsed(l), nil
}

// descriptorSets allocates from l's pool, after resetting it, a set for
// each dispatch of stages, bound to its buffers.
func (d *Device) descriptorSets(l *Lane, stages [][]Step) ([][]vulkan.DescriptorSet, error) {
	pool := vulkan.DescriptorPool(l.descPool)
	if err := d.call("vkResetDescriptorPool", func() vulkan.Result { return vulkan.ResetDescriptorPool(d.dev, pool, 0) }); err != nil {
		return nil, err
	}
	sets := make([][]vulkan.DescriptorSet, len(stages))
	for si, stage := range stages {
		sets[si] = make([]vulkan.DescriptorSet, len(stage))
		for i, st := range stage {
			if st.Dispatch == nil {
				continue
			}
			var p unsafe.Pointer
			if err := d.call("vkAllocateDescriptorSets", func() vulkan.Result {
				return vulkan.Result(C.qdqAllocateSet(d.shim, l.descPool, unsafe.Pointer(d.setLayout), &p))
			}); err != nil {
				return nil, err
			}
			sets[si][i] = vulkan.DescriptorSet(p)
			if err := d.writeSet(p, st.Dispatch.Buffers); err != nil {
				return nil, err
			}
		}
	}
	return sets, nil
}

// writeSet binds buffers, whole, to set's bindings 0, 1, ...
func (d *Device) writeSet(set unsafe.Pointer, buffers []*Buffer) error {
	var handles [8]unsafe.Pointer
	if len(buffers) > d.bindings {
		return fmt.Errorf("vulkan: a dispatch binds %d buffers, at most %d", len(buffers), d.bindings)
	}
	for i, b := range buffers {
		handles[i] = b.buf
	}
	return failed("vkUpdateDescriptorSets", Result(C.qdqWriteSet(d.shim, set, C.uint32_t(len(buffers)), &handles[0])))
}

// dispatchStages returns the first and the last stage with a dispatch,
// or -1 and -1.
func dispatchStages(stages [][]Step) (first, last int) {
	first, last = -1, -1
	for si, stage := range stages {
		for _, st := range stage {
			if st.Dispatch != nil {
				if first < 0 {
					first = si
				}
				last = si
			}
		}
	}
	return first, last
}

// record records stages into l's command buffer, with timestamps around
// the stages first to last when timed.
func (d *Device) record(l *Lane, stages [][]Step, sets [][]vulkan.DescriptorSet, timed bool, first, last int) error {
	cmd := vulkan.CommandBuffer(l.cmd)
	queries := vulkan.QueryPool(l.queries)
	if err := d.call("vkBeginCommandBuffer", func() vulkan.Result {
		return vulkan.Result(C.qdqBegin(d.shim, l.cmd, C.uint32_t(vulkan.CommandBufferUsageOneTimeSubmitBit)))
	}); err != nil {
		return err
	}
	if timed {
		vulkan.CmdResetQueryPool(cmd, queries, 0, 2)
	}
	for si, stage := range stages {
		if si > 0 {
			d.barrier(l, false)
		}
		if timed && si == first {
			vulkan.CmdWriteTimestamp(cmd, vulkan.PipelineStageTopOfPipeBit, queries, 0)
		}
		for i, st := range stage {
			if st.Dispatch != nil {
				d.dispatch(cmd, st.Dispatch, sets[si][i])
			} else {
				C.qdqCopy(d.shim, l.cmd, st.From.buf, st.To.buf, C.uint64_t(st.FromAt), C.uint64_t(st.ToAt), C.uint64_t(st.Size))
			}
		}
		if timed && si == last {
			vulkan.CmdWriteTimestamp(cmd, vulkan.PipelineStageBottomOfPipeBit, queries, 1)
		}
	}
	d.barrier(l, true)
	if err := d.call("vkEndCommandBuffer", func() vulkan.Result { return vulkan.EndCommandBuffer(cmd) }); err != nil {
		vulkan.ResetCommandBuffer(cmd, 0) // out of the recording state, for the next submission
		return err
	}
	return nil
}

// dispatch records one dispatch with its descriptor set.
func (d *Device) dispatch(cmd vulkan.CommandBuffer, dp *Dispatch, set vulkan.DescriptorSet) {
	vulkan.CmdBindPipeline(cmd, vulkan.PipelineBindPointCompute, vulkan.Pipeline(dp.Pipeline.h))
	vulkan.CmdBindDescriptorSets(cmd, vulkan.PipelineBindPointCompute, d.layout, 0, 1, []vulkan.DescriptorSet{set}, 0, nil)
	if len(dp.Push) > 0 {
		vulkan.CmdPushConstants(cmd, d.layout, vulkan.ShaderStageFlags(vulkan.ShaderStageComputeBit), 0, uint32(4*len(dp.Push)), unsafe.Pointer(&dp.Push[0]))
	}
	vulkan.CmdDispatch(cmd, dp.Groups[0], dp.Groups[1], dp.Groups[2])
}

// barrier makes every earlier transfer or shader write visible to every
// later transfer or shader access, or to the host.
func (d *Device) barrier(l *Lane, toHost bool) {
	src := vulkan.PipelineStageFlags(vulkan.PipelineStageComputeShaderBit | vulkan.PipelineStageTransferBit)
	dst := src
	access := vulkan.AccessFlags(vulkan.AccessShaderReadBit | vulkan.AccessShaderWriteBit | vulkan.AccessTransferReadBit | vulkan.AccessTransferWriteBit)
	if toHost {
		dst, access = vulkan.PipelineStageFlags(vulkan.PipelineStageHostBit), vulkan.AccessFlags(vulkan.AccessHostReadBit)
	}
	srcAccess := vulkan.AccessFlags(vulkan.AccessShaderWriteBit | vulkan.AccessTransferWriteBit)
	C.qdqBarrier(d.shim, l.cmd, C.uint32_t(src), C.uint32_t(dst), C.uint32_t(srcAccess), C.uint32_t(access))
}

// run submits l's command buffer, waits for its fence and resets it.
func (d *Device) run(l *Lane) error {
	d.queueMu.Lock()
	err := d.call("vkQueueSubmit", func() vulkan.Result {
		return vulkan.Result(C.qdqSubmit(d.shim, unsafe.Pointer(d.queue), l.cmd, l.fence))
	})
	d.queueMu.Unlock()
	if err != nil {
		return err
	}
	fences := []vulkan.Fence{vulkan.Fence(l.fence)}
	if err := d.call("vkWaitForFences", func() vulkan.Result {
		return vulkan.WaitForFences(d.dev, 1, fences, vulkan.True, math.MaxUint64)
	}); err != nil {
		return pending(err)
	}
	if err := d.call("vkResetFences", func() vulkan.Result { return vulkan.ResetFences(d.dev, 1, fences) }); err != nil {
		// A fence left signalled would let the next wait return early.
		return pending(err)
	}
	return nil
}

// elapsed reads l's two timestamps: the time between them, or 0 when
// they are not available.
func (d *Device) elapsed(l *Lane) time.Duration {
	var ts [2]uint64
	res := vulkan.GetQueryPoolResults(d.dev, vulkan.QueryPool(l.queries), 0, 2, 16, unsafe.Pointer(&ts[0]), 8, vulkan.QueryResultFlags(vulkan.QueryResult64Bit))
	if res != vulkan.Success || ts[1] < ts[0] {
		return 0
	}
	return time.Duration(float64(ts[1]-ts[0]) * d.timestampPeriod)
}
