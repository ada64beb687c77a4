package ingestlog

import (
	"errors"
	"io"
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

// pwritev writes bufs at off, in order, with pwritev(2): one system call
// for a batch of up to iovMax frames, and none of their bytes copied in
// user space. It continues after a short write; bufs may be changed.
func pwritev(f *os.File, bufs [][]byte, off int64) (int, error) {
	fd := int(f.Fd())
	total := 0
	for len(bufs) > 0 {
		n, err := unix.Pwritev(fd, bufs[:min(len(bufs), iovMax)], off)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, io.ErrShortWrite
		}
		total, off = total+n, off+int64(n)
		for n > 0 {
			if n < len(bufs[0]) {
				bufs[0] = bufs[0][n:]
				break
			}
			n -= len(bufs[0])
			bufs = bufs[1:]
		}
		for len(bufs) > 0 && len(bufs[0]) == 0 {
			bufs = bufs[1:]
		}
	}
	return total, nil
}
