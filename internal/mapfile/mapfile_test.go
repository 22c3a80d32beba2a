package mapfile

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBytes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	data := bytes.Repeat([]byte("0123456789abcdef"), 3000) // several pages
	require.NoError(t, os.WriteFile(path, data, 0o644))
	m, err := Open(path)
	require.NoError(t, err)
	defer m.Close()
	assert.Equal(t, int64(len(data)), m.Size())
	for _, c := range []struct{ off, n int64 }{{0, 0}, {0, 16}, {5, 4096}, {4095, 2}, {int64(len(data)) - 3, 3}, {0, int64(len(data))}} {
		b, copied, err := m.Bytes(c.off, c.n)
		require.NoError(t, err)
		assert.Equal(t, !m.Mapped(), copied)
		assert.Equal(t, data[c.off:c.off+c.n], b, "%+v", c)
		m.Release(c.off, c.n)
		// Released pages read back the same: they stay in the file.
		b, _, err = m.Bytes(c.off, c.n)
		require.NoError(t, err)
		assert.Equal(t, data[c.off:c.off+c.n], b, "%+v after release", c)
	}
	for _, c := range []struct{ off, n int64 }{{-1, 2}, {0, -1}, {int64(len(data)), 1}, {1, int64(len(data))}, {1 << 62, 1 << 62}} {
		_, _, err := m.Bytes(c.off, c.n)
		assert.Error(t, err, "%+v", c)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := Open(filepath.Join(dir, "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	_, err = Open(dir)
	assert.ErrorContains(t, err, "not a regular file")
}

func TestEmptyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	m, err := Open(path)
	require.NoError(t, err)
	b, _, err := m.Bytes(0, 0)
	require.NoError(t, err)
	assert.Empty(t, b)
	require.NoError(t, m.Close())
}
