package vk

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestError(t *testing.T) {
	err := error(&Error{Call: "vkCreateBuffer", Result: ErrorOutOfDeviceMemory})
	assert.EqualError(t, err, "vulkan: vkCreateBuffer: out of device memory")
	assert.NotErrorIs(t, err, ErrDeviceLost)
	assert.NotErrorIs(t, err, ErrPending)

	lost := fmt.Errorf("call: %w", &Error{Call: "vkQueueSubmit", Result: ErrorDeviceLost})
	assert.ErrorIs(t, lost, ErrDeviceLost)
	assert.NotErrorIs(t, lost, ErrPending)

	wait := &Error{Call: "vkResetFences", Result: ErrorOutOfHostMemory, Pending: true}
	assert.ErrorIs(t, wait, ErrPending)
	assert.NotErrorIs(t, wait, ErrDeviceLost)
	assert.ErrorIs(t, pending(&Error{Call: "vkWaitForFences", Result: ErrorDeviceLost}), ErrPending)

	assert.NoError(t, failed("vkX", Success))
	var e *Error
	assert.True(t, errors.As(failed("vkX", -1000069000), &e))
	assert.EqualError(t, e, "vulkan: vkX: out of pool memory")
	assert.Equal(t, "VkResult -77", Result(-77).String())
}
