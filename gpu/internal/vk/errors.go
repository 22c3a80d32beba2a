package vk

import (
	"errors"
	"strconv"
)

// Result is a VkResult, the status a Vulkan call returns.
type Result int32

// The results the package makes or looks for.
const (
	Success                   Result = 0
	ErrorOutOfHostMemory      Result = -1
	ErrorOutOfDeviceMemory    Result = -2
	ErrorInitializationFailed Result = -3
	ErrorDeviceLost           Result = -4
)

// resultText is what String says of the results it knows: vulkan-go's
// words, without its prefix.
var resultText = map[Result]string{
	Success:                   "success",
	1:                         "not ready",
	2:                         "timeout",
	3:                         "event set",
	4:                         "event reset",
	5:                         "incomplete",
	ErrorOutOfHostMemory:      "out of host memory",
	ErrorOutOfDeviceMemory:    "out of device memory",
	ErrorInitializationFailed: "initialization failed",
	ErrorDeviceLost:           "device lost",
	-5:                        "memory map failed",
	-6:                        "layer not present",
	-7:                        "extension not present",
	-8:                        "feature not present",
	-9:                        "incompatible driver",
	-10:                       "too many objects",
	-11:                       "format not supported",
	-12:                       "fragmented pool",
	-1000069000:               "out of pool memory",
}

// String describes r, "out of device memory", or gives its number.
func (r Result) String() string {
	if s, ok := resultText[r]; ok {
		return s
	}
	return "VkResult " + strconv.Itoa(int(r))
}

// Error is a failed Vulkan call.
type Error struct {
	Call   string // the Vulkan function, such as "vkCreateBuffer"
	Result Result
	// Pending is set when the call was Submit's wait for the work or its
	// reset of the lane's fence: the work may still be running on the
	// submission's buffers, and a fence left signalled would let the next
	// wait return early, so the lane is not fit for another submission.
	Pending bool
}

// Error returns "vulkan: " followed by the call and its result.
func (e *Error) Error() string { return "vulkan: " + e.Call + ": " + e.Result.String() }

// Is reports whether e is ErrDeviceLost (the call found the device lost)
// or ErrPending (e.Pending).
func (e *Error) Is(target error) bool {
	return target == ErrDeviceLost && e.Result == ErrorDeviceLost || target == ErrPending && e.Pending
}

// ErrDeviceLost matches, through errors.Is, an *Error whose call found the
// device lost (VK_ERROR_DEVICE_LOST).
var ErrDeviceLost = errors.New("vulkan: device lost")

// ErrPending matches, through errors.Is, an *Error whose Pending is set.
var ErrPending = errors.New("vulkan: submitted work may still be running")

// ErrUnsupported is wrapped by the errors of a device that lacks what a
// call needs: a compute queue, a memory type for storage buffers.
var ErrUnsupported = errors.New("vulkan: unsupported")

// failed returns the error of the call name that returned res, or nil
// when res is Success.
func failed(name string, res Result) error {
	if res == Success {
		return nil
	}
	return &Error{Call: name, Result: res}
}

// pending marks a failed wait's error Pending.
func pending(err error) error {
	if e, ok := err.(*Error); ok {
		e.Pending = true
	}
	return err
}
