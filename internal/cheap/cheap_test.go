package cheap

import "testing"

func TestInUseFollowsTheCHeap(t *testing.T) {
	before, ok := InUse()
	if !ok {
		if before != 0 {
			t.Fatalf("InUse() = %d, false; want 0 when it cannot tell", before)
		}
		t.Skip("this build cannot read the C heap")
	}
	const n = 64 << 20
	free := allocate(n)
	during, _ := InUse()
	free()
	after, _ := InUse()
	if during < before+n {
		t.Errorf("InUse() went from %d to %d bytes over a %d-byte allocation", before, during, n)
	}
	if after > during-n {
		t.Errorf("InUse() went from %d to %d bytes when %d bytes were freed", during, after, n)
	}
}
