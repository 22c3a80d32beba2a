package npy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// data returns the one non-nil slice of a, or an error if there is not
// exactly one.
func data(a *Array) (any, error) {
	var found []any
	if a.F32 != nil {
		found = append(found, a.F32)
	}
	if a.F64 != nil {
		found = append(found, a.F64)
	}
	if a.U16 != nil {
		found = append(found, a.U16)
	}
	if len(found) != 1 {
		return nil, errors.New("not exactly one non-nil slice")
	}
	return found[0], nil
}

func FuzzRead(f *testing.F) {
	seeds := []struct {
		descr string
		shape []int
		data  any
	}{
		{"<f4", []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}},
		{"<f4", []int{}, []float32{-1}},
		{"<f8", []int{3}, []float64{1, 2, 3}},
		{"<f8", []int{0, 4}, []float64{}},
		{"<f2", []int{2}, []uint16{0x3c00, 0x7e00}},
		{"<u2", []int{1, 1, 1}, []uint16{7}},
		{"|V2", []int{2, 2}, []uint16{1, 2, 3, 4}},
	}
	for _, s := range seeds {
		var buf bytes.Buffer
		require.NoError(f, Write(&buf, s.descr, s.shape, s.data))
		f.Add(buf.Bytes())
		f.Add(buf.Bytes()[:buf.Len()-1])
	}
	files, err := filepath.Glob(filepath.Join("testdata", "*.npy"))
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte("\x93NUMPY\x01\x00"))
	f.Add(npyFile(2, "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }", nil))
	f.Add(npyFile(3, "{'descr': [('a', '<f4', (2,))], 'fortran_order': False, 'shape': (), }", make([]byte, 8)))
	f.Add(npyFile(1, `{"shape": (1,), "descr": "<f2", "fortran_order": False}`, make([]byte, 2)))

	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := Read(bytes.NewReader(in), int64(len(in)))
		if err != nil {
			var fe FormatError
			var ue UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		d, err := data(a)
		require.NoError(t, err)
		_, off, err := ReadHeader(bytes.NewReader(in))
		require.NoError(t, err)
		n, err := a.Elements()
		require.NoError(t, err)
		size, err := a.ItemSize()
		require.NoError(t, err)
		require.EqualValues(t, len(in), off+int64(n*size), "file size does not match header")

		var buf bytes.Buffer
		require.NoError(t, Write(&buf, a.Descr, a.Shape, d))
		out := buf.Bytes()
		b, err := Read(bytes.NewReader(out), int64(len(out)))
		require.NoError(t, err)
		assert.Equal(t, a.Header, b.Header)
		assert.Equal(t, f32bits(a.F32), f32bits(b.F32))
		assert.Equal(t, f64bits(a.F64), f64bits(b.F64))
		assert.Equal(t, a.U16, b.U16)

		var again bytes.Buffer
		d, err = data(b)
		require.NoError(t, err)
		require.NoError(t, Write(&again, b.Descr, b.Shape, d))
		assert.Equal(t, out, again.Bytes(), "Write is not stable")
	})
}
