package qdq

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback starts writing f's bytes [off, off+n) to the disk
// without waiting for them, so that the sync at the end overlaps the
// rest of the run. Errors are left to that sync.
func startWriteback(f *os.File, off, n int64) {
	unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}
