//go:build !cgo || !linux || novulkan

package gpu

import "fmt"

var errNoSupport = fmt.Errorf("%w: this build has no Vulkan support (it needs cgo on Linux)", ErrNoVulkan)

// Open reports that this build has no Vulkan support.
func Open(Config) (*Context, error) { return nil, errNoSupport }

// Devices reports that this build has no Vulkan support.
func Devices(string) ([]Device, error) { return nil, errNoSupport }
