package vk

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFaults(t *testing.T) {
	p, err := ParseFaults("vkAllocateMemory@2, vkCreateBuffer")
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"vkAllocateMemory": 2, "vkCreateBuffer": 0}, p.at)
	for _, bad := range []string{"x@0", "x@-1", "x@y"} {
		_, err := ParseFaults(bad)
		assert.ErrorContains(t, err, bad)
	}
	p, err = ParseFaults("")
	require.NoError(t, err)
	assert.Nil(t, p)
}

// TestFaultsFail checks which calls a plan fails, and with what.
func TestFaultsFail(t *testing.T) {
	p, err := ParseFaults("vkAllocateMemory@2,vkCreateBuffer,vkWaitForFences@1")
	require.NoError(t, err)
	var got []Result
	for range 3 {
		got = append(got, p.fail("vkAllocateMemory"))
	}
	assert.Equal(t, []Result{Success, ErrorOutOfDeviceMemory, Success}, got, "the second call only")
	assert.Equal(t, ErrorOutOfDeviceMemory, p.fail("vkCreateBuffer"))
	assert.Equal(t, ErrorOutOfDeviceMemory, p.fail("vkCreateBuffer"), "every call")
	assert.Equal(t, ErrorDeviceLost, p.fail("vkWaitForFences"), "a failed wait is a lost device")
	assert.Equal(t, Success, p.fail("vkQueueSubmit"))
	var none *Faults
	assert.Equal(t, Success, none.fail("vkCreateBuffer"))
}
