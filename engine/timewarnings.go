package engine

import (
	"strconv"
	"sync"
	"time"

	"github.com/zbemu/zbemu/schema"
)

// Plausibility warnings: Zerobus accepts any integer for a TIMESTAMP, so a
// client that sends milliseconds gets rows in 1970 and no error. The
// decoders classify each integer timestamp (schema.ClassifyMicros) while a
// request is validated — the one decode every accepted record goes
// through exactly once, whether its rows are kept or decoded again later
// from the ingest log (lazy rows, replay), which checks nothing. An
// accepted request's warnings are then reported once: to the client (REST
// header, gRPC trailer), to the metrics, and as sampled rows of
// system.zbemu.warnings. With Options.StrictTimestamps such a record is
// refused instead, as an ordinary rejected record.

// TimestampWarning is one row of system.zbemu.warnings: the records of one
// request whose column looked like seconds or milliseconds.
type TimestampWarning struct {
	Time      time.Time
	TableName string
	StreamID  string // stream id (gRPC) or request id (REST)
	Protocol  string // GRPC or HTTP
	Offset    int64  // wire offset of the request (gRPC), -1 for REST
	Index     int    // index of the first such record in the request
	Column    string // column path, e.g. ts or event.at (elements: times[])
	Unit      string // seconds or milliseconds
	Value     int64  // the first record's value, as received
	Records   int64  // records of the request with this warning
	// Unsampled counts the records with warnings on this table since the
	// previous row that got no row of their own (WarningSamplesPerMinute).
	Unsampled int64
	Hint      string
	Raw       []byte // the first record, truncated to MaxRejectedRaw bytes
}

// WarningSamplesPerMinute bounds the rows system.zbemu.warnings gets per
// table: a client that sends milliseconds sends them in every record, and
// one row per request would flood the table. Counts stay exact in the
// metric zbemu_timestamp_warnings_total and in each row's Unsampled.
const WarningSamplesPerMinute = 20

// maxWarnGroups bounds the distinct (column, unit) pairs one request
// reports; a table has few timestamp columns, so this is a safety net.
const maxWarnGroups = 16

// WarningSummary is what a request (or a stream so far) was warned about
// for one column and unit.
type WarningSummary struct {
	Column  string
	Unit    schema.TimeUnit
	Records int64
	Example int64 // a value as received
}

// Hint is the fix for the summary's unit.
func (w WarningSummary) Hint() string { return w.Unit.Hint() }

// String is the warning as the REST header and the gRPC trailer carry it:
// ASCII only, one line, e.g.
//
//	column "ts": 3 records look like milliseconds since the epoch (e.g. 1732451234000); multiply by 1000 to send microseconds
func (w WarningSummary) String() string {
	noun := "records look"
	if w.Records == 1 {
		noun = "record looks"
	}
	hint := w.Hint()
	if i := len("this looks like " + w.Unit.String() + " since the epoch; "); len(hint) > i {
		hint = hint[i:]
	}
	return "column " + strconv.QuoteToASCII(w.Column) + ": " + strconv.FormatInt(w.Records, 10) + " " + noun + " like " + w.Unit.String() +
		" since the epoch (e.g. " + strconv.FormatInt(w.Example, 10) + "); " + hint
}

// timeWarnings collects the implausible timestamps of one request while it
// is decoded. A Stream keeps one and resets it per attempt, so validation
// allocates nothing for requests without warnings.
type timeWarnings struct {
	strict  bool
	scratch []schema.TimeWarning // the record being decoded
	groups  []warnGroup
}

type warnGroup struct {
	path  string
	unit  schema.TimeUnit
	count int64
	first int   // index of the first record
	value int64 // its value
	last  int   // index of the last record counted, so a record counts once
}

func (tw *timeWarnings) reset() {
	tw.scratch = tw.scratch[:0]
	tw.groups = tw.groups[:0]
}

// decode decodes record i of a request with dec, noting its warnings; tw
// nil checks nothing (replay). In strict mode a warning refuses the record.
func (tw *timeWarnings) decode(dec rowDecoder, i int, rec []byte, row []any) error {
	if tw == nil {
		return dec.Decode(rec, row)
	}
	if err := dec.DecodeWarn(rec, row, &tw.scratch); err != nil || len(tw.scratch) == 0 {
		tw.scratch = tw.scratch[:0]
		return err
	}
	if tw.strict {
		err := tw.scratch[0].RecordError()
		tw.scratch = tw.scratch[:0]
		clear(row)
		return err
	}
	for _, w := range tw.scratch {
		tw.note(i, w)
	}
	tw.scratch = tw.scratch[:0]
	return nil
}

func (tw *timeWarnings) note(i int, w schema.TimeWarning) {
	for g := range tw.groups {
		if p := &tw.groups[g]; p.path == w.Path && p.unit == w.Unit {
			if p.last != i {
				p.count, p.last = p.count+1, i
			}
			return
		}
	}
	if len(tw.groups) < maxWarnGroups {
		tw.groups = append(tw.groups, warnGroup{path: w.Path, unit: w.Unit, count: 1, first: i, value: w.Value, last: i})
	}
}

// warnSampler limits the rows of system.zbemu.warnings of one table to
// WarningSamplesPerMinute and counts what it left out.
type warnSampler struct {
	mu        sync.Mutex
	window    time.Time
	rows      int
	unsampled int64
}

// take reports whether a row of n records may be written now, and if so
// how many records went unsampled before it.
func (ws *warnSampler) take(now time.Time, n int64) (bool, int64) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	if now.Sub(ws.window) >= time.Minute {
		ws.window, ws.rows = now, 0
	}
	if ws.rows >= WarningSamplesPerMinute {
		ws.unsampled += n
		return false, 0
	}
	ws.rows++
	u := ws.unsampled
	ws.unsampled = 0
	return true, u
}

// warned reports the warnings of an accepted request: to the metrics, as
// sampled rows, and into the stream's totals (Stream.Warnings). It returns
// the request's summaries.
func (s *Stream) warned(offset int64, records [][]byte) []WarningSummary {
	groups := s.tw.groups
	if len(groups) == 0 {
		return nil
	}
	now := time.Now()
	out := make([]WarningSummary, len(groups))
	for i, g := range groups {
		out[i] = WarningSummary{Column: g.path, Unit: g.unit, Records: g.count, Example: g.value}
		s.obs.TimestampWarnings(g.unit.String(), int(g.count))
		ok, unsampled := s.table.samples.take(now, g.count)
		if !ok {
			continue
		}
		raw := records[g.first]
		if len(raw) > MaxRejectedRaw {
			raw = raw[:MaxRejectedRaw]
		}
		s.e.opts.Events.TimestampWarning(TimestampWarning{Time: now, TableName: s.tv.meta.fullName(), StreamID: s.id, Protocol: s.protocol,
			Offset: offset, Index: g.first, Column: g.path, Unit: g.unit.String(), Value: g.value, Records: g.count, Unsampled: unsampled,
			Hint: g.unit.Hint(), Raw: append([]byte(nil), raw...)})
	}
	s.mu.Lock()
	for _, w := range out {
		s.warnings = addWarning(s.warnings, w)
	}
	s.mu.Unlock()
	return out
}

// addWarning adds w to the totals ws, bounded as one request's are.
func addWarning(ws []WarningSummary, w WarningSummary) []WarningSummary {
	for i := range ws {
		if ws[i].Column == w.Column && ws[i].Unit == w.Unit {
			ws[i].Records += w.Records
			return ws
		}
	}
	if len(ws) >= maxWarnGroups {
		return ws
	}
	return append(ws, w)
}

// Warnings returns the stream's warnings so far, one per column and unit,
// for the gRPC trailer.
func (s *Stream) Warnings() []WarningSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]WarningSummary(nil), s.warnings...)
}
