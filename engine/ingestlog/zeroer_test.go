//go:build linux

package ingestlog

import (
	"fmt"
	"math/rand"
	"os"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// unwrittenBytes counts the bytes of f in [from, to) that are in unwritten
// (allocated, never written) extents, with the FIEMAP ioctl
// (https://docs.kernel.org/filesystems/fiemap.html); ok is false where the
// file system does not map extents.
func unwrittenBytes(t *testing.T, path string, from, to int64) (n int64, ok bool) {
	t.Helper()
	const (
		fsIocFiemap      = 0xC020660B // _IOWR('f', 11, struct fiemap)
		fiemapFlagSync   = 0x1
		extentLast       = 0x1
		extentUnwritten  = 0x800
		extents          = 512
		headerSize       = 32
		extentSize       = 56
		extentFlagsField = 40
	)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := uint64(from)
	for {
		buf := make([]byte, headerSize+extents*extentSize)
		*(*uint64)(unsafe.Pointer(&buf[0])) = start
		*(*uint64)(unsafe.Pointer(&buf[8])) = uint64(to) - start
		*(*uint32)(unsafe.Pointer(&buf[16])) = fiemapFlagSync
		*(*uint32)(unsafe.Pointer(&buf[24])) = extents
		if _, _, errno := unix.Syscall(unix.SYS_IOCTL, f.Fd(), fsIocFiemap, uintptr(unsafe.Pointer(&buf[0]))); errno != 0 {
			return 0, false
		}
		mapped := *(*uint32)(unsafe.Pointer(&buf[20]))
		if mapped == 0 {
			return n, true
		}
		for i := range int(mapped) {
			e := buf[headerSize+i*extentSize:]
			logical, length := *(*uint64)(unsafe.Pointer(&e[0])), *(*uint64)(unsafe.Pointer(&e[16]))
			flags := *(*uint32)(unsafe.Pointer(&e[extentFlagsField]))
			if flags&extentUnwritten != 0 {
				lo, hi := max(int64(logical), from), min(int64(logical+length), to)
				n += max(hi-lo, 0)
			}
			start = logical + length
			if flags&extentLast != 0 || int64(start) >= to {
				return n, true
			}
		}
	}
}

// Zero-ahead writes the part of a fresh segment past the writer's last
// batch, so that the next batches overwrite written blocks (their
// fdatasync then changes no extent metadata); without it those blocks stay
// unwritten.
func TestZeroAheadWritesTheSegmentAheadOfTheWriter(t *testing.T) {
	tests := []struct {
		name       string
		background func(func())
	}{
		{"zero-ahead", func(f func()) { go f() }},
		{"off", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustOpen(t, Options{Dir: t.TempDir(), SegmentBytes: 16 << 20, Background: tt.background, Warn: func(err error) { t.Error(err) }})
			for b := range 20 {
				mustAppend(t, l, payloads(b, 100))
			}
			s := l.segs[len(l.segs)-1]
			from, to := (s.end+zeroChunk-1)/zeroChunk*zeroChunk, s.end+zeroLead
			var n int64
			var ok bool
			deadline := time.Now().Add(30 * time.Second)
			for {
				n, ok = unwrittenBytes(t, s.path, from, to)
				if !ok {
					t.Skip("the file system does not report extents")
				}
				if tt.background == nil || n == 0 || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			if tt.background != nil && n != 0 {
				t.Errorf("%d of the %d bytes ahead of the writer are still unwritten", n, to-from)
			}
			if tt.background == nil && n == 0 {
				t.Skip("fallocate made no unwritten extents here; nothing to compare with")
			}
		})
	}
}

// Appends race the zeroer across many segments, recycled ones and a
// reopen: every entry reads back exactly, so zeros never overwrote a batch.
// The zeroer starts only after the writer has filled most of the first
// segment, so it starts behind the writer, as after a burst.
func TestZeroAheadNeverOverwritesBatches(t *testing.T) {
	dir := t.TempDir()
	gate := make(chan struct{})
	late := func(f func()) {
		go func() {
			<-gate
			f()
		}()
	}
	opts := Options{Dir: dir, SegmentBytes: 3 * zeroChunk / 2, Background: late, Warn: func(err error) { t.Error(err) }}
	l := mustOpen(t, opts)
	rng := rand.New(rand.NewSource(1))
	var all [][]byte
	for b := range 3000 {
		ps := payloads(b, 1+rng.Intn(60))
		mustAppend(t, l, ps)
		all = append(all, ps...)
		if b == 100 {
			close(gate)
		}
		if b%500 == 499 {
			// Recycle applied segments, keeping the last few to read.
			if err := l.DropApplied(uint64(len(all) - 2000)); err != nil {
				t.Fatal(err)
			}
		}
	}
	first := l.FirstIndex()
	if first == 1 {
		t.Fatal("no segment was dropped; the test wants recycled ones")
	}
	l.Close()
	opts.Background = func(f func()) { go f() }
	l = mustOpen(t, opts)
	if l.LastIndex() != uint64(len(all)) {
		t.Fatalf("reopened log ends at %d, want %d", l.LastIndex(), len(all))
	}
	equalPayloads(t, fmt.Sprintf("read from %d", first), readAll(t, l, first), all[first-1:])
}
