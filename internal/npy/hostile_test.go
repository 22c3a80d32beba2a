package npy

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// header builds a version-1 (or 2, with v2) .npy file with the given
// header dictionary text and payload.
func header(dict string, v2 bool, payload []byte) []byte {
	b := []byte("\x93NUMPY")
	if v2 {
		b = append(b, 2, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(dict)))
	} else {
		b = append(b, 1, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(dict)))
	}
	b = append(b, dict...)
	return append(b, payload...)
}

// TestHostileHeaders: headers that claim huge shapes, overflowing sizes,
// lengths beyond the file, deep nesting or bytes that are not text get a
// FormatError, and what Read allocates stays small: nothing is sized
// from an unchecked header field.
func TestHostileHeaders(t *testing.T) {
	dict := func(shape string) string {
		return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }\n"
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"2^40 elements in a small file", header(dict("(1099511627776,)"), false, make([]byte, 64))},
		{"shape product overflows", header(dict("(4294967296, 4294967296, 4294967296)"), false, nil)},
		{"dimension beyond int64", header(dict("(99999999999999999999,)"), false, nil)},
		{"negative dimension", header(dict("(-1, 4)"), false, nil)},
		{"header length beyond the file", append([]byte("\x93NUMPY\x02\x00"), 0xff, 0xff, 0xff, 0x7f, '{')},
		{"deeply nested shape", header(dict(strings.Repeat("(", 100_000)+strings.Repeat(")", 100_000)), true, nil)},
		{"a million dimensions", header(dict("("+strings.Repeat("1,", 1_000_000)+")"), true, nil)},
		{"bytes that are not text", header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), '\xff\xfe': 1}\n", false, make([]byte, 8))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = Read(bytes.NewReader(tc.file), int64(len(tc.file))) })
			var fe FormatError
			assert.ErrorAs(t, err, &fe, "%v", err)
			// Proportional to the input; the race detector adds its own.
			assert.Less(t, n, uint64(8*len(tc.file)+(1<<16)), "%d bytes allocated for a %d-byte file", n, len(tc.file))
		})
	}
}
