package gpu

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/qdqvk/qdq/gpu/internal/vk"
)

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

// devicesOf describes the devices vk describes.
func devicesOf(infos []vk.Info) []Device {
	devs := make([]Device, len(infos))
	for i, info := range infos {
		devs[i] = deviceOf(info)
	}
	return devs
}

// deviceOf describes a device as vk does.
func deviceOf(info vk.Info) Device {
	return Device{
		Index:                  info.Index,
		Name:                   info.Name,
		Type:                   DeviceType(info.Type),
		API:                    info.API,
		Driver:                 info.Driver,
		VendorID:               info.VendorID,
		MemoryHeap:             info.MemoryHeap,
		SubgroupSize:           info.SubgroupSize,
		SubgroupArithmetic:     info.SubgroupArithmetic,
		Float64:                info.Float64,
		Float16:                info.Float16,
		Storage16:              info.Storage16,
		DenormPreserve32:       info.DenormPreserve32,
		DenormPreserve64:       info.DenormPreserve64,
		MaxStorageBufferRange:  info.MaxStorageBufferRange,
		MaxAllocation:          info.MaxAllocation,
		MaxWorkGroupCount:      info.MaxWorkGroupCount,
		MaxWorkGroupInvocation: info.MaxWorkGroupInvocation,
		MaxWorkGroupSizeX:      info.MaxWorkGroupSizeX,
		MaxSharedMemory:        info.MaxSharedMemory,
		TimestampPeriod:        info.TimestampPeriod,
	}
}

// usable reports, as an ErrNoVulkan, a device that cannot run the
// shaders: they need Vulkan 1.1 and workgroups of 256 invocations.
func usable(d Device) error {
	if d.MaxWorkGroupInvocation < workgroup || d.MaxWorkGroupSizeX < workgroup || !apiAtLeast11(d.API) {
		return fmt.Errorf("%w: %s (Vulkan %s) cannot run workgroups of %d (Vulkan 1.1 and %d invocations needed)",
			ErrNoVulkan, d.Name, d.API, workgroup, workgroup)
	}
	return nil
}

// apiAtLeast11 reports whether a "major.minor.patch" version is 1.1 or
// later, which the shaders' SPIR-V needs.
func apiAtLeast11(v string) bool {
	var major, minor, patch int
	if _, err := fmt.Sscanf(v, "%d.%d.%d", &major, &minor, &patch); err != nil {
		return false
	}
	return major > 1 || major == 1 && minor >= 1
}

// restrict returns d without the features cfg turns off.
func restrict(d Device, cfg Config) Device {
	if cfg.NoFloat64 {
		d.Float64 = false
	}
	if cfg.NoSubgroups {
		d.SubgroupArithmetic = false
	}
	return d
}
