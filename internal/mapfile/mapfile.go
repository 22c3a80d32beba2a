// Package mapfile gives read access to a whole file without reading it into
// the heap: memory-mapped where the system allows, read piece by piece
// otherwise. Pages of a mapping that are no longer needed can be given
// back, so that walking a file larger than RAM keeps the resident set
// small.
package mapfile

import (
	"fmt"
	"os"
)

// File is an open, read-only file.
type File struct {
	f      *os.File
	size   int64
	mapped []byte // the whole file, or nil when it is read piece by piece
}

// Open opens path for reading and maps it where possible.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: path, Err: fmt.Errorf("not a regular file")}
	}
	m := &File{f: f, size: st.Size()}
	m.mapped = mapFile(f, m.size) // nil where mapping fails or is unsupported
	return m, nil
}

// OS returns the underlying file.
func (m *File) OS() *os.File { return m.f }

// Size returns the file's size when it was opened.
func (m *File) Size() int64 { return m.size }

// Mapped reports whether the file is memory-mapped.
func (m *File) Mapped() bool { return m.mapped != nil }

// Bytes returns the n bytes at offset off. A mapped file returns a view
// of the mapping, valid until Close, that must not be written to; an
// unmapped one reads them into a new slice. copied reports which.
func (m *File) Bytes(off, n int64) (b []byte, copied bool, err error) {
	if off < 0 || n < 0 || off > m.size || n > m.size-off {
		return nil, false, fmt.Errorf("mapfile: bytes [%d, %d) beyond the file's %d", off, off+n, m.size)
	}
	if m.mapped != nil {
		return m.mapped[off : off+n : off+n], false, nil
	}
	b = make([]byte, n)
	if _, err := m.f.ReadAt(b, off); err != nil {
		return nil, true, err
	}
	return b, true, nil
}

// Release tells the system that the bytes [off, off+n) will not be needed
// soon: the whole pages among them leave the process's resident set (they
// stay in the page cache). It is a hint; it does nothing for an unmapped
// file.
func (m *File) Release(off, n int64) {
	if m.mapped == nil || n <= 0 {
		return
	}
	release(m.mapped, off, n)
}

// Prefetch asks the system to map the pages of [off, off+n) in one go,
// ahead of their use, instead of fault by fault. It is a hint; it does
// nothing for an unmapped file or where the system cannot.
func (m *File) Prefetch(off, n int64) {
	if m.mapped == nil || n <= 0 || off < 0 || off >= int64(len(m.mapped)) {
		return
	}
	prefetch(m.mapped, off, min(n, int64(len(m.mapped))-off))
}

// Close unmaps and closes the file. No slice from Bytes may be used after.
func (m *File) Close() error {
	if m.mapped != nil {
		unmap(m.mapped)
		m.mapped = nil
	}
	return m.f.Close()
}
