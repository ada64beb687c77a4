package engine

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math/bits"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/wal"

	"github.com/zbemu/zbemu/engine/ingestlog"
)

// ingestLog makes validated records durable before they are acknowledged.
//
// Every accepted request (one gRPC message or one REST body) becomes one
// entry with a global index. A single writer goroutine takes all entries
// queued by every stream, writes them as one batch and syncs once (group
// commit), then acknowledges them and hands the decoded rows to the
// materialiser. DuckDB commits never sit on the ack path: performance.md
// measured ~1 ms per commit and 100–200 ms checkpoint stalls, against
// ~0.2 ms for a log sync. While the acknowledged records that are not yet
// in DuckDB reach Options.MaxBacklogRecords or MaxBacklogBytes, the writer
// holds the next batch back until the materialiser catches up
// (backpressure: acks slow down, nothing is refused or dropped).
//
// The log is package ingestlog: preallocated segment files of
// Options.LogGenerationBytes, one pwritev and one fdatasync per batch, whole
// segments dropped once applied to DuckDB. Releases before it kept
// "generations", each a tidwall/wal log in a directory named after the
// global index of its first entry; such a data directory is read once at
// start-up (replay), new entries continue after its last index in the new
// log, and the old generations are deleted once applied.
type ingestLog struct {
	e   *Engine
	dir string

	// submitMu orders submissions against shutdown: submitters hold it for
	// reading while they queue, shutdown takes it for writing to close ch.
	submitMu sync.RWMutex
	closing  bool
	ch       chan *logEntry

	// Writer goroutine only (and Open/replay before it starts):
	seg  *ingestlog.Log // nil in memory mode
	gens []*generation  // a previous release's log, oldest first, until applied
	last uint64         // last global index assigned

	lastDurable atomic.Uint64 // every entry up to here is durable and acknowledged
	failed      atomic.Pointer[error]
	stopped     chan struct{}
	cleanup     sync.WaitGroup
}

// generation is one tidwall/wal log of a previous release; global index =
// base + local - 1.
type generation struct {
	base uint64
	dir  string
	wal  *wal.Log
}

func (g *generation) lastGlobal() uint64 {
	li, _ := g.wal.LastIndex()
	return g.base + li - 1
}

// logEntry is one accepted request on its way to the log and to DuckDB.
type logEntry struct {
	index    uint64
	table    *tableState
	tv       *tableVersion
	streamID string
	rows     [][]any
	chunks   [][]any // the slots rows point into, for release
	// redecode, when set, decodes the records again from payload as the
	// materialiser appends them: requests of tiny records keep no rows
	// (see decodeRows). rows is nil then.
	redecode rowDecoder
	// arrow, for an Arrow entry, decodes its rows from payload as the
	// materialiser appends them (arrow.go); rows is nil then.
	arrow *arrowRows
	count int // records still to apply: len(rows), or the lazy entry's records
	bytes int64
	// mem is what the decoded rows take in memory (rowsMem), counted in
	// the backlog with the payload; it stays as counted when forget drops
	// the rows, until the entry is retired.
	mem     int64
	payload []byte // the logged form, kept until applied for the quarantine
	frame   []byte // payload with room for the log's frame header before it (see encodePayload)
	done    func(err error)
	ackedAt time.Time // when the entry became durable (for ack→queryable lag)
	// visibleAt is when the materialiser may apply the entry
	// (Options.VisibilityDelay); zero: at once.
	visibleAt time.Time
	// bad is why DuckDB refused the entry (or replay could not decode it);
	// the materialiser then writes it to the quarantine instead.
	bad error
}

// release gives the entry's frame and rows to their pools once it is
// applied: the log wrote the frame, DuckDB's appender copied the values,
// and nothing reads them again.
func (ent *logEntry) release() {
	framePool.put(ent.frame)
	releaseRows(ent.rows, ent.chunks)
	ent.frame, ent.payload, ent.rows, ent.chunks = nil, nil, nil, nil
}

// backlogBytes is what the entry counts in the backlog's bytes until it
// is applied: its logged payload and its decoded rows.
func (ent *logEntry) backlogBytes() int64 { return int64(len(ent.payload)) + ent.mem }

const logFormatVersion = 1

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func openIngestLog(e *Engine) (*ingestLog, error) {
	l := &ingestLog{e: e, ch: make(chan *logEntry, 4096), stopped: make(chan struct{})}
	if e.opts.Memory {
		return l, nil
	}
	l.dir = filepath.Join(e.opts.DataDir, "ingest-log")
	if err := os.MkdirAll(l.dir, 0o700); err != nil {
		return nil, err
	}
	dirs, err := filepath.Glob(filepath.Join(l.dir, "????????????????????"))
	if err != nil {
		return nil, err
	}
	sort.Strings(dirs)
	next := uint64(1)
	for _, d := range dirs {
		base, err := strconv.ParseUint(filepath.Base(d), 10, 64)
		if err != nil || base == 0 {
			continue
		}
		g, err := l.openGeneration(base)
		if err != nil {
			l.close()
			return nil, err
		}
		l.gens = append(l.gens, g)
		next = g.lastGlobal() + 1
	}
	// Zero-ahead is background work: its writes and syncs run at the
	// materialiser's low priority, never on the ack path.
	l.seg, err = ingestlog.Open(ingestlog.Options{Dir: l.dir, SegmentBytes: e.opts.LogGenerationBytes, NoSync: e.opts.NoSync, NextIndex: next,
		Background: e.Background, Warn: func(err error) { e.log.Warn("ingest log zero-ahead", "err", err) }})
	if err != nil {
		l.close()
		return nil, fmt.Errorf("open ingest log %s: %w", l.dir, err)
	}
	l.last = l.seg.LastIndex()
	l.lastDurable.Store(l.last)
	return l, nil
}

func (l *ingestLog) openGeneration(base uint64) (*generation, error) {
	dir := filepath.Join(l.dir, fmt.Sprintf("%020d", base))
	if err := repairTail(dir); err != nil {
		return nil, err
	}
	w, err := wal.Open(dir, &wal.Options{NoSync: l.e.opts.NoSync, SegmentSize: 16 << 20, LogFormat: wal.Binary, AllowEmpty: true, NoCopy: true,
		DirPerms: 0o700, FilePerms: 0o600})
	if err != nil {
		return nil, fmt.Errorf("open ingest log %s: %w", dir, err)
	}
	return &generation{base: base, dir: dir, wal: w}, nil
}

// dropApplied deletes segments and old generations whose entries are all
// queryable. Old generations are removed in the background so the writer
// never waits on unlink.
func (l *ingestLog) dropApplied(applied uint64) {
	if l.seg != nil {
		if err := l.seg.DropApplied(applied); err != nil {
			l.e.log.Warn("drop applied ingest log segments", "err", err)
		}
	}
	for len(l.gens) > 0 && l.gens[0].lastGlobal() <= applied {
		g := l.gens[0]
		l.gens = l.gens[1:]
		l.cleanup.Add(1)
		go func() {
			defer l.cleanup.Done()
			g.wal.Close()
			if err := os.RemoveAll(g.dir); err != nil {
				l.e.log.Warn("remove applied ingest log generation", "dir", g.dir, "err", err)
			}
		}()
	}
}

// repairTail cuts a torn final entry (a crash in the middle of a write)
// from the newest segment of an old generation. Such an entry was never
// synced, so never acknowledged: dropping it loses nothing a client was
// promised.
func repairTail(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	names, err := filepath.Glob(filepath.Join(dir, "????????????????????"))
	if err != nil || len(names) == 0 {
		return err
	}
	sort.Strings(names)
	path := names[len(names)-1]
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	good := 0
	for good < len(data) {
		size, n := binary.Uvarint(data[good:])
		if n <= 0 || uint64(len(data)-good-n) < size || size == 0 {
			break
		}
		good += n + int(size)
	}
	if good < len(data) {
		if err := os.Truncate(path, int64(good)); err != nil {
			return fmt.Errorf("repair torn ingest log tail: %w", err)
		}
	}
	return nil
}

// encodePayload lays out an entry: crc32c | version | format | table id |
// descriptor id | stream id | record count | records (length-prefixed).
// It is the one copy of the records on their way to disk: it returns the
// payload inside an ingestlog frame, which the log writes from this buffer
// (the frame) without copying it again. The frame comes from framePool;
// logEntry.release gives it back once the entry is applied.
func encodePayload(tableID string, format Format, descID, streamID string, records [][]byte) (payload, frame []byte) {
	// The exact size, so that the payload is built in place in its frame;
	// exact length prefixes too: MaxVarintLen32 would more than double the
	// payload of a request of 2-byte records.
	n := 6 + uvarintLen(len(records))
	for _, s := range []string{tableID, descID, streamID} {
		n += uvarintLen(len(s)) + len(s)
	}
	for _, r := range records {
		n += uvarintLen(len(r)) + len(r)
	}
	frame = framePool.get(ingestlog.FrameCap(n))[:ingestlog.HeaderSize]
	b := append(frame[ingestlog.HeaderSize:], 0, 0, 0, 0, logFormatVersion, byte(format))
	b = appendString(b, tableID)
	b = appendString(b, descID)
	b = appendString(b, streamID)
	b = binary.AppendUvarint(b, uint64(len(records)))
	for _, r := range records {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	binary.LittleEndian.PutUint32(b, crc32.Checksum(b[4:], castagnoli))
	return b, frame[:ingestlog.HeaderSize+len(b)]
}

// framePool holds the frames of applied entries for new ones.
var framePool slicePool[byte]

// uvarintLen is the size of n as a uvarint (binary.AppendUvarint).
func uvarintLen(n int) int { return max(1, (bits.Len(uint(n))+6)/7) }

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

type decodedPayload struct {
	format   Format
	tableID  string
	descID   string
	streamID string
	records  [][]byte
}

var errCorruptEntry = errors.New("corrupt ingest log entry")

func decodePayload(b []byte) (decodedPayload, error) {
	var p decodedPayload
	err := eachPayloadRecord(b, &p, func(n uint64) { p.records = make([][]byte, 0, n) }, func(r []byte) error {
		p.records = append(p.records, r)
		return nil
	})
	return p, err
}

// eachPayloadRecord checks an entry's payload, fills its header into p,
// calls count with the number of records and each with every record, in
// order, without copying them; the materialiser decodes lazily kept
// entries this way (see logEntry.redecode).
func eachPayloadRecord(b []byte, p *decodedPayload, count func(uint64), each func([]byte) error) error {
	if len(b) < 6 || binary.LittleEndian.Uint32(b) != crc32.Checksum(b[4:], castagnoli) || b[4] != logFormatVersion {
		return errCorruptEntry
	}
	p.format = Format(b[5])
	rest := b[6:]
	var ok bool
	if p.tableID, rest, ok = readString(rest); !ok {
		return errCorruptEntry
	}
	if p.descID, rest, ok = readString(rest); !ok {
		return errCorruptEntry
	}
	if p.streamID, rest, ok = readString(rest); !ok {
		return errCorruptEntry
	}
	n, w := binary.Uvarint(rest)
	if w <= 0 {
		return errCorruptEntry
	}
	rest = rest[w:]
	count(n)
	for i := uint64(0); i < n; i++ {
		size, w := binary.Uvarint(rest)
		if w <= 0 || uint64(len(rest)-w) < size {
			return errCorruptEntry
		}
		if err := each(rest[w : w+int(size)]); err != nil {
			return err
		}
		rest = rest[w+int(size):]
	}
	return nil
}

func readString(b []byte) (string, []byte, bool) {
	size, n := binary.Uvarint(b)
	if n <= 0 || uint64(len(b)-n) < size {
		return "", nil, false
	}
	return string(b[n : n+int(size)]), b[n+int(size):], true
}

// submit queues an entry; done is called once it is durable (or failed).
// While the ingest log or the materialiser is failing it refuses at once
// with ErrUnavailable naming the cause.
func (l *ingestLog) submit(ent *logEntry) error {
	if err := l.e.Health(); err != nil {
		return err
	}
	l.submitMu.RLock()
	defer l.submitMu.RUnlock()
	if l.closing {
		return fmt.Errorf("%w: the server is shutting down", ErrClosed)
	}
	l.ch <- ent
	return nil
}

// run is the group-commit writer. After a failed write it refuses what is
// queued and probes the disk with backoff until the log can be written
// again (recover), so the server heals without a restart.
func (l *ingestLog) run(ctx context.Context) {
	defer close(l.stopped)
	batch := make([]*logEntry, 0, 1024)
	frames := make([][]byte, 0, cap(batch))
	backoff := time.Duration(0)
	for {
		var retry <-chan time.Time
		if l.failed.Load() != nil {
			retry = time.After(backoff)
		}
		var first *logEntry
		select {
		case ent, ok := <-l.ch:
			if !ok {
				return
			}
			first = ent
		case <-retry:
			if err := l.recover(); err != nil {
				backoff = min(2*backoff, maxRetry)
				l.fail(fmt.Errorf("%w: the ingest log cannot be written: %v", ErrUnavailable, err), backoff)
			} else {
				backoff = 0
			}
			continue
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < cap(batch) {
			select {
			case ent, ok := <-l.ch:
				if !ok {
					break drain
				}
				batch = append(batch, ent)
			default:
				break drain
			}
		}
		if errp := l.failed.Load(); errp != nil {
			for _, ent := range batch {
				ent.done(*errp) // queued before the failure was known
			}
			continue
		}
		// Backpressure: while the materialiser is behind by the bound,
		// this batch waits, and with it every ack after it.
		waited, err := l.e.mat.waitRoom()
		if waited > 0 {
			l.e.opts.Observer.Throttled(waited)
		}
		if err != nil {
			for _, ent := range batch {
				ent.done(err)
			}
			continue
		}
		frames = frames[:0]
		for _, ent := range batch {
			frames = append(frames, ent.frame)
		}
		start := l.last + 1 // memory mode: no log, indexes only
		if l.seg != nil {
			start, err = l.seg.Append(frames)
		}
		clear(frames)
		if err != nil {
			err = fmt.Errorf("%w: the ingest log cannot be written: %v", ErrUnavailable, err)
			backoff = minRetry
			l.fail(err, backoff)
			for _, ent := range batch {
				ent.done(err)
			}
			continue
		}
		for i, ent := range batch {
			ent.index = start + uint64(i)
		}
		l.last = batch[len(batch)-1].index
		l.lastDurable.Store(l.last)
		now := time.Now()
		for _, ent := range batch {
			ent.ackedAt = now
		}
		l.e.mat.enqueue(batch)
		for _, ent := range batch {
			ent.done(nil)
		}
		l.dropApplied(l.e.mat.applied.Load())
	}
}

// fail records why the log cannot be written; ingest is refused until
// recover succeeds.
func (l *ingestLog) fail(err error, retryIn time.Duration) {
	l.failed.Store(&err)
	l.e.log.Error("ingest log write failed; refusing ingest until it can be written again", "last_durable_index", l.lastDurable.Load(),
		"retry_in", retryIn, "err", err)
}

// probeBytes is how much free space recover wants to see in the log's
// directory before it takes writes again.
const probeBytes = 1 << 20

// recover makes the log writable after a failed write (writer only): it
// checks that the disk takes probeBytes, then has the segment log cut the
// bytes of the failed batch (never acknowledged, so nobody's retry is
// stored twice), preallocate its segment again and take appends.
func (l *ingestLog) recover() error {
	if l.seg == nil { // in memory: nothing to repair
		l.failed.Store(nil)
		return nil
	}
	probe := filepath.Join(l.dir, "probe.tmp")
	f, err := os.Create(probe)
	if err != nil {
		return err
	}
	_, err = f.Write(make([]byte, probeBytes))
	if err == nil {
		err = f.Sync()
	}
	f.Close()
	os.Remove(probe)
	if err != nil {
		return err
	}
	if err := l.seg.Recover(); err != nil {
		return err
	}
	durable := l.lastDurable.Load()
	if li := l.seg.LastIndex(); li != durable {
		// Append advances the log only with a durable batch, so this is a bug.
		return fmt.Errorf("the ingest log ends at entry %d but entries up to %d were acknowledged", li, durable)
	}
	l.last = durable
	l.failed.Store(nil)
	l.e.log.Info("ingest log writable again; accepting ingest", "last_durable_index", durable)
	return nil
}

// shutdown stops accepting entries and waits for the writer to finish the
// ones already queued.
func (l *ingestLog) shutdown() {
	l.submitMu.Lock()
	if !l.closing {
		l.closing = true
		close(l.ch)
	}
	l.submitMu.Unlock()
	<-l.stopped
}

func (l *ingestLog) close() {
	l.cleanup.Wait()
	for _, g := range l.gens {
		if err := g.wal.Close(); err != nil {
			l.e.log.Warn("close ingest log", "dir", g.dir, "err", err)
		}
	}
	l.gens = nil
	if l.seg != nil {
		if err := l.seg.Close(); err != nil {
			l.e.log.Warn("close ingest log", "dir", l.dir, "err", err)
		}
		l.seg = nil
	}
}
