//go:build goexperiment.simd && amd64

package cpu

import "simd/archsimd"

// cpuSIMDSets returns the SIMD kernel sets this CPU can run, narrowest
// first.
func cpuSIMDSets() []kernelSet {
	var sets []kernelSet
	if archsimd.X86.AVX2() {
		sets = append(sets, kernelSet{"avx2", &avx2Float32, &avx2Float64, &avx2Float16, &avx2BFloat16})
	}
	if archsimd.X86.AVX512() {
		sets = append(sets, kernelSet{"avx512", &avx512Float32, &avx512Float64, &avx512Float16, &avx512BFloat16})
	}
	return sets
}

// init registers the SIMD kernels the CPU supports; Fast uses the widest
// unless told otherwise. They give
// exactly the scalar kernels' bits: the same IEEE operations in the same
// order (no fused multiply-add, no floating-point min/max instructions:
// ranges use compares and blends, or integer min/max on sortable keys),
// gradual underflow, and the scalar NaN rules.
func init() { simdSets = cpuSIMDSets() }
