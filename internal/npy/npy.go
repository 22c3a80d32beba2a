// Package npy implements a strict reader and writer for NumPy .npy files.
//
// Only the element types needed for model tensors are supported:
// little-endian float32 ("<f4"), float64 ("<f8"), float16 ("<f2"),
// uint16 ("<u2") and opaque 16-bit words ("|V2", which NumPy uses for
// bfloat16 and other types it does not know), all in C order. Files with
// other element types, big-endian data or Fortran order are rejected with an
// [UnsupportedError]; malformed files are rejected with a [FormatError].
//
// The format is specified at
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html.
package npy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// A FormatError reports that the input is not a valid .npy file.
type FormatError string

// Error implements the error interface.
func (e FormatError) Error() string { return "npy: invalid format: " + string(e) }

// An UnsupportedError reports that the input is a well-formed .npy file that
// uses a feature this package does not implement, such as an unsupported
// element type or Fortran order.
type UnsupportedError string

// Error implements the error interface.
func (e UnsupportedError) Error() string { return "npy: unsupported " + string(e) }

// maxBytes is the largest payload, in bytes, that a header may describe.
const maxBytes = min(1<<62, math.MaxInt)

// Header is the parsed header of a .npy file.
type Header struct {
	Descr        string // dtype descriptor as in the file, e.g. "<f4", "<f8", "<f2", "<u2", "|V2"
	FortranOrder bool
	Shape        []int // empty (len 0) for a rank-0 array
}

// Elements returns the product of Shape, or an error if a dimension is
// negative or the product (or product*ItemSize) overflows int or exceeds
// 1<<62 bytes. Zero-sized dimensions do not excuse an overflow of the other
// dimensions, as in NumPy. If Descr is not supported, an item size of one
// byte is assumed for the size check.
func (h Header) Elements() (int, error) {
	size, err := h.ItemSize()
	if err != nil {
		size = 1
	}
	n, nbytes, empty := 1, size, false
	for _, d := range h.Shape {
		switch {
		case d < 0:
			return 0, FormatError(fmt.Sprintf("negative dimension %d in shape %s", d, clip(shapeString(h.Shape))))
		case d == 0:
			empty = true
		case nbytes > maxBytes/d:
			return 0, FormatError(fmt.Sprintf("shape %s is too large", clip(shapeString(h.Shape))))
		default:
			// n <= nbytes, so n*d cannot overflow either.
			nbytes *= d
			n *= d
		}
	}
	if empty {
		return 0, nil
	}
	return n, nil
}

// ItemSize returns the byte size of one element for the supported
// descriptors, or an [UnsupportedError] for any other descriptor.
func (h Header) ItemSize() (int, error) {
	switch h.Descr {
	case "<f4":
		return 4, nil
	case "<f8":
		return 8, nil
	case "<f2", "<u2", "|V2":
		return 2, nil
	}
	return 0, UnsupportedError(fmt.Sprintf("dtype %q", clip(h.Descr)))
}

// shapeString formats a shape the way Python formats a tuple of ints.
func shapeString(shape []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, d := range shape {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// clip shortens s for use in an error message.
func clip(s string) string {
	const n = 80
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

// nativeLittleEndian reports whether the host stores multi-byte values
// least significant byte first, in which case payloads are copied directly
// between the stream and the typed slices. Tests clear it to exercise the
// portable path.
var nativeLittleEndian = isLittleEndian()

func isLittleEndian() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}

// element is the set of Go types that hold decoded elements.
type element interface {
	float32 | float64 | uint16
}

// asBytes returns the memory of s as a byte slice, in host byte order.
func asBytes[T element](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}
