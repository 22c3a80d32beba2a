package qdq

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
)

// output is a file being written through a temporary file in its
// directory, renamed into place by commit and removed by abort.
type output struct {
	path string
	tmp  *os.File
	w    *bufio.Writer
	// mode is the replaced file's permissions, applied when keepMode.
	mode     os.FileMode
	keepMode bool
	// written counts the bytes handed to tmp; flushed those whose
	// write-back has been started.
	written, flushed int64
}

// writebackEvery is how many bytes are written between starts of their
// write-back, so that the final sync has little left to wait for.
const writebackEvery = 32 << 20

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n *int64
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	*c.n += int64(n)
	return n, err
}

// wrapOutput, when set by a test, wraps the writes to every output file
// (to simulate a full disk).
var wrapOutput func(io.Writer) io.Writer

// createOutput starts writing path, which must not be src.
func createOutput(path string, src *os.File) (*output, error) {
	o := &output{path: path}
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return nil, newError(ErrFile, "%s: is a directory", path)
		}
		if sst, err := src.Stat(); err == nil && os.SameFile(st, sst) {
			return nil, newError(ErrFile, "%s: is the input file; write the output elsewhere", path)
		}
	}
	// A new file gets 0666 less the umask, as os.Create would give it;
	// a replaced one keeps its permissions.
	perm, keep := os.FileMode(0o666), false
	if st, err := os.Stat(path); err == nil {
		perm, keep = st.Mode().Perm(), true
	}
	tmp, err := createTemp(filepath.Dir(path), filepath.Base(path), perm)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, newError(ErrFile, "%s: cannot create: %v", path, err)
	}
	o.tmp, o.keepMode, o.mode = tmp, keep, perm
	var w io.Writer = tmp
	if wrapOutput != nil {
		w = wrapOutput(w)
	}
	o.w = bufio.NewWriterSize(countingWriter{w, &o.written}, 1<<20)
	return o, nil
}

// write appends b.
func (o *output) write(b []byte) error {
	if _, err := o.w.Write(b); err != nil {
		return o.fail(err)
	}
	if o.written-o.flushed >= writebackEvery {
		startWriteback(o.tmp, o.flushed, o.written-o.flushed)
		o.flushed = o.written
	}
	return nil
}

func (o *output) fail(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return newError(ErrFile, "%s: writing: %v", o.path, err)
}

// commit flushes, syncs and renames the file into place.
func (o *output) commit() error {
	err := o.w.Flush()
	if err == nil {
		err = o.tmp.Sync()
	}
	if err == nil && o.keepMode {
		err = o.tmp.Chmod(o.mode)
	}
	if cerr := o.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(o.tmp.Name(), o.path)
	}
	if err != nil {
		os.Remove(o.tmp.Name())
		return o.fail(err)
	}
	// The rename itself reaches the disk with the directory; a file
	// system that cannot sync a directory has nothing to say here.
	if dir, err := os.Open(filepath.Dir(o.path)); err == nil {
		dir.Sync()
		dir.Close()
	}
	return nil
}

// createTemp creates a new file named .BASE.RANDOM.tmp in dir with the
// given permissions (less the umask).
func createTemp(dir, base string, perm os.FileMode) (*os.File, error) {
	for {
		name := filepath.Join(dir, "."+base+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
}

// abort removes the temporary file.
func (o *output) abort() {
	o.tmp.Close()
	os.Remove(o.tmp.Name())
}
