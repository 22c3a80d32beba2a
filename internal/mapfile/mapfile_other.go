//go:build !linux

package mapfile

import "os"

// mapFile does not map files outside Linux: they are read piece by piece.
func mapFile(*os.File, int64) []byte { return nil }

func unmap([]byte) {}

func release([]byte, int64, int64) {}

func prefetch([]byte, int64, int64) {}
