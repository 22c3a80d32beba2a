package weights_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
	"github.com/qdqvk/qdq/internal/safetensors"
	"github.com/qdqvk/qdq/weights"
)

// modelTensor is a tensor of a test model, its data as little-endian
// bytes.
type modelTensor struct {
	name, dtype string
	shape       []int
	data        []byte
}

// testModel returns the tensors of a small model: weights of every
// floating dtype, biases, an integer tensor, a scalar, an empty tensor,
// special values.
func testModel(seed uint64) []modelTensor {
	r := rand.New(rand.NewPCG(seed, 7))
	floats := func(dtype string, shape []int, spread float64) modelTensor {
		n := 1
		for _, d := range shape {
			n *= d
		}
		var b []byte
		for i := range n {
			v := r.NormFloat64() * spread * (1 + float64(i%7))
			switch dtype {
			case "F32":
				b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(v)))
			case "F64":
				b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
			case "F16":
				b = binary.LittleEndian.AppendUint16(b, uint16(qdq.Float16FromFloat64(v)))
			case "BF16":
				b = binary.LittleEndian.AppendUint16(b, qdq.BFloat16FromFloat64(v).Bits())
			}
		}
		return modelTensor{fmt.Sprintf("t%d.%s", len(shape), strings.ToLower(dtype)), dtype, shape, b}
	}
	named := func(name string, t modelTensor) modelTensor { t.name = name; return t }
	special := floats("F32", []int{4, 6}, 1)
	binary.LittleEndian.PutUint32(special.data[4:], math.Float32bits(float32(math.NaN())))
	binary.LittleEndian.PutUint32(special.data[40:], math.Float32bits(float32(math.Inf(1))))
	return []modelTensor{
		named("embed.weight", floats("BF16", []int{40, 24}, 0.1)),
		named("layers.0.attn.weight", floats("F32", []int{24, 3, 24}, 0.05)),
		named("layers.0.attn.bias", floats("F32", []int{24}, 0.01)),
		named("layers.0.mlp.weight", floats("F16", []int{48, 24}, 0.02)),
		named("layers.0.norm", floats("F16", []int{48}, 1)),
		named("layers.0.step", modelTensor{dtype: "I64", shape: []int{3}, data: []byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0}}),
		named("layers.0.mask", modelTensor{dtype: "BOOL", shape: []int{2, 2}, data: []byte{1, 0, 0, 1}}),
		named("layers.1.proj.weight", floats("F64", []int{16, 20}, 0.3)),
		named("layers.1.scale", floats("F32", nil, 1)),
		named("layers.1.empty", floats("F32", []int{0, 5}, 1)),
		named("layers.1.special", special),
		named("head.weight", floats("F32", []int{300, 257}, 0.02)),
	}
}

// writeModel writes tensors as a safetensors file.
func writeModel(t testing.TB, path string, tensors []modelTensor, meta map[string]string) []byte {
	var buf bytes.Buffer
	hdr := make([]safetensors.Tensor, len(tensors))
	for i, mt := range tensors {
		hdr[i] = safetensors.Tensor{Name: mt.name, DType: mt.dtype, Shape: mt.shape}
	}
	w, err := safetensors.NewWriter(&buf, hdr, meta)
	require.NoError(t, err)
	for _, mt := range tensors {
		require.NoError(t, w.WriteTensor(mt.data))
	}
	require.NoError(t, w.Close())
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return buf.Bytes()
}

// readModel parses a safetensors file into its header and each tensor's
// bytes.
func readModel(t testing.TB, file []byte) (*safetensors.File, map[string][]byte) {
	hdr, err := safetensors.ReadHeader(bytes.NewReader(file), int64(len(file)))
	require.NoError(t, err)
	data := map[string][]byte{}
	for _, tt := range hdr.Tensors {
		data[tt.Name] = file[hdr.DataOffset+tt.Begin : hdr.DataOffset+tt.End]
	}
	return hdr, data
}

// tensorOf makes a tensor of the given safetensors dtype from bytes.
func tensorOf(t testing.TB, dtype string, shape []int, b []byte) qdq.Tensor {
	var (
		tn  qdq.Tensor
		err error
	)
	switch dtype {
	case "F32":
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		tn, err = qdq.NewTensor(shape, v)
	case "F64":
		v := make([]float64, len(b)/8)
		for i := range v {
			v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		}
		tn, err = qdq.NewTensor(shape, v)
	default:
		v := make([]uint16, len(b)/2)
		for i := range v {
			v[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		d := qdq.F16
		if dtype == "BF16" {
			d = qdq.BF16
		}
		tn, err = qdq.NewTensorBits(d, shape, v)
	}
	require.NoError(t, err)
	return tn
}

// collect makes fo's OnTensor also record each tensor's channels, and
// returns where they go.
func collect(fo *weights.Options) map[string][]qdq.Channel {
	chans := map[string][]qdq.Channel{}
	next := fo.OnTensor
	fo.OnTensor = func(tr weights.TensorReport) error {
		chans[tr.Name] = tr.Channels
		if next != nil {
			return next(tr)
		}
		return nil
	}
	return chans
}

// checkFile checks that out is in with exactly the selected tensors
// replaced by the single-tensor API's result, bit for bit, and that the
// channels OnTensor saw (collect) are that call's.
func checkFile(t *testing.T, in, out []byte, rep *weights.Report, chans map[string][]qdq.Channel) {
	t.Helper()
	inHdr, inData := readModel(t, in)
	outHdr, outData := readModel(t, out)
	require.Equal(t, len(in), len(out))
	assert.Equal(t, inHdr.HeaderJSON, outHdr.HeaderJSON, "the header and metadata are copied byte for byte")
	require.Len(t, rep.Tensors, len(inHdr.Tensors))
	quantized := 0
	for i, tt := range inHdr.Tensors {
		tr := rep.Tensors[i]
		require.Equal(t, tt.Name, tr.Name, "file order")
		if !tr.Quantized {
			assert.Equal(t, inData[tt.Name], outData[tt.Name], "%s copied unchanged", tt.Name)
			continue
		}
		quantized++
		require.Nil(t, tr.Channels, "the report keeps no per-channel parameters")
		want, res, err := cpuEngine.Run(context.Background(), tensorOf(t, tt.DType, tt.Shape, inData[tt.Name]), tr.Options)
		require.NoError(t, err, tt.Name)
		got := tensorOf(t, tt.DType, tt.Shape, outData[tt.Name])
		for k := range want.Len() {
			if math.Float64bits(want.Float64At(k)) != math.Float64bits(got.Float64At(k)) {
				t.Fatalf("%s differs from the single-tensor API at element %d: %g vs %g", tt.Name, k, got.Float64At(k), want.Float64At(k))
			}
		}
		require.Equal(t, fmt.Sprint(weights.Summarize(res.Channels)), fmt.Sprint(tr.Summary), "%s: the summary (NaN matching NaN)", tt.Name)
		require.Len(t, chans[tt.Name], len(res.Channels), tt.Name)
		for c := range res.Channels {
			a, b := res.Channels[c], chans[tt.Name][c]
			same := qdqtest.SameValue(a.Min, b.Min) && qdqtest.SameValue(a.Max, b.Max) && qdqtest.SameValue(a.Scale, b.Scale) && qdqtest.SameValue(a.InverseScale, b.InverseScale)
			require.True(t, same, "%s channel %d: %+v vs %+v", tt.Name, c, b, a)
		}
	}
	assert.Equal(t, quantized, rep.Quantized)
}

func TestQuantizeFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "model.safetensors")
	in := writeModel(t, src, testModel(1), map[string]string{"format": "pt", "note": "é ✓"})
	given := qdq.DefaultOptions()
	given.RangeGiven, given.InputMin, given.InputMax = true, []float64{-0.05}, []float64{0.07}
	cases := []struct {
		name string
		fo   weights.Options
		want []string // the tensors quantized
	}{
		{"default", weights.Options{Options: qdq.DefaultOptions()},
			[]string{"embed.weight", "layers.0.attn.weight", "layers.0.mlp.weight", "layers.1.proj.weight", "layers.1.empty", "layers.1.special", "head.weight"}},
		{"all", weights.Options{Options: qdq.DefaultOptions(), All: true},
			[]string{"embed.weight", "layers.0.attn.weight", "layers.0.attn.bias", "layers.0.mlp.weight", "layers.0.norm", "layers.1.proj.weight", "layers.1.scale", "layers.1.empty", "layers.1.special", "head.weight"}},
		{"axis 0, include, exclude", weights.Options{Options: opts(func(o *qdq.Options) { o.PerChannel, o.Axis = true, 0 }), Include: []string{"layers.*", "head.*"}, Exclude: []string{"*.mlp.*"}},
			[]string{"layers.0.attn.weight", "layers.1.proj.weight", "layers.1.empty", "layers.1.special", "head.weight"}},
		{"axis -2, 4 bits unsigned, half up", weights.Options{Options: opts(func(o *qdq.Options) {
			o.PerChannel, o.Axis, o.NumBits, o.Unsigned, o.RoundMode = true, -2, 4, true, qdq.HalfUp
		})},
			[]string{"embed.weight", "layers.0.attn.weight", "layers.0.mlp.weight", "layers.1.proj.weight", "layers.1.empty", "layers.1.special", "head.weight"}},
		{"range given, per channel", weights.Options{Options: opts(func(o *qdq.Options) { *o = given; o.PerChannel, o.Axis = true, -2 })},
			[]string{"embed.weight", "layers.0.attn.weight", "layers.0.mlp.weight", "layers.1.proj.weight", "layers.1.empty", "layers.1.special", "head.weight"}},
		{"range given, per tensor", weights.Options{Options: given, Include: []string{"head.*"}},
			[]string{"head.weight"}},
	}
	cpuOutputs := map[string][]byte{} // each case's CPU output, which the GPU's must equal
	for _, backend := range []qdq.Backend{qdq.CPU, qdq.GPU} {
		e := engineFor(t, backend)
		for _, tc := range cases {
			// A small memory limit sends the larger tensors through pieces.
			for _, limit := range []int64{0, 20_000} {
				t.Run(fmt.Sprintf("%v/%s/limit %d", backend, tc.name, limit), func(t *testing.T) {
					dst := filepath.Join(dir, "out.safetensors")
					fo := tc.fo
					fo.MemoryLimit = limit
					var seen []string
					fo.OnTensor = func(tr weights.TensorReport) error {
						seen = append(seen, tr.Name)
						return nil
					}
					chans := collect(&fo)
					var progress []weights.Progress
					fo.Progress = func(p weights.Progress) { progress = append(progress, p) }
					rep, err := weights.QuantizeFile(context.Background(), e, dst, src, fo)
					require.NoError(t, err)
					out, err := os.ReadFile(dst)
					require.NoError(t, err)
					checkFile(t, in, out, rep, chans)
					key := fmt.Sprintf("%s/%d", tc.name, limit)
					if backend == qdq.CPU {
						cpuOutputs[key] = out
					} else {
						require.Equal(t, cpuOutputs[key], out, "the GPU's file equals the CPU's, byte for byte")
					}
					var quantized []string
					for _, tr := range rep.Tensors {
						if tr.Quantized {
							quantized = append(quantized, tr.Name)
						}
					}
					assert.ElementsMatch(t, tc.want, quantized)
					assert.Len(t, seen, len(rep.Tensors), "OnTensor saw every tensor")
					require.NotEmpty(t, progress)
					for i := 1; i < len(progress); i++ {
						assert.GreaterOrEqual(t, progress[i].Bytes, progress[i-1].Bytes, "progress never goes back")
						assert.GreaterOrEqual(t, progress[i].Tensors, progress[i-1].Tensors)
					}
					last := progress[len(progress)-1]
					assert.Equal(t, last.TotalBytes, last.Bytes, "the last progress counts every byte")
					assert.Equal(t, rep.Bytes, last.Bytes)
					assert.Equal(t, len(rep.Tensors), last.Tensors)
					assert.Equal(t, len(rep.Tensors), last.TotalTensors)
					leftovers, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
					assert.Empty(t, leftovers)
				})
			}
		}
	}
}

// opts returns DefaultOptions changed by f.
func opts(f func(*qdq.Options)) qdq.Options {
	o := qdq.DefaultOptions()
	f(&o)
	return o
}

// engineFor returns an engine for backend; a GPU engine needs a Vulkan
// device, and the test is skipped without one unless QDQ_REQUIRE_GPU is
// set.
func engineFor(t *testing.T, backend qdq.Backend) *qdq.Engine {
	e, err := qdq.NewEngine(qdq.Config{Backend: backend})
	if err != nil && backend == qdq.GPU && os.Getenv("QDQ_REQUIRE_GPU") == "" {
		t.Skipf("no GPU: %v", err)
	}
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

// cpuEngine runs the single-tensor calls files are compared with.
var cpuEngine, _ = qdq.NewEngine(qdq.Config{Backend: qdq.CPU})

// TestQuantizeFileBoundedMemory runs a 48 MiB file with a 2 MiB memory
// limit: the heap in use must stay far below the file (it is mapped, not
// read into the heap, and streamed in pieces), and the output still be
// the single-tensor API's bits.
func TestQuantizeFileBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 48 MiB file")
	}
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "big.safetensors"), filepath.Join(dir, "out.safetensors")
	var tensors []modelTensor
	for i := range 3 {
		data := make([]byte, 16<<20)
		for k := 0; k < len(data); k += 4 {
			binary.LittleEndian.PutUint32(data[k:], math.Float32bits(float32(math.Sin(float64(k+i)))))
		}
		tensors = append(tensors, modelTensor{fmt.Sprintf("w%d", i), "F32", []int{1024, 4096}, data})
	}
	size := len(writeModel(t, src, tensors, nil))
	tensors = nil // nothing the size of the file stays live while measuring
	e := engineFor(t, qdq.CPU)
	for _, axis := range []int{-1, 0, 1} {
		fo := weights.Options{Options: opts(func(o *qdq.Options) { o.PerChannel, o.Axis = axis != -1, axis }), MemoryLimit: 2 << 20}
		chans := collect(&fo)
		var (
			rep *weights.Report
			err error
		)
		peak := heapPeak(func() { rep, err = weights.QuantizeFile(context.Background(), e, dst, src, fo) })
		require.NoError(t, err)
		if !raceEnabled {
			// Per-channel bookkeeping makes garbage that the collector
			// frees at its own pace; a file read whole would be 100% and more.
			assert.Less(t, peak, uint64(size/3), "axis %d: %d bytes of heap in use for a %d-byte file", axis, peak, size)
		}
		in, err := os.ReadFile(src)
		require.NoError(t, err)
		out, err := os.ReadFile(dst)
		require.NoError(t, err)
		checkFile(t, in, out, rep, chans)
	}
}

// heapPeak runs run and returns the most heap in use above the level
// before it, sampled every millisecond.
func heapPeak(run func()) uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	base := m.HeapInuse
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				if m.HeapInuse > base {
					peak = max(peak, m.HeapInuse-base)
				}
			}
		}
	}()
	run()
	close(stop)
	<-sampled
	return peak
}
