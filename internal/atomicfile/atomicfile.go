// Package atomicfile writes a file so that it is either the complete new
// file or untouched: the bytes go to a temporary file beside the target,
// which is synced and then renamed over it, and the directory is synced
// after the rename.
//
// A new file gets the permissions 0666 less the umask, as [os.Create]
// gives them; a replaced regular file keeps its permissions. A symbolic
// link at the target's name is replaced by the new file, not followed,
// though the permissions kept are those of the file it pointed to.
//
// [Create] refuses to replace a directory or any of the caller's input
// files, compared by device and inode ([os.SameFile]), so that no other
// name for an input (a symbolic link, a hard link, a bind mount, another
// spelling of the path) gets past it.
//
// When the target exists and is a character device (/dev/null, a
// terminal) or a FIFO, including through a symbolic link such as
// /dev/stdout, the bytes are written to it in place: there is nothing to
// rename, and Commit only flushes them.
//
// Temporary files are named .BASE.qdq-PID-RANDOM.tmp and, on the systems
// with BSD flock semantics (Linux, Android, the BSDs, Darwin), the writer
// holds an exclusive flock on its temporary file until the rename, so
// that [RemoveStale] can tell the temporary file of a writer that died
// (killed by SIGKILL, say) from that of one that is still running.
// Elsewhere there is no lock and RemoveStale removes nothing.
//
// On Linux the write-back of every 32 MiB written is started at once
// (sync_file_range), so that the final sync has little left to wait for.
//
// The package does not use github.com/google/renameio/v2 (v2.0.2),
// whose PendingFile does the temporary-file, sync and rename core:
// renameio chooses the temporary name itself (.NAME followed by a random
// number, with no PID and no way to choose the pattern), so RemoveStale
// could not recognise its files without also matching the user's own
// dot files; it offers no point between the final sync and the rename to
// check for cancellation (CloseAtomicallyReplace does both), nor a way to
// hold a lock on the file until after the rename (its Close comes
// first), nor in-place writing, periodic write-back or the directory
// sync. What remains for it to do is a few lines.
package atomicfile

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrInput is wrapped by the error of [Create] when the target is one of
// the input files.
var ErrInput = errors.New("is the input file; write the output elsewhere")

// ErrDir is wrapped by the error of [Create] when the target is a
// directory.
var ErrDir = errors.New("is a directory")

// bufferSize is the size of the buffer in front of the file.
const bufferSize = 1 << 20

// writebackEvery is how many bytes are written between starts of their
// write-back.
const writebackEvery = 32 << 20

// Options are the options of [Create] and [WriteFile].
type Options struct {
	// Inputs are files the output must not replace. One that does not
	// exist cannot be the target and is passed over.
	Inputs []string
	// InputInfos are, like Inputs, files the output must not replace,
	// as their [os.File.Stat] or [os.Stat] describes them: for an input
	// that is open already, or whose name may have changed since.
	InputInfos []fs.FileInfo
	// Wrap, when not nil, wraps the writes to the file (the temporary
	// file, or the target in place), for tests that simulate a full disk.
	Wrap func(io.Writer) io.Writer
}

// File is a file being written. Its methods are not safe for concurrent
// use.
type File struct {
	path string
	// tmp is the temporary file's name, empty when writing in place.
	tmp string
	f   *os.File
	w   *bufio.Writer
	// perm is applied to the temporary file before the rename when
	// keepPerm is set (the replaced file's permissions).
	perm     fs.FileMode
	keepPerm bool
	// written counts the bytes handed to f; started those whose
	// write-back has been started.
	written, started int64
	// err is the first write error, returned by every later call.
	err error
	// done is set once the file has been closed (and the temporary file
	// renamed or removed).
	done bool
}

// Create starts writing path: through a temporary file in its directory,
// or in place when path is a character device or a FIFO. It fails when
// path is a directory, one of opt's inputs, or another kind of special
// file. Opening a FIFO does not block: with no reader it fails at once
// (on systems without flock support, see the package documentation, it
// blocks until a reader opens the FIFO).
//
// The caller must call [File.Commit] (or [File.CommitContext]) to put the
// file in place, and should defer [File.Abort] to remove the temporary
// file on every other way out.
func Create(path string, opt Options) (*File, error) {
	perm, keep := fs.FileMode(0o666), false
	st, err := os.Stat(path)
	switch {
	case err == nil:
		if err := check(path, st, opt); err != nil {
			return nil, err
		}
		if st.Mode()&(fs.ModeCharDevice|fs.ModeNamedPipe) != 0 {
			return createInPlace(path, st, opt)
		}
		perm, keep = st.Mode().Perm(), true
	case errors.Is(err, fs.ErrNotExist):
		// A new file; inputs that exist are not it.
	default:
		return nil, fmt.Errorf("%s: %w", path, pathErr(err))
	}
	f, tmp, err := createTemp(filepath.Dir(path), filepath.Base(path), perm)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot create: %w", path, pathErr(err))
	}
	return newFile(path, tmp, f, perm, keep, opt), nil
}

// check says whether the existing path, described by st, may be written.
func check(path string, st fs.FileInfo, opt Options) error {
	if st.IsDir() {
		return fmt.Errorf("%s: %w", path, ErrDir)
	}
	for _, in := range opt.InputInfos {
		if in != nil && os.SameFile(st, in) {
			return fmt.Errorf("%s: %w", path, ErrInput)
		}
	}
	for _, in := range opt.Inputs {
		ist, err := os.Stat(in)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: cannot compare with the input %s: %w", path, in, pathErr(err))
		}
		if os.SameFile(st, ist) {
			return fmt.Errorf("%s: %w", path, ErrInput)
		}
	}
	m := st.Mode()
	if m.IsRegular() || m&(fs.ModeCharDevice|fs.ModeNamedPipe) != 0 {
		return nil
	}
	kind := "special file"
	switch {
	case m&fs.ModeDevice != 0:
		kind = "block device"
	case m&fs.ModeSocket != 0:
		kind = "socket"
	}
	return fmt.Errorf("%s: is a %s; write the output elsewhere", path, kind)
}

// createInPlace opens the character device or FIFO path for writing.
func createInPlace(path string, st fs.FileInfo, opt Options) (*File, error) {
	var f *os.File
	var err error
	if st.Mode()&fs.ModeNamedPipe != 0 {
		f, err = openFIFO(path)
		if errNoReader(err) {
			return nil, fmt.Errorf("%s: the FIFO has no reader; start the reader first: %w", path, pathErr(err))
		}
	} else {
		f, err = os.OpenFile(path, os.O_WRONLY, 0)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open: %w", path, pathErr(err))
	}
	return newFile(path, "", f, 0, false, opt), nil
}

func newFile(path, tmp string, f *os.File, perm fs.FileMode, keep bool, opt Options) *File {
	o := &File{path: path, tmp: tmp, f: f, perm: perm, keepPerm: keep}
	var w io.Writer = f
	if opt.Wrap != nil {
		w = opt.Wrap(w)
	}
	o.w = bufio.NewWriterSize(countingWriter{w, &o.written}, bufferSize)
	return o
}

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

// Name returns the path being written (not the temporary file's).
func (f *File) Name() string { return f.path }

// Write appends p to the file, through a buffer of 1 MiB. After an
// error, every later Write and Commit returns the same error.
func (f *File) Write(p []byte) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	if f.done {
		return 0, fmt.Errorf("%s: writing: %w", f.path, os.ErrClosed)
	}
	n, err := f.w.Write(p)
	if err != nil {
		return n, f.fail("writing", err)
	}
	if f.tmp != "" && f.written-f.started >= writebackEvery {
		startWriteback(f.f, f.started, f.written-f.started)
		f.started = f.written
	}
	return n, nil
}

// fail records err, met while doing what, as the file's error.
func (f *File) fail(what string, err error) error {
	if f.err == nil {
		f.err = fmt.Errorf("%s: %s: %w", f.path, what, pathErr(err))
	}
	return f.err
}

// Commit flushes the buffer, syncs the temporary file, renames it over
// the target and syncs the directory. When it fails before the rename,
// the temporary file is removed and the target is untouched. A file
// system that cannot sync a directory is not an error; another error
// syncing it is, though the new file is then in place.
//
// In place, Commit flushes the buffer and closes the file.
func (f *File) Commit() error {
	return f.CommitContext(context.Background())
}

// CommitContext is [File.Commit], except that when ctx is done after the
// final sync it removes the temporary file instead of renaming it and
// returns an error wrapping ctx.Err(): when it returns an error the
// target is untouched, when it returns nil the target is complete.
//
// In place, the bytes written are already in the target: CommitContext
// flushes the buffer, closes the file and then reports ctx.Err(), if
// any, as an error saying the output may be incomplete.
func (f *File) CommitContext(ctx context.Context) error {
	if f.done {
		if f.err != nil {
			return f.err
		}
		return fmt.Errorf("%s: commit: %w", f.path, os.ErrClosed)
	}
	if f.tmp == "" {
		return f.commitInPlace(ctx)
	}
	if err := f.finish(ctx); err != nil {
		f.abort()
		return err
	}
	f.done = true
	if renameWhileOpen {
		// Renamed already: the lock was held until then.
		if err := f.f.Close(); err != nil {
			return f.fail("closing", err)
		}
		return f.syncDir()
	}
	if err := f.f.Close(); err != nil {
		os.Remove(f.tmp)
		return f.fail("closing", err)
	}
	if err := os.Rename(f.tmp, f.path); err != nil {
		os.Remove(f.tmp)
		return f.fail("renaming", err)
	}
	return f.syncDir()
}

// finish flushes and syncs the temporary file, checks ctx, sets its
// permissions and, where the lock must outlive the rename, renames it.
func (f *File) finish(ctx context.Context) error {
	if f.err != nil {
		return f.err
	}
	if err := f.w.Flush(); err != nil {
		return f.fail("writing", err)
	}
	if err := f.f.Sync(); err != nil {
		return f.fail("syncing", err)
	}
	if err := ctx.Err(); err != nil {
		f.err = fmt.Errorf("%s: not written: %w", f.path, err)
		return f.err
	}
	if f.keepPerm {
		if err := f.f.Chmod(f.perm); err != nil {
			return f.fail("setting permissions", err)
		}
	}
	if renameWhileOpen {
		if err := os.Rename(f.tmp, f.path); err != nil {
			return f.fail("renaming", err)
		}
	}
	return nil
}

// syncDir makes the rename durable.
func (f *File) syncDir() error {
	d, err := os.Open(filepath.Dir(f.path))
	if err != nil {
		return f.fail("syncing the directory", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !dirSyncUnsupported(err) {
		return f.fail("syncing the directory", err)
	}
	return nil
}

func (f *File) commitInPlace(ctx context.Context) error {
	f.done = true
	err := f.err
	if err == nil {
		if ferr := f.w.Flush(); ferr != nil {
			err = f.fail("writing", ferr)
		}
	}
	if cerr := f.f.Close(); cerr != nil && err == nil {
		err = f.fail("closing", cerr)
	}
	if err == nil && ctx.Err() != nil {
		f.err = fmt.Errorf("%s: may be incomplete: %w", f.path, ctx.Err())
		err = f.err
	}
	return err
}

// Abort removes the temporary file, leaving the target untouched; in
// place, it closes the file. It does nothing after Commit or a previous
// Abort.
func (f *File) Abort() {
	if !f.done {
		f.abort()
	}
}

func (f *File) abort() {
	f.done = true
	if f.tmp != "" {
		os.Remove(f.tmp) // before Close, while the lock is held
	}
	f.f.Close()
}

// WriteFile writes path with write, through [Create] and [File.Commit].
// When write fails, the error is returned, prefixed with path unless it
// came from writing the file, and the target is untouched.
func WriteFile(path string, opt Options, write func(io.Writer) error) error {
	f, err := Create(path, opt)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := write(f); err != nil {
		if f.err != nil {
			return f.err
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Commit()
}

// pathErr returns the error inside err's *fs.PathError, if any: the
// callers name the path themselves.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
