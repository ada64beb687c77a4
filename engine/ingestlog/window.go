package ingestlog

import (
	"encoding/binary"
	"fmt"
	"os"
	"slices"
)

// scanReadBytes is the least a fileWindow reads at a time. Start-up reads
// segments front to back through one reused buffer of about this size: a
// buffer of a whole segment would cost a page fault per 4 KiB (what stalled
// the previous log's writer), and a preallocated segment is read only up
// to the end of its entries.
var scanReadBytes int64 = 1 << 20

// fileWindow reads a file front to back through one reused buffer. The
// first read error is kept in err; reads after it return nothing.
type fileWindow struct {
	f     *os.File
	size  int64  // the bytes of the file that may be read
	start int64  // data holds the file's bytes [start, start+len(data))
	data  []byte // grows only for a frame larger than scanReadBytes
	err   error
}

// at returns the file's bytes [off, off+n), or fewer at its end; they are
// valid until the next call.
func (w *fileWindow) at(off, n int64) []byte {
	n = min(n, w.size-off)
	if n <= 0 || w.err != nil {
		return nil
	}
	if off < w.start || off+n > w.start+int64(len(w.data)) {
		size := min(max(n, scanReadBytes), w.size-off)
		w.data = slices.Grow(w.data[:0], int(size))[:size]
		w.start = off
		if _, err := w.f.ReadAt(w.data, off); err != nil {
			w.err, w.data = fmt.Errorf("read ingest log %s: %w", w.f.Name(), err), w.data[:0]
			return nil
		}
	}
	return w.data[off-w.start : off-w.start+n]
}

// frame validates the frame at off, expected to carry index want; with
// check false it trusts the CRC and only reads the header.
func (w *fileWindow) frame(off int64, want uint64, check bool) (size int, flags uint32, ok bool) {
	hdr := w.at(off, headerSize)
	if len(hdr) < headerSize || binary.LittleEndian.Uint64(hdr[8:]) != want {
		return 0, 0, false
	}
	word := binary.LittleEndian.Uint32(hdr)
	size = int(word & maxPayload)
	if off+frameLen(size) > w.size {
		return 0, 0, false
	}
	if !check {
		return size, word &^ maxPayload, true
	}
	return frameAt(w.at(off, frameLen(size)), 0, want)
}

// readSegment scans the segment file at path; see scanSegment.
func readSegment(path string, base uint64) (scanResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return scanResult{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return scanResult{}, err
	}
	w := &fileWindow{f: f, size: st.Size()}
	r, err := scanSegment(w, base)
	if w.err != nil {
		return scanResult{}, w.err
	}
	return r, err
}

// scanSegment finds the whole batches at the start of a segment whose
// first entry has index base.
func scanSegment(w *fileWindow, base uint64) (scanResult, error) {
	r := scanResult{last: base - 1}
	var off int64
	next, inBatch := base, false
	for {
		size, flags, ok := w.frame(off, next, true)
		if !ok || (flags&flagFirst != 0) == inBatch {
			break
		}
		inBatch = flags&flagLast == 0
		off += frameLen(size)
		if !inBatch {
			r.last, r.end = next, off
		}
		next++
	}
	hdr := w.at(off, headerSize)
	r.clean = off == r.end && (len(hdr) < headerSize || binary.LittleEndian.Uint64(hdr[8:]) < base)
	if r.clean {
		return r, nil
	}
	// Something other than a clean end follows. If a later batch starts
	// after it, the damaged batch had been synced: that is corruption,
	// not a torn write.
	torn := r.last + 1
	for p := off; p+headerSize <= w.size; p += 8 {
		hdr := w.at(p, headerSize)
		if len(hdr) < headerSize {
			break // a read error, which readSegment reports
		}
		idx := binary.LittleEndian.Uint64(hdr[8:])
		if idx <= torn || idx-torn > 1<<32 {
			continue
		}
		if _, flags, ok := w.frame(p, idx, true); ok && flags&flagFirst != 0 {
			return r, fmt.Errorf("entry %d at offset %d is damaged but batch %d at offset %d follows it", torn, r.end, idx, p)
		}
	}
	return r, nil
}

// readEntries calls fn for the entries of s from index from on, in order.
func readEntries(s segment, from uint64, fn func(index uint64, payload []byte) error) error {
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := &fileWindow{f: f, size: s.end}
	var off int64
	for idx := s.base; idx <= s.last; idx++ {
		// Entries before from are only stepped over: Open checked their
		// CRCs, and replay would check a long segment again for nothing.
		size, _, ok := w.frame(off, idx, idx >= from)
		if !ok {
			if w.err != nil {
				return w.err
			}
			return fmt.Errorf("%w: entry %d in %s changed since the log was opened", ErrCorrupt, idx, s.path)
		}
		if idx >= from {
			if err := fn(idx, w.at(off+headerSize, int64(size))); err != nil {
				return err
			}
		}
		off += frameLen(size)
	}
	return nil
}
