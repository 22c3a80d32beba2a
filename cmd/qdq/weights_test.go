package main

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/safetensors"
)

const (
	sampleModel = "../../testdata/model.safetensors"
	sampleInt8  = "../../testdata/model.int8.safetensors"
)

// stTensor is a tensor entry of a safetensors header, parsed by hand.
type stTensor struct {
	Name        string
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// stFile is a safetensors file parsed by hand.
type stFile struct {
	headerJSON []byte
	dataOffset int64
	metadata   map[string]string
	tensors    []stTensor // sorted by offset
}

// stItemSize is the byte size of an element of each dtype the sample
// model uses, written out here rather than taken from the package.
var stItemSize = map[string]int64{"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1}

// parseSafetensors checks the layout of a safetensors file with
// encoding/json alone: the 8-byte length, a JSON object of tensors and
// __metadata__, each tensor's size the product of its shape and dtype
// size, the tensors' data contiguous from 0 to the end of the file.
func parseSafetensors(t *testing.T, file []byte) stFile {
	t.Helper()
	require.GreaterOrEqual(t, len(file), 8)
	n := binary.LittleEndian.Uint64(file[:8])
	require.LessOrEqual(t, n, uint64(len(file)-8), "header length beyond the file")
	f := stFile{headerJSON: file[8 : 8+n], dataOffset: 8 + int64(n)}
	var entries map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(f.headerJSON, &entries))
	for name, raw := range entries {
		if name == "__metadata__" {
			require.NoError(t, json.Unmarshal(raw, &f.metadata))
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		tt := stTensor{Name: name}
		require.NoError(t, dec.Decode(&tt), name)
		size, ok := stItemSize[tt.DType]
		require.True(t, ok, "%s: unexpected dtype %q", name, tt.DType)
		for _, d := range tt.Shape {
			size *= int64(d)
		}
		assert.Equal(t, size, tt.DataOffsets[1]-tt.DataOffsets[0], "%s %s %v: size is shape × dtype size", name, tt.DType, tt.Shape)
		f.tensors = append(f.tensors, tt)
	}
	slices.SortFunc(f.tensors, func(a, b stTensor) int {
		return cmp.Or(cmp.Compare(a.DataOffsets[0], b.DataOffsets[0]), cmp.Compare(a.DataOffsets[1], b.DataOffsets[1]))
	})
	var pos int64
	for _, tt := range f.tensors {
		assert.Equal(t, pos, tt.DataOffsets[0], "%s: data_offsets contiguous", tt.Name)
		pos = tt.DataOffsets[1]
	}
	assert.Equal(t, int64(len(file))-f.dataOffset, pos, "the tensors end at the end of the file")
	return f
}

// data returns tensor tt's bytes in file.
func (f stFile) data(file []byte, tt stTensor) []byte {
	return file[f.dataOffset+tt.DataOffsets[0] : f.dataOffset+tt.DataOffsets[1]]
}

// quantizedByDefault reports whether qdq run picks tt without -all.
func quantizedByDefault(tt stTensor) bool {
	switch tt.DType {
	case "F32", "F64", "F16", "BF16":
		return len(tt.Shape) >= 2
	}
	return false
}

// checkOutputFormat checks out, the result of a run on in, by hand: the
// same header and metadata, the same tensors, those not quantized copied.
func checkOutputFormat(t *testing.T, in, out []byte) stFile {
	t.Helper()
	fin, fout := parseSafetensors(t, in), parseSafetensors(t, out)
	require.Equal(t, len(in), len(out))
	assert.Equal(t, string(fin.headerJSON), string(fout.headerJSON), "the header is copied byte for byte")
	assert.Equal(t, fin.metadata, fout.metadata, "__metadata__ preserved")
	require.Equal(t, fin.tensors, fout.tensors)
	changed := 0
	for _, tt := range fout.tensors {
		if !quantizedByDefault(tt) {
			assert.Equal(t, fin.data(in, tt), fout.data(out, tt), "%s copied", tt.Name)
		} else if !bytes.Equal(fin.data(in, tt), fout.data(out, tt)) {
			changed++
		}
	}
	assert.Positive(t, changed, "some tensor was fake-quantized")
	return fout
}

// gpuOrSkip skips the test when there is no Vulkan device, unless
// QDQ_REQUIRE_GPU is set.
func gpuOrSkip(t *testing.T) {
	t.Helper()
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.GPU})
	if err != nil && os.Getenv("QDQ_REQUIRE_GPU") == "" {
		t.Skipf("no GPU: %v", err)
	}
	require.NoError(t, err, "QDQ_REQUIRE_GPU is set")
	e.Close()
}

func TestRunWeightFileMatchesReference(t *testing.T) {
	in, err := os.ReadFile(sampleModel)
	require.NoError(t, err)
	want, err := os.ReadFile(sampleInt8)
	require.NoError(t, err)
	fin := parseSafetensors(t, in)
	require.Equal(t, "pt", fin.metadata["format"], "the sample has metadata")
	dir := t.TempDir()

	outputs := map[string][]byte{} // by backend and flags
	for _, backend := range []string{"cpu", "gpu"} {
		t.Run(backend, func(t *testing.T) {
			if backend == "gpu" {
				gpuOrSkip(t)
			}
			for _, flags := range [][]string{nil, {"-axis", "0", "-bits", "4"}, {"-axis", "-2", "-bits", "4"}} {
				out := filepath.Join(dir, fmt.Sprintf("%s%s.safetensors", backend, strings.Join(flags, "")))
				args := append(append([]string{"run", "-backend", backend}, flags...), sampleModel, out)
				code, stdout, stderr := qdqCLI(args...)
				require.Equal(t, 0, code, stderr)
				assert.Empty(t, stderr)
				assert.Regexp(t, `(?m)^total: .* on `+backend+` \(`, stdout, "ran on the backend asked for")
				got, err := os.ReadFile(out)
				require.NoError(t, err)
				checkOutputFormat(t, in, got)
				if flags == nil {
					assert.True(t, bytes.Equal(want, got), "%s: the output differs from %s", backend, sampleInt8)
				} else {
					assert.False(t, bytes.Equal(want, got), "%v changed the output", flags)
				}
				outputs[backend+strings.Join(flags, " ")] = got
			}
			// Every quantized tensor has rank 2, so -axis -2 is -axis 0.
			assert.True(t, bytes.Equal(outputs[backend+"-axis 0 -bits 4"], outputs[backend+"-axis -2 -bits 4"]))
		})
	}
	if _, ok := outputs["gpu"]; ok {
		for _, flags := range []string{"", "-axis 0 -bits 4", "-axis -2 -bits 4"} {
			assert.True(t, bytes.Equal(outputs["cpu"+flags], outputs["gpu"+flags]), "CPU and GPU outputs differ for %q", flags)
		}
	}
	assertUnchangedFile(t, sampleModel, in)
}

// reportJSON is the part of the -report file the tests read.
type reportJSON struct {
	Input, Output string
	Backend       string
	Quantized     int
	Bytes         int64
	Options       struct {
		NumBits int `json:"num_bits"`
		Axis    int
	}
	Total struct {
		Elements int64
		SQNR     *float64 `json:"sqnr_db"`
	}
	Tensors []struct {
		Name      string
		DType     string
		Shape     []int
		Quantized bool
		Bytes     int64
		Axis      *int
		Channels  []struct {
			Min, Max, Scale *float64
			Inverse         *float64 `json:"inverse_scale"`
		}
	}
}

func TestRunWeightFileReport(t *testing.T) {
	in, err := os.ReadFile(sampleModel)
	require.NoError(t, err)
	fin := parseSafetensors(t, in)
	var quantized []stTensor
	for _, tt := range fin.tensors {
		if quantizedByDefault(tt) {
			quantized = append(quantized, tt)
		}
	}
	require.NotEmpty(t, quantized)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.safetensors")

	t.Run("table", func(t *testing.T) {
		code, stdout, stderr := qdqCLI("run", "-backend", "cpu", sampleModel, out)
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stderr, "no progress bar when stderr is not a terminal")
		lines := strings.Split(strings.TrimRight(stdout, "\n"), "\n")
		require.Greater(t, len(lines), len(fin.tensors)+1)
		assert.Regexp(t, `^TENSOR\s+DTYPE\s+SHAPE\s+AXIS\s+CHANNELS\s+RANGE\s+SCALE\s+SQNR dB\s+MAX \|ERR\|\s+MEAN \|ERR\|\s+BACKEND$`, lines[0])
		for _, tt := range fin.tensors {
			re := `(?m)^` + regexp.QuoteMeta(tt.Name) + `\s+` + tt.DType + `\s`
			if quantizedByDefault(tt) {
				re += `.*\scpu$`
			} else {
				re += `.*\scopied$`
			}
			assert.Regexp(t, re, stdout, "a row for %s", tt.Name)
		}
		assert.Regexp(t, fmt.Sprintf(`(?m)^total: %d tensors, %d fake-quantized, \S+ \S+ in \S+s .* on cpu \(.*\); SQNR [0-9.]+ dB, max \|err\| \S+, mean \|err\| \S+$`,
			len(fin.tensors), len(quantized)), stdout)
		assert.Equal(t, 1, strings.Count(stdout, "\ntotal:"))
	})

	t.Run("quiet", func(t *testing.T) {
		require.NoError(t, os.Remove(out))
		code, stdout, stderr := qdqCLI("run", "-q", "-backend", "cpu", sampleModel, out)
		require.Equal(t, 0, code, stderr)
		assert.Empty(t, stdout)
		assert.Empty(t, stderr)
		_, err := os.Stat(out)
		assert.NoError(t, err, "-q still writes the output")
	})

	for _, axis := range []int{-1, 0, 1} {
		t.Run(fmt.Sprintf("json axis %d", axis), func(t *testing.T) {
			report := filepath.Join(dir, fmt.Sprintf("report%d.json", axis))
			code, stdout, stderr := qdqCLI("run", "-q", "-backend", "cpu", "-axis", fmt.Sprint(axis), "-bits", "6", "-report", report, sampleModel, out)
			require.Equal(t, 0, code, stderr)
			assert.Empty(t, stdout, "-q")
			b, err := os.ReadFile(report)
			require.NoError(t, err)
			require.True(t, json.Valid(b), "%s", b)
			var r reportJSON
			dec := json.NewDecoder(bytes.NewReader(b))
			require.NoError(t, dec.Decode(&r))
			assert.Equal(t, sampleModel, r.Input)
			assert.Equal(t, out, r.Output)
			assert.Equal(t, "cpu", r.Backend)
			assert.Equal(t, 6, r.Options.NumBits)
			assert.Equal(t, axis, r.Options.Axis)
			assert.Equal(t, len(quantized), r.Quantized)
			assert.Positive(t, r.Total.Elements)
			require.NotNil(t, r.Total.SQNR)
			assert.Greater(t, *r.Total.SQNR, 0.0)
			require.Len(t, r.Tensors, len(fin.tensors))
			var total int64
			for i, jt := range r.Tensors {
				tt := fin.tensors[i]
				assert.Equal(t, tt.Name, jt.Name, "file order")
				assert.Equal(t, tt.DType, jt.DType)
				assert.Equal(t, tt.Shape, jt.Shape)
				assert.Equal(t, tt.DataOffsets[1]-tt.DataOffsets[0], jt.Bytes)
				total += jt.Bytes
				assert.Equal(t, quantizedByDefault(tt), jt.Quantized, tt.Name)
				if !jt.Quantized {
					assert.Nil(t, jt.Axis, tt.Name)
					assert.Empty(t, jt.Channels, tt.Name)
					continue
				}
				require.NotNil(t, jt.Axis, tt.Name)
				assert.Equal(t, axis, *jt.Axis, tt.Name)
				want := 1
				if axis >= 0 {
					want = tt.Shape[axis]
				}
				require.Len(t, jt.Channels, want, "%s: one entry per channel", tt.Name)
				for c, ch := range jt.Channels {
					require.True(t, ch.Min != nil && ch.Max != nil && ch.Scale != nil && ch.Inverse != nil, "%s channel %d", tt.Name, c)
					assert.LessOrEqual(t, *ch.Min, 0.0)
					assert.GreaterOrEqual(t, *ch.Max, 0.0)
					assert.Positive(t, *ch.Scale)
				}
			}
			assert.Equal(t, total, r.Bytes)
		})
	}
}

// assertUnchangedFile checks that path holds exactly want.
func assertUnchangedFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, got), "%s changed", path)
}

// leftovers returns the names in dir other than keep.
func leftovers(t *testing.T, dir string, keep ...string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if !slices.Contains(keep, e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names
}

func TestRunWeightFileErrors(t *testing.T) {
	model, err := os.ReadFile(sampleModel)
	require.NoError(t, err)
	dir := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	in := file("in.safetensors", model)
	truncated := file("truncated.safetensors", model[:len(model)-3])
	short := file("short.safetensors", model[:5])
	empty := file("empty.safetensors", nil)
	garbage := file("garbage.safetensors", []byte("PK\x03\x04 this is a zip file, not a model"))
	huge := file("huge.safetensors", append(binary.LittleEndian.AppendUint64(nil, 100_000_001), "{}"...))
	link := filepath.Join(dir, "link.safetensors")
	require.NoError(t, os.Link(in, link))
	subdir := filepath.Join(dir, "sub.safetensors")
	require.NoError(t, os.Mkdir(subdir, 0o755))
	missing := filepath.Join(dir, "missing.safetensors")
	npyIn := filepath.Join(dir, "in.npy")
	require.NoError(t, os.WriteFile(npyIn, []byte("\x93NUMPY"), 0o644))
	keep := []string{"in.safetensors", "truncated.safetensors", "short.safetensors", "empty.safetensors", "garbage.safetensors",
		"huge.safetensors", "link.safetensors", "sub.safetensors", "in.npy"}

	out := filepath.Join(dir, "out.safetensors")
	cases := []struct {
		name string
		args []string // flags and IN
		dst  string   // OUT: out when empty
		msg  []string
	}{
		{"truncated", []string{truncated}, "", []string{truncated + ": ", `tensor "optimizer.step"`, "beyond data buffer"}},
		{"shorter than the length", []string{short}, "", []string{short + ": unexpected EOF"}},
		{"empty", []string{empty}, "", []string{empty + ": unexpected EOF"}},
		{"garbage", []string{garbage}, "", []string{garbage + ": ", "header length", "exceeds limit"}},
		{"header over 100 MB", []string{huge}, "", []string{huge + ": ", "header length 100000001 exceeds limit"}},
		{"directory", []string{subdir}, "", []string{"qdq: " + subdir + ": not a regular file\n"}},
		{"missing", []string{missing}, "", []string{"qdq: " + missing + ": no such file or directory\n"}},
		{"npy in, safetensors out", []string{npyIn}, "", []string{"IN and OUT must both be .npy or both be .safetensors"}},
		{"safetensors in, npy out", []string{in}, filepath.Join(dir, "out.npy"), []string{"IN and OUT must both be .npy or both be .safetensors"}},
		{"-mem abc", []string{"-mem", "abc", in}, "", []string{`-mem: "abc" is not a size`}},
		{"-mem 0", []string{"-mem", "0", in}, "", []string{`-mem: "0" is out of range`}},
		{"-mem -1", []string{"-mem", "-1", in}, "", []string{`-mem: "-1" is not a size`}},
		{"-mem 12XB", []string{"-mem", "12XB", in}, "", []string{`-mem: "12XB": unknown unit "XB"`}},
		{"-mem 1e30", []string{"-mem", "1e30", in}, "", []string{`-mem: "1e30"`}},
		{"-mem on npy", []string{"-mem", "1G", npyIn}, filepath.Join(dir, "out.npy"), []string{"apply to .safetensors files only"}},
		{"-axis 2 on rank 2", []string{"-axis", "2", in}, "", []string{in + `: tensor "embed.weight": `, "rank"}},
		{"-axis -3 on rank 2", []string{"-axis", "-3", in}, "", []string{in + `: tensor "embed.weight": axis -3: the tensor has rank 2`}},
		{"-axis 1 -all", []string{"-all", "-axis", "1", in}, "", []string{in + `: tensor "layers.0.proj.bias": `, "rank"}},
		{"-range-given list", []string{"-range-given", "-min", "-1,-2", "-max", "1,2", in}, "", []string{"-min: a weight file takes one number"}},
		{"bad -include pattern", []string{"-include", "[", in}, "", []string{`pattern "["`}},
		{"-bits 0", []string{"-bits", "0", in}, "", []string{"num_bits is out of range"}},
		{"refuse to overwrite the input", []string{in}, in, []string{in + ": is the input file"}},
		{"refuse a hard link to the input", []string{in}, link, []string{link + ": is the input file"}},
		{"out is a directory", []string{in}, subdir, []string{subdir + ": is a directory"}},
		{"out in a missing directory", []string{in}, filepath.Join(dir, "nodir", "o.safetensors"), []string{"nodir/o.safetensors: cannot create: no such file or directory"}},
		{"-report is the input", []string{"-report", in, in}, "", []string{"-report " + in + ": is also IN or OUT"}},
		{"-report is a link to the input", []string{"-report", link, in}, "", []string{"-report " + link + ": is also IN or OUT"}},
		{"-report is the output", []string{"-report", out, in}, "", []string{"-report " + out + ": is also IN or OUT"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dst := tc.dst
			if dst == "" {
				dst = out
			}
			args := append(append([]string{"run", "-backend", "cpu"}, tc.args...), dst)
			code, stdout, stderr := qdqCLI(args...)
			assert.Equal(t, 2, code, stderr)
			assert.Empty(t, stdout)
			assert.Regexp(t, `^qdq: [^\n]+\n$`, stderr, "exactly one line on stderr")
			for _, m := range tc.msg {
				assert.Contains(t, stderr, m)
			}
			assert.Empty(t, leftovers(t, dir, keep...), "no output and no temporary file")
			assertUnchangedFile(t, in, model)
			st, err := os.Stat(subdir)
			require.NoError(t, err)
			assert.True(t, st.IsDir())
		})
	}

	t.Run("existing output unchanged", func(t *testing.T) {
		require.NoError(t, os.WriteFile(out, []byte("precious"), 0o600))
		defer os.Remove(out)
		for _, args := range [][]string{{truncated}, {"-axis", "2", in}, {"-mem", "abc", in}} {
			code, _, stderr := qdqCLI(append(append([]string{"run"}, args...), out)...)
			assert.Equal(t, 2, code, stderr)
			assertUnchangedFile(t, out, []byte("precious"))
			assert.Empty(t, leftovers(t, dir, append(keep, "out.safetensors")...))
		}
	})
}

// writeBigModel writes a model of count F32 tensors of 32 MiB each.
func writeBigModel(t *testing.T, path string, count int) {
	f, err := os.Create(path)
	require.NoError(t, err)
	w := bufio.NewWriterSize(f, 1<<20)
	var tensors []safetensors.Tensor
	for i := range count {
		tensors = append(tensors, safetensors.Tensor{Name: fmt.Sprintf("layers.%d.weight", i), DType: "F32", Shape: []int{2048, 4096}})
	}
	sw, err := safetensors.NewWriter(w, tensors, map[string]string{"format": "pt"})
	require.NoError(t, err)
	data := make([]byte, 32<<20)
	for j := range len(data) / 4 {
		binary.LittleEndian.PutUint32(data[4*j:], math.Float32bits(float32(j%1999)/1000-1))
	}
	for i := range count {
		binary.LittleEndian.PutUint32(data, math.Float32bits(float32(i))) // each tensor its own
		require.NoError(t, sw.WriteTensor(data))
	}
	require.NoError(t, sw.Close())
	require.NoError(t, w.Flush())
	require.NoError(t, f.Close())
}

func hashFile(t *testing.T, path string) [sha256.Size]byte {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	h := sha256.New()
	_, err = io.Copy(h, f)
	require.NoError(t, err)
	return [sha256.Size]byte(h.Sum(nil))
}

func TestRunWeightFileInterrupt(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("os.Interrupt cannot be sent to a process on Windows")
	}
	if os.Getenv("QDQ_EMULATED") != "" {
		t.Skip("QDQ_EMULATED is set: this test starts its own binary again, which an emulator without binfmt_misc cannot")
	}
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "the go command builds the binary under test")
	dir := t.TempDir()
	bin := filepath.Join(dir, "qdq")
	build := exec.Command(goTool, "build", "-o", bin, ".")
	msg, err := build.CombinedOutput()
	require.NoError(t, err, "%s", msg)

	in := filepath.Join(dir, "big.safetensors")
	writeBigModel(t, in, 8)
	sum := hashFile(t, in)
	outDir := filepath.Join(dir, "out")
	require.NoError(t, os.Mkdir(outDir, 0o755))
	out := filepath.Join(outDir, "big.int8.safetensors")

	cmd := exec.Command(bin, "run", "-backend", "cpu", in, out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	kill := func() {
		cmd.Process.Kill()
		<-done
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		tmp, err := filepath.Glob(filepath.Join(outDir, ".*.tmp"))
		require.NoError(t, err)
		if len(tmp) > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("qdq ended (%v) before its temporary file was seen; stderr: %s", err, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			kill()
			t.Fatal("no temporary output file appeared in 10s")
		}
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		kill()
		t.Fatal("qdq did not stop within 10s of the interrupt")
	}
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "exit status: %v", err)
	assert.Equal(t, 1, exit.ExitCode(), "stderr: %s", stderr.String())
	assert.Equal(t, "qdq: interrupted: "+out+" was not written\n", stderr.String())
	assert.Empty(t, stdout.String())
	entries, err := os.ReadDir(outDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no output and no temporary file")
	assert.Equal(t, sum, hashFile(t, in), "the input is unchanged")
}

func TestParseBytes(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"512MiB", 512 << 20},
		{"2G", 2 << 30},
		{"1000000", 1_000_000},
		{"1.5GiB", 3 << 29},
		{"10KB", 10_000},
		{"10kb", 10_000},
		{" 64 MiB ", 64 << 20},
		{"1B", 1},
		{"3T", 3 << 40},
		{"2TB", 2e12},
	}
	for _, c := range good {
		t.Run(c.in, func(t *testing.T) {
			got, err := parseBytes(c.in)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	bad := []struct{ in, msg string }{
		{"", "is not a size"},
		{"-1", "is not a size"},
		{"12XB", `unknown unit "XB"`},
		{"abc", "is not a size"},
		{"0", "out of range"},
		{"0.5", "out of range"},
		{"1..5G", "is not a size"},
		{"9000000T", "out of range"},
		{"G", "is not a size"},
	}
	for _, c := range bad {
		t.Run("bad "+c.in, func(t *testing.T) {
			got, err := parseBytes(c.in)
			assert.Zero(t, got)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", c.in), "the message quotes the value")
		})
	}
}
