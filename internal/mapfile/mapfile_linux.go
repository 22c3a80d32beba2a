package mapfile

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// mapFile maps f read-only, or returns nil.
func mapFile(f *os.File, size int64) []byte {
	if size <= 0 || int64(int(size)) != size {
		return nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil
	}
	return b
}

func unmap(b []byte) { syscall.Munmap(b) }

// release drops the whole pages of b[off:off+n] from the resident set.
func release(b []byte, off, n int64) {
	page := int64(os.Getpagesize())
	start := (off + page - 1) / page * page
	end := (off + n) / page * page
	if off+n == int64(len(b)) {
		end = off + n // the file's last page, however partial
	}
	if start >= end {
		return
	}
	syscall.Madvise(b[start:end], syscall.MADV_DONTNEED)
}

// prefetch populates the page tables for b[off:off+n] (Linux 5.14 and
// later; older kernels refuse the advice, which is harmless).
func prefetch(b []byte, off, n int64) {
	page := int64(os.Getpagesize())
	start := off / page * page
	unix.Madvise(b[start:off+n], unix.MADV_POPULATE_READ)
}
