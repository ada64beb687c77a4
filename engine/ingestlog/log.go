package ingestlog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrCorrupt reports a damaged entry that is followed by durable data, or
// segments that do not follow each other.
var ErrCorrupt = errors.New("ingest log is corrupt")

// Options configures a Log.
type Options struct {
	// Dir holds the segment files; it is created if missing. Both are
	// private to the owner (0700, 0600): they hold every ingested record.
	Dir string
	// SegmentBytes is the preallocated size of a segment (default 64 MiB).
	// A batch larger than that gets a segment of its own size.
	SegmentBytes int64
	// NoSync skips fdatasync: appends are then not durable on return.
	NoSync bool
	// NextIndex is the index of the first entry when Dir holds no segment
	// yet (default 1), e.g. to continue after the indexes of an older log.
	NextIndex uint64
	// Background starts the goroutine that writes zeros into fresh
	// segments ahead of the writer (zeroer.go), e.g. on a thread of low
	// CPU priority; nil disables zero-ahead.
	Background func(func())
	// Warn receives failures of zero-ahead, which cost only its benefit
	// (may be nil).
	Warn func(error)
}

// segment is one file; its entries are base..last (last = base-1 when
// empty) and end is the byte offset after its last whole batch.
type segment struct {
	base, last uint64
	end        int64
	path       string
}

// Log is an append-only log of payloads with global indexes.
type Log struct {
	opts Options

	mu    sync.Mutex
	segs  []*segment // oldest first; the last one is appended to
	f     *os.File   // the newest segment
	size  int64      // its allocated size
	spare string     // an applied segment file kept for reuse, or ""
	iov   [][]byte   // the frames of a batch for writev, reused by every Append
	err   error      // sticky write failure
	z     *zeroer    // nil without Options.Background
}

const spareName = "recycled.tmp"

// Open opens the log in opts.Dir, repairing a torn tail.
func Open(opts Options) (*Log, error) {
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = 64 << 20
	}
	if opts.NextIndex == 0 {
		opts.NextIndex = 1
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, err
	}
	l := &Log{opts: opts}
	if _, err := os.Stat(filepath.Join(opts.Dir, spareName)); err == nil {
		l.spare = filepath.Join(opts.Dir, spareName)
	}
	names, err := filepath.Glob(filepath.Join(opts.Dir, strings.Repeat("?", 20)+".seg"))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base, err := strconv.ParseUint(strings.TrimSuffix(filepath.Base(name), ".seg"), 10, 64)
		if err != nil || base == 0 {
			continue
		}
		l.segs = append(l.segs, &segment{base: base, path: name})
	}
	sort.Slice(l.segs, func(i, j int) bool { return l.segs[i].base < l.segs[j].base })
	if len(l.segs) == 0 {
		// Allocate nothing yet: the first Append grows the empty segment,
		// so a start on a full disk fails appends (Recover heals those),
		// not Open.
		if err := l.startSegment(opts.NextIndex, 0); err != nil {
			return nil, err
		}
		l.startZeroer(0)
		return l, nil
	}
	clean := false
	for i, s := range l.segs {
		r, err := readSegment(s.path, s.base)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, s.path, err)
		}
		s.last, s.end, clean = r.last, r.end, r.clean
		if i > 0 && s.base != l.segs[i-1].last+1 {
			return nil, fmt.Errorf("%w: %s starts at entry %d but the segment before ends at %d", ErrCorrupt, s.path, s.base, l.segs[i-1].last)
		}
	}
	s := l.segs[len(l.segs)-1]
	if l.f, err = os.OpenFile(s.path, os.O_RDWR, 0); err != nil {
		return nil, err
	}
	st, err := l.f.Stat()
	if err == nil && !clean {
		// A torn batch: cut it, so its bytes read as zeros and can never
		// pass for entries appended later under the same indexes.
		err = l.cutTail(l.f, s.end, st.Size())
	}
	if err != nil {
		l.f.Close()
		return nil, fmt.Errorf("repair ingest log tail %s: %w", s.path, err)
	}
	l.size = st.Size()
	l.startZeroer(s.end)
	return l, nil
}

// startZeroer starts zero-ahead (if configured) in the newest segment,
// whose bytes below written need none.
func (l *Log) startZeroer(written int64) {
	if l.opts.Background == nil || l.opts.NoSync {
		return // without fdatasync there is nothing to spare it
	}
	l.z = newZeroer(l.opts.Background, l.opts.Warn)
	l.z.use(l.f, l.size, written)
}

// zeroFrom points zero-ahead at the newest segment, from written on; the
// previous file may be closed once it returns.
func (l *Log) zeroFrom(f *os.File, size, written int64) {
	if l.z != nil {
		l.z.use(f, size, written)
	}
}

// cutTail truncates f after end, the end of its last whole batch, and
// preallocates it to size again, so the cut bytes read as zeros.
func (l *Log) cutTail(f *os.File, end, size int64) error {
	err := f.Truncate(end)
	if err == nil && size > end {
		err = preallocate(f, size)
	}
	if err == nil && !l.opts.NoSync {
		err = f.Sync()
	}
	return err
}

// startSegment makes a new newest segment that starts at index base,
// preallocated to size bytes (a recycled file may be larger).
func (l *Log) startSegment(base uint64, size int64) error {
	path := filepath.Join(l.opts.Dir, fmt.Sprintf("%020d.seg", base))
	var f *os.File
	var err error
	recycled := l.spare != ""
	if l.spare != "" {
		if err = os.Rename(l.spare, path); err != nil {
			return err
		}
		l.spare = ""
		f, err = os.OpenFile(path, os.O_RDWR, 0)
	} else {
		f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	}
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err == nil && st.Size() < size {
		err = preallocate(f, size)
	}
	if err == nil && !l.opts.NoSync {
		// The name must be durable before an acknowledged entry is in it.
		err = syncDir(l.opts.Dir)
	}
	if err != nil {
		f.Close()
		// Remove the half-made file, or the next try (after Recover)
		// would find its name taken.
		os.Remove(path)
		return fmt.Errorf("start ingest log segment %s: %w", path, err)
	}
	written := int64(0)
	if recycled {
		written = st.Size() // a recycled file has no unwritten blocks to speak of
	}
	l.zeroFrom(f, max(size, st.Size()), written)
	if l.f != nil {
		l.f.Close()
	}
	l.f, l.size = f, max(size, st.Size())
	l.segs = append(l.segs, &segment{base: base, last: base - 1, path: path})
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// FirstIndex is the index of the oldest entry in the log, or
// LastIndex()+1 when the log holds none.
func (l *Log) FirstIndex() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.segs {
		if s.last >= s.base {
			return s.base
		}
	}
	return l.segs[len(l.segs)-1].last + 1
}

// LastIndex is the index of the newest entry (NextIndex-1 before the first).
func (l *Log) LastIndex() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.segs[len(l.segs)-1].last
}

// Append writes frames (see NewFrame) as one batch with one writev and
// syncs it; their payloads get the indexes first, first+1, … It fills in
// each frame's header and padding in place. When it returns nil the batch
// is durable.
func (l *Log) Append(frames [][]byte) (first uint64, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	if len(frames) == 0 {
		return l.segs[len(l.segs)-1].last + 1, nil
	}
	var need int64
	for _, f := range frames {
		n := len(f) - headerSize
		if n < 0 {
			return 0, fmt.Errorf("ingest log frame of %d bytes has no room for its %d-byte header", len(f), headerSize)
		}
		if n > maxPayload {
			return 0, fmt.Errorf("ingest log entry of %d bytes exceeds the maximum of %d", n, maxPayload)
		}
		need += frameLen(n)
	}
	s := l.segs[len(l.segs)-1]
	switch {
	case s.end+need <= l.size:
	case s.last < s.base:
		// Empty, so its name is the next index: grow it instead.
		size := max(l.opts.SegmentBytes, need)
		if err := preallocate(l.f, size); err != nil {
			l.err = fmt.Errorf("grow %s: %w", s.path, err)
			return 0, l.err
		}
		l.size = size
		l.zeroFrom(l.f, size, s.end)
	default:
		if err := l.startSegment(s.last+1, max(l.opts.SegmentBytes, need)); err != nil {
			l.err = err
			return 0, err
		}
		s = l.segs[len(l.segs)-1]
	}
	first = s.last + 1
	if l.z != nil {
		l.z.announce(s.end, s.end+need)
	}
	l.iov = frameBatch(l.iov[:0], first, frames)
	_, err = writev(l.f, l.iov, s.end)
	clear(l.iov)
	if err != nil {
		l.err = fmt.Errorf("pwritev %s: %w", s.path, err)
		return 0, l.err
	}
	if !l.opts.NoSync {
		if err := syncData(l.f); err != nil {
			l.err = fmt.Errorf("fdatasync %s: %w", s.path, err)
			return 0, l.err
		}
	}
	s.end += need
	s.last += uint64(len(frames))
	return first, nil
}

// The file operations of Append, variables so that a test can make them fail.
var (
	writev   = pwritev
	syncData = datasync
)

// Recover makes the log take appends again after a failed write or sync;
// it returns nil at once when nothing failed. The failed batch was never
// durable, so it is cut like a torn tail in Open: the newest segment is
// truncated after its last whole batch and preallocated again, through a
// new file descriptor (after a failed fsync the old one may have lost
// dirty pages, https://wiki.postgresql.org/wiki/Fsync_Errors), synced, and
// read back to check that every entry it held before still validates. On
// failure the log stays failed and Recover may be called again.
func (l *Log) Recover() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		return nil
	}
	if l.f == nil {
		return errors.New("ingest log is closed")
	}
	s := l.segs[len(l.segs)-1]
	f, err := os.OpenFile(s.path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("recover ingest log: %w", err)
	}
	err = l.cutTail(f, s.end, l.size)
	if err == nil {
		var r scanResult
		r, err = readSegment(s.path, s.base)
		if err == nil && (r.last != s.last || r.end != s.end || !r.clean) {
			err = fmt.Errorf("%w: it holds entries %d..%d, want %d..%d", ErrCorrupt, s.base, r.last, s.base, s.last)
		}
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("recover ingest log %s: %w", s.path, err)
	}
	l.zeroFrom(f, l.size, s.end)
	l.f.Close()
	l.f, l.err = f, nil
	return nil
}

// Read calls fn for every entry from index from on, in order. payload is
// only valid during the call.
func (l *Log) Read(from uint64, fn func(index uint64, payload []byte) error) error {
	l.mu.Lock()
	segs := make([]segment, len(l.segs))
	for i, s := range l.segs {
		segs[i] = *s
	}
	l.mu.Unlock()
	for _, s := range segs {
		if s.last < from || s.last < s.base {
			continue
		}
		if err := readEntries(s, from, fn); err != nil {
			return err
		}
	}
	return nil
}

// DropApplied removes every segment whose entries all have indexes up to
// applied, except the newest one. One removed file is kept for reuse as
// the next segment.
func (l *Log) DropApplied(applied uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.segs) > 1 && l.segs[0].last <= applied {
		s := l.segs[0]
		var err error
		if l.spare == "" {
			spare := filepath.Join(l.opts.Dir, spareName)
			if err = os.Rename(s.path, spare); err == nil {
				l.spare = spare
			}
		} else {
			err = os.Remove(s.path)
		}
		if err != nil {
			return fmt.Errorf("remove applied ingest log segment: %w", err)
		}
		l.segs = l.segs[1:]
	}
	return nil
}

// Close closes the newest segment file.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	if l.z != nil {
		l.z.stop()
	}
	err := l.f.Close()
	l.f = nil
	return err
}
