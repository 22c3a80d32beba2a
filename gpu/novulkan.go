//go:build !cgo || !linux || novulkan

package gpu

import "fmt"

// Devices lists the Vulkan devices. This build has no Vulkan support.
func Devices() ([]Device, error) {
	return nil, fmt.Errorf("%w: this build has no Vulkan support (it needs cgo on Linux)", ErrNoVulkan)
}
