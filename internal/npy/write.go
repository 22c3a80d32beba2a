package npy

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// Write encodes a C-order array as a .npy file, byte for byte as NumPy's
// np.save does: a version 1.0 header (2.0 when the header exceeds 65535
// bytes) padded with spaces and a final '\n' so that the payload starts at
// a multiple of 64 bytes, then the data little-endian.
//
// data must be a []float32 for descr "<f4", a []float64 for "<f8", or a
// []uint16 for "<f2", "<u2" or "|V2", and its length must be the product of
// shape. Other descriptors are reported with an [UnsupportedError], and an
// invalid shape as by [Header.Elements].
func Write(w io.Writer, descr string, shape []int, data any) error {
	h := Header{Descr: descr, Shape: shape}
	if _, err := h.ItemSize(); err != nil {
		return err
	}
	var (
		length  int
		typeOK  bool
		payload func() error
	)
	switch s := data.(type) {
	case []float32:
		length, typeOK = len(s), descr == "<f4"
		payload = func() error {
			return writePayload(w, s, 4, func(b []byte, i int) {
				binary.LittleEndian.PutUint32(b, math.Float32bits(s[i]))
			})
		}
	case []float64:
		length, typeOK = len(s), descr == "<f8"
		payload = func() error {
			return writePayload(w, s, 8, func(b []byte, i int) {
				binary.LittleEndian.PutUint64(b, math.Float64bits(s[i]))
			})
		}
	case []uint16:
		length, typeOK = len(s), descr != "<f4" && descr != "<f8"
		payload = func() error {
			return writePayload(w, s, 2, func(b []byte, i int) {
				binary.LittleEndian.PutUint16(b, s[i])
			})
		}
	}
	if !typeOK {
		return fmt.Errorf("npy: cannot write %T as dtype %q", data, clip(descr))
	}
	n, err := h.Elements()
	if err != nil {
		return err
	}
	if n != length {
		return fmt.Errorf("npy: shape %s needs %d elements, data has %d", clip(shapeString(shape)), n, length)
	}
	if _, err := w.Write(encodeHeader(descr, shape)); err != nil {
		return err
	}
	return payload()
}

// writePayload writes s little-endian. On little-endian hosts it writes the
// memory of s directly; otherwise it encodes chunks, storing element i into
// b (size bytes) with put(b, i).
func writePayload[T element](w io.Writer, s []T, size int, put func(b []byte, i int)) error {
	if len(s) == 0 {
		return nil
	}
	if nativeLittleEndian {
		_, err := w.Write(asBytes(s))
		return err
	}
	total := len(s) * size
	buf := make([]byte, min(chunkSize, total))
	for done := 0; done < total; {
		b := buf[:min(len(buf), total-done)]
		for j := 0; j < len(b); j += size {
			put(b[j:j+size], (done+j)/size)
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		done += len(b)
	}
	return nil
}
