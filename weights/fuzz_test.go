package weights_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/weights"
)

// FuzzQuantizeFile feeds arbitrary bytes to QuantizeFile as a
// .safetensors file, with a few option sets: it must write a complete
// output or return an error leaving nothing behind, never panic. An
// output must keep the input's size, header and unselected bytes.
func FuzzQuantizeFile(f *testing.F) {
	model, err := os.ReadFile("../testdata/model.safetensors")
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
		fo := weights.Options{Options: qdq.DefaultOptions(), All: mode&1 != 0, MemoryLimit: int64(mode>>4) << 12}
		fo.PerChannel, fo.Axis = mode>>1&3 != 1, int(mode>>1&3)-2 // -2, per tensor, 0, 1
		rep, err := weights.QuantizeFile(context.Background(), engine, dst, src, fo)
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
