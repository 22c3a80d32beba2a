package npy

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

const (
	magic = "\x93NUMPY"

	// maxHeaderLen bounds the header length field; larger headers are
	// rejected before anything is allocated for them.
	maxHeaderLen = 1 << 20

	// maxDepth bounds the nesting of brackets in the header dict.
	maxDepth = 32

	// align is the payload alignment NumPy uses when writing.
	align = 64

	// growthDigits is the width NumPy reserves for the first dimension so
	// that headers can be rewritten in place when an array grows.
	growthDigits = 21
)

// ReadHeader reads and validates the magic string, the version (1.0, 2.0 or
// 3.0), the header length and the header dict, consuming exactly the header
// so that r is left at the start of the payload. It returns the header and
// the payload offset from the start of the file.
//
// If the header is well-formed but describes an array this package cannot
// decode (an unsupported dtype or Fortran order), ReadHeader returns the
// parsed header, the payload offset and an [UnsupportedError].
func ReadHeader(r io.Reader) (Header, int64, error) {
	var pre [12]byte
	if err := readFull(r, pre[:8], "magic string and version"); err != nil {
		return Header{}, 0, err
	}
	if string(pre[:6]) != magic {
		return Header{}, 0, FormatError("not a .npy file (bad magic string)")
	}
	major, minor := pre[6], pre[7]
	var hlen, off int
	switch {
	case minor != 0 || major < 1 || major > 3:
		return Header{}, 0, UnsupportedError(fmt.Sprintf("version %d.%d", major, minor))
	case major == 1:
		if err := readFull(r, pre[8:10], "header length"); err != nil {
			return Header{}, 0, err
		}
		hlen, off = int(binary.LittleEndian.Uint16(pre[8:10])), 10
	default:
		if err := readFull(r, pre[8:12], "header length"); err != nil {
			return Header{}, 0, err
		}
		n := binary.LittleEndian.Uint32(pre[8:12])
		if n > maxHeaderLen {
			return Header{}, 0, FormatError(fmt.Sprintf("header length %d exceeds maximum of %d", n, maxHeaderLen))
		}
		hlen, off = int(n), 12
	}
	// Grow the buffer as data arrives rather than trusting hlen up front.
	buf, err := io.ReadAll(io.LimitReader(r, int64(hlen)))
	if err != nil {
		return Header{}, 0, err
	}
	if len(buf) < hlen {
		return Header{}, 0, FormatError(fmt.Sprintf("truncated header: got %d of %d bytes", len(buf), hlen))
	}
	h, err := parseHeader(buf)
	return h, int64(off + hlen), err
}

// readFull is io.ReadFull that reports a premature end of input as a
// FormatError naming what was being read.
func readFull(r io.Reader, b []byte, what string) error {
	n, err := io.ReadFull(r, b)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return FormatError(fmt.Sprintf("truncated %s: got %d of %d bytes", what, n, len(b)))
	}
	return err
}

// parseHeader parses and validates the header dict, which must be followed
// by optional spaces and a final newline.
func parseHeader(buf []byte) (Header, error) {
	if len(buf) == 0 {
		return Header{}, FormatError("empty header")
	}
	for i, c := range buf {
		if c >= 0x80 {
			return Header{}, FormatError(fmt.Sprintf("non-ASCII byte 0x%02x in header at offset %d", c, i))
		}
		if c < 0x20 && c != '\t' && !(c == '\n' && i == len(buf)-1) || c == 0x7f {
			return Header{}, FormatError(fmt.Sprintf("control character 0x%02x in header at offset %d", c, i))
		}
	}
	if buf[len(buf)-1] != '\n' {
		return Header{}, FormatError("header does not end with a newline")
	}
	p := &parser{s: string(buf[:len(buf)-1])}
	p.skipSpace()
	if !p.consume('{') {
		return Header{}, p.errorf("header is not a dict: expected '{'")
	}
	d, err := p.dict()
	if err != nil {
		return Header{}, err
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return Header{}, p.errorf("unexpected %q after header dict", p.s[p.pos])
	}
	return d.header()
}

// headerDict holds the values of the header dict's keys.
type headerDict struct {
	descr, fortran, shape *value
}

func (d *headerDict) header() (Header, error) {
	switch {
	case d.descr == nil:
		return Header{}, FormatError("header: missing key 'descr'")
	case d.fortran == nil:
		return Header{}, FormatError("header: missing key 'fortran_order'")
	case d.shape == nil:
		return Header{}, FormatError("header: missing key 'shape'")
	}
	var h Header
	switch d.descr.kind {
	case kindString:
		h.Descr = d.descr.str
	case kindList, kindDict:
		// Structured dtypes: well-formed but not supported.
		h.Descr = d.descr.raw
	default:
		return Header{}, FormatError(fmt.Sprintf("header: descr %s is not a dtype descriptor", clip(d.descr.raw)))
	}
	if d.fortran.kind != kindBool {
		return Header{}, FormatError(fmt.Sprintf("header: fortran_order %s is not True or False", clip(d.fortran.raw)))
	}
	h.FortranOrder = d.fortran.b
	if d.shape.kind != kindTuple {
		return Header{}, FormatError(fmt.Sprintf("header: shape %s is not a tuple", clip(d.shape.raw)))
	}
	h.Shape = make([]int, 0, len(d.shape.items))
	for _, v := range d.shape.items {
		if v.kind != kindInt {
			return Header{}, FormatError(fmt.Sprintf("header: dimension %s in shape %s is not an integer", clip(v.raw), clip(d.shape.raw)))
		}
		if v.overflow {
			return Header{}, FormatError(fmt.Sprintf("header: dimension %s in shape %s is too large", clip(v.raw), clip(d.shape.raw)))
		}
		if v.n < 0 {
			return Header{}, FormatError(fmt.Sprintf("header: negative dimension %s in shape %s", clip(v.raw), clip(d.shape.raw)))
		}
		h.Shape = append(h.Shape, v.n)
	}
	if _, err := h.Elements(); err != nil {
		return Header{}, err
	}
	if _, err := h.ItemSize(); err != nil {
		return h, err
	}
	if h.FortranOrder {
		return h, UnsupportedError("fortran_order True")
	}
	return h, nil
}

type kind int

const (
	kindString kind = iota
	kindInt
	kindBool
	kindNone
	kindTuple
	kindList
	kindDict
)

// A value is a parsed Python literal.
type value struct {
	kind     kind
	raw      string  // source text
	str      string  // kindString: contents
	n        int     // kindInt
	overflow bool    // kindInt: does not fit in an int
	b        bool    // kindBool
	items    []value // kindTuple, kindList; kindDict: keys and values alternating
}

// parser parses the subset of Python literal syntax that appears in .npy
// headers: strings without escapes, decimal integers, True, False, None,
// tuples, lists and dicts.
type parser struct {
	s     string
	pos   int
	depth int
}

func (p *parser) errorf(format string, args ...any) error {
	return FormatError(fmt.Sprintf("header: "+format+" at offset %d", append(args, p.pos)...))
}

func (p *parser) skipSpace() {
	for p.pos < len(p.s) && (p.s[p.pos] == ' ' || p.s[p.pos] == '\t') {
		p.pos++
	}
}

func (p *parser) consume(c byte) bool {
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// dict parses the top-level dict after its opening brace.
func (p *parser) dict() (*headerDict, error) {
	d := &headerDict{}
	for {
		p.skipSpace()
		if p.consume('}') {
			return d, nil
		}
		if p.pos >= len(p.s) || (p.s[p.pos] != '\'' && p.s[p.pos] != '"') {
			return nil, p.errorf("expected a string key or '}'")
		}
		keyPos := p.pos
		k, err := p.value()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if !p.consume(':') {
			return nil, p.errorf("expected ':' after key %s", clip(k.raw))
		}
		p.skipSpace()
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		var slot **value
		switch k.str {
		case "descr":
			slot = &d.descr
		case "fortran_order":
			slot = &d.fortran
		case "shape":
			slot = &d.shape
		default:
			p.pos = keyPos
			return nil, p.errorf("unknown key %s", clip(k.raw))
		}
		if *slot != nil {
			p.pos = keyPos
			return nil, p.errorf("duplicate key %s", clip(k.raw))
		}
		*slot = &v
		p.skipSpace()
		if p.consume('}') {
			return d, nil
		}
		if !p.consume(',') {
			return nil, p.errorf("expected ',' or '}' in dict")
		}
	}
}

func (p *parser) value() (value, error) {
	if p.pos >= len(p.s) {
		return value{}, p.errorf("unexpected end of header")
	}
	start := p.pos
	var v value
	var err error
	switch c := p.s[p.pos]; {
	case c == '\'' || c == '"':
		v, err = p.str()
	case c == '-' || isDigit(c):
		v, err = p.int()
	case c == '(' || c == '[' || c == '{':
		v, err = p.container()
	case isIdentStart(c):
		v, err = p.ident()
	default:
		return value{}, p.errorf("unexpected %q", c)
	}
	if err != nil {
		return value{}, err
	}
	v.raw = p.s[start:p.pos]
	return v, nil
}

func (p *parser) str() (value, error) {
	q := p.s[p.pos]
	p.pos++
	for i := p.pos; i < len(p.s); i++ {
		switch p.s[i] {
		case q:
			v := value{kind: kindString, str: p.s[p.pos:i]}
			p.pos = i + 1
			return v, nil
		case '\\':
			p.pos = i
			return value{}, p.errorf("escape sequence in string")
		}
	}
	p.pos--
	return value{}, p.errorf("unterminated string")
}

func (p *parser) int() (value, error) {
	neg := p.consume('-')
	start := p.pos
	for p.pos < len(p.s) && isDigit(p.s[p.pos]) {
		p.pos++
	}
	digits := p.s[start:p.pos]
	if digits == "" || (len(digits) > 1 && digits[0] == '0') ||
		(p.pos < len(p.s) && (isIdentStart(p.s[p.pos]) || p.s[p.pos] == '.')) {
		p.pos = start
		return value{}, p.errorf("invalid integer literal")
	}
	if neg {
		digits = "-" + digits
	}
	n, err := strconv.Atoi(digits)
	return value{kind: kindInt, n: n, overflow: err != nil}, nil
}

func (p *parser) ident() (value, error) {
	start := p.pos
	for p.pos < len(p.s) && (isIdentStart(p.s[p.pos]) || isDigit(p.s[p.pos])) {
		p.pos++
	}
	switch id := p.s[start:p.pos]; id {
	case "True", "False":
		return value{kind: kindBool, b: id == "True"}, nil
	case "None":
		return value{kind: kindNone}, nil
	default:
		p.pos = start
		return value{}, p.errorf("unexpected name %q", clip(id))
	}
}

// container parses a parenthesized expression, tuple, list or dict.
func (p *parser) container() (value, error) {
	if p.depth >= maxDepth {
		return value{}, p.errorf("brackets nested too deeply")
	}
	p.depth++
	defer func() { p.depth-- }()

	open := p.s[p.pos]
	p.pos++
	var v value
	var closer byte
	switch open {
	case '(':
		v.kind, closer = kindTuple, ')'
	case '[':
		v.kind, closer = kindList, ']'
	default:
		v.kind, closer = kindDict, '}'
	}
	for {
		p.skipSpace()
		if p.consume(closer) {
			return v, nil
		}
		item, err := p.value()
		if err != nil {
			return value{}, err
		}
		v.items = append(v.items, item)
		p.skipSpace()
		if open == '{' {
			if !p.consume(':') {
				return value{}, p.errorf("expected ':' in dict")
			}
			p.skipSpace()
			if item, err = p.value(); err != nil {
				return value{}, err
			}
			v.items = append(v.items, item)
			p.skipSpace()
		}
		if p.consume(closer) {
			if open == '(' && len(v.items) == 1 {
				// (x) is x, not a tuple.
				return item, nil
			}
			return v, nil
		}
		if !p.consume(',') {
			return value{}, p.errorf("expected ',' or %q", closer)
		}
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isIdentStart(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' }

// encodeHeader returns the magic string, version, header length and header
// dict for a C-order array, byte for byte as NumPy's np.save writes them:
// keys sorted, spare room for the first dimension to grow, padded with
// spaces and a newline so the payload starts at a multiple of 64 bytes.
func encodeHeader(descr string, shape []int) []byte {
	var d strings.Builder
	d.WriteString("{'descr': '")
	d.WriteString(descr)
	d.WriteString("', 'fortran_order': False, 'shape': ")
	d.WriteString(shapeString(shape))
	d.WriteString(", }")
	if len(shape) > 0 {
		d.WriteString(strings.Repeat(" ", max(0, growthDigits-len(strconv.Itoa(shape[0])))))
	}
	dict := d.String()

	pre := 10
	hlen := len(dict) + 1
	pad := align - (pre+hlen)%align
	if hlen+pad > 0xffff {
		pre = 12
		pad = align - (pre+hlen)%align
	}
	b := make([]byte, 0, pre+hlen+pad)
	b = append(b, magic...)
	if pre == 10 {
		b = append(b, 1, 0)
		b = binary.LittleEndian.AppendUint16(b, uint16(hlen+pad))
	} else {
		b = append(b, 2, 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(hlen+pad))
	}
	b = append(b, dict...)
	for range pad {
		b = append(b, ' ')
	}
	return append(b, '\n')
}
