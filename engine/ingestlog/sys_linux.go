package ingestlog

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// preallocate reserves size bytes for f, so appends overwrite allocated
// blocks instead of growing the file. File systems without fallocate(2)
// get a sparse file.
func preallocate(f *os.File, size int64) error {
	err := unix.Fallocate(int(f.Fd()), 0, 0, size)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) {
		return f.Truncate(size)
	}
	return err
}

// datasync flushes f's data and the metadata needed to read it back
// (fdatasync(2)), skipping timestamps.
func datasync(f *os.File) error {
	return unix.Fdatasync(int(f.Fd()))
}
