package cheap

import "testing"

// TestInUseFollowsTheCHeap: InUse rises by the size of a C allocation
// and falls back by it when the allocation is freed.
//
// InUse counts the whole process's C heap, and other threads take and
// give back C memory of their own at any moment: an OS thread the Go
// runtime starts moves the figure by up to some KiB (cgo's start-up
// record, glibc's per-thread cache and TLS). That is more than the 4 KiB
// of page rounding on the mmapped block absorbs, and how a full CI run
// once saw the fall come out 1,728 bytes short. So the 64 MiB block, far
// above such noise, is measured up to attempts times, and one attempt
// must see it cleanly: a rise and a fall each of at least n and at most
// n+slack. A figure that does not follow the heap (one that misses the
// mmapped block, or counts it twice) fails every attempt.
func TestInUseFollowsTheCHeap(t *testing.T) {
	if before, ok := InUse(); !ok {
		if before != 0 {
			t.Fatalf("InUse() = %d, false; want 0 when it cannot tell", before)
		}
		t.Skip("this build cannot read the C heap")
	}
	const (
		n        = 64 << 20
		slack    = n / 64 // the chunk header and page rounding are 4 KiB
		attempts = 20
	)
	for i := 1; i <= attempts; i++ {
		before, _ := InUse()
		free := allocate(n)
		during, _ := InUse()
		free()
		after, _ := InUse()
		rise, fall := int64(during-before), int64(during-after)
		if rise >= n && rise <= n+slack && fall >= n && fall <= n+slack {
			return
		}
		t.Logf("attempt %d: InUse() went %d, %d, %d bytes around a %d-byte allocation: up %d, down %d",
			i, before, during, after, n, rise, fall)
	}
	t.Errorf("InUse() did not rise and fall by %d bytes (to within %d over) in any of %d attempts", n, slack, attempts)
}
