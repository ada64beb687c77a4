package ingestlog

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// payloads makes n payloads of varied sizes (not multiples of 8, so the
// padding is exercised) tagged with seed.
func payloads(seed, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("%d/%d:%s", seed, i, bytes.Repeat([]byte{'x'}, (seed*7+i*13)%90)))
	}
	return out
}

func mustOpen(t *testing.T, opts Options) *Log {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// framed makes frames for Append that carry ps.
func framed(ps [][]byte) [][]byte {
	out := make([][]byte, len(ps))
	for i, p := range ps {
		out[i] = append(NewFrame(len(p)), p...)
	}
	return out
}

func mustAppend(t *testing.T, l *Log, ps [][]byte) uint64 {
	t.Helper()
	first, err := l.Append(framed(ps))
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return first
}

// readAll returns the payloads from index from on, checking that indexes
// are contiguous.
func readAll(t *testing.T, l *Log, from uint64) [][]byte {
	t.Helper()
	var out [][]byte
	next := from
	if err := l.Read(from, func(idx uint64, p []byte) error {
		if idx != next {
			return fmt.Errorf("read entry %d, want %d", idx, next)
		}
		next++
		out = append(out, bytes.Clone(p))
		return nil
	}); err != nil {
		t.Fatalf("read: %v", err)
	}
	return out
}

func equalPayloads(t *testing.T, what string, got, want [][]byte) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("%s: entry %d is %q, want %q", what, i, got[i], want[i])
		}
	}
}

// TestTornLastBatch cuts the last batch at every byte boundary, either
// by truncating the file or by zeroing the rest of the batch (the state of
// a preallocated segment whose pages were not all written), and checks
// that only whole batches remain and that appends continue after them.
func TestTornLastBatch(t *testing.T) {
	defer func(n int64) { scanReadBytes = n }(scanReadBytes)
	scanReadBytes = 64 // scan in growing reads, with cuts on every side of their ends
	tmpl := t.TempDir()
	opts := Options{Dir: tmpl, SegmentBytes: 4096, NoSync: true}
	l := mustOpen(t, opts)
	var whole [][]byte
	for b := 1; b <= 3; b++ {
		ps := payloads(b, b+1)
		mustAppend(t, l, ps)
		whole = append(whole, ps...)
	}
	start := l.segs[0].end
	mustAppend(t, l, payloads(4, 3))
	end := l.segs[0].end
	path := l.segs[0].path
	l.Close()
	pristine, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	after := payloads(5, 2)
	for _, mode := range []string{"truncate", "zero"} {
		for cut := start; cut <= end; cut++ {
			t.Run(fmt.Sprintf("%s/%d", mode, cut-start), func(t *testing.T) {
				dir := t.TempDir()
				data := bytes.Clone(pristine)
				if mode == "truncate" {
					data = data[:cut]
				} else {
					clear(data[cut:end])
				}
				if err := os.WriteFile(filepath.Join(dir, filepath.Base(path)), data, 0o640); err != nil {
					t.Fatal(err)
				}
				want := whole
				// Cutting nothing, or zeroing only the padding, leaves the batch whole.
				if (mode == "truncate" && cut == end) || (mode == "zero" && bytes.Equal(data, pristine)) {
					want = append(append([][]byte{}, whole...), payloads(4, 3)...)
				}
				opts := opts
				opts.Dir = dir
				l := mustOpen(t, opts)
				equalPayloads(t, "after reopen", readAll(t, l, 1), want)
				if first := mustAppend(t, l, after); first != uint64(len(want))+1 {
					t.Fatalf("append after repair got index %d, want %d", first, len(want)+1)
				}
				l.Close()
				l = mustOpen(t, opts)
				equalPayloads(t, "after append and reopen", readAll(t, l, 1), append(append([][]byte{}, want...), after...))
			})
		}
	}
}

// TestDamageBeforeDurableDataIsCorruption: damage followed by a later
// batch (or segment) cannot be a torn write and must not be cut silently.
func TestDamageBeforeDurableDataIsCorruption(t *testing.T) {
	tests := []struct {
		name     string
		segBytes int64
		file     int   // which segment file to damage
		batch    int   // which batch of that file
		at       int64 // offset in the batch's first frame
	}{
		{"payload byte", 1 << 20, 0, 1, headerSize + 2},
		{"size field", 1 << 20, 0, 1, 1},
		{"crc field", 1 << 20, 0, 1, 5},
		{"index field", 1 << 20, 0, 1, 9},
		{"first batch", 1 << 20, 0, 0, headerSize},
		{"older segment", 600, 1, 0, headerSize},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			l := mustOpen(t, Options{Dir: dir, SegmentBytes: tc.segBytes})
			for b := 1; b <= 8; b++ {
				mustAppend(t, l, payloads(b, 3))
			}
			if len(l.segs) <= tc.file+1 && tc.file > 0 {
				t.Fatalf("only %d segments", len(l.segs))
			}
			s := l.segs[tc.file]
			l.Close()
			data, err := os.ReadFile(s.path)
			if err != nil {
				t.Fatal(err)
			}
			off, idx := 0, s.base
			for i := 0; i < 3*tc.batch; i++ {
				size, _, ok := frameAt(data, off, idx)
				if !ok {
					t.Fatalf("frame %d does not validate before the damage", idx)
				}
				off += int(frameLen(size))
				idx++
			}
			data[int64(off)+tc.at] ^= 0x40
			if err := os.WriteFile(s.path, data, 0o640); err != nil {
				t.Fatal(err)
			}
			if _, err := Open(Options{Dir: dir, SegmentBytes: tc.segBytes}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open after damage: %v, want ErrCorrupt", err)
			}
		})
	}
}

// TestPreallocatedTailReadsAsEnd: a segment is preallocated, so the rest
// of the file is zeros; reopening must read them as the end of the log and
// leave the file as it was.
func TestPreallocatedTailReadsAsEnd(t *testing.T) {
	dir := t.TempDir()
	l := mustOpen(t, Options{Dir: dir, SegmentBytes: 1 << 16})
	mustAppend(t, l, payloads(1, 5))
	path := l.segs[0].path
	l.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(before) != 1<<16 {
		t.Fatalf("segment is %d bytes, want it preallocated to %d", len(before), 1<<16)
	}
	l = mustOpen(t, Options{Dir: dir, SegmentBytes: 1 << 16})
	equalPayloads(t, "reopened", readAll(t, l, 1), payloads(1, 5))
	l.Close()
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("reopening a cleanly written segment changed it")
	}
}

// TestManySegments writes batches of random sizes across many small
// segments (and one batch larger than a segment), reopens, and reads from
// every index.
func TestManySegments(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, SegmentBytes: 1024}
	l := mustOpen(t, opts)
	rng := rand.New(rand.NewSource(1))
	var all [][]byte
	for b := 0; b < 200; b++ {
		ps := payloads(b, 1+rng.Intn(6))
		if b == 0 || b == 100 { // larger than a segment, into an empty and a used one
			ps = [][]byte{bytes.Repeat([]byte{'L'}, 5000)}
		}
		if first := mustAppend(t, l, ps); first != uint64(len(all))+1 {
			t.Fatalf("batch %d got index %d, want %d", b, first, len(all)+1)
		}
		all = append(all, ps...)
	}
	if len(l.segs) < 20 {
		t.Fatalf("only %d segments; the test wants many", len(l.segs))
	}
	l.Close()
	l = mustOpen(t, opts)
	if l.FirstIndex() != 1 || l.LastIndex() != uint64(len(all)) {
		t.Fatalf("reopened log holds %d..%d, want 1..%d", l.FirstIndex(), l.LastIndex(), len(all))
	}
	for _, from := range []int{1, 2, 77, len(all) / 2, len(all)} {
		equalPayloads(t, fmt.Sprintf("read from %d", from), readAll(t, l, uint64(from)), all[from-1:])
	}
}

// TestLargeSegment reopens a segment whose entries reach far past the
// first read of Open.
func TestLargeSegment(t *testing.T) {
	opts := Options{Dir: t.TempDir(), SegmentBytes: 8 * scanReadBytes, NoSync: true}
	l := mustOpen(t, opts)
	var all [][]byte
	for b := 0; int64(len(all))*1000 < 3*scanReadBytes; b++ {
		ps := benchBatch(8, 1000-b%7)
		mustAppend(t, l, ps)
		all = append(all, ps...)
	}
	l.Close()
	l = mustOpen(t, opts)
	if l.LastIndex() != uint64(len(all)) {
		t.Fatalf("reopened log ends at %d, want %d", l.LastIndex(), len(all))
	}
	equalPayloads(t, "reopened", readAll(t, l, 1), all)
}

func segmentFiles(t *testing.T, dir string) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.seg"))
	if err != nil {
		t.Fatal(err)
	}
	return len(names)
}

// TestDropApplied deletes applied segments (recycling one), keeps reading
// what is left, and keeps indexes growing after every old segment is gone,
// across reopens; a recycled file's old frames are never read back.
func TestDropApplied(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, SegmentBytes: 1024, NextIndex: 1000}
	l := mustOpen(t, opts)
	var all [][]byte
	for b := 0; b < 60; b++ {
		ps := payloads(b, 3)
		mustAppend(t, l, ps)
		all = append(all, ps...)
	}
	n := segmentFiles(t, dir)
	applied := uint64(1000 + len(all)/2)
	if err := l.DropApplied(applied); err != nil {
		t.Fatal(err)
	}
	first := l.FirstIndex()
	if first > applied+1 || first <= 1000 || segmentFiles(t, dir) >= n {
		t.Fatalf("after dropping through %d: first index %d, %d of %d segment files left", applied, first, segmentFiles(t, dir), n)
	}
	if _, err := os.Stat(filepath.Join(dir, spareName)); err != nil {
		t.Fatalf("no segment kept for reuse: %v", err)
	}
	equalPayloads(t, "left after drop", readAll(t, l, first), all[first-1000:])

	// Everything applied: only the newest segment stays; the next segment
	// reuses the recycled file, whose stale frames must not come back.
	last := l.LastIndex()
	if err := l.DropApplied(last); err != nil {
		t.Fatal(err)
	}
	if got := segmentFiles(t, dir); got != 1 {
		t.Fatalf("%d segment files after dropping everything, want 1", got)
	}
	l.Close()
	l = mustOpen(t, Options{Dir: dir, SegmentBytes: 1024, NextIndex: 1})
	if l.LastIndex() != last {
		t.Fatalf("last index after reopen %d, want %d", l.LastIndex(), last)
	}
	var more [][]byte
	for b := 0; b < 10; b++ {
		ps := payloads(100+b, 3)
		if got := mustAppend(t, l, ps); got != last+uint64(len(more))+1 {
			t.Fatalf("append after dropping everything got index %d, want %d", got, last+uint64(len(more))+1)
		}
		more = append(more, ps...)
	}
	l.Close()
	l = mustOpen(t, opts)
	equalPayloads(t, "appended after drop", readAll(t, l, last+1), more)
}

// TestAppendMoreFramesThanIOVMax appends one batch of more frames than
// one pwritev takes, with payloads of every length mod 8, and reads them
// back after a reopen.
func TestAppendMoreFramesThanIOVMax(t *testing.T) {
	opts := Options{Dir: t.TempDir()}
	l := mustOpen(t, opts)
	ps := make([][]byte, 2*iovMax+5)
	for i := range ps {
		ps[i] = bytes.Repeat([]byte{byte(i)}, i%17)
	}
	if first := mustAppend(t, l, ps); first != 1 {
		t.Fatalf("first index %d, want 1", first)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	equalPayloads(t, "reopened", readAll(t, mustOpen(t, opts), 1), ps)
}
