package qdq_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/qdqvk/qdq"
)

// FuzzOptions feeds arbitrary attributes, shapes and ranges to the API: it
// must return a result or a *qdq.Error, never panic.
func FuzzOptions(f *testing.F) {
	f.Add(8, true, false, false, -1, uint8(0), 0.0, 0.0, uint8(2), uint64(3), uint8(0))
	f.Add(1, true, true, true, 0, uint8(1), -1.0, 1.0, uint8(1), uint64(0), uint8(4))
	f.Add(62, false, false, true, 5, uint8(3), math.NaN(), math.Inf(1), uint8(0), uint64(0), uint8(0))
	f.Add(-7, true, false, true, -2, uint8(0), 1.0, -1.0, uint8(7), uint64(7), uint8(1))
	f.Add(8, true, false, false, 1, uint8(0), 0.0, 0.0, uint8(0), uint64(1)<<62, uint8(0))
	f.Fuzz(func(t *testing.T, bits int, signed, narrow, given bool, axis int, round uint8, lo, hi float64, d0 uint8, d1 uint64, nmin uint8) {
		// An empty tensor may claim any second dimension; others stay small.
		shape := []int{int(d0 % 9), int(d1 % 9)}
		if shape[0] == 0 {
			shape[1] = int(d1 >> 1)
		}
		n := shape[0] * shape[1]
		data := make([]float32, n)
		for i := range data {
			data[i] = float32(i) - float32(n)/2
		}
		o := qdq.Options{SignedInput: signed, NumBits: bits, RangeGiven: given, RoundMode: qdq.RoundMode(round),
			NarrowRange: narrow, Axis: axis}
		for range nmin % 12 {
			o.InputMin, o.InputMax = append(o.InputMin, lo), append(o.InputMax, hi)
		}
		for _, dtype := range []qdq.DType{qdq.F32, qdq.BF16} {
			var (
				out any
				err error
			)
			if dtype == qdq.F32 {
				out, _, err = qdq.Apply(data, shape, o)
			} else {
				b := make([]qdq.BFloat16, n)
				out, _, err = qdq.Apply(b, shape, o)
			}
			var qerr *qdq.Error
			if err != nil && !errors.As(err, &qerr) {
				t.Fatalf("error %v is not a *qdq.Error", err)
			}
			if err == nil && out == nil {
				t.Fatal("no error and no output")
			}
		}
	})
}

// FuzzQuantizeFile feeds arbitrary bytes to QuantizeFile as a
// .safetensors file, with a few option sets: it must write a complete
// output or return an error leaving nothing behind, never panic. An
// output must keep the input's size, header and unselected bytes.
func FuzzQuantizeFile(f *testing.F) {
	model, err := os.ReadFile("testdata/model.safetensors")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(model, uint8(0))
	f.Add(model[:200], uint8(1))
	f.Add(model[:len(model)-1], uint8(2))
	f.Add([]byte{2, 0, 0, 0, 0, 0, 0, 0, '{', '}'}, uint8(3))
	engine, err := qdq.NewEngine(qdq.Config{Backend: qdq.CPU})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, file []byte, mode uint8) {
		dir := t.TempDir()
		src, dst := filepath.Join(dir, "in.safetensors"), filepath.Join(dir, "out.safetensors")
		if err := os.WriteFile(src, file, 0o644); err != nil {
			t.Fatal(err)
		}
		fo := qdq.FileOptions{Options: qdq.DefaultOptions(), All: mode&1 != 0, MemoryLimit: int64(mode>>4) << 12}
		fo.Axis = int(mode>>1&3) - 2 // -2, -1, 0, 1
		rep, err := engine.QuantizeFile(context.Background(), dst, src, fo)
		left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
		if len(left) > 0 {
			t.Fatalf("temporary files left: %v", left)
		}
		if err != nil {
			var qe *qdq.Error
			if !errors.As(err, &qe) {
				t.Fatalf("not a *qdq.Error: %v", err)
			}
			if _, serr := os.Stat(dst); serr == nil {
				t.Fatalf("output written despite %v", err)
			}
			return
		}
		out, rerr := os.ReadFile(dst)
		if rerr != nil {
			t.Fatal(rerr)
		}
		if len(out) != len(file) {
			t.Fatalf("output is %d bytes, input %d", len(out), len(file))
		}
		for _, tr := range rep.Tensors {
			if !tr.Quantized {
				continue
			}
			if math.IsNaN(tr.Error.MaxAbs) {
				t.Fatalf("%s: NaN max error", tr.Name)
			}
		}
	})
}
