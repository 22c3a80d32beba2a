//go:build cgo && linux && !novulkan

package gpu

import (
	"fmt"

	"github.com/qdqvk/qdq/gpu/internal/vk"
)

// Open opens the device cfg chooses (see Choose) with cfg's settings.
func Open(cfg Config) (*Context, error) {
	in, infos, err := instance(cfg.Library)
	if err != nil {
		return nil, err
	}
	d, err := Choose(devicesOf(infos), cfg.Device, cfg.AllowCPU)
	if err == nil {
		err = usable(d)
	}
	var faults *vk.Faults
	if err == nil {
		faults, err = vk.ParseFaults(cfg.Faults)
	}
	if err != nil {
		in.Close()
		return nil, err
	}
	d = restrict(d, cfg)
	// shaderFloat64 is enabled where the device has it: qdq_f64 declares
	// the Float64 capability.
	dev, err := in.Open(infos[d.Index], vk.Options{Float64: d.Float64, Bindings: bindings, PushBytes: 4 * pushWords, Faults: faults})
	if err != nil {
		in.Close()
		return nil, deviceErr(err)
	}
	return newContext(dev, d, cfg)
}

// Devices lists the Vulkan devices the loader finds; library is as
// Config.Library.
func Devices(library string) ([]Device, error) {
	in, infos, err := instance(library)
	if err != nil {
		return nil, err
	}
	in.Close()
	return devicesOf(infos), nil
}

// instance opens a Vulkan instance and describes its devices. Its errors
// are ErrNoVulkan.
func instance(library string) (*vk.Instance, []vk.Info, error) {
	in, err := vk.NewInstance(library)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrNoVulkan, err)
	}
	infos, err := in.Devices()
	if err != nil {
		in.Close()
		return nil, nil, fmt.Errorf("%w: %w", ErrNoVulkan, err)
	}
	return in, infos, nil
}
