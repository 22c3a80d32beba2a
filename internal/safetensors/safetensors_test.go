package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// build returns a file with the given raw header (unpadded) followed by
// dataLen bytes of data.
func build(header string, dataLen int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, dataLen)...)
}

// writeFile writes tensors with data[i] as tensor i's bytes.
func writeFile(t testing.TB, tensors []Tensor, md map[string]string, data [][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, tensors, md)
	require.NoError(t, err)
	for _, d := range data {
		require.NoError(t, w.WriteTensor(d))
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

var allDTypes = []string{"BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "I64", "U64", "F64"}

func TestItemSize(t *testing.T) {
	want := []int{1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 8, 8, 8}
	for i, dt := range allDTypes {
		n, ok := ItemSize(dt)
		assert.True(t, ok, dt)
		assert.Equal(t, want[i], n, dt)
	}
	for _, dt := range []string{"", "f32", "Q4", "F4", "F6_E2M3"} {
		n, ok := ItemSize(dt)
		assert.False(t, ok, dt)
		assert.Zero(t, n, dt)
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		dtype string
		shape []int
		want  int64
		ok    bool
	}{
		{"F32", []int{3, 5}, 60, true},
		{"F32", nil, 4, true},
		{"F8_E8M0", []int{7}, 7, true},
		{"C64", []int{2}, 16, true},
		{"F4", []int{6}, 3, true},
		{"F4", []int{3}, 0, false},
		{"F6_E3M2", []int{4}, 3, true},
		{"F6_E2M3", []int{2}, 0, false},
		{"F32", []int{-1}, 0, false},
		{"F64", []int{1 << 31, 1 << 31}, 0, false},
		{"Q4", []int{2}, 0, false},
	} {
		n, ok := ByteSize(tc.dtype, tc.shape)
		assert.Equal(t, tc.ok, ok, "%s %v", tc.dtype, tc.shape)
		assert.Equal(t, tc.want, n, "%s %v", tc.dtype, tc.shape)
	}
}

func TestRoundTrip(t *testing.T) {
	var every []Tensor
	for i, dt := range allDTypes {
		every = append(every, Tensor{Name: "t_" + dt, DType: dt, Shape: []int{i%3 + 1, 2}})
	}
	tests := []struct {
		name    string
		tensors []Tensor
		md      map[string]string
	}{
		{"empty file", nil, nil},
		{"empty metadata", nil, map[string]string{}},
		{"every dtype", every, map[string]string{"format": "pt", "k<&>": "v\"\\\n\u00e9"}},
		{"rank 0", []Tensor{{Name: "s", DType: "F64", Shape: []int{}}, {Name: "s2", DType: "U8"}}, nil},
		{"empty tensors", []Tensor{
			{Name: "e0", DType: "F32", Shape: []int{0}},
			{Name: "x", DType: "I16", Shape: []int{3}},
			{Name: "e1", DType: "BF16", Shape: []int{3, 0, 5}},
			{Name: "e2", DType: "BOOL", Shape: []int{0}},
		}, map[string]string{"a": ""}},
		{"unicode names", []Tensor{{Name: "häde/\u4e16.weight", DType: "F16", Shape: []int{1}}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var data [][]byte
			var want []Tensor
			var pos int64
			for i, tt := range tc.tensors {
				item, _ := ItemSize(tt.DType)
				n := item
				for _, d := range tt.Shape {
					n *= d
				}
				d := bytes.Repeat([]byte{byte(i + 1)}, n)
				data = append(data, d)
				tt.Begin, tt.End = pos, pos+int64(n)
				if tt.Shape == nil {
					tt.Shape = []int{}
				}
				pos += int64(n)
				want = append(want, tt)
			}
			file := writeFile(t, tc.tensors, tc.md, data)

			for _, size := range []int64{int64(len(file)), -1} {
				r := bytes.NewReader(file)
				f, err := ReadHeader(r, size)
				require.NoError(t, err)
				assert.Equal(t, want, f.Tensors)
				assert.Equal(t, tc.md, f.Metadata)
				assert.Zero(t, (f.DataOffset-8)%8, "header padded to a multiple of 8")
				assert.Equal(t, int64(8+len(f.HeaderJSON)), f.DataOffset)
				assert.Equal(t, file[8:f.DataOffset], f.HeaderJSON)
				rest, err := io.ReadAll(r)
				require.NoError(t, err)
				assert.Equal(t, file[f.DataOffset:], rest, "reader left at data start")
				for i, tt := range f.Tensors {
					assert.Equal(t, data[i], rest[tt.Begin:tt.End], tt.Name)
				}
			}
		})
	}
}

// TestReferenceBytes checks the writer's exact output against bytes built
// by hand from the format spec (the Python package is not available
// here): compact JSON, __metadata__ first, fields in the order dtype,
// shape, data_offsets, and space padding to a multiple of 8.
func TestReferenceBytes(t *testing.T) {
	tests := []struct {
		name    string
		tensors []Tensor
		md      map[string]string
		data    [][]byte
		header  string // unpadded
		pad     int
	}{
		{"no tensors", nil, nil, nil, `{}`, 6},
		{"one tensor", []Tensor{{Name: "a", DType: "F32", Shape: []int{2}}}, map[string]string{"k": "v"},
			[][]byte{{1, 2, 3, 4, 5, 6, 7, 8}},
			`{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 1},
		{"exact multiple", []Tensor{{Name: "abcde", DType: "U8", Shape: []int{}}}, nil, [][]byte{{9}},
			`{"abcde":{"dtype":"U8","shape":[],"data_offsets":[0,1]}}`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, 0, (len(tc.header)+tc.pad)%8, "test case padding")
			want := build(tc.header+strings.Repeat(" ", tc.pad), 0)
			for _, d := range tc.data {
				want = append(want, d...)
			}
			got := writeFile(t, tc.tensors, tc.md, tc.data)
			assert.Equal(t, string(want), string(got))
		})
	}
	// A hand-built unpadded header (as some writers produce) is accepted.
	unpadded := build(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4)
	f, err := ReadHeader(bytes.NewReader(unpadded), int64(len(unpadded)))
	require.NoError(t, err)
	assert.Equal(t, []Tensor{{Name: "a", DType: "F32", Shape: []int{1}, Begin: 0, End: 4}}, f.Tensors)
}

func TestLayoutOrder(t *testing.T) {
	// Header order differs from layout order; ReadHeader sorts by offset.
	h := `{"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]},` +
		`"z":{"dtype":"U8","shape":[0],"data_offsets":[2,2]},` +
		`"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},` +
		`"y":{"dtype":"U8","shape":[0],"data_offsets":[2,2]}}`
	f, err := ReadHeader(bytes.NewReader(build(h, 4)), int64(8+len(h)+4))
	require.NoError(t, err)
	var names []string
	for _, tt := range f.Tensors {
		names = append(names, tt.Name)
	}
	assert.Equal(t, []string{"a", "z", "y", "b"}, names)
	assert.Nil(t, f.Metadata)
}

func entry(dtype, shape string, b, e int) string {
	return fmt.Sprintf(`{"dtype":%q,"shape":%s,"data_offsets":[%d,%d]}`, dtype, shape, b, e)
}

func TestReadHeaderErrors(t *testing.T) {
	lenOnly := func(n uint64, rest string) []byte {
		return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
	}
	good := entry("F32", "[2]", 0, 8)
	deep := `{"a":` + strings.Repeat("[", 200000) + strings.Repeat("]", 200000) + `}`
	tests := []struct {
		name  string
		file  []byte
		size  int64 // 0 means len(file)
		kind  string
		inMsg string
	}{
		{"empty input", nil, 0, "eof", ""},
		{"short length", []byte{1, 2, 3}, 0, "eof", ""},
		{"header beyond file", lenOnly(100, "{}"), 0, "format", "beyond file size"},
		{"header over limit", lenOnly(MaxHeaderLen+1, "{}"), -1, "format", "exceeds limit"},
		{"huge header length", lenOnly(1<<63, "{}"), -1, "format", "exceeds limit"},
		{"header too short", lenOnly(1, "{"), 0, "format", "too short"},
		{"truncated stream", lenOnly(100, "{}"), -1, "eof", ""},
		{"invalid utf8", build("{\"a\xff\":"+good+"}", 8), 0, "format", "UTF-8"},
		{"not an object", build(`[1, 2]`, 0), 0, "format", "start with"},
		{"leading space", build(` {}`, 0), 0, "format", "start with"},
		{"invalid json", build(`{"a":`, 0), 0, "format", "header"},
		{"invalid json value", build(`{"a":{"dtype":F32}}`, 0), 0, "format", `"a"`},
		{"trailing data", build(`{} {}`, 0), 0, "format", "trailing"},
		{"trailing garbage", build(`{}x`, 0), 0, "format", ""},
		{"duplicate tensor", build(`{"a":`+good+`,"a":`+good+`}`, 16), 0, "format", `duplicate key "a"`},
		{"duplicate field", build(`{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8), 0, "format", `tensor "a": duplicate key "dtype"`},
		{"duplicate metadata", build(`{"__metadata__":{"k":"1","k":"2"}}`, 0), 0, "format", `duplicate key "k"`},
		{"duplicate metadata key", build(`{"__metadata__":{},"__metadata__":{}}`, 0), 0, "format", `duplicate key "__metadata__"`},
		{"entry not object", build(`{"a":[1]}`, 0), 0, "format", `tensor "a": not a JSON object`},
		{"entry null", build(`{"a":null}`, 0), 0, "format", `tensor "a"`},
		{"missing dtype", build(`{"a":{"shape":[2],"data_offsets":[0,8]}}`, 8), 0, "format", `tensor "a": missing dtype`},
		{"missing shape", build(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, 8), 0, "format", `tensor "a": missing shape`},
		{"missing offsets", build(`{"a":{"dtype":"F32","shape":[2]}}`, 8), 0, "format", `tensor "a": missing data_offsets`},
		{"extra field", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`, 8), 0, "format", `tensor "a": unknown field "x"`},
		{"dtype not string", build(`{"a":{"dtype":5,"shape":[2],"data_offsets":[0,8]}}`, 8), 0, "format", `tensor "a": dtype`},
		{"unknown dtype", build(`{"a":`+entry("Q4", "[2]", 0, 8)+`}`, 8), 0, "unsupported", `tensor "a": dtype "Q4"`},
		{"negative dim", build(`{"a":`+entry("F32", "[-2]", 0, 8)+`}`, 8), 0, "format", `tensor "a": shape`},
		{"fractional dim", build(`{"a":`+entry("F32", "[2.0]", 0, 8)+`}`, 8), 0, "format", `tensor "a": shape`},
		{"shape null", build(`{"a":`+entry("F32", "null", 0, 0)+`}`, 0), 0, "format", `tensor "a": shape`},
		{"shape string", build(`{"a":`+entry("F32", `"2"`, 0, 8)+`}`, 8), 0, "format", `tensor "a": shape`},
		{"dim too big", build(`{"a":`+entry("F32", "[99999999999999999999]", 0, 8)+`}`, 8), 0, "format", `tensor "a": shape`},
		{"size overflow", build(`{"a":`+entry("F32", "[4611686018427387904,2]", 0, 8)+`}`, 8), 0, "format", `tensor "a": size of shape`},
		{"size overflow item", build(`{"a":`+entry("F64", "[2305843009213693952]", 0, 8)+`}`, 8), 0, "format", `tensor "a": size of shape`},
		{"size mismatch", build(`{"a":`+entry("F32", "[3]", 0, 8)+`}`, 8), 0, "format", `tensor "a": shape [3] of F32 needs 12 bytes`},
		{"offsets not pair", build(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}`, 8), 0, "format", `tensor "a": data_offsets`},
		{"negative offset", build(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[-2,0]}}`, 8), 0, "format", `tensor "a": data_offsets`},
		{"begin after end", build(`{"a":`+entry("U8", "[0]", 8, 0)+`}`, 8), 0, "format", `tensor "a": data_offsets begin 8 > end 0`},
		{"beyond buffer", build(`{"a":`+entry("F32", "[2]", 0, 8)+`}`, 4), 0, "format", `tensor "a": data_offsets [0, 8] beyond data buffer`},
		{"overlap", build(`{"a":`+good+`,"b":`+entry("F32", "[2]", 4, 12)+`}`, 12), 0, "format", `tensor "b": data_offsets [4, 12] overlap`},
		{"gap", build(`{"a":`+entry("F32", "[1]", 0, 4)+`,"b":`+entry("F32", "[1]", 8, 12)+`}`, 12), 0, "format", `tensor "b": data_offsets [8, 12] leave a gap`},
		{"not from zero", build(`{"a":`+entry("F32", "[1]", 4, 8)+`}`, 8), -1, "format", `tensor "a"`},
		{"buffer not covered", build(`{"a":`+good+`}`, 9), 0, "format", "cover 8 bytes but data buffer is 9"},
		{"metadata not string", build(`{"__metadata__":{"k":1}}`, 0), 0, "format", `value of "k" is not a string`},
		{"metadata nested", build(`{"__metadata__":{"k":{"x":"y"}}}`, 0), 0, "format", `value of "k"`},
		{"metadata not object", build(`{"__metadata__":"x"}`, 0), 0, "format", `__metadata__: not a JSON object`},
		{"empty name", build(`{"":`+good+`}`, 8), 0, "format", "empty tensor name"},
		{"deep nesting", build(deep, 0), 0, "format", `"a"`},
		{"deep metadata", build(`{"__metadata__":{"k":`+strings.Repeat(`{"k":`, 100000)+`}`, 0), 0, "format", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			size := tc.size
			if size == 0 {
				size = int64(len(tc.file))
			}
			f, err := ReadHeader(bytes.NewReader(tc.file), size)
			require.Error(t, err)
			assert.Nil(t, f)
			switch tc.kind {
			case "format":
				var fe FormatError
				require.ErrorAs(t, err, &fe)
				assert.True(t, strings.HasPrefix(err.Error(), "safetensors: invalid format: "), err.Error())
			case "unsupported":
				var ue UnsupportedError
				require.ErrorAs(t, err, &ue)
				assert.True(t, strings.HasPrefix(err.Error(), "safetensors: unsupported feature: "), err.Error())
			case "eof":
				require.ErrorIs(t, err, io.ErrUnexpectedEOF)
			}
			assert.Contains(t, err.Error(), tc.inMsg)
		})
	}
}

func TestReadHeaderReaderError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(build(`{}`, 0)[:9]), errReader{boom})
	_, err := ReadHeader(r, -1)
	assert.ErrorIs(t, err, boom)
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

type errWriter struct{ n int }

func (w *errWriter) Write(p []byte) (int, error) {
	if w.n <= 0 {
		return 0, errors.New("write failed")
	}
	w.n--
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	f32 := func(name string, shape ...int) Tensor { return Tensor{Name: name, DType: "F32", Shape: shape} }
	tests := []struct {
		name    string
		tensors []Tensor
		md      map[string]string
		inMsg   string
	}{
		{"empty name", []Tensor{f32("")}, nil, "name is empty"},
		{"invalid utf8 name", []Tensor{f32("a\xff")}, nil, "not valid UTF-8"},
		{"reserved name", []Tensor{f32("__metadata__")}, nil, "reserved"},
		{"duplicate", []Tensor{f32("a"), f32("a")}, nil, `duplicate tensor name "a"`},
		{"negative dim", []Tensor{f32("a", -1)}, nil, `tensor "a": shape`},
		{"overflow", []Tensor{f32("a", 1<<62, 2)}, nil, `tensor "a": shape`},
		{"total overflow", []Tensor{f32("a", 1<<60), f32("b", 1<<60)}, nil, `tensor "b": shape`},
		{"bad metadata", nil, map[string]string{"k": "\xff"}, `metadata "k"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := NewWriter(&buf, tc.tensors, tc.md)
			require.Error(t, err)
			assert.Nil(t, w)
			assert.Contains(t, err.Error(), tc.inMsg)
			assert.Zero(t, buf.Len(), "nothing written on error")
		})
	}

	_, err := NewWriter(io.Discard, []Tensor{{Name: "q", DType: "Q4"}}, nil)
	var ue UnsupportedError
	require.ErrorAs(t, err, &ue)
	assert.Contains(t, err.Error(), `tensor "q": dtype "Q4"`)

	// Misuse of WriteTensor and Close.
	ts := []Tensor{f32("a", 1), f32("b", 2)}
	w, err := NewWriter(io.Discard, ts, nil)
	require.NoError(t, err)
	assert.ErrorContains(t, w.WriteTensor(make([]byte, 3)), `tensor "a": got 3 bytes, want 4`)
	require.NoError(t, w.WriteTensor(make([]byte, 4)))
	assert.ErrorContains(t, w.Close(), `starting at "b"`)
	require.NoError(t, w.WriteTensor(make([]byte, 8)))
	assert.ErrorContains(t, w.WriteTensor(nil), "after all tensors")
	require.NoError(t, w.Close())
	got := w.Tensors()
	assert.Equal(t, []Tensor{{Name: "a", DType: "F32", Shape: []int{1}, Begin: 0, End: 4}, {Name: "b", DType: "F32", Shape: []int{2}, Begin: 4, End: 12}}, got)
	assert.Zero(t, ts[1].Begin+ts[1].End, "caller's tensors not modified")

	// Underlying write errors are returned and sticky.
	_, err = NewWriter(&errWriter{0}, ts, nil)
	assert.ErrorContains(t, err, "write failed")
	w, err = NewWriter(&errWriter{2}, ts, nil)
	require.NoError(t, err)
	assert.ErrorContains(t, w.WriteTensor(make([]byte, 4)), "write failed")
	assert.ErrorContains(t, w.Close(), "write failed")
}

func FuzzReadHeader(f *testing.F) {
	f.Add(writeFile(f, nil, nil, nil))
	f.Add(writeFile(f, []Tensor{{Name: "a", DType: "F32", Shape: []int{2}}, {Name: "e", DType: "U8", Shape: []int{0}}, {Name: "s", DType: "BF16"}},
		map[string]string{"k": "v"}, [][]byte{make([]byte, 8), nil, {1, 2}}))
	good := entry("F32", "[2]", 0, 8)
	for _, h := range []string{
		`{"a":` + good + `,"a":` + good + `}`,
		`{"a":` + good + `,"b":` + entry("F32", "[2]", 4, 12) + `}`,
		`{"a":` + entry("F32", "[1]", 0, 4) + `,"b":` + entry("F32", "[1]", 8, 12) + `}`,
		`{"a":` + entry("Q4", "[2]", 0, 8) + `}`,
		`{"a":` + entry("F32", "[4611686018427387904,2]", 0, 8) + `}`,
		`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}`,
		`{"__metadata__":{"k":1}}`,
		`{"a":[[[[[[]]]]]]}`,
		`{} x`,
	} {
		f.Add(build(h, 8))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, size := range []int64{int64(len(b)), -1} {
			file, err := ReadHeader(bytes.NewReader(b), size)
			if err != nil {
				continue
			}
			if file.DataOffset != int64(8+len(file.HeaderJSON)) {
				t.Fatalf("DataOffset %d, header %d bytes", file.DataOffset, len(file.HeaderJSON))
			}
			seen := map[string]bool{}
			var pos int64
			for _, tt := range file.Tensors {
				if tt.Name == "" || seen[tt.Name] || tt.Name == metadataKey {
					t.Fatalf("bad or duplicate name %q", tt.Name)
				}
				seen[tt.Name] = true
				if tt.Begin != pos || tt.End < tt.Begin {
					t.Fatalf("tensor %q at [%d, %d], want begin %d", tt.Name, tt.Begin, tt.End, pos)
				}
				n, ok := ByteSize(tt.DType, tt.Shape)
				if !ok {
					t.Fatalf("tensor %q: %s %v accepted", tt.Name, tt.DType, tt.Shape)
				}
				if n != tt.End-tt.Begin {
					t.Fatalf("tensor %q: %d bytes, offsets span %d", tt.Name, n, tt.End-tt.Begin)
				}
				pos = tt.End
			}
			if size >= 0 && file.DataOffset+pos != size {
				t.Fatalf("tensors end at %d, file is %d bytes", file.DataOffset+pos, size)
			}
		}
	})
}
