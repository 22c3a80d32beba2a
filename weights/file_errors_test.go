//go:build unix

package weights_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/weights"
)

// rawFile assembles a safetensors file by hand: the 8-byte length of
// header, header, then data. It makes files NewWriter refuses to write.
func rawFile(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// lengthPrefix is a file of only an 8-byte header length, and then tail.
func lengthPrefix(n uint64, tail string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), tail...)
}

// tmpFiles returns the temporary output files left in dir.
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	found, err := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	require.NoError(t, err)
	return found
}

// assertNoOutput checks that dst does not exist and that dir holds no
// temporary file.
func assertNoOutput(t *testing.T, dir, dst string) {
	t.Helper()
	_, err := os.Lstat(dst)
	assert.ErrorIs(t, err, os.ErrNotExist, "%s must not be created", dst)
	assert.Empty(t, tmpFiles(t, dir), "temporary files left behind")
}

// assertUnchanged checks that path holds exactly want.
func assertUnchanged(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "%s changed (%d bytes, was %d)", path, len(got), len(want))
}

// requireFileError checks that err is an *qdq.Error of kind ErrFile whose
// message starts with "qdq: PATH: " and contains every one of want.
func requireFileError(t *testing.T, err error, path string, want ...string) {
	t.Helper()
	require.Error(t, err)
	var qe *qdq.Error
	require.ErrorAs(t, err, &qe, "%v", err)
	assert.ErrorIs(t, err, qdq.ErrFile, "%v", err)
	msg := err.Error()
	assert.True(t, strings.HasPrefix(msg, "qdq: "+path+": "), "the message starts with the file: %q", msg)
	for _, w := range want {
		assert.Contains(t, msg, w)
	}
}

func TestQuantizeFileMalformed(t *testing.T) {
	e := engineFor(t, qdq.CPU)
	dir := t.TempDir()
	valid := writeModel(t, filepath.Join(dir, "valid.safetensors"), testModel(1), map[string]string{"format": "pt"})
	f32 := func(n int) []byte { return make([]byte, 4*n) }
	cases := []struct {
		name string
		file []byte
		want []string // in the message, besides the input path
	}{
		{"empty file", []byte{}, []string{"unexpected EOF"}},
		{"shorter than 8 bytes", []byte{1, 2, 3}, []string{"unexpected EOF"}},
		{"only the length", lengthPrefix(16, ""), []string{"header length 16 beyond file size 8"}},
		{"data cut short", valid[:len(valid)-1], []string{`tensor "head.weight"`, "beyond data buffer"}},
		{"data too long", append(bytes.Clone(valid), 0), []string{"tensors cover", "but data buffer is"}},
		{"header length beyond the file", lengthPrefix(1000, `{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}`), []string{"header length 1000 beyond file size"}},
		{"header length over 100 MB", lengthPrefix(100_000_001, "{}      "), []string{"header length 100000001 exceeds limit 100000000"}},
		{"header length too short", lengthPrefix(1, "{"), []string{"header length 1 too short"}},
		{"bad JSON", rawFile(`{"w":{"dtype":"F32",,"shape":[1]}}`, f32(1)), []string{"invalid format", `key "w"`, "invalid character ','"}},
		{"not an object", rawFile(`["w"]   `, nil), []string{"header does not start with '{'"}},
		{"trailing JSON", rawFile(`{}{}`, nil), []string{"trailing data"}},
		{"overlapping offsets", rawFile(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32(3)),
			[]string{`tensor "b"`, "overlap"}},
		{"offsets beyond the data", rawFile(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[4],"data_offsets":[4,20]}}`, f32(2)),
			[]string{`tensor "w"`, "beyond data buffer of 8 bytes"}},
		{"offsets leave a gap", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(2)),
			[]string{`tensor "w"`, "gap"}},
		{"offsets reversed", rawFile(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, f32(1)),
			[]string{`tensor "w"`, "begin 4 > end 0"}},
		{"offsets huge", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,18446744073709551616]}}`, f32(1)),
			[]string{`tensor "w"`, "data_offsets is not a pair of non-negative integers"}},
		{"size not shape × dtype", rawFile(`{"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,20]}}`, f32(5)),
			[]string{`tensor "w"`, "needs 24 bytes", "span 20"}},
		{"size of another dtype", rawFile(`{"w":{"dtype":"BF16","shape":[4],"data_offsets":[0,16]}}`, f32(4)),
			[]string{`tensor "w"`, "needs 8 bytes"}},
		{"duplicate tensor names", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(2)),
			[]string{`duplicate key "w"`}},
		{"unknown dtype", rawFile(`{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, f32(4)),
			[]string{`tensor "w"`, `dtype "F128"`, "unsupported"}},
		{"unknown field", rawFile(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, f32(1)),
			[]string{`tensor "w"`, `unknown field "x"`}},
		{"negative dimension", rawFile(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, f32(1)),
			[]string{`tensor "w"`, "shape is not an array of non-negative integers"}},
		{"metadata not strings", rawFile(`{"__metadata__":{"n":1},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(1)),
			[]string{`__metadata__: value of "n" is not a string`}},
		{"invalid UTF-8", rawFile("{\"w\xff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", f32(1)),
			[]string{"not valid UTF-8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cdir := t.TempDir()
			src := filepath.Join(cdir, "in.safetensors")
			require.NoError(t, os.WriteFile(src, tc.file, 0o644))
			outDir := t.TempDir()
			dst := filepath.Join(outDir, "out.safetensors")
			rep, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
			assert.Nil(t, rep)
			requireFileError(t, err, src, tc.want...)
			assertNoOutput(t, outDir, dst)
			assertUnchanged(t, src, tc.file)

			// An existing output is left as it was.
			sentinel := []byte("sentinel: not a model")
			require.NoError(t, os.WriteFile(dst, sentinel, 0o600))
			_, err = weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
			requireFileError(t, err, src, tc.want...)
			assertUnchanged(t, dst, sentinel)
			assert.Empty(t, tmpFiles(t, outDir))
		})
	}

	t.Run("a directory as input", func(t *testing.T) {
		src := filepath.Join(t.TempDir(), "dir.safetensors")
		require.NoError(t, os.Mkdir(src, 0o755))
		outDir := t.TempDir()
		dst := filepath.Join(outDir, "out.safetensors")
		rep, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
		assert.Nil(t, rep)
		requireFileError(t, err, src, "not a regular file")
		assert.Equal(t, "qdq: "+src+": not a regular file", err.Error(), "the path once")
		assertNoOutput(t, outDir, dst)
	})

	t.Run("a missing input", func(t *testing.T) {
		src := filepath.Join(t.TempDir(), "nope.safetensors")
		outDir := t.TempDir()
		dst := filepath.Join(outDir, "out.safetensors")
		rep, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
		assert.Nil(t, rep)
		requireFileError(t, err, src, "no such file or directory")
		assert.Equal(t, "qdq: "+src+": no such file or directory", err.Error())
		assert.ErrorIs(t, err, fs.ErrNotExist, "the cause stays visible to errors.Is")
		assertNoOutput(t, outDir, dst)
	})

}

func TestQuantizeFileRefusesDestination(t *testing.T) {
	e := engineFor(t, qdq.CPU)
	dir := t.TempDir()
	src := filepath.Join(dir, "model.safetensors")
	in := writeModel(t, src, testModel(3), nil)
	link := filepath.Join(dir, "link.safetensors")
	require.NoError(t, os.Link(src, link))
	symlink := filepath.Join(dir, "symlink.safetensors")
	require.NoError(t, os.Symlink(src, symlink))
	outDir := filepath.Join(dir, "out.safetensors")
	require.NoError(t, os.Mkdir(outDir, 0o755))

	cases := []struct {
		name, dst string
		want      string
	}{
		{"dst is src", src, "is the input file"},
		{"dst is a hard link to src", link, "is the input file"},
		{"dst is a symbolic link to src", symlink, "is the input file"},
		{"dst is src, spelled otherwise", dir + "/./../" + filepath.Base(dir) + "//model.safetensors", "is the input file"},
		{"dst is a directory", outDir, "is a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := weights.QuantizeFile(context.Background(), e, tc.dst, src, weights.Options{Options: qdq.DefaultOptions()})
			assert.Nil(t, rep)
			requireFileError(t, err, tc.dst, tc.want)
			assertUnchanged(t, src, in)
			assert.Empty(t, tmpFiles(t, dir))
			st, err := os.Lstat(link)
			require.NoError(t, err)
			assert.True(t, st.Mode().IsRegular())
			entries, err := os.ReadDir(outDir)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing written into the directory")
		})
	}
}

// readOnlyEnv, when set, names the directory prepared by
// TestQuantizeFileReadOnlyDir for the check, which then runs in this
// process (as a user permissions bind for).
const readOnlyEnv = "QDQ_TEST_READONLY_DIR"

func TestQuantizeFileReadOnlyDir(t *testing.T) {
	if base := os.Getenv(readOnlyEnv); base != "" {
		checkReadOnlyDir(t, base)
		return
	}
	// The directories must be reachable by the user the check runs as,
	// which t.TempDir (0700 under root) is not.
	base, err := os.MkdirTemp("", "qdq-readonly-")
	require.NoError(t, err)
	ro := filepath.Join(base, "ro")
	t.Cleanup(func() {
		os.Chmod(ro, 0o755)
		os.RemoveAll(base)
	})
	require.NoError(t, os.Chmod(base, 0o755))
	in := writeModel(t, filepath.Join(base, "in.safetensors"), testModel(4), nil)
	require.NoError(t, os.Mkdir(ro, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(ro, "keep.safetensors"), []byte("keep me"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(base, "secret.safetensors"), in, 0o600))
	require.NoError(t, os.Chmod(filepath.Join(base, "secret.safetensors"), 0o000))
	require.NoError(t, os.Chmod(ro, 0o555))
	// A directory the check may write to, for the unreadable input.
	require.NoError(t, os.Mkdir(filepath.Join(base, "out"), 0o777))
	require.NoError(t, os.Chmod(filepath.Join(base, "out"), 0o777))

	if os.Geteuid() != 0 {
		checkReadOnlyDir(t, base)
	} else {
		if os.Getenv("QDQ_EMULATED") != "" {
			t.Skip("QDQ_EMULATED is set: this test starts its own binary again, which an emulator without binfmt_misc cannot")
		}
		// Root writes anywhere: run the check as nobody, from a copy of
		// the test binary nobody can execute (the go command's build
		// directory is 0700).
		self, err := os.Executable()
		require.NoError(t, err)
		exe, err := os.ReadFile(self)
		require.NoError(t, err, "cannot copy the test binary to re-execute it as nobody")
		bin := filepath.Join(base, "qdq.test")
		require.NoError(t, os.WriteFile(bin, exe, 0o755))
		require.NoError(t, os.Chmod(bin, 0o755))
		cmd := exec.Command(bin, "-test.run=^TestQuantizeFileReadOnlyDir$", "-test.count=1", "-test.v")
		cmd.Dir = base
		cmd.Env = append(os.Environ(), readOnlyEnv+"="+base)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "the check as user nobody (uid 65534) failed; it must run, not be skipped:\n%s", out)
		require.Contains(t, string(out), "read-only check ran as uid 65534", "the child ran the check:\n%s", out)
		require.Contains(t, string(out), "--- PASS: TestQuantizeFileReadOnlyDir", "the child passed:\n%s", out)
	}
	// Whoever ran it, the directory holds what it held.
	entries, err := os.ReadDir(ro)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	assert.Equal(t, "keep.safetensors", entries[0].Name())
	assertUnchanged(t, filepath.Join(ro, "keep.safetensors"), []byte("keep me"))
	assertUnchanged(t, filepath.Join(base, "in.safetensors"), in)
}

// checkReadOnlyDir writes into base/ro, a read-only directory, and checks
// that both a new output and the replacement of an existing file fail
// cleanly; then it reads base/secret.safetensors, which it may not.
func checkReadOnlyDir(t *testing.T, base string) {
	ro := filepath.Join(base, "ro")
	src := filepath.Join(base, "in.safetensors")
	probe := filepath.Join(ro, "probe")
	require.Error(t, os.WriteFile(probe, nil, 0o644), "permissions do not bind for uid %d", os.Geteuid())
	t.Logf("read-only check ran as uid %d", os.Geteuid())
	in, err := os.ReadFile(src)
	require.NoError(t, err)
	e := engineFor(t, qdq.CPU)
	for _, name := range []string{"new.safetensors", "keep.safetensors"} {
		dst := filepath.Join(ro, name)
		rep, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
		assert.Nil(t, rep)
		requireFileError(t, err, dst, "cannot create: permission denied")
		assert.Empty(t, tmpFiles(t, ro))
		assertUnchanged(t, src, in)
	}
	_, err = os.Lstat(filepath.Join(ro, "new.safetensors"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assertUnchanged(t, filepath.Join(ro, "keep.safetensors"), []byte("keep me"))

	// An input this user may not read.
	secret := filepath.Join(base, "secret.safetensors")
	outDir := filepath.Join(base, "out")
	_, err = weights.QuantizeFile(context.Background(), e, filepath.Join(outDir, "out.safetensors"), secret, weights.Options{Options: qdq.DefaultOptions()})
	requireFileError(t, err, secret, "permission denied")
	entries, err := os.ReadDir(outDir)
	require.NoError(t, err)
	assert.Empty(t, entries)
}

// fullDisk is a writer that takes limit bytes, then fails as a full disk
// does.
type fullDisk struct {
	w            io.Writer
	limit, total int64
	calls        int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	d.calls++
	if int64(len(p)) <= d.limit-d.total {
		n, err := d.w.Write(p)
		d.total += int64(n)
		return n, err
	}
	n, _ := d.w.Write(p[:d.limit-d.total])
	d.total += int64(n)
	name := "?"
	if f, ok := d.w.(*os.File); ok {
		name = f.Name()
	}
	return n, &os.PathError{Op: "write", Path: name, Err: syscall.ENOSPC}
}

// bigModel is testModel with a 2 MiB tensor in the middle, larger than the
// output's buffer, so that writes fail while tensors are computed and not
// only when the output is flushed at the end.
func bigModel() []modelTensor {
	ts := testModel(5)
	data := make([]byte, 4*512*1024)
	for i := range 512 * 1024 {
		binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(float32(i%1013)/1013-0.5))
	}
	big := modelTensor{"big.weight", "F32", []int{512, 1024}, data}
	return append(ts[:3:3], append([]modelTensor{big}, ts[3:]...)...)
}

func TestQuantizeFileFullDisk(t *testing.T) {
	e := engineFor(t, qdq.CPU)
	dir := t.TempDir()
	models := []struct {
		name    string
		tensors []modelTensor
		mid     string // a tensor to fail in the middle of
	}{
		{"small", testModel(5), "head.weight"},
		{"big", bigModel(), "big.weight"},
	}
	for _, m := range models {
		src := filepath.Join(dir, m.name+".safetensors")
		in := writeModel(t, src, m.tensors, map[string]string{"format": "pt"})
		hdr, _ := readModel(t, in)
		var mid int64 = -1
		for _, tt := range hdr.Tensors {
			if tt.Name == m.mid {
				mid = hdr.DataOffset + (tt.Begin+tt.End)/2
			}
		}
		require.Positive(t, mid)
		total := int64(len(in))

		// With room for the whole file the hook is used and harmless.
		outDir := filepath.Join(dir, m.name+"-out")
		require.NoError(t, os.Mkdir(outDir, 0o755))
		dst := filepath.Join(outDir, "out.safetensors")
		var disk *fullDisk
		restore := weights.SetWrapOutput(func(w io.Writer) io.Writer { disk = &fullDisk{w: w, limit: total}; return disk })
		fo := weights.Options{Options: qdq.DefaultOptions()}
		chans := collect(&fo)
		rep, err := weights.QuantizeFile(context.Background(), e, dst, src, fo)
		restore()
		require.NoError(t, err)
		require.NotNil(t, disk, "the output goes through the hook")
		assert.Equal(t, total, disk.total)
		out, err := os.ReadFile(dst)
		require.NoError(t, err)
		checkFile(t, in, out, rep, chans)
		require.NoError(t, os.Remove(dst))

		points := []struct {
			name  string
			limit int64
		}{
			{"nothing written", 0},
			{"in the length", 3},
			{"in the header", hdr.DataOffset / 2},
			{"at the end of the header", hdr.DataOffset},
			{"mid-tensor", mid},
			{"at the last byte", total - 1},
		}
		for _, p := range points {
			for _, existing := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/existing %t", m.name, p.name, existing), func(t *testing.T) {
					sentinel := []byte("the previous output")
					if existing {
						require.NoError(t, os.WriteFile(dst, sentinel, 0o644))
						defer os.Remove(dst)
					}
					var disk *fullDisk
					restore := weights.SetWrapOutput(func(w io.Writer) io.Writer { disk = &fullDisk{w: w, limit: p.limit}; return disk })
					defer restore()
					rep, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
					assert.Nil(t, rep)
					requireFileError(t, err, dst, "writing: no space left on device")
					assert.NotErrorIs(t, err, context.Canceled)
					require.NotNil(t, disk)
					assert.Equal(t, p.limit, disk.total, "the output was written up to the full disk")
					if existing {
						assertUnchanged(t, dst, sentinel)
						assert.Empty(t, tmpFiles(t, outDir))
					} else {
						assertNoOutput(t, outDir, dst)
					}
					assertUnchanged(t, src, in)
				})
			}
		}
	}
}

func TestQuantizeFileCancel(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "model.safetensors")
	in := writeModel(t, src, testModel(6), nil)
	hdr, _ := readModel(t, in)
	errStop := errors.New("stop here")
	cases := []struct {
		name     string
		canceled bool // the error wraps context.Canceled, else errStop
		calls    int  // OnTensor calls expected, when not 0
		setup    func(fo *weights.Options, cancel func())
		preempt  bool // cancel before the call
	}{
		{name: "from OnTensor after the 2nd tensor", canceled: true, setup: func(fo *weights.Options, cancel func()) {
			n := 0
			fo.OnTensor = func(weights.TensorReport) error {
				if n++; n == 2 {
					cancel()
				}
				return nil
			}
		}},
		{name: "from Progress", canceled: true, setup: func(fo *weights.Options, cancel func()) {
			fo.Progress = func(weights.Progress) { cancel() }
		}},
		{name: "from Progress, half way", canceled: true, setup: func(fo *weights.Options, cancel func()) {
			fo.Progress = func(p weights.Progress) {
				if p.Tensors >= p.TotalTensors/2 {
					cancel()
				}
			}
		}},
		{name: "before the call", canceled: true, preempt: true, setup: func(*weights.Options, func()) {}},
		{name: "OnTensor error", calls: 3, setup: func(fo *weights.Options, cancel func()) {
			n := 0
			fo.OnTensor = func(tr weights.TensorReport) error {
				if n++; n == 3 {
					return fmt.Errorf("at %s: %w", tr.Name, errStop)
				}
				return nil
			}
		}},
	}
	for _, backend := range []qdq.Backend{qdq.CPU, qdq.GPU} {
		e := engineFor(t, backend)
		for _, tc := range cases {
			for _, limit := range []int64{0, 20_000} {
				t.Run(fmt.Sprintf("%v/%s/limit %d", backend, tc.name, limit), func(t *testing.T) {
					outDir := t.TempDir()
					dst := filepath.Join(outDir, "out.safetensors")
					for _, existing := range []bool{false, true} {
						sentinel := []byte("old output")
						if existing {
							require.NoError(t, os.WriteFile(dst, sentinel, 0o644))
						}
						ctx, cancel := context.WithCancel(context.Background())
						fo := weights.Options{Options: qdq.DefaultOptions(), MemoryLimit: limit}
						calls := 0
						tc.setup(&fo, cancel)
						if on := fo.OnTensor; on != nil {
							fo.OnTensor = func(tr weights.TensorReport) error { calls++; return on(tr) }
						}
						if tc.preempt {
							cancel()
						}
						rep, err := weights.QuantizeFile(ctx, e, dst, src, fo)
						cancel()
						assert.Nil(t, rep)
						require.Error(t, err)
						if tc.canceled {
							assert.ErrorIs(t, err, context.Canceled)
							assert.Equal(t, "qdq: "+src+": context canceled", err.Error(), "one message, however the run stopped")
						} else {
							assert.ErrorIs(t, err, errStop)
							assert.NotErrorIs(t, err, context.Canceled)
							assert.Equal(t, tc.calls, calls, "OnTensor is not called after it failed")
							assert.Contains(t, err.Error(), fmt.Sprintf("at %s: stop here", hdr.Tensors[2].Name))
						}
						if existing {
							assertUnchanged(t, dst, sentinel)
							assert.Empty(t, tmpFiles(t, outDir))
							require.NoError(t, os.Remove(dst))
						} else {
							assertNoOutput(t, outDir, dst)
						}
						assertUnchanged(t, src, in)
					}
				})
			}
		}
	}
}

// TestQuantizeFileHostileShapes: headers whose empty tensors claim
// billions of channels, and an axis a tensor lacks, get a clear error of
// the right kind instead of an allocation sized by the header.
func TestQuantizeFileHostileShapes(t *testing.T) {
	e := engineFor(t, qdq.CPU)
	given := qdq.DefaultOptions()
	given.RangeGiven, given.InputMin, given.InputMax = true, []float64{-1}, []float64{1}
	given.PerChannel = true
	perChannel := qdq.DefaultOptions()
	perChannel.PerChannel = true
	many := `{`
	for i := range 4 {
		if i > 0 {
			many += `,`
		}
		many += fmt.Sprintf(`"e%d":{"dtype":"F32","shape":[16777216,0],"data_offsets":[0,0]}`, i)
	}
	many += `}`
	for _, tc := range []struct {
		name   string
		header string
		opts   qdq.Options
		kind   error
		msg    string
	}{
		{"2^40 empty channels, range given", `{"e":{"dtype":"F32","shape":[1099511627776,0],"data_offsets":[0,0]}}`, given, qdq.ErrShape, `tensor "e"`},
		{"2^40 empty channels", `{"e":{"dtype":"F32","shape":[1099511627776,0],"data_offsets":[0,0]}}`, perChannel, qdq.ErrShape, `tensor "e"`},
		{"4 x 2^24 empty channels", many, perChannel, qdq.ErrShape, `tensor "e1"`},
		{"axis beyond the rank", `{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`, opts(func(o *qdq.Options) { o.PerChannel, o.Axis = true, 2 }), qdq.ErrAxis, `tensor "w"`},
		{"axis -3 of rank 2", `{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}`, opts(func(o *qdq.Options) { o.PerChannel, o.Axis = true, -3 }), qdq.ErrAxis, `tensor "w"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src, dst := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "out.safetensors")
			data := make([]byte, 0, 16)
			if strings.Contains(tc.header, "[0,16]") {
				data = make([]byte, 16)
			}
			require.NoError(t, os.WriteFile(src, rawFile(tc.header, data), 0o644))
			rep, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: tc.opts})
			assert.Nil(t, rep)
			require.ErrorIs(t, err, tc.kind)
			assert.Contains(t, err.Error(), tc.msg)
			assert.True(t, strings.HasPrefix(err.Error(), "qdq: "+src+": "), err.Error())
			assertNoOutput(t, dir, dst)
		})
	}
}

// TestQuantizeFileCallbackPanics: a panic in a callback reaches the
// caller, and nothing is left behind: no temporary file, no goroutine
// reading the unmapped input (the process would fault), and the engine
// still works.
func TestQuantizeFileCallbackPanics(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "out.safetensors")
	writeModel(t, src, bigModel(), nil)
	e := engineFor(t, qdq.CPU)
	for _, where := range []string{"OnTensor", "Progress"} {
		fo := weights.Options{Options: qdq.DefaultOptions(), MemoryLimit: 1 << 16}
		boom := func() { panic("boom from " + where) }
		if where == "OnTensor" {
			fo.OnTensor = func(weights.TensorReport) error { boom(); return nil }
		} else {
			fo.Progress = func(weights.Progress) { boom() }
		}
		func() {
			defer func() {
				assert.Equal(t, "boom from "+where, recover())
			}()
			weights.QuantizeFile(context.Background(), e, dst, src, fo)
			t.Errorf("%s: no panic", where)
		}()
		assertNoOutput(t, dir, dst)
	}
	_, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
	require.NoError(t, err)
}

// TestQuantizeFileModes: a new output gets 0666 less the umask, as
// os.Create gives; a replaced one keeps its permissions.
func TestQuantizeFileModes(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "out.safetensors")
	writeModel(t, src, testModel(3), nil)
	e := engineFor(t, qdq.CPU)
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	_, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
	require.NoError(t, err)
	st, err := os.Stat(dst)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode().Perm())
	require.NoError(t, os.Chmod(dst, 0o604))
	_, err = weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{Options: qdq.DefaultOptions()})
	require.NoError(t, err)
	st, err = os.Stat(dst)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o604), st.Mode().Perm())
}
