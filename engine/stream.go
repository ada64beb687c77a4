package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/google/uuid"

	"github.com/zbemu/zbemu/schema"
)

// Format is the record encoding of a stream.
type Format uint8

// Record formats, numbered as in the ingest log.
const (
	FormatJSON  Format = 1
	FormatProto Format = 2
	// FormatArrow is Arrow IPC record batches (Arrow Flight DoPut).
	FormatArrow Format = 3
)

func (f Format) dataFormat() string {
	switch f {
	case FormatProto:
		return "PROTOBUF"
	case FormatArrow:
		return "ARROW"
	}
	return "JSON"
}

// MaxMessageBytes is the largest request Zerobus accepts (10 MiB per gRPC
// message; zbemu applies the same limit to REST bodies).
const MaxMessageBytes = 10 << 20

// StreamSpec describes a stream to open.
type StreamSpec struct {
	Table      string // catalog.schema.table
	Format     Format
	Descriptor []byte // serialized DescriptorProto, for FormatProto
	Protocol   string // GRPC or HTTP
	// DataFormat is the data_format the system tables and metrics report;
	// empty reports Format's (JSON, PROTOBUF). OTLP sets the encoding its
	// client sent, while the ingest log holds the JSON rows made from it.
	DataFormat string
	// ArrowSchema is the schema of the batches, for FormatArrow, and
	// ArrowSchemaHeader its IPC message (flatbuffer) as the client sent it.
	ArrowSchema       *arrow.Schema
	ArrowSchemaHeader []byte
}

// Stream is one open ingest stream. Submit is called from one goroutine
// (the stream's receive loop); acknowledgements are read from another.
type Stream struct {
	e      *Engine
	id     string
	table  *tableState
	tv     *tableVersion // the schema the stream opened with
	merged *tableVersion // the schema an automatic merge moved it to; receive goroutine only
	format Format
	proto  *schema.ProtoDecoder
	descID string
	// arrow decodes the batches of an Arrow stream, whose schema message
	// is arrowSchema.
	arrow       *arrowRows
	arrowSchema []byte
	protocol    string // GRPC or HTTP, for events
	dataFmt     string // data_format, for events
	opened      time.Time
	obs         StreamObserver // measurements (metrics, stats)

	nextOffset int64 // next expected wire offset; receive goroutine only
	// rulesTV, rulesCur and rulesDec cache the decoder of CHECK
	// constraints and DEFAULTs (Stream.rules); receive goroutine only.
	rulesTV, rulesCur *tableVersion
	rulesDec          *ruleDecoder

	acked atomic.Int64 // highest durable offset, -1 before the first
	// ackedRecords counts the records (rows) of the durable requests.
	ackedRecords atomic.Int64
	ackCh        chan struct{}
	pending      sync.WaitGroup
	failErr      atomic.Pointer[error]

	// tw collects the warnings of the request being validated; receive
	// goroutine only.
	tw timeWarnings

	mu       sync.Mutex // guards errors and warnings
	errors   []StreamError
	warnings []WarningSummary
	closed   atomic.Bool
}

// OpenStream checks the identity's access and the table, compiles the
// record decoder and returns a stream ready for Submit.
func (e *Engine) OpenStream(ctx context.Context, id *Identity, spec StreamSpec) (*Stream, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	_, t, err := e.resolveTable(spec.Table)
	if err != nil {
		return nil, err
	}
	if err := e.authorizeIngest(ctx, id, spec.Table); err != nil {
		return nil, err
	}
	tv := t.cur.Load()
	if tv.meta.PipelineID != "" {
		return nil, pipelineTableError(tv.meta, "Zerobus ingest")
	}
	if tv.meta.TableType == tableTypeView {
		return nil, fmt.Errorf("%w: %s is a view; Zerobus ingests into tables only", ErrInvalidArgument, spec.Table)
	}
	s := &Stream{e: e, id: uuid.NewString(), table: t, tv: tv, format: spec.Format, protocol: spec.Protocol,
		dataFmt: spec.DataFormat, opened: time.Now(), ackCh: make(chan struct{}, 1), tw: timeWarnings{strict: e.opts.StrictTimestamps}}
	s.acked.Store(-1)
	if s.dataFmt == "" {
		s.dataFmt = spec.Format.dataFormat()
	}
	switch spec.Format {
	case FormatJSON:
	case FormatProto:
		if len(spec.Descriptor) == 0 {
			return nil, fmt.Errorf("%w: record_type PROTO needs descriptor_proto (a serialized DescriptorProto of the record message)", ErrInvalidArgument)
		}
		dec, err := schema.NewProtoDecoder(decoderColumns(tv.meta, tv.cols), spec.Descriptor)
		if err != nil {
			return nil, fmt.Errorf("%w: descriptor_proto does not match table %s: %v", ErrInvalidArgument, tv.meta.fullName(), err)
		}
		s.proto = dec
		sum := sha256.Sum256(spec.Descriptor)
		s.descID = hex.EncodeToString(sum[:16])
		if err := e.ids.PutDescriptor(ctx, s.descID, spec.Descriptor); err != nil {
			return nil, err
		}
	case FormatArrow:
		if spec.ArrowSchema == nil || len(spec.ArrowSchemaHeader) == 0 {
			return nil, fmt.Errorf("%w: an Arrow stream starts with its schema", ErrInvalidArgument)
		}
		if s.arrow, err = newArrowRows(tv, spec.ArrowSchema); err != nil {
			return nil, err
		}
		s.arrowSchema = spec.ArrowSchemaHeader
	default:
		return nil, fmt.Errorf("%w: record_type must be JSON or PROTO", ErrInvalidArgument)
	}
	e.opts.Events.StreamEvent(StreamEvent{StreamID: s.id, Time: s.opened, OpenedTime: s.opened, TableID: tv.meta.TableID,
		TableName: tv.meta.fullName(), Protocol: s.protocol, DataFormat: s.dataFmt})
	s.obs = e.opts.Observer.StreamOpened(StreamInfo{ID: s.id, Table: tv.meta.fullName(), Protocol: s.protocol,
		DataFormat: s.dataFmt, Opened: s.opened})
	return s, nil
}

// ID is the stream's UUID.
func (s *Stream) ID() string { return s.id }

// TableName is the stream's table as catalog.schema.table.
func (s *Stream) TableName() string { return s.tv.meta.fullName() }

// decoded is a validated request: its rows, or for a request of tiny
// records (see decodeRows) none and the decoder that decodes it again when the
// materialiser appends it.
type decoded struct {
	rows     [][]any
	chunks   [][]any // the slots rows point into (decodeRows)
	size     int64
	redecode rowDecoder
	warnings []WarningSummary // of the accepted request
}

// decode validates records against the stream's schema. offset is -1 for REST.
func (s *Stream) decode(offset int64, records [][]byte) (decoded, error) {
	tv := s.version()
	d, i, err := s.decodeWith(tv, records)
	if err != nil && tv.autoMerge && s.format == FormatJSON {
		// zbemu.autoMerge: new fields become columns, then the request is decoded again.
		ntv, mi, merr := s.autoMerge(tv, records, err)
		if merr != nil {
			i, err = mi, merr
		} else if ntv != nil {
			s.merged = ntv
			d, i, err = s.decodeWith(ntv, records)
		}
	}
	if err != nil {
		rerr := &RecordError{Offset: offset, Index: i, Err: err, Records: len(records), Failed: 1}
		s.nextStep(err, records)
		if len(records) > 1 {
			s.otherFailures(rerr, records)
		}
		s.reject(rerr, records[i])
		return decoded{}, rerr
	}
	d.warnings = s.warned(offset, records)
	return d, nil
}

// otherFailures decodes the records after the first failing one to count
// the request's failures and list the first of them (rerr.Others); only
// refused requests pay for it.
func (s *Stream) otherFailures(rerr *RecordError, records [][]byte) {
	tv := s.version()
	var dec rowDecoder = tv.jsonDec
	if s.format == FormatProto {
		dec = s.proto
	}
	dec, err := s.rules(tv, dec)
	if err != nil {
		return
	}
	row := make([]any, len(tv.cols))
	for i := rerr.Index + 1; i < len(records); i++ {
		if err := dec.Decode(records[i], row); err != nil {
			rerr.Failed++
			if len(rerr.Others) < MaxListedFailures-1 {
				rerr.Others = append(rerr.Others, RecordFailure{Index: i, Err: err})
			}
		}
		clear(row)
	}
}

// nextStep adds to an unknown-field rejection the ways to accept the
// field: the column to add (its type inferred as automatic merge would),
// the rescue column, or zbemu's automatic merge.
func (s *Stream) nextStep(err error, records [][]byte) {
	var re *schema.RecordError
	// A near miss keeps its "did you mean" alone: UC column names ignore
	// case, so the column cannot be added.
	if s.format != FormatJSON || !errors.As(err, &re) || re.Reason != schema.ReasonUnknownField || re.Hint != "" || s.version().autoMerge {
		return
	}
	full := s.version().meta.fullName()
	typ := "<TYPE>"
	if specs, _, ierr := inferColumns(s.version(), records); ierr == nil {
		for _, sp := range specs {
			if sp.Name == re.Path {
				typ = sp.TypeText
			}
		}
	}
	steps := fmt.Sprintf("to accept it, add the column (ALTER TABLE %s ADD COLUMNS (%s %s)), "+
		"or collect unknown fields in a rescue column (ALTER TABLE %s ADD COLUMNS (_rescued_data VARIANT); ALTER TABLE %s ALTER COLUMN _rescued_data SET TAGS ('zerobus-rescue')), "+
		"or let zbemu add new fields as columns (ALTER TABLE %s SET TBLPROPERTIES ('zbemu.autoMerge' = 'true'), a zbemu extension)",
		full, re.Path, typ, full, full, full)
	re.Hint = steps
}

// decodeWith decodes every record with the decoders of tv; on error it
// returns the index of the first bad record. A request whose rows would
// cost too much (see decodeRows) keeps none.
func (s *Stream) decodeWith(tv *tableVersion, records [][]byte) (decoded, int, error) {
	var dec rowDecoder = tv.jsonDec
	if s.format == FormatProto {
		dec = s.proto
	}
	dec, err := s.rules(tv, dec)
	if err != nil {
		return decoded{}, 0, err
	}
	s.tw.reset() // a request decoded again (automatic merge) counts once
	rows, chunks, size, i, err := decodeRows(len(tv.cols), records, dec, &s.tw)
	if rows == nil {
		return decoded{size: size, redecode: dec}, i, err
	}
	return decoded{rows: rows, chunks: chunks, size: size}, i, err
}

// newEntry makes the ingest log entry of a validated request; records are
// copied into its payload, so the caller's may be dropped.
func (s *Stream) newEntry(d decoded, records [][]byte) *logEntry {
	ent := &logEntry{table: s.table, tv: s.version(), streamID: s.id, rows: d.rows, chunks: d.chunks, count: len(d.rows), bytes: d.size,
		mem: rowsMem(d.rows, d.size)}
	ent.payload, ent.frame = encodePayload(s.tv.meta.TableID, s.format, s.descID, s.id, records)
	if d.redecode != nil {
		ent.redecode, ent.count = d.redecode, len(records)
	}
	return ent
}

// reject reports a refused record to the event sink.
func (s *Stream) reject(err *RecordError, raw []byte) {
	ev := RejectedRecord{Time: time.Now(), TableName: s.tv.meta.fullName(), StreamID: s.id, Protocol: s.protocol,
		Offset: err.Offset, Index: err.Index, Message: err.Error()}
	var re *schema.RecordError
	if errors.As(err.Err, &re) {
		ev.Column, ev.Reason, ev.Hint = re.Path, re.Reason, re.Hint
	} else {
		describeViolation(err.Err, &ev)
	}
	if len(raw) > MaxRejectedRaw {
		raw = raw[:MaxRejectedRaw]
	}
	ev.Raw = append([]byte(nil), raw...)
	s.e.opts.Events.RejectedRecord(ev)
	s.obs.Rejected(1)
}

// Submit validates one request (its records are accepted or rejected as a
// whole) and queues it for the ingest log. The offset must be the next one
// of the stream (0, 1, 2, ...). A rejected request leaves the stream failed:
// everything acknowledged before stays. Submit only reads records and
// keeps no reference to them once it returns (the gRPC layer passes the
// bytes of immutable strings).
func (s *Stream) Submit(offset int64, records [][]byte) error {
	received := time.Now()
	if err := s.admit(offset, len(records)); err != nil {
		return err
	}
	d, err := s.decode(offset, records)
	if err != nil {
		return s.fail(err)
	}
	s.nextOffset++
	return s.enqueue(s.newEntry(d, records), offset, received)
}

// admit checks that a request of n records may come next: the stream has
// not failed and offset is the next one.
func (s *Stream) admit(offset int64, n int) error {
	if errp := s.failErr.Load(); errp != nil {
		return *errp
	}
	if offset != s.nextOffset {
		return s.fail(fmt.Errorf("%w: expected offset_id %d, received %d (offsets start at 0 on every stream and grow by 1 per request)", ErrBadOffset, s.nextOffset, offset))
	}
	if n == 0 {
		return s.fail(fmt.Errorf("%w: request at offset %d has no records", ErrInvalidArgument, offset))
	}
	return nil
}

// enqueue hands the entry of the accepted request at offset to the ingest
// log; its ack follows once it is durable.
func (s *Stream) enqueue(ent *logEntry, offset int64, received time.Time) error {
	n, size := ent.count, ent.bytes
	s.pending.Add(1)
	ent.done = func(err error) {
		defer s.pending.Done()
		if err != nil {
			s.fail(err)
			return
		}
		// Records first: a reader of Acked then AckedRecords sees at
		// least the records of the offset it read.
		s.ackedRecords.Add(int64(n))
		s.acked.Store(offset)
		s.obs.Acked(n, int(size), ent.ackedAt.Sub(received))
		select {
		case s.ackCh <- struct{}{}:
		default:
		}
	}
	if err := s.e.ilog.submit(ent); err != nil {
		s.pending.Done()
		return s.fail(err)
	}
	return nil
}

// Acked is the highest offset that is durable (-1 before the first).
func (s *Stream) Acked() int64 { return s.acked.Load() }

// AckedRecords is how many records the durable requests hold; Arrow Flight
// acks count rows. It may run ahead of Acked by the request being acked.
func (s *Stream) AckedRecords() int64 { return s.ackedRecords.Load() }

// AckNotify signals (coalesced) that Acked may have grown.
func (s *Stream) AckNotify() <-chan struct{} { return s.ackCh }

// Err is the error that failed the stream, if any.
func (s *Stream) Err() error {
	if errp := s.failErr.Load(); errp != nil {
		return *errp
	}
	return nil
}

// Drain waits until every submitted request has been made durable.
func (s *Stream) Drain(ctx context.Context) error {
	done := make(chan struct{})
	go func() { s.pending.Wait(); close(done) }()
	select {
	case <-done:
		return s.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Stream) fail(err error) error {
	s.failErr.CompareAndSwap(nil, &err)
	s.recordError(err)
	return err
}

func (s *Stream) recordError(err error) {
	now := time.Now()
	se := StreamError{Code: ErrorCode(err), Message: err.Error(), Time: now}
	if se.Code == Internal.Code {
		// Any principal can read system.lakeflow.zerobus_stream; the cause
		// (paths, I/O details) goes to the log only.
		se.Message = InternalMessage
	}
	s.mu.Lock()
	s.errors = append(s.errors, se)
	s.mu.Unlock()
	s.e.opts.Events.StreamEvent(StreamEvent{StreamID: s.id, Time: now, OpenedTime: s.opened, TableID: s.tv.meta.TableID,
		TableName: s.tv.meta.fullName(), Protocol: s.protocol, DataFormat: s.dataFmt, Errors: []StreamError{se}})
}

// Close ends the stream and records its close event. It does not wait for
// pending requests; call Drain first for a graceful close.
func (s *Stream) Close() {
	if s.closed.Swap(true) {
		return
	}
	now := time.Now()
	s.mu.Lock()
	errs := append([]StreamError(nil), s.errors...)
	s.mu.Unlock()
	s.e.opts.Events.StreamEvent(StreamEvent{StreamID: s.id, Time: now, OpenedTime: s.opened, ClosedTime: now, TableID: s.tv.meta.TableID,
		TableName: s.tv.meta.fullName(), Protocol: s.protocol, DataFormat: s.dataFmt, Errors: errs})
	s.obs.Closed()
}

// Insert is the REST path: the records of one request are validated
// together and written all-or-nothing; Insert returns once they are
// durable. Each request counts as a stream of protocol HTTP.
func (e *Engine) Insert(ctx context.Context, id *Identity, table string, records [][]byte) error {
	_, err := e.InsertWarn(ctx, id, table, records)
	return err
}

// InsertWarn is Insert that also returns the request's plausibility
// warnings (timestamps that look like seconds or milliseconds), for the
// REST response; they are nil when the request failed.
func (e *Engine) InsertWarn(ctx context.Context, id *Identity, table string, records [][]byte) ([]WarningSummary, error) {
	s, err := e.OpenStream(ctx, id, StreamSpec{Table: table, Format: FormatJSON, Protocol: "HTTP"})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Write(ctx, records)
}

// Write is the single request of a stream that lives for one request
// (REST, OTLP): the records are validated together against the table as
// it is now and written all-or-nothing; Write returns once they are
// durable, with the request's plausibility warnings.
func (s *Stream) Write(ctx context.Context, records [][]byte) ([]WarningSummary, error) {
	received := time.Now()
	d, err := s.decode(-1, records)
	if err != nil {
		s.recordError(err)
		return nil, err
	}
	if err := s.e.logAndWait(ctx, s, d, records, received); err != nil {
		return nil, err
	}
	return d.warnings, nil
}

// Columns are the table's columns as the stream opened it.
func (s *Stream) Columns() []schema.Column { return s.tv.cols }

// Refuse records err as the stream's error (system.lakeflow.zerobus_stream)
// and returns it: for a request refused by a check outside the engine,
// such as OTLP's table layout.
func (s *Stream) Refuse(err error) error {
	s.recordError(err)
	return err
}

// logAndWait writes one validated REST request to the ingest log and waits
// until it is durable. It keeps no reference to records while it waits.
func (e *Engine) logAndWait(ctx context.Context, s *Stream, d decoded, records [][]byte, received time.Time) error {
	done := make(chan error, 1)
	ent, n := s.newEntry(d, records), len(records)
	ent.done = func(err error) {
		if err == nil {
			s.obs.Acked(n, int(d.size), ent.ackedAt.Sub(received))
		}
		done <- err
	}
	if err := e.ilog.submit(ent); err != nil {
		return err
	}
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		// The entry may still become durable; the client will not know,
		// which is the at-least-once contract of the real service too.
		return fmt.Errorf("%w: %v", ErrCanceled, ctx.Err())
	}
}

// Sync waits until every acknowledged record is queryable. SQL statements
// call it first, so a query sees everything acknowledged before it started
// (with Options.VisibilityDelay: everything whose delay is over).
func (e *Engine) Sync(ctx context.Context) error {
	return e.mat.sync(ctx, e.mat.visibleTarget(e.ilog.lastDurable.Load()))
}

// syncAll waits until every acknowledged record is in DuckDB, visible or
// not yet (Options.VisibilityDelay): DDL that changes stored rows or checks
// them all needs every one.
func (e *Engine) syncAll(ctx context.Context) error {
	e.mat.reveal()
	return e.mat.sync(ctx, e.ilog.lastDurable.Load())
}
