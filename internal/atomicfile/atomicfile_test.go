package atomicfile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// files returns the names in dir, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// wantFiles fails unless dir holds exactly the names want.
func wantFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	if got := files(t, dir); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}

// wantContent fails unless path holds want.
func wantContent(t *testing.T, path, want string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != want {
		t.Errorf("%s holds %q, want %q", path, b, want)
	}
}

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := io.WriteString(w, s)
		return err
	}
}

func TestWriteFileNewAndReplaced(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.npy")
	for _, content := range []string{"first", "second, longer than the first"} {
		if err := WriteFile(out, Options{}, writeString(content)); err != nil {
			t.Fatal(err)
		}
		wantContent(t, out, content)
		wantFiles(t, dir, "out.npy")
	}
}

func TestRefuseInput(t *testing.T) {
	tests := []struct {
		name string
		// setup makes the input in dir and returns the target's path as
		// given to Create and the options naming the input.
		setup func(t *testing.T, dir, in string) (string, Options)
	}{
		{"same path", func(t *testing.T, dir, in string) (string, Options) {
			return in, Options{Inputs: []string{in}}
		}},
		{"./ spelling", func(t *testing.T, dir, in string) (string, Options) {
			t.Chdir(dir)
			return "./in.npy", Options{Inputs: []string{in}}
		}},
		{"other spelling of the input", func(t *testing.T, dir, in string) (string, Options) {
			t.Chdir(dir)
			return in, Options{Inputs: []string{"sub/../in.npy"}}
		}},
		{"symlink to the input", func(t *testing.T, dir, in string) (string, Options) {
			link := filepath.Join(dir, "link.npy")
			if err := os.Symlink("in.npy", link); err != nil {
				t.Skip("no symbolic links:", err)
			}
			return link, Options{Inputs: []string{in}}
		}},
		{"hard link to the input", func(t *testing.T, dir, in string) (string, Options) {
			link := filepath.Join(dir, "hard.npy")
			if err := os.Link(in, link); err != nil {
				t.Skip("no hard links:", err)
			}
			return link, Options{Inputs: []string{in}}
		}},
		{"input given as FileInfo", func(t *testing.T, dir, in string) (string, Options) {
			f, err := os.Open(in)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				t.Fatal(err)
			}
			return in, Options{InputInfos: []os.FileInfo{st}, Inputs: []string{"missing.npy"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
				t.Fatal(err)
			}
			in := filepath.Join(dir, "in.npy")
			if err := os.WriteFile(in, []byte("input"), 0o644); err != nil {
				t.Fatal(err)
			}
			target, opt := tt.setup(t, dir, in)
			before := files(t, dir)
			err := WriteFile(target, opt, writeString("output"))
			if !errors.Is(err, ErrInput) {
				t.Fatalf("WriteFile(%s) = %v, want ErrInput", target, err)
			}
			if want := target + ": is the input file; write the output elsewhere"; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			wantContent(t, in, "input")
			wantFiles(t, dir, before...)
		})
	}
}

func TestOtherFileIsNotInput(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.npy"), filepath.Join(dir, "out.npy")
	for _, p := range []string{in, out} {
		if err := os.WriteFile(p, []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(out, Options{Inputs: []string{in}}, writeString("new")); err != nil {
		t.Fatal(err)
	}
	wantContent(t, out, "new")
	wantContent(t, in, in)
}

func TestRefuseDirectory(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "d")
	if err := os.Mkdir(target, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Create(target, Options{})
	if !errors.Is(err, ErrDir) || err.Error() != target+": is a directory" {
		t.Fatalf("Create(directory) = %v, want %q", err, target+": is a directory")
	}
	wantFiles(t, dir, "d")
	wantFiles(t, target)
}

func TestCreateInMissingDirectory(t *testing.T) {
	target := filepath.Join(t.TempDir(), "missing", "out.npy")
	_, err := Create(target, Options{})
	if err == nil || !strings.HasPrefix(err.Error(), target+": cannot create: ") || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Create = %v, want %s: cannot create: ...", err, target)
	}
}

func TestAbort(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.npy")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if len(files(t, dir)) != 2 {
		t.Errorf("no temporary file beside the target: %q", files(t, dir))
	}
	f.Abort()
	f.Abort()
	wantContent(t, out, "old")
	wantFiles(t, dir, "out.npy")
	if _, err := f.Write([]byte("more")); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Write after Abort = %v, want os.ErrClosed", err)
	}
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Commit after Abort = %v, want os.ErrClosed", err)
	}
	wantContent(t, out, "old")
}

func TestAbortAfterCommit(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.npy")
	f, err := Create(out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	if _, err := f.Write([]byte("new")); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	wantContent(t, out, "new")
	wantFiles(t, dir, "out.npy")
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Commit = %v, want os.ErrClosed", err)
	}
}

var errFull = errors.New("no space left on device")

// fullDisk takes limit bytes and then fails with errFull.
type fullDisk struct {
	w     io.Writer
	limit int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.limit {
		n, _ := d.w.Write(p[:d.limit])
		d.limit = 0
		return n, errFull
	}
	d.limit -= len(p)
	return d.w.Write(p)
}

func TestFullDisk(t *testing.T) {
	tests := []struct {
		name  string
		size  int // bytes written
		limit int // bytes the disk takes
		old   bool
	}{
		{"fails in Write, new file", 3 << 20, 1 << 20, false},
		{"fails in Write, replaced file", 3 << 20, 100, true},
		{"fails in Commit's flush", 1000, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.npy")
			want := []string{}
			if tt.old {
				if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
				want = []string{"out.npy"}
			}
			opt := Options{Wrap: func(w io.Writer) io.Writer { return &fullDisk{w, tt.limit} }}
			err := WriteFile(out, opt, func(w io.Writer) error {
				_, err := w.Write(bytes.Repeat([]byte("x"), tt.size))
				return err
			})
			if !errors.Is(err, errFull) || err.Error() != out+": writing: no space left on device" {
				t.Fatalf("WriteFile = %v, want %s: writing: no space left on device", err, out)
			}
			wantFiles(t, dir, want...)
			if tt.old {
				wantContent(t, out, "old")
			}
		})
	}
}

func TestWriteFileCallbackError(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.npy")
	boom := errors.New("boom")
	err := WriteFile(out, Options{}, func(w io.Writer) error {
		io.WriteString(w, "partial")
		return boom
	})
	if !errors.Is(err, boom) || err.Error() != out+": boom" {
		t.Fatalf("WriteFile = %v, want %s: boom", err, out)
	}
	wantFiles(t, dir)
}

// cancelOnWrite cancels a context when the bytes reach the file, that is
// during Commit's flush.
type cancelOnWrite struct {
	w      io.Writer
	cancel context.CancelFunc
}

func (c cancelOnWrite) Write(p []byte) (int, error) {
	c.cancel()
	return c.w.Write(p)
}

func TestCommitContextCancelled(t *testing.T) {
	tests := []struct {
		name     string
		early    bool // cancelled before CommitContext, rather than during its flush
		existing bool
	}{
		{"cancelled before, new file", true, false},
		{"cancelled during the flush, replaced file", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "out.npy")
			want := []string{}
			if tt.existing {
				if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
					t.Fatal(err)
				}
				want = []string{"out.npy"}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			opt := Options{Wrap: func(w io.Writer) io.Writer { return cancelOnWrite{w, cancel} }}
			if tt.early {
				opt.Wrap = nil
				cancel()
			}
			f, err := Create(out, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Abort()
			if _, err := f.Write([]byte("new")); err != nil {
				t.Fatal(err)
			}
			err = f.CommitContext(ctx)
			if !errors.Is(err, context.Canceled) || err.Error() != out+": not written: context canceled" {
				t.Fatalf("CommitContext = %v, want %s: not written: context canceled", err, out)
			}
			wantFiles(t, dir, want...)
			if tt.existing {
				wantContent(t, out, "old")
			}
		})
	}
}

func TestWriteback(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out.npy")
	f, err := Create(out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Abort()
	chunk := make([]byte, 1<<20)
	for range 40 {
		if _, err := f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if f.started < writebackEvery || f.started > f.written {
		t.Errorf("write-back started for %d bytes of %d written, want at least %d", f.started, f.written, writebackEvery)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(out); err != nil || st.Size() != 40<<20 {
		t.Fatalf("Stat = %v, %v, want %d bytes", st, err, 40<<20)
	}
}

func TestTempName(t *testing.T) {
	tests := []struct {
		base string
		want string // prefix of the name
	}{
		{"out.npy", ".out.npy.qdq-42-"},
		{"a.qdq-1-x.tmp", ".a.qdq-1-x.tmp.qdq-42-"},
		{strings.Repeat("é", 150), "." + strings.Repeat("é", 100) + ".qdq-42-"},
	}
	for _, tt := range tests {
		name := tempName(tt.base, 42, 1<<64-1)
		if !strings.HasPrefix(name, tt.want) || !strings.HasSuffix(name, ".tmp") {
			t.Errorf("tempName(%.20q) = %.40q, want prefix %.40q", tt.base, name, tt.want)
		}
		if !tempPattern.MatchString(name) || len(name) > 255 {
			t.Errorf("tempName(%.20q) = %.40q (%d bytes): not a temporary file's name", tt.base, name, len(name))
		}
	}
	for _, name := range []string{".out.npy.3f2a.tmp", "out.npy.qdq-1-a.tmp", ".out.npy.qdq-x-a.tmp", ".out.npy.qdq-1-a.tmp~", ".qdq-1-a.tmp"} {
		if tempPattern.MatchString(name) {
			t.Errorf("%q taken for a temporary file's name", name)
		}
	}
}
