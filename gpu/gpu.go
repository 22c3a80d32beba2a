// Package gpu is qdq's Vulkan host layer: it finds Vulkan devices through
// the system's Vulkan loader (libvulkan.so.1; only the runtime library is
// needed), describes them, chooses the one to run on, and runs the
// shaders of package shaders on it (Context), bit for bit as the cpu
// package computes.
//
// A Context computes ranges in integer keys and takes every scale from
// quant.ComputeQuant, so its only floating-point steps are the fused pass's
// multiplications and rounding. Calls it cannot make exact on the device
// return ErrInexact, for the caller to run on the CPU.
//
// Vulkan is reached through github.com/vulkan-go/vulkan for handles and
// plain calls, and through a small C shim (vkshim.c) for every call that
// takes a structure, so that no C memory is left behind or freed early.
//
// The package builds everywhere. Without cgo, off Linux, or with the
// novulkan build tag, every call reports ErrNoVulkan.
package gpu

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qdqvk/qdq/internal/quant"
)

// ErrNoVulkan reports that no Vulkan loader or no Vulkan device could be
// used.
var ErrNoVulkan = errors.New("gpu: no usable Vulkan")

// ErrClosed reports a call on a closed Context.
var ErrClosed = errors.New("gpu: context closed")

// ErrNotBatched reports a call that a batch leaves to be run alone: it is
// empty or needs more than one chunk.
var ErrNotBatched = quant.Decline("gpu: call not batched")

// ErrDevice reports that the device failed a call: it ran out of memory,
// or another Vulkan call failed. Nothing the call wrote may be used; the
// caller can run it on the CPU instead. It wraps quant.ErrDeclined. The Context stays usable unless
// the error is also ErrDeviceLost.
var ErrDevice = quant.Decline("gpu: device failure")

// ErrDeviceLost reports that the device was lost (or stopped answering):
// the Context fails every later call with it. It is an ErrDevice.
var ErrDeviceLost = fmt.Errorf("%w: device lost", ErrDevice)

// ErrInexact reports that a call cannot be computed bit-exactly on the
// device (for example when subnormal values could be flushed to zero), or
// not at all (a tensor beyond the device's limits): the caller runs it on
// the CPU instead. It wraps quant.ErrDeclined.
var ErrInexact = quant.Decline("gpu: not exact on this device")

// Stats collects what a call measured.
type Stats struct {
	// Kernel is the time the shaders ran on the device, from timestamps
	// (zero when the queue has none).
	Kernel time.Duration
}

type statsKey struct{}

// WithStats returns a context that makes calls add their measurements to
// s.
func WithStats(ctx context.Context, s *Stats) context.Context {
	return context.WithValue(ctx, statsKey{}, s)
}

// DeviceType is a physical device's kind, as Vulkan reports it.
type DeviceType int

// The device types, in Vulkan's numbering.
const (
	Other DeviceType = iota
	Integrated
	Discrete
	Virtual
	CPU
)

var typeNames = [...]string{"other", "integrated", "discrete", "virtual", "cpu"}

// String returns "discrete", "integrated", "virtual", "cpu" or "other".
func (t DeviceType) String() string {
	if t >= 0 && int(t) < len(typeNames) {
		return typeNames[t]
	}
	return "DeviceType(" + strconv.Itoa(int(t)) + ")"
}

// preference orders device types for automatic choice: lower is better.
func (t DeviceType) preference() int {
	switch t {
	case Discrete:
		return 0
	case Integrated:
		return 1
	case Virtual:
		return 2
	case CPU:
		return 4
	}
	return 3
}

// Device describes one Vulkan physical device.
type Device struct {
	Index      int        // position in the loader's enumeration
	Name       string     // deviceName
	Type       DeviceType // deviceType
	API        string     // supported Vulkan version, "1.3.230"
	Driver     string     // driver name and information where reported (Vulkan 1.2), else the driver version
	VendorID   uint32
	MemoryHeap uint64 // bytes in device-local heaps

	SubgroupSize int // 0 when not reported (Vulkan 1.0)
	// SubgroupArithmetic reports subgroup min/max in compute shaders; the
	// reduction uses them when present.
	SubgroupArithmetic bool
	Float64            bool // shaderFloat64
	Float16            bool // shaderFloat16 (Vulkan 1.2)
	Storage16          bool // storageBuffer16BitAccess (Vulkan 1.1)
	// DenormPreserve32 and DenormPreserve64 report that shaders can keep
	// subnormal float32/float64 values (shaderDenormPreserveFloat32/64,
	// Vulkan 1.2) if they ask to. qdq's shaders do not ask yet, so it
	// treats every device as one that may flush them.
	DenormPreserve32, DenormPreserve64 bool

	MaxStorageBufferRange  uint64
	MaxAllocation          uint64 // maxMemoryAllocationSize (Vulkan 1.1); 0 when not reported
	MaxWorkGroupCount      [3]uint32
	MaxWorkGroupInvocation uint32
	MaxWorkGroupSizeX      uint32
	MaxSharedMemory        uint32
	TimestampPeriod        float32 // nanoseconds per timestamp tick
}

// Choose picks the device to run on among devs. want is an index or a name
// substring (Config.Device); empty means the best by type: discrete,
// then integrated, virtual, other, and a CPU implementation (such as Mesa's
// lavapipe) last. allowCPU false never picks a CPU-type device on its own
// (it is slower than qdq's CPU backend), but an explicit want may name one.
func Choose(devs []Device, want string, allowCPU bool) (Device, error) {
	if want = strings.TrimSpace(want); want != "" {
		if i, err := strconv.Atoi(want); err == nil {
			for _, d := range devs {
				if d.Index == i {
					return d, nil
				}
			}
			return Device{}, fmt.Errorf("%w: device %s: no device with index %d (have %d)", ErrNoVulkan, want, i, len(devs))
		}
		for _, d := range devs {
			if strings.Contains(strings.ToLower(d.Name), strings.ToLower(want)) {
				return d, nil
			}
		}
		return Device{}, fmt.Errorf("%w: device %q: no device name contains it", ErrNoVulkan, want)
	}
	best := -1
	for i, d := range devs {
		if d.Type == CPU && !allowCPU {
			continue
		}
		if best < 0 || d.Type.preference() < devs[best].Type.preference() {
			best = i
		}
	}
	if best < 0 {
		if len(devs) == 0 {
			return Device{}, fmt.Errorf("%w: the Vulkan loader lists no device", ErrNoVulkan)
		}
		return Device{}, fmt.Errorf("%w: only CPU implementations (%s), slower than qdq's CPU backend", ErrNoVulkan, devs[0].Name)
	}
	return devs[best], nil
}
