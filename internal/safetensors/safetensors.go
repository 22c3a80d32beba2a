// Package safetensors reads and writes the Hugging Face .safetensors
// tensor file format.
//
// A safetensors file is an 8-byte little-endian unsigned length N, then N
// bytes of UTF-8 JSON describing the tensors, then the data buffer. The
// JSON is an object mapping each tensor name to its dtype, shape and
// data_offsets (a [begin, end) byte range relative to the start of the data
// buffer), with an optional "__metadata__" object of string values.
//
// ReadHeader validates a header as strictly as the reference Rust
// implementation: tensors, sorted by offset, must cover the data buffer
// contiguously with no gaps or overlaps. Writer streams a file whose
// header is padded with spaces to a multiple of 8 bytes.
package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/bits"
	"sort"
	"strconv"
	"unicode/utf8"
)

// MaxHeaderLen is the largest header length ReadHeader accepts, as in the
// reference implementation. Larger lengths are rejected before anything is
// allocated for the header.
const MaxHeaderLen = 100_000_000

// MaxRank is the most dimensions a tensor may have. The format sets no
// limit; real tensors have a handful, and a header claiming millions would
// cost memory in proportion.
const MaxRank = 1024

// metadataKey is the reserved top-level key holding the file's metadata.
const metadataKey = "__metadata__"

// A FormatError reports that the input is not a valid safetensors file.
type FormatError string

func (e FormatError) Error() string { return "safetensors: invalid format: " + string(e) }

// An UnsupportedError reports that the input uses a valid but
// unimplemented safetensors feature, such as an unknown dtype.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "safetensors: unsupported feature: " + string(e) }

// Tensor describes one tensor of a safetensors file.
type Tensor struct {
	// Name is the tensor's key in the header; it is non-empty valid UTF-8.
	Name string
	// DType is the dtype string as in the file, e.g. "F32".
	DType string
	// Shape holds the dimensions; it is empty for a rank-0 tensor.
	Shape []int
	// Begin and End are the tensor's data_offsets: its bytes are
	// [Begin, End) relative to the start of the data buffer.
	Begin, End int64
}

// File is a parsed and validated safetensors header.
type File struct {
	// Tensors are in layout order: sorted by (Begin, End), with ties in
	// header order.
	Tensors []Tensor
	// Metadata is the __metadata__ object, or nil if absent.
	Metadata map[string]string
	// HeaderJSON is the raw header bytes exactly as in the file,
	// including any padding.
	HeaderJSON []byte
	// DataOffset is the file offset of the data buffer, 8+len(HeaderJSON).
	DataOffset int64
}

var itemBits = map[string]int{
	"BOOL": 8, "U8": 8, "I8": 8, "F8_E4M3": 8, "F8_E5M2": 8, "F8_E8M0": 8,
	"F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
	"I16": 16, "U16": 16, "F16": 16, "BF16": 16,
	"I32": 32, "U32": 32, "F32": 32,
	"I64": 64, "U64": 64, "F64": 64, "C64": 64,
}

// ItemBits returns the size in bits of one element of dtype, or 0 and
// false if dtype is unknown. The sub-byte dtypes (F4, F6_E2M3, F6_E3M2)
// pack their elements, so a tensor of them must fill whole bytes.
func ItemBits(dtype string) (int, bool) {
	n, ok := itemBits[dtype]
	return n, ok
}

// ItemSize returns the byte size of one element of dtype, or 0 and false
// if dtype is unknown or packs elements smaller than a byte.
func ItemSize(dtype string) (int, bool) {
	n, ok := itemBits[dtype]
	if !ok || n%8 != 0 {
		return 0, false
	}
	return n / 8, true
}

// ByteSize returns the data size of a tensor of dtype and shape, and
// false if dtype is unknown, a dimension is negative, the size overflows
// int64 or sub-byte elements do not fill whole bytes.
func ByteSize(dtype string, shape []int) (int64, bool) {
	item, ok := itemBits[dtype]
	if !ok {
		return 0, false
	}
	// Whole-byte dtypes count bytes, so only sub-byte ones lose the top
	// three bits of range to counting bits.
	n, unit := uint64(item/8), uint64(1)
	if item%8 != 0 {
		n, unit = uint64(item), 8
	}
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		hi, lo := bits.Mul64(n, uint64(d))
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		n = lo
	}
	if n%unit != 0 {
		return 0, false
	}
	return int64(n / unit), true
}

// ReadHeader reads and validates a safetensors header from r, leaving r
// positioned at the start of the data buffer. size is the total file size;
// if size < 0 it is unknown and the checks that need it (header and
// offsets within the file, data buffer fully covered) are skipped.
//
// Malformed input yields a FormatError, an unknown dtype an
// UnsupportedError, and input that ends early io.ErrUnexpectedEOF.
func ReadHeader(r io.Reader, size int64) (*File, error) {
	var lenBuf [8]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderLen {
		return nil, FormatError(fmt.Sprintf("header length %d exceeds limit %d", n, MaxHeaderLen))
	}
	if n < 2 {
		return nil, FormatError(fmt.Sprintf("header length %d too short", n))
	}
	dataOffset := 8 + int64(n)
	if size >= 0 && dataOffset > size {
		return nil, FormatError(fmt.Sprintf("header length %d beyond file size %d", n, size))
	}
	hdr, err := readN(r, int(n))
	if err != nil {
		return nil, err
	}
	f, err := parseHeader(hdr)
	if err != nil {
		return nil, err
	}
	f.DataOffset = dataOffset
	if err := checkLayout(f.Tensors, size, dataOffset); err != nil {
		return nil, err
	}
	return f, nil
}

// firstChunk is the size of readN's first chunk. Each later chunk is
// twice the one before, about what the stream has delivered so far.
const firstChunk = 64 << 10

// readN reads exactly n bytes from r, or fails with io.ErrUnexpectedEOF
// if r ends first (or r's own error). It reads incrementally, into chunks
// that double in size, and joins them only once all n have come, so a
// short stream costs about twice what it held (never n, a number read
// from the input) and a full one 2n in all. io.ReadAll is not used: its
// chunks are built with append([]byte(nil), make([]byte, k)...), which
// the race detector's instrumentation makes allocate twice, 4n in all.
func readN(r io.Reader, n int) ([]byte, error) {
	var chunks [][]byte
	for got, size := 0, firstChunk; got < n; size *= 2 {
		c := make([]byte, min(size, n-got))
		m, err := io.ReadFull(r, c)
		got += m
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		chunks = append(chunks, c)
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	b := make([]byte, 0, n)
	for _, c := range chunks {
		b = append(b, c...)
	}
	return b, nil
}

// checkLayout checks that tensors, already in layout order, tile the data
// buffer from 0 without gaps or overlaps, and, if size >= 0, end exactly
// at the end of the file.
func checkLayout(ts []Tensor, size, dataOffset int64) error {
	var pos int64
	for _, t := range ts {
		switch {
		case t.Begin < pos:
			return FormatError(fmt.Sprintf("tensor %q: data_offsets [%d, %d] overlap the previous tensor ending at %d", t.Name, t.Begin, t.End, pos))
		case t.Begin > pos:
			return FormatError(fmt.Sprintf("tensor %q: data_offsets [%d, %d] leave a gap after offset %d", t.Name, t.Begin, t.End, pos))
		}
		if size >= 0 && t.End > size-dataOffset {
			return FormatError(fmt.Sprintf("tensor %q: data_offsets [%d, %d] beyond data buffer of %d bytes", t.Name, t.Begin, t.End, size-dataOffset))
		}
		pos = t.End
	}
	if size >= 0 && pos != size-dataOffset {
		return FormatError(fmt.Sprintf("tensors cover %d bytes but data buffer is %d bytes", pos, size-dataOffset))
	}
	return nil
}

// member is one key/value pair of a JSON object.
type member struct {
	key   string
	value json.RawMessage
}

// readObject reads a JSON object from dec, whose next token must be '{',
// returning its members in order and rejecting duplicate keys. Values are
// returned raw, so nesting is handled by the json package's iterative
// scanner rather than by recursion here. what describes the object in
// errors.
func readObject(dec *json.Decoder, what string) ([]member, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, FormatError(fmt.Sprintf("%s: %v", what, err))
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, FormatError(what + ": not a JSON object")
	}
	var ms []member
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, FormatError(fmt.Sprintf("%s: %v", what, err))
		}
		key, ok := tok.(string)
		if !ok {
			return nil, FormatError(what + ": object key is not a string")
		}
		if seen[key] {
			return nil, FormatError(fmt.Sprintf("%s: duplicate key %q", what, key))
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, FormatError(fmt.Sprintf("%s: key %q: %v", what, key, err))
		}
		v = bytes.TrimSpace(v)
		if len(v) == 0 {
			return nil, FormatError(fmt.Sprintf("%s: key %q: missing value", what, key))
		}
		ms = append(ms, member{key, v})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, FormatError(fmt.Sprintf("%s: %v", what, err))
	}
	return ms, nil
}

// parseHeader parses and validates the header JSON, except the layout
// checks of checkLayout. The returned tensors are in layout order.
func parseHeader(hdr []byte) (*File, error) {
	if !utf8.Valid(hdr) {
		return nil, FormatError("header is not valid UTF-8")
	}
	if hdr[0] != '{' {
		return nil, FormatError("header does not start with '{'")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	ms, err := readObject(dec, "header")
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, FormatError("header: trailing data after JSON object")
	}
	f := &File{HeaderJSON: hdr}
	for _, m := range ms {
		if m.key == metadataKey {
			md, err := parseMetadata(m.value)
			if err != nil {
				return nil, err
			}
			f.Metadata = md
			continue
		}
		t, err := parseTensor(m.key, m.value)
		if err != nil {
			return nil, err
		}
		f.Tensors = append(f.Tensors, t)
	}
	sort.SliceStable(f.Tensors, func(i, j int) bool {
		a, b := f.Tensors[i], f.Tensors[j]
		return a.Begin < b.Begin || a.Begin == b.Begin && a.End < b.End
	})
	return f, nil
}

// parseMetadata parses the __metadata__ value: null or an object of
// strings.
func parseMetadata(raw json.RawMessage) (map[string]string, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	ms, err := readObject(json.NewDecoder(bytes.NewReader(raw)), metadataKey)
	if err != nil {
		return nil, err
	}
	md := make(map[string]string, len(ms))
	for _, m := range ms {
		var s string
		if m.value[0] != '"' || json.Unmarshal(m.value, &s) != nil {
			return nil, FormatError(fmt.Sprintf("%s: value of %q is not a string", metadataKey, m.key))
		}
		md[m.key] = s
	}
	return md, nil
}

// parseInts parses raw as a JSON array of non-negative integers that fit
// in bitSize bits.
func parseInts(raw json.RawMessage, bitSize int) ([]int64, bool) {
	// A hand-written scan: raw is already valid JSON, and decoding it
	// through the json package cost some 70 bytes a dimension.
	limit := uint64(1)<<(bitSize-1) - 1
	i := 0
	space := func() {
		for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
			i++
		}
	}
	space()
	if i == len(raw) || raw[i] != '[' {
		return nil, false
	}
	i++
	space()
	out := make([]int64, 0, bytes.Count(raw, []byte(","))+1)
	if i < len(raw) && raw[i] == ']' {
		i++
		space()
		return out, i == len(raw)
	}
	for {
		space()
		start := i
		var v uint64
		for i < len(raw) && raw[i] >= '0' && raw[i] <= '9' {
			v = v*10 + uint64(raw[i]-'0')
			if v > limit {
				return nil, false
			}
			i++
		}
		// A JSON integer: digits, no leading zero unless it is 0, no
		// sign, fraction or exponent (those are not sizes).
		if i == start || (raw[start] == '0' && i-start > 1) {
			return nil, false
		}
		out = append(out, int64(v))
		space()
		if i == len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ',':
			i++
		case ']':
			i++
			space()
			return out, i == len(raw)
		default:
			return nil, false
		}
	}
}

// parseTensor parses and checks the header entry for tensor name.
func parseTensor(name string, raw json.RawMessage) (Tensor, error) {
	t := Tensor{Name: name}
	bad := func(format string, args ...any) error {
		return FormatError(fmt.Sprintf("tensor %q: ", name) + fmt.Sprintf(format, args...))
	}
	if name == "" {
		return t, FormatError("empty tensor name")
	}
	ms, err := readObject(json.NewDecoder(bytes.NewReader(raw)), fmt.Sprintf("tensor %q", name))
	if err != nil {
		return t, err
	}
	var haveDType, haveShape, haveOffsets bool
	for _, m := range ms {
		switch m.key {
		case "dtype":
			if m.value[0] != '"' || json.Unmarshal(m.value, &t.DType) != nil {
				return t, bad("dtype is not a string")
			}
			haveDType = true
		case "shape":
			if n := bytes.Count(m.value, []byte(",")) + 1; n > MaxRank {
				return t, bad("shape has %d dimensions, more than the %d accepted", n, MaxRank)
			}
			dims, ok := parseInts(m.value, strconv.IntSize)
			if !ok {
				return t, bad("shape is not an array of non-negative integers")
			}
			t.Shape = make([]int, len(dims))
			for i, d := range dims {
				t.Shape[i] = int(d)
			}
			haveShape = true
		case "data_offsets":
			offs, ok := parseInts(m.value, 64)
			if !ok || len(offs) != 2 {
				return t, bad("data_offsets is not a pair of non-negative integers")
			}
			t.Begin, t.End = offs[0], offs[1]
			haveOffsets = true
		default:
			return t, bad("unknown field %q", m.key)
		}
	}
	switch {
	case !haveDType:
		return t, bad("missing dtype")
	case !haveShape:
		return t, bad("missing shape")
	case !haveOffsets:
		return t, bad("missing data_offsets")
	}
	if _, ok := ItemBits(t.DType); !ok {
		return t, UnsupportedError(fmt.Sprintf("tensor %q: dtype %q", name, t.DType))
	}
	if t.Begin > t.End {
		return t, bad("data_offsets begin %d > end %d", t.Begin, t.End)
	}
	n, ok := ByteSize(t.DType, t.Shape)
	if !ok {
		return t, bad("size of shape %v of %s overflows or is not a whole number of bytes", t.Shape, t.DType)
	}
	if n != t.End-t.Begin {
		return t, bad("shape %v of %s needs %d bytes but data_offsets [%d, %d] span %d", t.Shape, t.DType, n, t.Begin, t.End, t.End-t.Begin)
	}
	return t, nil
}
