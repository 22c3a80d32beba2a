// Command gen writes the committed sample data, deterministically, so that
// every binary file under testdata can be regenerated and checked:
//
//   - testdata/demo.npy: a [16, 32] float32 weight matrix.
//   - testdata/model.safetensors: a small "model" of three layers, with
//     2-D weights in F32, F16 and BF16, 1-D biases and norms, an I64
//     tensor, a BOOL mask and __metadata__.
//   - testdata/model.int8.safetensors: the model fake-quantized with
//     qdq's defaults (signed 8-bit, one range per tensor, HALF_TO_EVEN;
//     rank 2 and more only) by the plain reference implementation. Tests
//     compare every backend's output with it byte for byte.
//
// It also writes large synthetic F32 weight files for benchmarks, which
// are not committed.
//
// Usage (from the module root):
//
//	go run ./testdata/gen          rewrite the files
//	go run ./testdata/gen -check   fail if a committed file differs
//	go run ./testdata/gen -big /tmp/big.safetensors -mib 2048 -tensors 8
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/npy"
	"github.com/qdqvk/qdq/internal/safetensors"
	"github.com/qdqvk/qdq/weights"
)

const (
	demoPath   = "testdata/demo.npy"
	modelPath  = "testdata/model.safetensors"
	outputPath = "testdata/model.int8.safetensors"
)

// demo returns a [16, 32] matrix of weights: each row a normal
// distribution with its own spread (as layers' output channels have), a few
// outliers, and exact zeros, as pruned weights do.
func demo() ([]int, []float32) {
	r := rand.New(rand.NewPCG(2026, 11))
	shape := []int{16, 32}
	w := make([]float32, shape[0]*shape[1])
	for row := range shape[0] {
		spread := 0.02 * math.Exp(float64(row)/6)
		for col := range shape[1] {
			v := r.NormFloat64() * spread
			switch {
			case r.IntN(40) == 0:
				v *= 6 // an outlier
			case r.IntN(25) == 0:
				v = 0
			}
			w[row*shape[1]+col] = float32(v)
		}
	}
	return shape, w
}

// tensor is one tensor of the model, its data as little-endian bytes.
type tensor struct {
	name, dtype string
	shape       []int
	data        []byte
}

// normalTensor draws a tensor of normal values whose spread grows along the
// first axis, with outliers and pruned zeros, stored as dtype.
func normalTensor(r *rand.Rand, name, dtype string, shape []int, spread float64) tensor {
	n, rows := 1, 1
	for i, d := range shape {
		n *= d
		if i == 0 {
			rows = d
		}
	}
	t := tensor{name: name, dtype: dtype, shape: shape}
	for i := range n {
		row := i / max(n/rows, 1)
		v := r.NormFloat64() * spread * math.Exp(float64(row%16)/12)
		switch {
		case r.IntN(50) == 0:
			v *= 5
		case r.IntN(30) == 0:
			v = 0
		}
		switch dtype {
		case "F32":
			t.data = binary.LittleEndian.AppendUint32(t.data, math.Float32bits(float32(v)))
		case "F16":
			t.data = binary.LittleEndian.AppendUint16(t.data, qdq.Float16FromFloat64(v).Bits())
		case "BF16":
			t.data = binary.LittleEndian.AppendUint16(t.data, qdq.BFloat16FromFloat64(v).Bits())
		}
	}
	return t
}

// model returns the tensors of a three-layer model: an embedding, two
// blocks of a projection, its bias and a norm, and a head.
func model() []tensor {
	r := rand.New(rand.NewPCG(2026, 4))
	var ts []tensor
	ts = append(ts, normalTensor(r, "embed.weight", "BF16", []int{64, 32}, 0.05))
	for i, dtype := range []string{"F32", "F16"} {
		p := fmt.Sprintf("layers.%d.", i)
		ts = append(ts,
			normalTensor(r, p+"proj.weight", dtype, []int{96, 32}, 0.04),
			normalTensor(r, p+"proj.bias", dtype, []int{96}, 0.01),
			normalTensor(r, p+"out.weight", dtype, []int{32, 96}, 0.03),
			normalTensor(r, p+"norm.weight", "F32", []int{32}, 0.2),
		)
	}
	step := tensor{name: "optimizer.step", dtype: "I64", shape: []int{}}
	step.data = binary.LittleEndian.AppendUint64(nil, 120000)
	mask := tensor{name: "head.mask", dtype: "BOOL", shape: []int{8}, data: []byte{1, 1, 0, 1, 1, 1, 0, 1}}
	ts = append(ts, normalTensor(r, "head.weight", "F32", []int{10, 32}, 0.1), mask, step)
	return ts
}

// encodeModel returns the model as a safetensors file.
func encodeModel() ([]byte, error) {
	ts := model()
	hdr := make([]safetensors.Tensor, len(ts))
	for i, t := range ts {
		hdr[i] = safetensors.Tensor{Name: t.name, DType: t.dtype, Shape: t.shape}
	}
	var b bytes.Buffer
	meta := map[string]string{"format": "pt", "generator": "go run ./testdata/gen", "description": "qdq sample model: synthetic weights"}
	w, err := safetensors.NewWriter(&b, hdr, meta)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if err := w.WriteTensor(t.data); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), w.Close()
}

// quantize returns the model fake-quantized by the reference
// implementation with qdq's defaults.
func quantize(model []byte) ([]byte, error) {
	dir, err := os.MkdirTemp("", "qdq-gen")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "out.safetensors")
	if err := os.WriteFile(in, model, 0o644); err != nil {
		return nil, err
	}
	e, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU, Reference: true})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if _, err := weights.QuantizeFile(context.Background(), e, out, in, weights.Options{}); err != nil {
		return nil, err
	}
	return os.ReadFile(out)
}

func main() {
	check := flag.Bool("check", false, "compare with the committed files instead of writing them")
	big := flag.String("big", "", "write a synthetic F32 weight file of -mib MiB in -tensors square-ish tensors to this path, and nothing else")
	mib := flag.Int("mib", 2048, "size of the -big file's tensor data in MiB")
	tensors := flag.Int("tensors", 8, "number of tensors in the -big file")
	flag.Parse()
	if *big != "" {
		if err := writeBig(*big, *mib, *tensors); err != nil {
			fail(err)
		}
		return
	}
	shape, data := demo()
	var b bytes.Buffer
	if err := npy.Write(&b, "<f4", shape, data); err != nil {
		fail(err)
	}
	m, err := encodeModel()
	if err != nil {
		fail(err)
	}
	q, err := quantize(m)
	if err != nil {
		fail(err)
	}
	for _, f := range []struct {
		path string
		data []byte
	}{{demoPath, b.Bytes()}, {modelPath, m}, {outputPath, q}} {
		if *check {
			old, err := os.ReadFile(f.path)
			if err != nil {
				fail(err)
			}
			if !bytes.Equal(old, f.data) {
				fail(fmt.Errorf("%s is stale: run go run ./testdata/gen", f.path))
			}
			continue
		}
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			fail(err)
		}
	}
}

// writeBig writes a safetensors file of n F32 tensors holding mib MiB in
// all, each [rows, 4096], with normal values; one tensor's data is in
// memory at a time.
func writeBig(path string, mib, n int) error {
	if mib <= 0 || n <= 0 || mib%n != 0 || (mib/n)%16 != 0 {
		return fmt.Errorf("-mib %d must be a positive multiple of 16 MiB per tensor (-tensors %d)", mib, n)
	}
	rows := (mib / n) << 20 / (4 * 4096)
	hdr := make([]safetensors.Tensor, n)
	for i := range hdr {
		hdr[i] = safetensors.Tensor{Name: fmt.Sprintf("layers.%d.weight", i), DType: "F32", Shape: []int{rows, 4096}}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w, err := safetensors.NewWriter(f, hdr, map[string]string{"generator": "go run ./testdata/gen -big"})
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(uint64(mib), uint64(n)))
	data := make([]byte, rows*4096*4)
	for i := range n {
		spread := 0.02 * float64(i+1)
		for j := 0; j < len(data); j += 4 {
			binary.LittleEndian.PutUint32(data[j:], math.Float32bits(float32(r.NormFloat64()*spread)))
		}
		if err := w.WriteTensor(data); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
