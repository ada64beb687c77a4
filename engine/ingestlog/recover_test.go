package ingestlog

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRecoverAfterFailedWrite fails one batch's write or sync and checks
// that the log refuses appends until Recover, that the failed batch never
// shows up (neither at the next Open nor under the indexes of later
// entries), and that appends continue after the last durable batch.
func TestRecoverAfterFailedWrite(t *testing.T) {
	errIO := errors.New("injected I/O error")
	for _, tc := range []struct {
		name string
		// segBytes is the segment size; small ones make the failed batch
		// start a new segment.
		segBytes int64
		write    func(f *os.File, b []byte, off int64) (int, error)
		sync     func(f *os.File) error
	}{
		{
			name:     "sync fails after the whole batch is written",
			segBytes: 1 << 20,
			sync:     func(*os.File) error { return errIO },
		},
		{
			name:     "short write",
			segBytes: 1 << 20,
			write: func(f *os.File, b []byte, off int64) (int, error) {
				n, _ := f.WriteAt(b[:len(b)/2+3], off)
				return n, io.ErrShortWrite
			},
		},
		{
			name:     "sync fails in a new segment",
			segBytes: 4 << 10,
			sync:     func(*os.File) error { return errIO },
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() { writeAt, syncData = (*os.File).WriteAt, datasync }()
			opts := Options{Dir: t.TempDir(), SegmentBytes: tc.segBytes}
			l := mustOpen(t, opts)
			var want [][]byte
			for i := 0; i < 40; i++ {
				ps := payloads(i, 1+i%3)
				mustAppend(t, l, ps)
				want = append(want, ps...)
			}
			last := l.LastIndex()

			if tc.write != nil {
				writeAt = tc.write
			}
			if tc.sync != nil {
				syncData = tc.sync
			}
			// 80 payloads: more than a small segment holds.
			if _, err := l.Append(payloads(1000, 80)); err == nil {
				t.Fatal("append with a failing write succeeded")
			}
			writeAt, syncData = (*os.File).WriteAt, datasync
			if _, err := l.Append(payloads(1001, 1)); err == nil {
				t.Fatal("append after a failed write succeeded before Recover")
			}
			if got := l.LastIndex(); got != last {
				t.Fatalf("last index %d after the failed append, want %d", got, last)
			}
			if err := l.Recover(); err != nil {
				t.Fatalf("recover: %v", err)
			}

			// What a restart right now would find: the durable entries only.
			l2 := mustOpen(t, opts)
			if got := l2.LastIndex(); got != last {
				t.Errorf("a reopened log ends at %d, want %d (the failed batch came back)", got, last)
			}
			equalPayloads(t, "reopened after Recover", readAll(t, l2, 1), want)
			l2.Close()

			// Appends continue after the last durable entry.
			ps := payloads(2000, 2)
			if first := mustAppend(t, l, ps); first != last+1 {
				t.Fatalf("first append after Recover got index %d, want %d", first, last+1)
			}
			want = append(want, ps...)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l3 := mustOpen(t, opts)
			equalPayloads(t, "reopened after appends", readAll(t, l3, 1), want)
		})
	}
}

// TestRecoverAfterFullDisk starts a segment on a full file system (a small
// tmpfs, so needs root): the append fails, and once space is freed Recover
// and the next append start that segment after all.
func TestRecoverAfterFullDisk(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("needs root to mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })

	opts := Options{Dir: filepath.Join(dir, "log"), SegmentBytes: 512 << 10}
	l := mustOpen(t, opts)
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := filler.Write(make([]byte, 64<<10)); err != nil {
			break
		}
	}
	filler.Close()

	var want [][]byte
	var failed error
	for i := 0; failed == nil; i++ {
		ps := payloads(i, 50)
		if _, failed = l.Append(ps); failed == nil {
			want = append(want, ps...)
		}
	}
	if !errors.Is(failed, syscall.ENOSPC) {
		t.Fatalf("append on a full disk: %v, want ENOSPC", failed)
	}
	last := l.LastIndex()
	if err := os.Remove(filepath.Join(dir, "filler")); err != nil {
		t.Fatal(err)
	}
	if err := l.Recover(); err != nil {
		t.Fatalf("recover: %v", err)
	}
	ps := payloads(5000, 50)
	if first, err := l.Append(ps); err != nil || first != last+1 {
		t.Fatalf("append after Recover: index %d, %v; want %d", first, err, last+1)
	}
	want = append(want, ps...)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	equalPayloads(t, "reopened", readAll(t, mustOpen(t, opts), 1), want)
}
