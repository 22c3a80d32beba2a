package qdq

import (
	"fmt"
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/x448/float16"
)

// Tensor is a dense, row-major tensor: a dtype, a shape and a typed slice
// of elements. Construct one with NewTensor or ZerosLike; the zero value
// is invalid. A Tensor shares its data slice with the caller (no copy is
// made) and is a small value, cheap to pass by value.
type Tensor struct {
	dtype DType
	shape []int
	f32   []float32
	f64   []float64
	b16   []uint16 // float16 or bfloat16 bit patterns
}

// NewTensor returns a tensor viewing data with the given shape. A nil
// shape means one dimension of len(data), as everywhere in the package;
// a scalar (rank 0, one element) is the empty shape []int{}. The data
// length must equal the product of the dimensions, and no dimension may
// be negative.
func NewTensor[T Element](shape []int, data []T) (Tensor, error) {
	t := Tensor{dtype: dtypeOf[T](), shape: shapeOf(shape, len(data))}
	switch d := any(data).(type) {
	case []float32:
		t.f32 = d
	case []float64:
		t.f64 = d
	case []float16.Float16:
		t.b16 = bitsOf(d)
	case []BFloat16:
		t.b16 = bitsOf(d)
	}
	return t, t.check()
}

// NewTensorBits returns a Float16 or BFloat16 tensor viewing raw 16-bit
// patterns, as read from a file; shape is as NewTensor's.
func NewTensorBits(dtype DType, shape []int, data []uint16) (Tensor, error) {
	if dtype != F16 && dtype != BF16 {
		return Tensor{}, newError(ErrDType, "NewTensorBits needs float16 or bfloat16, not %v", dtype)
	}
	t := Tensor{dtype: dtype, shape: shapeOf(shape, len(data)), b16: data}
	return t, t.check()
}

// TensorFromBytes returns a tensor viewing b, the little-endian elements
// of dtype as .npy and .safetensors files hold them, sharing its memory.
// shape is as NewTensor's; b must hold exactly its elements and start at an address
// aligned to the element size (a slice from make is, and so is a
// memory-mapped file's data at an aligned offset). It fails on a
// big-endian machine.
func TensorFromBytes(dtype DType, shape []int, b []byte) (Tensor, error) {
	size := dtype.Size()
	if size == 0 {
		return Tensor{}, newError(ErrDType, "invalid dtype %v", dtype)
	}
	if !littleEndian {
		return Tensor{}, newError(ErrDType, "this machine is big-endian; the bytes are little-endian")
	}
	if len(b)%size != 0 {
		return Tensor{}, newError(ErrShape, "%d bytes are not a whole number of %v elements", len(b), dtype)
	}
	if len(b) > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%uintptr(size) != 0 {
		return Tensor{}, newError(ErrShape, "the bytes are not aligned to %v's %d-byte elements", dtype, size)
	}
	t := Tensor{dtype: dtype, shape: shapeOf(shape, len(b)/size)}
	p := unsafe.Pointer(unsafe.SliceData(b))
	switch dtype {
	case F32:
		t.f32 = unsafe.Slice((*float32)(p), len(b)/4)
	case F64:
		t.f64 = unsafe.Slice((*float64)(p), len(b)/8)
	default:
		t.b16 = unsafe.Slice((*uint16)(p), len(b)/2)
	}
	return t, t.check()
}

// String formats t as its dtype, its shape and its first elements (at most
// eight, each the shortest decimal that reads back as the value): for
// example "float32[2 3]{1, 2, 3, 4, 5, 6}", "bfloat16[4096 4096]{0.5,
// -1, ... (16777216 elements)}". The zero Tensor is "Tensor{}".
func (t Tensor) String() string {
	if t.dtype == 0 {
		return "Tensor{}"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%v%v{", t.dtype, t.shape)
	n := t.Len()
	for i := range min(n, 8) {
		if i > 0 {
			b.WriteString(", ")
		}
		bits := 32
		if t.dtype == F64 {
			bits = 64
		}
		b.WriteString(strconv.FormatFloat(t.Float64At(i), 'g', -1, bits))
	}
	if n > 8 {
		fmt.Fprintf(&b, ", ... (%d elements)", n)
	}
	b.WriteString("}")
	return b.String()
}

// Bytes returns t's elements as bytes in the machine's order
// (little-endian on every architecture qdq has kernels for), sharing its
// memory.
func (t Tensor) Bytes() []byte { return t.bytes() }

// littleEndian reports whether this machine stores numbers as .npy and
// .safetensors files do.
var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// shapeOf returns a copy of shape, or the one dimension n for a nil shape.
func shapeOf(shape []int, n int) []int {
	if shape == nil {
		return []int{n}
	}
	return append([]int{}, shape...)
}

// ZerosLike returns a new zero-filled tensor with t's dtype and shape.
func ZerosLike(t Tensor) Tensor {
	z := Tensor{dtype: t.dtype, shape: slices.Clone(t.shape)}
	n := t.Len()
	switch t.dtype {
	case F32:
		z.f32 = make([]float32, n)
	case F64:
		z.f64 = make([]float64, n)
	case F16, BF16:
		z.b16 = make([]uint16, n)
	}
	return z
}

// check validates the dtype, the shape and the data length.
func (t Tensor) check() error {
	if t.dtype < F32 || t.dtype > BF16 {
		return newError(ErrDType, "invalid tensor: dtype %v (use NewTensor)", t.dtype)
	}
	n, err := elements(t.shape)
	if err != nil {
		return err
	}
	if got := t.Len(); got != n {
		return newError(ErrShape, "data has %d elements but shape %v needs %d", got, t.shape, n)
	}
	return nil
}

// elements returns the product of shape, checking for negative dimensions
// and overflow.
func elements(shape []int) (int, error) {
	n := 1
	for i, d := range shape {
		if d < 0 {
			return 0, newError(ErrShape, "dimension %d of shape %v is negative", i, shape)
		}
		hi, lo := bits.Mul64(uint64(n), uint64(d))
		if hi != 0 || lo > uint64(maxInt) {
			return 0, newError(ErrShape, "shape %v has too many elements", shape)
		}
		n = int(lo)
	}
	return n, nil
}

const maxInt = int(^uint(0) >> 1)

// DType returns the element type.
func (t Tensor) DType() DType { return t.dtype }

// Shape returns a copy of the dimensions.
func (t Tensor) Shape() []int { return slices.Clone(t.shape) }

// Rank returns the number of dimensions.
func (t Tensor) Rank() int { return len(t.shape) }

// Len returns the number of elements.
func (t Tensor) Len() int {
	switch t.dtype {
	case F32:
		return len(t.f32)
	case F64:
		return len(t.f64)
	}
	return len(t.b16)
}

// Bits16 returns the bit patterns of a Float16 or BFloat16 tensor, sharing
// its memory, or nil for other dtypes.
func (t Tensor) Bits16() []uint16 {
	if t.dtype == F16 || t.dtype == BF16 {
		return t.b16
	}
	return nil
}

// Data returns t's elements as a []T, sharing its memory. ok is false when
// T does not match t's dtype.
func Data[T Element](t Tensor) (data []T, ok bool) {
	if t.dtype != dtypeOf[T]() {
		return nil, false
	}
	var r any
	switch t.dtype {
	case F32:
		r = t.f32
	case F64:
		r = t.f64
	case F16:
		r = fromBits[float16.Float16](t.b16)
	case BF16:
		r = fromBits[BFloat16](t.b16)
	}
	return r.([]T), true
}

// Float64At returns element i widened exactly to float64.
func (t Tensor) Float64At(i int) float64 {
	switch t.dtype {
	case F32:
		return float64(t.f32[i])
	case F64:
		return t.f64[i]
	case F16:
		return float64(float16.Frombits(t.b16[i]).Float32())
	}
	return float64(BFloat16(t.b16[i]).Float32())
}

// bytes returns t's elements as little-endian bytes, sharing its memory.
func (t Tensor) bytes() []byte {
	switch t.dtype {
	case F32:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.f32))), 4*len(t.f32))
	case F64:
		return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.f64))), 8*len(t.f64))
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(t.b16))), 2*len(t.b16))
}

func (t Tensor) memory() (start, size uintptr) {
	switch t.dtype {
	case F32:
		return uintptr(unsafe.Pointer(unsafe.SliceData(t.f32))), uintptr(len(t.f32)) * 4
	case F64:
		return uintptr(unsafe.Pointer(unsafe.SliceData(t.f64))), uintptr(len(t.f64)) * 8
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(t.b16))), uintptr(len(t.b16)) * 2
}
