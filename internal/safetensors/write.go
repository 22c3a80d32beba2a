package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// A Writer streams a safetensors file: NewWriter writes the header, then
// WriteTensor is called once per tensor, in order, with its bytes, and
// Close checks that every tensor was written.
type Writer struct {
	w       io.Writer
	tensors []Tensor
	next    int   // index of the next tensor to write
	err     error // sticky error from w
}

// NewWriter validates tensors and metadata and writes the header to w.
// The tensors' Begin and End are ignored and assigned contiguously in the
// given order (see Writer.Tensors); tensors is not modified. Metadata is
// written under "__metadata__" when non-nil, with keys sorted. The header
// is padded with spaces to a multiple of 8 bytes, as the reference
// implementation does.
func NewWriter(w io.Writer, tensors []Tensor, metadata map[string]string) (*Writer, error) {
	var h header
	h.buf.WriteByte('{')
	if metadata != nil {
		if err := h.metadata(metadata); err != nil {
			return nil, err
		}
	}
	ts, err := h.tensors(tensors)
	if err != nil {
		return nil, err
	}
	h.buf.WriteByte('}')
	for h.buf.Len()%8 != 0 {
		h.buf.WriteByte(' ')
	}
	if h.buf.Len() > MaxHeaderLen {
		return nil, fmt.Errorf("safetensors: header length %d exceeds limit %d", h.buf.Len(), MaxHeaderLen)
	}
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(h.buf.Len()))
	if _, err := w.Write(lenBuf[:]); err != nil {
		return nil, err
	}
	if _, err := w.Write(h.buf.Bytes()); err != nil {
		return nil, err
	}
	return &Writer{w: w, tensors: ts}, nil
}

// header is a header's JSON being written.
type header struct {
	buf     bytes.Buffer
	members int // the members written so far
}

// member starts the next member of the header's object.
func (h *header) member(name string) {
	if h.members > 0 {
		h.buf.WriteByte(',')
	}
	h.members++
	writeString(&h.buf, name)
	h.buf.WriteByte(':')
}

// metadata writes the "__metadata__" member, its keys sorted.
func (h *header) metadata(metadata map[string]string) error {
	h.member(metadataKey)
	h.buf.WriteByte('{')
	keys := slices.Sorted(maps.Keys(metadata))
	for i, k := range keys {
		v := metadata[k]
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("safetensors: metadata %q: key or value is not valid UTF-8", k)
		}
		if i > 0 {
			h.buf.WriteByte(',')
		}
		writeString(&h.buf, k)
		h.buf.WriteByte(':')
		writeString(&h.buf, v)
	}
	h.buf.WriteByte('}')
	return nil
}

// tensors checks the tensors, writes a member for each and returns them
// with their data laid out contiguously in order.
func (h *header) tensors(tensors []Tensor) ([]Tensor, error) {
	ts := make([]Tensor, len(tensors))
	seen := make(map[string]bool, len(tensors))
	var pos int64
	for i, t := range tensors {
		switch {
		case t.Name == "" || !utf8.ValidString(t.Name):
			return nil, fmt.Errorf("safetensors: tensor %q: name is empty or not valid UTF-8", t.Name)
		case t.Name == metadataKey:
			return nil, fmt.Errorf("safetensors: tensor name %q is reserved", t.Name)
		case seen[t.Name]:
			return nil, fmt.Errorf("safetensors: duplicate tensor name %q", t.Name)
		}
		seen[t.Name] = true
		if _, ok := ItemBits(t.DType); !ok {
			return nil, UnsupportedError(fmt.Sprintf("tensor %q: dtype %q", t.Name, t.DType))
		}
		n, ok := ByteSize(t.DType, t.Shape)
		if !ok || n > math.MaxInt64-pos {
			return nil, fmt.Errorf("safetensors: tensor %q: shape %v is negative or too large", t.Name, t.Shape)
		}
		t.Shape = slices.Clone(t.Shape)
		t.Begin, t.End = pos, pos+n
		pos += n
		ts[i] = t
		h.member(t.Name)
		h.buf.WriteString(`{"dtype":`)
		writeString(&h.buf, t.DType)
		h.buf.WriteString(`,"shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				h.buf.WriteByte(',')
			}
			h.buf.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&h.buf, `],"data_offsets":[%d,%d]}`, t.Begin, t.End)
	}
	return ts, nil
}

// writeString appends s to buf as a JSON string, without the HTML
// escaping of json.Marshal. s must be valid UTF-8.
func writeString(buf *bytes.Buffer, s string) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)               // cannot fail for a string
	buf.Truncate(buf.Len() - 1) // drop Encode's newline
}

// Tensors returns the tensors as written to the header, with their
// assigned Begin and End.
func (w *Writer) Tensors() []Tensor {
	out := slices.Clone(w.tensors)
	for i := range out {
		out[i].Shape = slices.Clone(out[i].Shape)
	}
	return out
}

// WriteTensor writes the bytes of the next tensor. len(data) must equal
// the tensor's byte size, End-Begin; nothing is written otherwise.
func (w *Writer) WriteTensor(data []byte) error {
	if w.err != nil {
		return w.err
	}
	if w.next >= len(w.tensors) {
		return errors.New("safetensors: WriteTensor called after all tensors were written")
	}
	t := w.tensors[w.next]
	if int64(len(data)) != t.End-t.Begin {
		return fmt.Errorf("safetensors: tensor %q: got %d bytes, want %d", t.Name, len(data), t.End-t.Begin)
	}
	if _, err := w.w.Write(data); err != nil {
		w.err = err
		return err
	}
	w.next++
	return nil
}

// Close checks that every tensor was written. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.next < len(w.tensors) {
		return fmt.Errorf("safetensors: Close with %d of %d tensors unwritten, starting at %q", len(w.tensors)-w.next, len(w.tensors), w.tensors[w.next].Name)
	}
	return nil
}
