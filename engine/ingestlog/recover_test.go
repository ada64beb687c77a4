package ingestlog

import (
	"bytes"
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
		write    func(f *os.File, bufs [][]byte, off int64) (int, error)
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
			write: func(f *os.File, bufs [][]byte, off int64) (int, error) {
				b := bytes.Join(bufs, nil)
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
			defer func() { writev, syncData = pwritev, datasync }()
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
				writev = tc.write
			}
			if tc.sync != nil {
				syncData = tc.sync
			}
			// 80 payloads: more than a small segment holds.
			if _, err := l.Append(framed(payloads(1000, 80))); err == nil {
				t.Fatal("append with a failing write succeeded")
			}
			writev, syncData = pwritev, datasync
			if _, err := l.Append(framed(payloads(1001, 1))); err == nil {
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

// TestRecoverAfterFullDisk runs out of space on a small tmpfs (so needs
// root) when the log starts a segment, or already at Open of a fresh log:
// appends fail (Open does not), and once space is freed Recover and the
// next append go on after the last durable entry.
func TestRecoverAfterFullDisk(t *testing.T) {
	for _, tc := range []struct {
		name       string
		fullAtOpen bool
	}{
		{name: "full when a segment starts"},
		{name: "full before a fresh log opens", fullAtOpen: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "disk")
			if err := os.Mkdir(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
				t.Skipf("needs root to mount a tmpfs: %v %s", err, out)
			}
			t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
			opts := Options{Dir: filepath.Join(dir, "log"), SegmentBytes: 512 << 10}
			filler := filepath.Join(dir, "filler")
			if tc.fullAtOpen {
				fill(t, filler)
			}
			l := mustOpen(t, opts)
			if !tc.fullAtOpen {
				mustAppend(t, l, payloads(0, 1)) // allocates the first segment
				fill(t, filler)
			}
			var want [][]byte
			if !tc.fullAtOpen {
				want = payloads(0, 1)
			}
			var failed error
			for i := 1; failed == nil; i++ {
				ps := payloads(i, 50)
				if _, failed = l.Append(framed(ps)); failed == nil {
					want = append(want, ps...)
				}
			}
			if !errors.Is(failed, syscall.ENOSPC) {
				t.Fatalf("append on a full disk: %v, want ENOSPC", failed)
			}
			last := l.LastIndex()
			if err := os.Remove(filler); err != nil {
				t.Fatal(err)
			}
			if err := l.Recover(); err != nil {
				t.Fatalf("recover: %v", err)
			}
			ps := payloads(5000, 50)
			if first, err := l.Append(framed(ps)); err != nil || first != last+1 {
				t.Fatalf("append after Recover: index %d, %v; want %d", first, err, last+1)
			}
			want = append(want, ps...)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			equalPayloads(t, "reopened", readAll(t, mustOpen(t, opts), 1), want)
		})
	}
}

// fill writes a file at path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{64 << 10, 4 << 10, 512, 1} {
		for {
			if _, err := f.Write(make([]byte, n)); err != nil {
				break
			}
		}
	}
}
