package atomicfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback starts writing f's bytes [off, off+n) to the disk
// without waiting for them, so that the final sync overlaps the rest of
// the writing. Errors are left to that sync.
func startWriteback(f *os.File, off, n int64) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE)
		})
	}
}
