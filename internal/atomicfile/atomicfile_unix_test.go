//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package atomicfile

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// childEnv names the directory in which the test binary, run as a child
// process, leaves a temporary file.
const childEnv = "ATOMICFILE_TEST_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(childEnv); dir != "" {
		os.Exit(child(dir))
	}
	os.Exit(m.Run())
}

// child starts writing dir/out.npy, prints the temporary file's name and
// waits, writing, for its parent to kill it.
func child(dir string) int {
	f, err := Create(filepath.Join(dir, "out.npy"), Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	if _, err := f.Write(make([]byte, 2<<20)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	fmt.Println(f.tmp)
	io.Copy(io.Discard, os.Stdin) // until the parent goes
	return 0
}

func TestPermissions(t *testing.T) {
	tests := []struct {
		umask    int
		existing fs.FileMode // 0: no file before
		want     fs.FileMode
	}{
		{0o077, 0, 0o600},
		{0o022, 0, 0o644},
		{0o002, 0, 0o664},
		{0o077, 0o640, 0o640},
		{0o022, 0o604, 0o604},
		{0o022, 0o755, 0o755},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("umask %03o, existing %03o", tt.umask, tt.existing), func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.npy")
			if tt.existing != 0 {
				if err := os.WriteFile(out, []byte("old"), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(out, tt.existing); err != nil {
					t.Fatal(err)
				}
			}
			old := syscall.Umask(tt.umask)
			err := WriteFile(out, Options{}, writeString("new"))
			syscall.Umask(old)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode() != tt.want {
				t.Errorf("mode %v, want %v", st.Mode(), tt.want)
			}
			wantContent(t, out, "new")
		})
	}
}

// openReader opens the FIFO path for reading without waiting for a writer,
// in blocking mode.
func openReader(t *testing.T, path string) *os.File {
	t.Helper()
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), path)
}

func TestInPlaceFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	r := openReader(t, fifo)
	defer r.Close()
	f, err := Create(fifo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(r)
		got <- b
	}()
	want := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB, more than a pipe holds
	if _, err := f.Write(want); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want) {
		t.Errorf("the reader got %d bytes, want %d", len(b), len(want))
	}
	wantFiles(t, dir, "fifo")
	if st, err := os.Lstat(fifo); err != nil || st.Mode().Type() != fs.ModeNamedPipe {
		t.Errorf("after writing, Lstat(fifo) = %v, %v, want a FIFO", st, err)
	}
}

func TestFIFONoReader(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs:", err)
	}
	done := make(chan error)
	go func() {
		_, err := Create(fifo, Options{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, unix.ENXIO) || !strings.HasPrefix(err.Error(), fifo+": the FIFO has no reader") {
			t.Errorf("Create(FIFO without reader) = %v, want %s: the FIFO has no reader...", err, fifo)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Create(FIFO without reader) blocks")
	}
}

func TestInPlaceDevNull(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "null")
	if err := os.Symlink(os.DevNull, link); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{os.DevNull, link} {
		ctx, cancel := context.WithCancel(context.Background())
		f, err := Create(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if f.tmp != "" {
			t.Errorf("Create(%s) writes through %s, want in place", path, f.tmp)
		}
		if _, err := f.Write(make([]byte, 3<<20)); err != nil {
			t.Fatal(err)
		}
		if err := f.CommitContext(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := f.CommitContext(ctx); !errors.Is(err, os.ErrClosed) {
			t.Errorf("second Commit = %v, want os.ErrClosed", err)
		}
		if st, err := os.Stat(os.DevNull); err != nil || st.Mode()&fs.ModeCharDevice == 0 {
			t.Fatalf("Stat(%s) = %v, %v, want a character device", os.DevNull, st, err)
		}
	}
	if st, err := os.Lstat(link); err != nil || st.Mode().Type() != fs.ModeSymlink {
		t.Errorf("Lstat(link to %s) = %v, %v, want the link", os.DevNull, st, err)
	}
	wantFiles(t, dir, "null")
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(os.DevNull), ".*.qdq-"+strconv.Itoa(os.Getpid())+"-*.tmp"))
	if len(stale) > 0 {
		t.Errorf("temporary files beside %s: %q", os.DevNull, stale)
	}
}

func TestInPlaceCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, err := Create(os.DevNull, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.CommitContext(ctx); !errors.Is(err, context.Canceled) || err.Error() != os.DevNull+": may be incomplete: context canceled" {
		t.Errorf("CommitContext(cancelled) in place = %v, want %s: may be incomplete: context canceled", err, os.DevNull)
	}
}

func TestRefuseSpecialFile(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("making a Unix socket to write over: %v", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: sock}); err != nil {
		t.Fatalf("binding the socket to %s: %v", sock, err)
	}
	if _, err := Create(sock, Options{}); err == nil || err.Error() != sock+": is a socket; write the output elsewhere" {
		t.Errorf("Create(socket) = %v, want %s: is a socket; ...", err, sock)
	}
}

func TestRemoveStaleKeepsLiveWriterAndOtherFiles(t *testing.T) {
	dir := t.TempDir()
	others := []string{".out.npy.3f2a.tmp", "out.npy.qdq-1-a.tmp", ".x.qdq-1-a.tmp~", "keep.npy"}
	for _, name := range others {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, ".d.qdq-1-a.tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := Create(filepath.Join(dir, "out.npy"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if _, err := f.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	before := files(t, dir)
	removed, err := RemoveStale(dir)
	if err != nil || len(removed) != 0 {
		t.Fatalf("RemoveStale = %q, %v, want nothing removed", removed, err)
	}
	wantFiles(t, dir, before...)
	if err := f.Commit(); err != nil {
		t.Fatalf("Commit after RemoveStale: %v", err)
	}
	wantContent(t, filepath.Join(dir, "out.npy"), "partial")
}

// TestRemoveStaleDeadWriter has a child process write and die, killed by
// a signal: its temporary file is kept while it lives and removed after.
func TestRemoveStaleDeadWriter(t *testing.T) {
	if os.Getenv("QDQ_EMULATED") != "" {
		t.Skip("QDQ_EMULATED is set: this test starts its own binary again, which an emulator without binfmt_misc cannot")
	}
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), childEnv+"="+dir)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			tmp, err := bufio.NewReader(stdout).ReadString('\n')
			if err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("the child wrote no name: %v", err)
			}
			tmp = strings.TrimSuffix(tmp, "\n")
			if !strings.HasPrefix(filepath.Base(tmp), ".out.npy.qdq-"+strconv.Itoa(cmd.Process.Pid)+"-") {
				t.Errorf("temporary file %s lacks the child's PID %d", tmp, cmd.Process.Pid)
			}

			removed, err := RemoveStale(dir)
			if err != nil || len(removed) != 0 {
				t.Errorf("RemoveStale with the writer alive = %q, %v, want nothing removed", removed, err)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			if err := cmd.Wait(); err == nil {
				t.Fatal("the child exited normally")
			}
			wantFiles(t, dir, filepath.Base(tmp))

			removed, err = RemoveStale(dir)
			if err != nil || len(removed) != 1 || removed[0] != tmp {
				t.Errorf("RemoveStale after the writer died = %q, %v, want [%s]", removed, err, tmp)
			}
			wantFiles(t, dir)
		})
	}
}

func TestRemoveStaleMissingDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing")
	if _, err := RemoveStale(dir); !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), dir+": ") {
		t.Errorf("RemoveStale(missing) = %v, want %s: ...not exist", err, dir)
	}
}
