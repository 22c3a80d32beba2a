package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// chunkSize is the buffer size for byte-order conversion on big-endian
// hosts. It is a multiple of every item size.
const chunkSize = 64 << 10

// Array is a decoded array. Exactly one of F32, F64 and U16 is non-nil; for
// an empty array the one matching Descr is a non-nil empty slice. Elements
// are in C (row-major) order.
type Array struct {
	Header
	F32 []float32 // "<f4"
	F64 []float64 // "<f8"
	U16 []uint16  // "<f2" (IEEE half bits), "<u2" or "|V2" (raw 16-bit words, e.g. bfloat16)
}

// Read decodes a whole .npy stream. limit is the most payload bytes it may
// allocate (callers pass the file size); a header claiming more is a
// [FormatError] before any allocation. Trailing bytes after the payload and
// a short payload are also FormatErrors. Errors from r other than io.EOF are
// returned as they are.
func Read(r io.Reader, limit int64) (*Array, error) {
	h, _, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	n, err := h.Elements()
	if err != nil {
		return nil, err
	}
	size, err := h.ItemSize()
	if err != nil {
		return nil, err
	}
	if nbytes := int64(n) * int64(size); nbytes > limit {
		return nil, FormatError(fmt.Sprintf("payload of %d bytes exceeds limit of %d bytes", nbytes, limit))
	}
	a := &Array{Header: h}
	switch h.Descr {
	case "<f4":
		a.F32 = make([]float32, n)
		err = readPayload(r, a.F32, 4, func(b []byte, i int) {
			a.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(b))
		})
	case "<f8":
		a.F64 = make([]float64, n)
		err = readPayload(r, a.F64, 8, func(b []byte, i int) {
			a.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(b))
		})
	default:
		a.U16 = make([]uint16, n)
		err = readPayload(r, a.U16, 2, func(b []byte, i int) {
			a.U16[i] = binary.LittleEndian.Uint16(b)
		})
	}
	if err != nil {
		return nil, err
	}
	var extra [1]byte
	switch k, err := io.ReadFull(r, extra[:]); {
	case k > 0:
		return nil, FormatError("trailing data after payload")
	case !errors.Is(err, io.EOF):
		return nil, err
	}
	return a, nil
}

// readPayload fills s from r. On little-endian hosts it reads straight into
// the memory of s; otherwise it reads chunks of little-endian data and
// stores element i with set(b, i), where b holds its size bytes.
func readPayload[T element](r io.Reader, s []T, size int, set func(b []byte, i int)) error {
	total := len(s) * size
	if nativeLittleEndian {
		return readPayloadBytes(r, asBytes(s), 0, total)
	}
	buf := make([]byte, min(chunkSize, total))
	for done := 0; done < total; {
		b := buf[:min(len(buf), total-done)]
		if err := readPayloadBytes(r, b, done, total); err != nil {
			return err
		}
		for j := 0; j < len(b); j += size {
			set(b[j:j+size], (done+j)/size)
		}
		done += len(b)
	}
	return nil
}

// readPayloadBytes fills b, which starts done bytes into a payload of total
// bytes, reporting a premature end of input as a FormatError.
func readPayloadBytes(r io.Reader, b []byte, done, total int) error {
	n, err := io.ReadFull(r, b)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return FormatError(fmt.Sprintf("payload too short: got %d of %d bytes", done+n, total))
	}
	return err
}
