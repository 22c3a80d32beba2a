package safetensors

import (
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allocated returns the bytes f allocates.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// leastAllocated is the least that allocated reports over three runs of
// f. TotalAlloc counts every goroutine's allocations, the runtime's and
// the testing package's included; under emulation a run is slow enough
// for those to add a few kilobytes, and the least of three runs leaves
// only what f allocates itself.
func leastAllocated(f func()) uint64 {
	least := allocated(f)
	for range 2 {
		least = min(least, allocated(f))
	}
	return least
}

// file is a safetensors file of the given header and data.
func file(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// TestHostileHeaders: headers that claim huge shapes (overflowing shape ×
// itemsize), negative or overflowing offsets, lengths beyond the file,
// names that are not UTF-8, deep nesting or 100 MB get one clear error,
// and ReadHeader allocates in proportion to the bytes it was given, never
// to a number read from them.
func TestHostileHeaders(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		msg  string
	}{
		{"shape × itemsize overflows", file(`{"t":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,0]}}`, nil), "overflows"},
		{"2^40 elements, no data", file(`{"t":{"dtype":"F32","shape":[1099511627776],"data_offsets":[0,4398046511104]}}`, nil), "beyond data buffer"},
		{"negative offset", file(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, nil), "data_offsets is not a pair of non-negative integers"},
		{"offset beyond int64", file(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,9223372036854775808]}}`, nil), "data_offsets is not a pair"},
		{"offsets reversed", file(`{"t":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}`, make([]byte, 8)), "begin 8 > end 4"},
		{"header length beyond the file", append(binary.LittleEndian.AppendUint64(nil, 90_000_000), `{}`...), "beyond file size"},
		{"header length over 100 MB", append(binary.LittleEndian.AppendUint64(nil, 100_000_001), `{}`...), "exceeds limit"},
		{"header length 2^64-1", append(binary.LittleEndian.AppendUint64(nil, 1<<64-1), `{}`...), "exceeds limit"},
		{"name not UTF-8", file("{\"\xff\xfe\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", make([]byte, 4)), "UTF-8"},
		{"deeply nested metadata", file(`{"__metadata__":`+strings.Repeat("[", 200_000)+strings.Repeat("]", 200_000)+`}`, nil), "invalid format"},
		{"deeply nested shape", file(`{"t":{"dtype":"F32","shape":`+strings.Repeat("[", 200_000)+strings.Repeat("]", 200_000)+`,"data_offsets":[0,0]}}`, nil), "max depth"},
		{"a million dimensions", file(`{"t":{"dtype":"F32","shape":[`+strings.Repeat("2,", 1_000_000)+`2],"data_offsets":[0,4]}}`, make([]byte, 4)), "1000001 dimensions, more than the 1024"},
		{"1025 dimensions", file(`{"t":{"dtype":"F32","shape":[`+strings.Repeat("1,", 1024)+`1],"data_offsets":[0,4]}}`, make([]byte, 4)), "1025 dimensions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			n := allocated(func() { _, err = ReadHeader(bytes.NewReader(tc.file), int64(len(tc.file))) })
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Less(t, n, uint64(16*len(tc.file)+(1<<16)), "%d bytes allocated for a %d-byte file", n, len(tc.file))
		})
	}
}

// TestHeaderOf100MB reads a valid header of almost 100 MB (metadata
// padded out): it is accepted, and what is allocated stays a small
// multiple of it, with or without the race detector: about 2x to read
// it (readN) and 2.7x for the json.Decoder's buffer, which holds the
// whole run of padding.
func TestHeaderOf100MB(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100 MB header")
	}
	pad := strings.Repeat(" ", MaxHeaderLen-200)
	h := `{"__metadata__":{"pad":"x"}` + pad + `,"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	f := file(h, make([]byte, 4))
	var err error
	n := allocated(func() { _, err = ReadHeader(bytes.NewReader(f), int64(len(f))) })
	require.NoError(t, err)
	assert.Less(t, n, uint64(6*len(f)), "%d bytes allocated for a %d-byte header", n, len(h))
}

// TestReadNAllocates: readN costs 2n for n bytes (chunks, then the
// joined slice), also under the race detector, whose instrumentation
// doubles what io.ReadAll allocates; and a stream that ends early costs
// in proportion to what it held, not to the n it was asked for.
func TestReadNAllocates(t *testing.T) {
	const n = 8 << 20
	in := bytes.Repeat([]byte("0123456789abcdef"), n/16)
	var got []byte
	var err error
	a := leastAllocated(func() { got, err = readN(bytes.NewReader(in), n) })
	require.NoError(t, err)
	require.Equal(t, in, got)
	assert.LessOrEqual(t, a, uint64(2*n+(1<<12)), "%d bytes allocated to read %d", a, n)

	const short = 1 << 20
	a = leastAllocated(func() { got, err = readN(bytes.NewReader(in[:short]), MaxHeaderLen) })
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Nil(t, got)
	assert.Less(t, a, uint64(2*short+firstChunk), "%d bytes allocated for a %d-byte stream", a, short)

	for _, m := range []int{2, firstChunk - 1, firstChunk, firstChunk + 1, 5*firstChunk + 3} {
		got, err := readN(bytes.NewReader(in[:m+10]), m)
		require.NoError(t, err)
		assert.Equal(t, in[:m], got, "n = %d", m)
	}
}

func TestParseInts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int64
		ok   bool
	}{
		{"[]", []int64{}, true},
		{" [ 1 , 2,3 ] ", []int64{1, 2, 3}, true},
		{"[0]", []int64{0}, true},
		{"[9223372036854775807]", []int64{9223372036854775807}, true},
		{"[9223372036854775808]", nil, false},
		{"[-1]", nil, false},
		{"[01]", nil, false},
		{"[1.5]", nil, false},
		{"[1e3]", nil, false},
		{"[1,]", nil, false},
		{"[,1]", nil, false},
		{"[1 2]", nil, false},
		{"[1", nil, false},
		{"1", nil, false},
		{`["1"]`, nil, false},
		{"[1]x", nil, false},
	} {
		got, ok := parseInts([]byte(tc.in), 64)
		assert.Equal(t, tc.ok, ok, tc.in)
		if tc.ok {
			assert.Equal(t, tc.want, got, tc.in)
		}
	}
}
