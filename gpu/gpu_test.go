package gpu

import (
	"errors"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RequireEnv makes a missing Vulkan device a test failure instead of a
// skip; CI sets it.
const RequireEnv = "QDQ_REQUIRE_GPU"

// devicesOrSkip returns the Vulkan devices, skipping the test when there
// are none unless RequireEnv is set.
func devicesOrSkip(t *testing.T) []Device {
	t.Helper()
	devs, err := Devices(ConfigFromEnv().Library)
	if err == nil && len(devs) == 0 {
		err = errors.New("no Vulkan device")
	}
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("%s is set but Vulkan is unusable: %v", RequireEnv, err)
		}
		t.Skipf("no Vulkan device (set %s=1 to make this fail): %v", RequireEnv, err)
	}
	for _, d := range devs {
		t.Logf("device %d: %s (%s, Vulkan %s, %s; subgroup %d, arithmetic %t)", d.Index, d.Name, d.Type, d.API, d.Driver, d.SubgroupSize, d.SubgroupArithmetic)
	}
	return devs
}

func TestChoose(t *testing.T) {
	lavapipe := Device{Index: 0, Name: "llvmpipe (LLVM 15.0.6, 256 bits)", Type: CPU}
	igpu := Device{Index: 1, Name: "Intel(R) UHD Graphics 630", Type: Integrated}
	dgpu := Device{Index: 2, Name: "NVIDIA H100 80GB HBM3", Type: Discrete}
	virt := Device{Index: 3, Name: "Virtio-GPU Venus", Type: Virtual}
	cases := []struct {
		name     string
		devs     []Device
		want     string
		allowCPU bool
		pick     int // index, or -1 for an error
	}{
		{"discrete first", []Device{lavapipe, igpu, dgpu, virt}, "", false, 2},
		{"integrated over virtual", []Device{virt, igpu}, "", false, 1},
		{"virtual over cpu", []Device{lavapipe, virt}, "", true, 3},
		{"auto never takes the cpu", []Device{lavapipe}, "", false, -1},
		{"gpu takes the cpu", []Device{lavapipe}, "", true, 0},
		{"no devices", nil, "", true, -1},
		{"by index", []Device{lavapipe, igpu, dgpu}, "1", false, 1},
		{"by index, even a cpu", []Device{lavapipe, dgpu}, "0", false, 0},
		{"by name, any case", []Device{lavapipe, igpu, dgpu}, "h100", false, 2},
		{"bad index", []Device{dgpu}, "7", true, -1},
		{"bad name", []Device{dgpu}, "radeon", true, -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Choose(c.devs, c.want, c.allowCPU)
			if c.pick < 0 {
				assert.ErrorIs(t, err, ErrNoVulkan)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.pick, d.Index)
		})
	}
	t.Setenv(envDevice, "uhd")
	d, err := Choose([]Device{dgpu, igpu}, ConfigFromEnv().Device, false)
	require.NoError(t, err)
	assert.Equal(t, 1, d.Index)
}

func TestDeviceTypeNames(t *testing.T) {
	assert.Equal(t, "discrete", Discrete.String())
	assert.Equal(t, "cpu", CPU.String())
	assert.Equal(t, "DeviceType(9)", DeviceType(9).String())
}

func TestDevicesDescribeThemselves(t *testing.T) {
	for _, d := range devicesOrSkip(t) {
		assert.NotEmpty(t, d.Name)
		assert.NotEmpty(t, d.Driver)
		assert.Regexp(t, `^1\.[1-9]\d*\.\d+$`, d.API, "qdq needs Vulkan 1.1")
		assert.Greater(t, d.SubgroupSize, 0)
		assert.Zero(t, d.SubgroupSize&(d.SubgroupSize-1), "subgroup size %d is a power of two", d.SubgroupSize)
		assert.GreaterOrEqual(t, d.MaxStorageBufferRange, uint64(1<<27), "Vulkan guarantees 2^27 bytes")
		assert.GreaterOrEqual(t, d.MaxWorkGroupCount[0], uint32(65535))
		assert.Positive(t, d.MemoryHeap)
	}
}

// TestWithoutLoader runs this test binary again with the loader pointed
// at a file that does not exist: Devices must say there is no Vulkan.
func TestWithoutLoader(t *testing.T) {
	if os.Getenv("QDQ_GPU_TEST_CHILD") == "1" {
		_, err := Devices(ConfigFromEnv().Library)
		if !errors.Is(err, ErrNoVulkan) {
			t.Fatalf("Devices() = %v, want ErrNoVulkan", err)
		}
		return
	}
	if os.Getenv("QDQ_EMULATED") != "" {
		t.Skip("QDQ_EMULATED is set: this test starts its own binary again, which an emulator without binfmt_misc cannot")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWithoutLoader$", "-test.v")
	cmd.Env = append(os.Environ(), "QDQ_GPU_TEST_CHILD=1", envLibrary+"=/nonexistent/libvulkan.so.1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "--- PASS: TestWithoutLoader")
}
