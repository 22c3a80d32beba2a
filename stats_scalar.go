//go:build !(goexperiment.simd && amd64)

package qdq

// compareFloat32 is the portable loop.
func compareFloat32(x, y []float32) ErrorStats { return compareFloat32Scalar(x, y) }
