package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestRefuseInputThroughBindMount(t *testing.T) {
	dir := t.TempDir()
	src, mnt := filepath.Join(dir, "src"), filepath.Join(dir, "mnt")
	for _, d := range []string{src, mnt} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	in := filepath.Join(src, "in.npy")
	if err := os.WriteFile(in, []byte("input"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount(src, mnt, "", unix.MS_BIND, ""); err != nil {
		t.Skip("cannot bind-mount:", err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	target := filepath.Join(mnt, "in.npy")
	err := WriteFile(target, Options{Inputs: []string{in}}, writeString("output"))
	if !errors.Is(err, ErrInput) {
		t.Fatalf("WriteFile(%s) = %v, want ErrInput", target, err)
	}
	wantContent(t, in, "input")
	wantFiles(t, src, "in.npy")
}
