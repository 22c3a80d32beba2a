package weights_test

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/qdqvk/qdq"
	"github.com/qdqvk/qdq/internal/qdqtest"
	"github.com/qdqvk/qdq/weights"
)

// tensorsOfEveryDType returns a tensor of each dtype, NaNs and signed
// zeros included, and a scalar.
func tensorsOfEveryDType(t *testing.T) []weights.Named {
	vals := []float64{1.5, -2.25, math.Copysign(0, -1), math.NaN(), 65504, -1e-3}
	var out []weights.Named
	for _, d := range qdqtest.DTypes {
		out = append(out, weights.Named{Name: "w." + d.String(), Tensor: qdqtest.Tensor(t, d, []int{2, 3}, vals)})
	}
	return append(out, weights.Named{Name: "scalar", Tensor: qdqtest.Tensor(t, qdq.F32, []int{}, []float64{7})})
}

func TestNPYRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, n := range tensorsOfEveryDType(t) {
		path := filepath.Join(dir, n.Name+".npy")
		require.NoError(t, weights.WriteNPY(path, n.Tensor))
		got, err := weights.ReadNPY(path, n.Tensor.DType() == qdq.BF16)
		require.NoError(t, err, n.Name)
		assert.Equal(t, n.Tensor.DType(), got.DType())
		assert.Equal(t, n.Tensor.Shape(), got.Shape())
		at, same := qdqtest.Same(n.Tensor, got)
		assert.True(t, same, "%s: element %d", n.Name, at)
	}
	_, err := weights.ReadNPY(filepath.Join(dir, "w.bfloat16.npy"), false)
	assert.ErrorIs(t, err, qdq.ErrFile, "16-bit words need bfloat16 set")
	assert.ErrorContains(t, err, "|V2")
	_, err = weights.ReadNPY(filepath.Join(dir, "w.float16.npy"), true)
	assert.ErrorContains(t, err, "bfloat16 words", "float16 is not bfloat16")
	_, err = weights.ReadNPY(filepath.Join(dir, "missing.npy"), false)
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorIs(t, err, qdq.ErrFile)
	_, err = weights.ReadNPY(dir, false)
	assert.ErrorContains(t, err, "not a regular file")
}

func TestSafetensorsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	in := tensorsOfEveryDType(t)
	meta := map[string]string{"format": "pt"}
	require.NoError(t, weights.WriteSafetensors(path, in, meta))
	got, gotMeta, err := weights.ReadSafetensors(path)
	require.NoError(t, err)
	assert.Equal(t, meta, gotMeta)
	require.Len(t, got, len(in))
	for i := range in {
		assert.Equal(t, in[i].Name, got[i].Name)
		assert.Equal(t, in[i].Tensor.Shape(), got[i].Tensor.Shape())
		at, same := qdqtest.Same(in[i].Tensor, got[i].Tensor)
		assert.True(t, same, "%s: element %d", in[i].Name, at)
	}
	err = weights.WriteSafetensors(path, []weights.Named{{Name: "bad"}}, nil)
	assert.ErrorIs(t, err, qdq.ErrDType)
	_, _, err = weights.ReadSafetensors(filepath.Join(dir, "missing.safetensors"))
	assert.True(t, errors.Is(err, fs.ErrNotExist) && errors.Is(err, qdq.ErrFile), "%v", err)
}

// TestReadWhatQuantizeFileWrote loads a fake-quantized file back: each
// floating tensor is the single-tensor API's result, integer tensors are
// left out.
func TestReadWhatQuantizeFileWrote(t *testing.T) {
	dir := t.TempDir()
	src, dst := "../testdata/model.safetensors", filepath.Join(dir, "q.safetensors")
	e := engineFor(t, qdq.CPU)
	_, err := weights.QuantizeFile(context.Background(), e, dst, src, weights.Options{All: true})
	require.NoError(t, err)
	before, _, err := weights.ReadSafetensors(src)
	require.NoError(t, err)
	after, meta, err := weights.ReadSafetensors(dst)
	require.NoError(t, err)
	assert.NotEmpty(t, meta)
	require.Len(t, after, len(before))
	for i := range before {
		want, _, err := e.Run(context.Background(), before[i].Tensor, qdq.Options{})
		require.NoError(t, err)
		at, same := qdqtest.Same(want, after[i].Tensor)
		assert.True(t, same, "%s: element %d", before[i].Name, at)
	}
	fi, err := os.Stat(dst)
	require.NoError(t, err)
	assert.Positive(t, fi.Size())
}
