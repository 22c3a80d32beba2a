//go:build cgo && linux

package cheap

/*
#include <malloc.h>
#include <stdlib.h>

// qdqInUse returns mallinfo2's allocated bytes, or -1 without glibc 2.33.
static long long qdqInUse(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 m = mallinfo2();
	return (long long)(m.uordblks + m.hblkhd);
#else
	return -1;
#endif
}
*/
import "C"

// allocate takes n bytes from the C allocator, for the package's test,
// and returns the function that gives them back.
func allocate(n int) (free func()) {
	p := C.malloc(C.size_t(n))
	return func() { C.free(p) }
}

func inUse() (uint64, bool) {
	n := C.qdqInUse()
	if n < 0 {
		return 0, false
	}
	return uint64(n), true
}
