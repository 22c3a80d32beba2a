package npy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rawFile builds a .npy file from a header used exactly as given.
func rawFile(major byte, header string, payload []byte) []byte {
	b := []byte(magic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	b = append(b, header...)
	return append(b, payload...)
}

// npyFile builds a .npy file from a header dict, padded as NumPy pads it.
func npyFile(major byte, dict string, payload []byte) []byte {
	pre := 10
	if major > 1 {
		pre = 12
	}
	pad := 63 - (pre+len(dict))%64
	return rawFile(major, dict+strings.Repeat(" ", pad)+"\n", payload)
}

func f32bits(s []float32) []uint32 {
	out := make([]uint32, len(s))
	for i, v := range s {
		out[i] = math.Float32bits(v)
	}
	return out
}

func f64bits(s []float64) []uint64 {
	out := make([]uint64, len(s))
	for i, v := range s {
		out[i] = math.Float64bits(v)
	}
	return out
}

// withPortable runs f with the host byte order and, on little-endian hosts,
// again with the portable encoding/binary path.
func withPortable(t *testing.T, f func(t *testing.T)) {
	t.Run("native", f)
	if nativeLittleEndian {
		t.Run("portable", func(t *testing.T) {
			nativeLittleEndian = false
			defer func() { nativeLittleEndian = true }()
			f(t)
		})
	}
}

func TestRoundTrip(t *testing.T) {
	nan32 := math.Float32frombits(0x7fc00001)
	nan64 := math.Float64frombits(0x7ff8000000000001)
	seq := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(i)*0.25 - 3
		}
		return s
	}
	big := make([]uint16, 3*chunkSize/2+7) // spans several conversion chunks
	for i := range big {
		big[i] = uint16(i * 7919)
	}
	tests := []struct {
		name  string
		descr string
		shape []int
		data  any
	}{
		{"f4 2x3x4", "<f4", []int{2, 3, 4}, seq(24)},
		{"f4 specials", "<f4", []int{5}, []float32{float32(math.Inf(-1)), nan32, float32(math.Copysign(0, -1)), math.MaxFloat32, math.SmallestNonzeroFloat32}},
		{"f4 rank0", "<f4", []int{}, []float32{42.5}},
		{"f4 empty", "<f4", []int{0}, []float32{}},
		{"f4 empty 2x0x3", "<f4", []int{2, 0, 3}, []float32(nil)},
		{"f8 2x3x4", "<f8", []int{2, 3, 4}, f64seq(24)},
		{"f8 specials", "<f8", []int{2, 2}, []float64{math.Inf(1), nan64, math.Copysign(0, -1), math.SmallestNonzeroFloat64}},
		{"f8 rank0", "<f8", []int{}, []float64{math.Pi}},
		{"f8 empty", "<f8", []int{3, 0}, []float64{}},
		{"f2 2x3x4", "<f2", []int{2, 3, 4}, u16seq(24)},
		{"f2 rank0", "<f2", []int{}, []uint16{0x3c00}},
		{"f2 empty", "<f2", []int{0}, []uint16{}},
		{"u2 2x3x4", "<u2", []int{2, 3, 4}, u16seq(24)},
		{"u2 rank0", "<u2", []int{}, []uint16{0xffff}},
		{"u2 empty", "<u2", []int{0, 0}, []uint16{}},
		{"u2 large", "<u2", []int{len(big)}, big},
		{"V2 2x3x4", "|V2", []int{2, 3, 4}, u16seq(24)},
		{"V2 rank0", "|V2", []int{}, []uint16{0x3f80}},
		{"V2 empty", "|V2", []int{0}, []uint16{}},
		{"f4 large", "<f4", []int{chunkSize/4 + 3}, seq(chunkSize/4 + 3)},
	}
	withPortable(t, func(t *testing.T) {
		for _, tt := range tests {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, tt.descr, tt.shape, tt.data), tt.name)
			file := buf.Bytes()

			h, off, err := ReadHeader(bytes.NewReader(file))
			if assert.NoError(t, err, tt.name) {
				assert.Zero(t, off%64, tt.name)
				assert.Equal(t, Header{Descr: tt.descr, Shape: tt.shape}, h, tt.name)
			}

			a, err := Read(bytes.NewReader(file), int64(len(file)))
			if !assert.NoError(t, err, tt.name) {
				continue
			}
			assert.Equal(t, Header{Descr: tt.descr, Shape: tt.shape}, a.Header, tt.name)
			switch want := tt.data.(type) {
			case []float32:
				assert.NotNil(t, a.F32, tt.name)
				assert.Nil(t, a.F64, tt.name)
				assert.Nil(t, a.U16, tt.name)
				assert.Equal(t, f32bits(want), f32bits(a.F32), tt.name)
			case []float64:
				assert.Nil(t, a.F32, tt.name)
				assert.NotNil(t, a.F64, tt.name)
				assert.Nil(t, a.U16, tt.name)
				assert.Equal(t, f64bits(want), f64bits(a.F64), tt.name)
			case []uint16:
				assert.Nil(t, a.F32, tt.name)
				assert.Nil(t, a.F64, tt.name)
				assert.NotNil(t, a.U16, tt.name)
				assert.Equal(t, append([]uint16{}, want...), a.U16, tt.name)
			}
		}
	})
}

func f64seq(n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = float64(i)/3 - 1
	}
	return s
}

func u16seq(n int) []uint16 {
	s := make([]uint16, n)
	for i := range s {
		s[i] = uint16(0x3c00 + 17*i)
	}
	return s
}

func TestWriteMatchesNumPy(t *testing.T) {
	// Produced by NumPy 1.24's np.save for the given shape.
	want := "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" +
		strings.Repeat(" ", 58) + "\n" +
		"\x00\x00\x80\xbf\x00\x00\x40\xbf\x00\x00\x00\xbf\x00\x00\x80\xbe\x00\x00\x00\x00\x00\x00\x80\x3e"
	require.Len(t, want, 128+24)
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, "<f4", []int{2, 3}, []float32{-1, -0.75, -0.5, -0.25, 0, 0.25}))
	assert.Equal(t, want, buf.String())
}

func TestHeaderMatchesNumPy(t *testing.T) {
	// Each header is NumPy's (1.24, format._write_array_header) text up to
	// the closing brace, followed by the given number of spaces and '\n'.
	tests := []struct {
		descr  string
		shape  []int
		text   string
		spaces int
	}{
		{"<f4", []int{2, 3}, "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", 58},
		{"<f8", []int{}, "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (), }", 62},
		{"<f2", []int{0}, "\x93NUMPY\x01\x00v\x00{'descr': '<f2', 'fortran_order': False, 'shape': (0,), }", 60},
		{"<u2", []int{5}, "\x93NUMPY\x01\x00v\x00{'descr': '<u2', 'fortran_order': False, 'shape': (5,), }", 60},
		{"|V2", []int{2, 3, 4}, "\x93NUMPY\x01\x00v\x00{'descr': '|V2', 'fortran_order': False, 'shape': (2, 3, 4), }", 55},
		{"<f4", []int{0, 3}, "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (0, 3), }", 58},
		// Only 2 bytes of padding.
		{"<f4", ones(14), "\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), }", 22},
		// A full 64 bytes of padding when the header would end on a boundary.
		{"<f4", ones(36), "\x93NUMPY\x01\x00\xf6\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), }", 84},
		{"<f8", []int{math.MaxInt64}, "\x93NUMPY\x01\x00v\x00{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807,), }", 42},
		{"<f4", []int{1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000}, "\x93NUMPY\x01\x00\xb6\x00{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000), }", 56},
	}
	for _, tt := range tests {
		want := tt.text + strings.Repeat(" ", tt.spaces) + "\n"
		assert.Equal(t, want, string(encodeHeader(tt.descr, tt.shape)), "%s %v", tt.descr, tt.shape)
	}
}

func ones(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = 1
	}
	return s
}

func TestWriteVersion2(t *testing.T) {
	// A header longer than 65535 bytes needs version 2.0. The SHA-256 is of
	// the header NumPy 1.24 writes for this shape.
	shape := append([]int{0}, ones(22000)...)
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, "<f4", shape, []float32{}))
	file := buf.Bytes()
	require.Len(t, file, 66112)
	assert.Equal(t, "\x93NUMPY\x02\x004\x02\x01\x00", string(file[:12]))
	sum := sha256.Sum256(file)
	assert.Equal(t, "69e48599fb75b6f88e338253a5edfe6ad8844600991a85dcf706624b31b59c4b", hex.EncodeToString(sum[:]))

	a, err := Read(bytes.NewReader(file), 0)
	require.NoError(t, err)
	assert.Equal(t, shape, a.Shape)
	assert.Equal(t, []float32{}, a.F32)
}

func TestNumPyFiles(t *testing.T) {
	// Files written by NumPy 1.24's np.save.
	tests := []struct {
		file  string
		descr string
		shape []int
		data  any
	}{
		{"f4_2x3.npy", "<f4", []int{2, 3}, []float32{-1, -0.5, 0, 0.5, 1, 1.5}},
		{"f8_scalar.npy", "<f8", []int{}, []float64{math.Pi}},
		{"f8_empty_3x0x2.npy", "<f8", []int{3, 0, 2}, []float64{}},
		{"f2_empty.npy", "<f2", []int{0}, []uint16{}},
		{"f2_4.npy", "<f2", []int{4}, []uint16{0x3e00, 0xc000, 0x7c00, 0x7bff}},
		{"u2_5.npy", "<u2", []int{5}, []uint16{0, 1, 0x3f80, 0x7fff, 0xffff}},
		{"v2_2x3x4.npy", "|V2", []int{2, 3, 4}, u16range(24)},
	}
	withPortable(t, func(t *testing.T) {
		for _, tt := range tests {
			file, err := os.ReadFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)

			a, err := Read(bytes.NewReader(file), int64(len(file)))
			if !assert.NoError(t, err, tt.file) {
				continue
			}
			assert.Equal(t, Header{Descr: tt.descr, Shape: tt.shape}, a.Header, tt.file)
			var buf bytes.Buffer
			switch want := tt.data.(type) {
			case []float32:
				assert.Equal(t, want, a.F32, tt.file)
				assert.NoError(t, Write(&buf, a.Descr, a.Shape, a.F32), tt.file)
			case []float64:
				assert.Equal(t, want, a.F64, tt.file)
				assert.NoError(t, Write(&buf, a.Descr, a.Shape, a.F64), tt.file)
			case []uint16:
				assert.Equal(t, want, a.U16, tt.file)
				assert.NoError(t, Write(&buf, a.Descr, a.Shape, a.U16), tt.file)
			}
			assert.Equal(t, file, buf.Bytes(), "%s: Write does not reproduce NumPy's bytes", tt.file)
		}
	})
}

func u16range(n int) []uint16 {
	s := make([]uint16, n)
	for i := range s {
		s[i] = uint16(i)
	}
	return s
}

func TestNumPyUnsupportedFiles(t *testing.T) {
	tests := []struct {
		file  string
		descr string
		msg   string
	}{
		{"bad_fortran.npy", "<f4", `npy: unsupported fortran_order True`},
		{"bad_bigendian.npy", ">f4", `npy: unsupported dtype ">f4"`},
		{"bad_int32.npy", "<i4", `npy: unsupported dtype "<i4"`},
		{"bad_structured.npy", "[('a', '<f4'), ('b', '<f2')]", `npy: unsupported dtype "[('a', '<f4'), ('b', '<f2')]"`},
	}
	for _, tt := range tests {
		file, err := os.ReadFile(filepath.Join("testdata", tt.file))
		require.NoError(t, err)

		h, off, err := ReadHeader(bytes.NewReader(file))
		var ue UnsupportedError
		if assert.ErrorAs(t, err, &ue, tt.file) {
			assert.Equal(t, tt.msg, err.Error(), tt.file)
		}
		assert.Equal(t, tt.descr, h.Descr, tt.file)
		assert.EqualValues(t, 128, off, tt.file)

		_, err = Read(bytes.NewReader(file), int64(len(file)))
		assert.ErrorAs(t, err, &ue, tt.file)
	}
}

func TestReadHeaderAccepts(t *testing.T) {
	tests := []struct {
		name   string
		file   []byte
		header Header
	}{
		{"numpy style", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", nil), Header{"<f4", false, []int{2, 3}}},
		{"double quotes", npyFile(1, `{"descr": "<f8", "fortran_order": False, "shape": (4,)}`, nil), Header{"<f8", false, []int{4}}},
		{"key order", npyFile(1, "{'shape': (), 'fortran_order': False, 'descr': '|V2'}", nil), Header{"|V2", false, []int{}}},
		{"no spaces", npyFile(1, "{'descr':'<u2','fortran_order':False,'shape':(1,2,3,),}", nil), Header{"<u2", false, []int{1, 2, 3}}},
		{"extra spaces", npyFile(1, " {  'descr' :\t'<f2' , 'fortran_order' : False ,'shape' : ( 7 , ) , } ", nil), Header{"<f2", false, []int{7}}},
		{"parenthesized dims", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ((2), 3)}", nil), Header{"<f4", false, []int{2, 3}}},
		{"zero dims", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 0, -0)}", nil), Header{"<f4", false, []int{0, 0, 0}}},
		{"version 2.0", npyFile(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", nil), Header{"<f4", false, []int{5}}},
		{"version 3.0", npyFile(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", nil), Header{"<f4", false, []int{5}}},
		{"unaligned", rawFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (5,)}\n", nil), Header{"<f4", false, []int{5}}},
	}
	for _, tt := range tests {
		payload := []byte("payload")
		r := bytes.NewReader(append(tt.file, payload...))
		h, off, err := ReadHeader(r)
		if !assert.NoError(t, err, tt.name) {
			continue
		}
		assert.Equal(t, tt.header, h, tt.name)
		assert.EqualValues(t, len(tt.file), off, tt.name)
		rest, _ := io.ReadAll(r)
		assert.Equal(t, payload, rest, "%s: reader not left at the payload", tt.name)
	}
}

func TestReadErrors(t *testing.T) {
	const (
		format = iota
		unsupported
	)
	f4 := func(shape string) string {
		return "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"
	}
	valid := npyFile(1, f4("(2, 3)"), make([]byte, 24))
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	tests := []struct {
		name  string
		input []byte
		kind  int
		msg   string
	}{
		{"empty", nil, format, "truncated magic string"},
		{"bad magic", append([]byte("\x93NUMPX"), valid[6:]...), format, "bad magic"},
		{"not npy", []byte("PK\x03\x04 this is a zip file"), format, "bad magic"},
		{"version 4.0", append([]byte("\x93NUMPY\x04\x00"), valid[8:]...), unsupported, "unsupported version 4.0"},
		{"version 1.1", append([]byte("\x93NUMPY\x01\x01"), valid[8:]...), unsupported, "unsupported version 1.1"},
		{"version 0.0", append([]byte("\x93NUMPY\x00\x00"), valid[8:]...), unsupported, "unsupported version 0.0"},
		{"truncated length", valid[:9], format, "truncated header length"},
		{"truncated header", valid[:50], format, "truncated header: got 40 of 118 bytes"},
		{"header length too large", []byte("\x93NUMPY\x02\x00\xff\xff\xff\xff{}"), format, "header length 4294967295 exceeds maximum of 1048576"},
		{"empty header", rawFile(1, "", nil), format, "empty header"},
		{"no newline", rawFile(1, f4("(2, 3)")+"  ", make([]byte, 24)), format, "does not end with a newline"},
		{"not a dict", npyFile(1, "[1, 2]", nil), format, "not a dict"},
		{"missing colon", npyFile(1, "{'descr' '<f4', 'fortran_order': False, 'shape': ()}", nil), format, "expected ':' after key 'descr'"},
		{"missing comma", npyFile(1, "{'descr': '<f4' 'fortran_order': False, 'shape': ()}", nil), format, "expected ',' or '}'"},
		{"double comma", npyFile(1, "{'descr': '<f4',, 'fortran_order': False, 'shape': ()}", nil), format, "expected a string key"},
		{"unclosed dict", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()", nil), format, "expected ',' or '}'"},
		{"unterminated string", npyFile(1, "{'descr: '<f4'}", nil), format, "expected ':' after key"},
		{"unterminated string at end", npyFile(1, "{'descr': '<f4", nil), format, "unterminated string"},
		{"escape", npyFile(1, `{'descr': '\x3cf4', 'fortran_order': False, 'shape': ()}`, nil), format, "escape sequence"},
		{"non-string key", npyFile(1, "{1: '<f4'}", nil), format, "expected a string key"},
		{"missing descr", npyFile(1, "{'fortran_order': False, 'shape': ()}", nil), format, "missing key 'descr'"},
		{"missing fortran_order", npyFile(1, "{'descr': '<f4', 'shape': ()}", nil), format, "missing key 'fortran_order'"},
		{"missing shape", npyFile(1, "{'descr': '<f4', 'fortran_order': False}", nil), format, "missing key 'shape'"},
		{"duplicate key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'descr': '<f4'}", nil), format, "duplicate key 'descr'"},
		{"unknown key", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'extra': 1}", nil), format, "unknown key 'extra'"},
		{"shape not a tuple", npyFile(1, f4("(5)"), nil), format, "shape (5) is not a tuple"},
		{"shape list", npyFile(1, f4("[2, 3]"), nil), format, "shape [2, 3] is not a tuple"},
		{"bad tuple", npyFile(1, f4("(2 3)"), nil), format, `expected ',' or ')'`},
		{"tuple lone comma", npyFile(1, f4("(,)"), nil), format, `unexpected ','`},
		{"unclosed tuple", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3", nil), format, `expected ',' or ')'`},
		{"header ends in tuple", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, ", nil), format, "unexpected end of header"},
		{"float dim", npyFile(1, f4("(2.0,)"), nil), format, "invalid integer literal"},
		{"leading zero", npyFile(1, f4("(02,)"), nil), format, "invalid integer literal"},
		{"long suffix", npyFile(1, f4("(2L,)"), nil), format, "invalid integer literal"},
		{"bool dim", npyFile(1, f4("(True,)"), nil), format, "dimension True in shape (True,) is not an integer"},
		{"negative dim", npyFile(1, f4("(2, -1)"), nil), format, "negative dimension -1"},
		{"overflow dims", npyFile(1, f4("(4611686018427387904, 4)"), nil), format, "shape (4611686018427387904, 4) is too large"},
		{"overflow dims with zero", npyFile(1, f4("(0, 4611686018427387904, 4)"), nil), format, "is too large"},
		{"dim beyond int64", npyFile(1, f4("(99999999999999999999,)"), nil), format, "dimension 99999999999999999999 in shape (99999999999999999999,) is too large"},
		{"lowercase false", npyFile(1, "{'descr': '<f4', 'fortran_order': false, 'shape': ()}", nil), format, `unexpected name "false"`},
		{"fortran_order int", npyFile(1, "{'descr': '<f4', 'fortran_order': 0, 'shape': ()}", nil), format, "fortran_order 0 is not True or False"},
		{"descr int", npyFile(1, "{'descr': 4, 'fortran_order': False, 'shape': ()}", nil), format, "descr 4 is not a dtype descriptor"},
		{"deep nesting", npyFile(1, "{'descr': "+deep+", 'fortran_order': False, 'shape': ()}", nil), format, "nested too deeply"},
		{"non-ASCII", npyFile(3, "{'descr': '<f4', 'fortran_order': False, 'shape': (), 'é': 1}", nil), format, "non-ASCII byte 0xc3"},
		{"NUL byte", npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ()}\x00", nil), format, "control character 0x00"},
		{"newline inside", npyFile(1, "{'descr': '<f4',\n'fortran_order': False, 'shape': ()}", nil), format, "control character 0x0a"},
		{"garbage after dict", npyFile(1, f4("()")+" x", nil), format, `unexpected 'x' after header dict`},
		{"payload too short", valid[:len(valid)-1], format, "payload too short: got 23 of 24 bytes"},
		{"payload missing", valid[:128], format, "payload too short: got 0 of 24 bytes"},
		{"trailing bytes", append(append([]byte{}, valid...), 0), format, "trailing data after payload"},
		{"fortran order", npyFile(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", make([]byte, 24)), unsupported, "unsupported fortran_order True"},
		{"big endian", npyFile(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8)), unsupported, `unsupported dtype ">f4"`},
		{"native order", npyFile(1, "{'descr': '=f4', 'fortran_order': False, 'shape': (2,), }", make([]byte, 8)), unsupported, `unsupported dtype "=f4"`},
		{"int64", npyFile(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", make([]byte, 16)), unsupported, `unsupported dtype "<i8"`},
		{"complex", npyFile(1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", make([]byte, 16)), unsupported, `unsupported dtype "<c8"`},
		{"object", npyFile(1, "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }", make([]byte, 16)), unsupported, `unsupported dtype "|O"`},
		{"structured", npyFile(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }", make([]byte, 8)), unsupported, `unsupported dtype "[('a', '<f4')]"`},
		{"dict descr", npyFile(1, "{'descr': {'names': ['a'], 'formats': ['<f4'], 'offsets': [0], 'itemsize': 4}, 'fortran_order': False, 'shape': (2,), }", make([]byte, 8)), unsupported, `unsupported dtype "{'names': ['a'], 'formats': ['<f4'], 'offsets': [0], 'itemsize': 4}"`},
		{"descr with None", npyFile(1, "{'descr': [('a', '<f4', None), ], 'fortran_order': False, 'shape': (2,), }", make([]byte, 8)), unsupported, `unsupported dtype "[('a', '<f4', None), ]"`},
		{"nested dict missing colon", npyFile(1, "{'descr': {'names' ['a']}, 'fortran_order': False, 'shape': (2,), }", nil), format, "expected ':' in dict"},
		{"nested dict bad value", npyFile(1, "{'descr': {'names': ?}, 'fortran_order': False, 'shape': (2,), }", nil), format, "unexpected '?'"},
		{"list bad item", npyFile(1, "{'descr': [('a', '<f4'), ('b' '<f2')], 'fortran_order': False, 'shape': (2,), }", nil), format, `expected ',' or ')'`},
		{"over limit", npyFile(1, f4("(1000000000, 1000)"), nil), format, "payload of 4000000000000 bytes exceeds limit of 128 bytes"},
	}
	for _, tt := range tests {
		_, err := Read(bytes.NewReader(tt.input), int64(len(tt.input)))
		if !assert.Error(t, err, tt.name) {
			continue
		}
		var fe FormatError
		var ue UnsupportedError
		if tt.kind == format {
			assert.ErrorAs(t, err, &fe, tt.name)
		} else {
			assert.ErrorAs(t, err, &ue, tt.name)
		}
		assert.Contains(t, err.Error(), tt.msg, tt.name)
	}
}

func TestErrorMessagesAreShort(t *testing.T) {
	long := "[" + strings.Repeat("1, ", 10000) + "]"
	tests := [][]byte{
		npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': "+long+"}", nil),
		npyFile(1, "{'descr': ["+strings.Repeat("('a', '<f4'), ", 1000)+"], 'fortran_order': False, 'shape': ()}", nil),
		npyFile(1, "{'descr': '<f4', 'fortran_order': False, 'shape': ("+strings.Repeat("1000000, ", 10000)+")}", nil),
		npyFile(1, "{'"+strings.Repeat("x", 10000)+"': 1}", nil),
	}
	for i, in := range tests {
		_, err := Read(bytes.NewReader(in), int64(len(in)))
		if assert.Error(t, err, i) {
			assert.Less(t, len(err.Error()), 300, i)
		}
	}
}

func TestReadLimit(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, "<f8", []int{4, 4}, make([]float64, 16)))
	file := buf.Bytes()
	tests := []struct {
		limit int64
		ok    bool
	}{
		{128, true},
		{127, false},
		{0, false},
		{-1, false},
		{int64(len(file)), true},
	}
	for _, tt := range tests {
		_, err := Read(bytes.NewReader(file), tt.limit)
		if tt.ok {
			assert.NoError(t, err, "limit %d", tt.limit)
		} else {
			var fe FormatError
			assert.ErrorAs(t, err, &fe, "limit %d", tt.limit)
			assert.ErrorContains(t, err, "exceeds limit", "limit %d", tt.limit)
		}
	}
}

// errReader returns its data and then err.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestReadPassesThroughIOErrors(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, Write(&buf, "<f4", []int{100}, make([]float32, 100)))
	file := buf.Bytes()
	boom := errors.New("boom")
	for _, n := range []int{0, 5, 9, 11, 100, 128, 200, len(file)} {
		_, err := Read(&errReader{data: file[:n], err: boom}, int64(len(file)))
		assert.ErrorIs(t, err, boom, "error after %d bytes", n)
	}
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name  string
		descr string
		shape []int
		data  any
		msg   string
	}{
		{"unsupported dtype", ">f4", []int{1}, []float32{1}, `npy: unsupported dtype ">f4"`},
		{"f4 as f8", "<f8", []int{1}, []float32{1}, `npy: cannot write []float32 as dtype "<f8"`},
		{"u16 as f4", "<f4", []int{1}, []uint16{1}, `npy: cannot write []uint16 as dtype "<f4"`},
		{"f8 as u2", "<u2", []int{1}, []float64{1}, `npy: cannot write []float64 as dtype "<u2"`},
		{"nil data", "<f4", []int{0}, nil, `npy: cannot write <nil> as dtype "<f4"`},
		{"int data", "<f4", []int{1}, []int{1}, `npy: cannot write []int as dtype "<f4"`},
		{"too few", "<f4", []int{2, 3}, make([]float32, 5), "shape (2, 3) needs 6 elements, data has 5"},
		{"too many", "|V2", []int{}, make([]uint16, 2), "shape () needs 1 elements, data has 2"},
		{"negative", "<f8", []int{-1}, []float64{}, "negative dimension -1"},
		{"overflow", "<f8", []int{1 << 31, 1 << 31}, []float64{}, "is too large"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		err := Write(&buf, tt.descr, tt.shape, tt.data)
		assert.ErrorContains(t, err, tt.msg, tt.name)
		assert.Zero(t, buf.Len(), "%s: wrote output despite error", tt.name)
	}
}

// errWriter accepts its first ok writes and fails the rest.
type errWriter struct {
	ok  int
	err error
}

func (w *errWriter) Write(p []byte) (int, error) {
	if w.ok == 0 {
		return 0, w.err
	}
	w.ok--
	return len(p), nil
}

func TestWritePassesThroughIOErrors(t *testing.T) {
	boom := errors.New("boom")
	withPortable(t, func(t *testing.T) {
		for ok := range 2 {
			err := Write(&errWriter{ok, boom}, "<f4", []int{2}, []float32{1, 2})
			assert.ErrorIs(t, err, boom, "after %d writes", ok)
		}
	})
}

func TestElements(t *testing.T) {
	tests := []struct {
		header Header
		n      int
		msg    string
	}{
		{Header{Descr: "<f4"}, 1, ""},
		{Header{Descr: "<f4", Shape: []int{2, 3, 4}}, 24, ""},
		{Header{Descr: "<f4", Shape: []int{5, 0, 7}}, 0, ""},
		{Header{Descr: "<f2", Shape: []int{1 << 61}}, 1 << 61, ""},
		{Header{Descr: "<f2", Shape: []int{1<<61 + 1}}, 0, "too large"},
		{Header{Descr: "<f8", Shape: []int{1 << 59}}, 1 << 59, ""},
		{Header{Descr: "<f8", Shape: []int{1<<59 + 1}}, 0, "too large"},
		{Header{Descr: "<f8", Shape: []int{1 << 40, 1 << 40, 0}}, 0, "too large"},
		{Header{Descr: "<i1", Shape: []int{1 << 62}}, 1 << 62, ""},
		{Header{Descr: "<f4", Shape: []int{math.MaxInt}}, 0, "too large"},
		{Header{Descr: "<f4", Shape: []int{3, -2}}, 0, "negative dimension -2 in shape (3, -2)"},
	}
	for _, tt := range tests {
		n, err := tt.header.Elements()
		if tt.msg == "" {
			assert.NoError(t, err, "%v", tt.header)
			assert.Equal(t, tt.n, n, "%v", tt.header)
		} else {
			var fe FormatError
			assert.ErrorAs(t, err, &fe, "%v", tt.header)
			assert.ErrorContains(t, err, tt.msg, "%v", tt.header)
		}
	}
}

func TestItemSize(t *testing.T) {
	tests := []struct {
		descr string
		size  int
	}{
		{"<f4", 4}, {"<f8", 8}, {"<f2", 2}, {"<u2", 2}, {"|V2", 2},
		{">f4", 0}, {"f4", 0}, {"|f4", 0}, {"<V2", 0}, {"|u2", 0}, {"", 0},
	}
	for _, tt := range tests {
		size, err := Header{Descr: tt.descr}.ItemSize()
		if tt.size > 0 {
			assert.NoError(t, err, tt.descr)
			assert.Equal(t, tt.size, size, tt.descr)
		} else {
			var ue UnsupportedError
			assert.ErrorAs(t, err, &ue, tt.descr)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	const n = 64 << 20 / 4
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i)
	}
	var buf bytes.Buffer
	require.NoError(b, Write(&buf, "<f4", []int{n}, data))
	file := buf.Bytes()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		a, err := Read(bytes.NewReader(file), int64(len(file)))
		if err != nil || len(a.F32) != n {
			b.Fatal(err)
		}
	}
}

func BenchmarkWrite(b *testing.B) {
	const n = 64 << 20 / 4
	data := make([]float32, n)
	var buf bytes.Buffer
	buf.Grow(n*4 + 128)
	b.SetBytes(n * 4)
	for b.Loop() {
		buf.Reset()
		if err := Write(&buf, "<f4", []int{n}, data); err != nil {
			b.Fatal(err)
		}
	}
}
