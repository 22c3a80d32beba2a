package gpu

import (
	"os"
	"strconv"
)

// Config configures a Context. The zero value opens the best device that
// is not a CPU implementation of Vulkan, with every feature it has.
type Config struct {
	// Device chooses the device by index or by a case-insensitive
	// substring of its name; empty means the best by type (see Choose).
	Device string
	// AllowCPU lets the automatic choice take a CPU implementation of
	// Vulkan, such as Mesa's lavapipe (slower than qdq's CPU backend). An
	// explicit Device may name one either way.
	AllowCPU bool
	// Library is the Vulkan loader library to open instead of
	// libvulkan.so.1. The loader is opened once per process, by the first
	// Open or Devices call, with that call's Library.
	Library string
	// NoSubgroups ignores the device's subgroup arithmetic, so that the
	// reductions use shared memory alone.
	NoSubgroups bool
	// NoFloat64 treats the device as lacking shaderFloat64, so that
	// float64 calls are declined (ErrInexact).
	NoFloat64 bool
	// Staging copies through host-visible staging buffers even where the
	// device has large device-local memory the host can map, as on
	// discrete GPUs without it.
	Staging bool
	// MaxPiece caps, in bytes, how much of a tensor one dispatch sees; 0
	// means the device's limits. Small values exercise the splitting.
	MaxPiece int
	// Guard fills the bytes after every output on the device and checks
	// that the fused pass left them alone.
	Guard bool
	// Faults names Vulkan calls the context fails on purpose, for tests of
	// what follows a failure: a comma-separated list of NAME (every call
	// of that name) or NAME@N (its N-th call, counting from 1), such as
	// "vkAllocateMemory@2,vkWaitForFences@1". vkWaitForFences fails with
	// VK_ERROR_DEVICE_LOST, every other call with
	// VK_ERROR_OUT_OF_DEVICE_MEMORY.
	Faults string
}

// The environment variables ConfigFromEnv reads. They are switches of the
// qdq command and of the test suites; a program configures a Context with
// a Config.
const (
	envDevice      = "QDQ_VULKAN_DEVICE"
	envLibrary     = "QDQ_VULKAN_LIBRARY"
	envNoSubgroups = "QDQ_VULKAN_NO_SUBGROUPS"
	envNoFloat64   = "QDQ_VULKAN_NO_FLOAT64"
	envStaging     = "QDQ_VULKAN_STAGING"
	envMaxPiece    = "QDQ_VULKAN_MAX_CHUNK"
	envGuard       = "QDQ_VULKAN_GUARD"
	envFaults      = "QDQ_VULKAN_FAULT"
)

// ConfigFromEnv returns the Config the environment describes, the only
// place the package reads it:
//
//	QDQ_VULKAN_DEVICE        Device (an index or a name substring)
//	QDQ_VULKAN_LIBRARY       Library (a path that does not exist simulates
//	                         a machine without Vulkan)
//	QDQ_VULKAN_NO_SUBGROUPS  NoSubgroups, when 1
//	QDQ_VULKAN_NO_FLOAT64    NoFloat64, when 1
//	QDQ_VULKAN_STAGING       Staging, when 1
//	QDQ_VULKAN_MAX_CHUNK     MaxPiece, in bytes
//	QDQ_VULKAN_GUARD         Guard, when 1
//	QDQ_VULKAN_FAULT         Faults
//
// AllowCPU is not an environment setting: the caller decides it.
func ConfigFromEnv() Config {
	piece, _ := strconv.Atoi(os.Getenv(envMaxPiece))
	return Config{
		Device:      os.Getenv(envDevice),
		Library:     os.Getenv(envLibrary),
		NoSubgroups: os.Getenv(envNoSubgroups) == "1",
		NoFloat64:   os.Getenv(envNoFloat64) == "1",
		Staging:     os.Getenv(envStaging) == "1",
		MaxPiece:    max(piece, 0),
		Guard:       os.Getenv(envGuard) == "1",
		Faults:      os.Getenv(envFaults),
	}
}
