//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package atomicfile

import (
	"errors"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// renameWhileOpen is set where the temporary file is renamed before it
// is closed, so that its lock is held until the rename.
const renameWhileOpen = true

// flock applies the flock operation how to f.
func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) {
		for {
			ferr = unix.Flock(int(fd), how)
			if ferr != unix.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	return ferr
}

// lockUnsupported reports whether err says the file system has no flock.
func lockUnsupported(err error) bool {
	return errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EOPNOTSUPP) ||
		errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOLCK) || errors.Is(err, unix.EINVAL)
}

// lockTemp takes the lock of the new temporary file f, named name, and
// reports whether name is still f once it holds the lock (a RemoveStale
// may have removed it between its creation and the lock). On a file
// system without flock there is no lock; RemoveStale cannot take one
// either and so leaves the file alone.
func lockTemp(f *os.File, name string) (bool, error) {
	err := flock(f, unix.LOCK_EX|unix.LOCK_NB)
	switch {
	case errors.Is(err, unix.EWOULDBLOCK):
		return false, nil
	case err != nil && lockUnsupported(err):
		return true, nil
	case err != nil:
		return false, &fs.PathError{Op: "flock", Path: name, Err: err}
	}
	return sameFile(f, name)
}

// removeIfUnlocked removes the temporary file name when its lock can be
// taken, and reports whether it did.
func removeIfUnlocked(name string) (bool, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ELOOP) {
		return false, nil // gone, or replaced by a symbolic link
	}
	if err != nil {
		return false, err
	}
	defer f.Close() // after the removal: that releases the lock
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return false, err
	}
	if flock(f, unix.LOCK_EX|unix.LOCK_NB) != nil {
		return false, nil // its writer is alive, or there is no flock
	}
	if same, err := sameFile(f, name); !same || err != nil {
		return false, err
	}
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	return true, nil
}

// openFIFO opens the FIFO path for writing without waiting for a reader:
// with none, it fails with ENXIO. The file is then put back in blocking
// mode, so that writes wait for the reader as they would after a plain
// open.
func openFIFO(path string) (*os.File, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// errNoReader reports whether err says a FIFO has no reader.
func errNoReader(err error) bool { return errors.Is(err, unix.ENXIO) }

// dirSyncUnsupported reports whether err says the file system cannot
// sync a directory.
func dirSyncUnsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP) ||
		errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EBADF)
}

// sameFile reports whether name still names the open file f.
func sameFile(f *os.File, name string) (bool, error) {
	fst, err := f.Stat()
	if err != nil {
		return false, err
	}
	st, err := os.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fst, st), nil
}
