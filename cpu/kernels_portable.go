//go:build purego || !amd64

package cpu

// cpuSIMDSets returns no vector kernel sets: this build has the portable
// kernels only (the purego tag, or an architecture without assembly
// kernels).
func cpuSIMDSets() []kernelSet { return nil }
