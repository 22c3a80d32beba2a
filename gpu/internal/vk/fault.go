package vk

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
)

// Faults makes named Vulkan calls of a device fail on purpose, for tests
// of what follows a failure. A nil *Faults fails nothing.
type Faults struct {
	mu    sync.Mutex
	at    map[string]int // the call to fail; 0 for every one
	count map[string]int // calls so far
}

// ParseFaults parses a comma-separated list of NAME (every call of that
// name) or NAME@N (its N-th call, counting from 1), such as
// "vkAllocateMemory@2,vkWaitForFences@1"; the empty string gives nil, no
// faults. vkWaitForFences fails with VK_ERROR_DEVICE_LOST, every other
// call with VK_ERROR_OUT_OF_DEVICE_MEMORY.
func ParseFaults(s string) (*Faults, error) {
	if s == "" {
		return nil, nil
	}
	p := &Faults{at: map[string]int{}, count: map[string]int{}}
	for _, item := range strings.Split(s, ",") {
		name, n, found := strings.Cut(strings.TrimSpace(item), "@")
		at := 0
		if found {
			v, err := strconv.Atoi(n)
			if err != nil || v < 1 {
				return nil, fmt.Errorf("vulkan: faults %q: %q is not NAME or NAME@N with N >= 1", s, item)
			}
			at = v
		}
		p.at[name] = at
	}
	return p, nil
}

// fail counts a call of name and returns the result it must fail with,
// or Success.
func (p *Faults) fail(name string) Result {
	if p == nil {
		return Success
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.at[name]
	if !ok {
		return Success
	}
	p.count[name]++
	if at != 0 && p.count[name] != at {
		return Success
	}
	if name == "vkWaitForFences" {
		return ErrorDeviceLost
	}
	return ErrorOutOfDeviceMemory
}
