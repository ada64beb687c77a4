//go:build !linux

package ingestlog

import (
	"bytes"
	"os"
)

func preallocate(f *os.File, size int64) error {
	return f.Truncate(size)
}

func datasync(f *os.File) error {
	return f.Sync()
}

// pwritev writes bufs at off, in order; without pwritev(2) they are joined
// into one buffer and written with one pwrite.
func pwritev(f *os.File, bufs [][]byte, off int64) (int, error) {
	return f.WriteAt(bytes.Join(bufs, nil), off)
}
