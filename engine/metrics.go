package engine

import "time"

// Observer receives measurements of the ingest path, for Prometheus metrics
// and the stats endpoint (package web implements it). The engine calls it
// once per stream, request or commit — never per record — and from the ack
// path, so implementations must be cheap (atomics, cached metric children,
// no I/O) and safe for concurrent use.
type Observer interface {
	// StreamOpened is called once a stream is open (a REST request counts
	// as a stream of protocol HTTP). The returned StreamObserver receives
	// that stream's measurements until Closed.
	StreamOpened(s StreamInfo) StreamObserver
	// Commit reports that rows of table were committed to DuckDB by one
	// materialiser transaction that took d (BEGIN to COMMIT; a transaction
	// covers every table of one catalog file).
	Commit(table string, rows int, d time.Duration)
	// Backlog reports the acknowledged records not yet in DuckDB and the
	// memory they hold (logged bytes and decoded rows) whenever they change (once per group-commit batch and
	// per materialiser round), in order.
	Backlog(records, bytes int64)
	// Throttled reports that the ingest log writer held acks back for d
	// because the backlog was at its bound (Options.MaxBacklogBytes,
	// MaxBacklogRecords).
	Throttled(d time.Duration)
}

// StreamObserver receives the measurements of one stream.
type StreamObserver interface {
	// Acked reports one request made durable: its records, their bytes and
	// the time from the engine receiving the request to the durable ack.
	Acked(records, bytes int, latency time.Duration)
	// Rejected reports records refused by validation (one per rejected
	// record, as in system.zbemu.rejected_records).
	Rejected(records int)
	// TimestampWarnings reports records accepted with a timestamp column
	// that looks like unit ("seconds" or "milliseconds"), once per request
	// and column (zbemu_timestamp_warnings_total).
	TimestampWarnings(unit string, records int)
	// Closed reports the end of the stream.
	Closed()
}

// StreamInfo identifies a stream to an Observer.
type StreamInfo struct {
	ID         string
	Table      string // catalog.schema.table
	Protocol   string // GRPC or HTTP
	DataFormat string // JSON or PROTOBUF
	Opened     time.Time
}

// nopObserver is the default Observer: it measures nothing.
type nopObserver struct{}

func (nopObserver) StreamOpened(StreamInfo) StreamObserver { return nopObserver{} }
func (nopObserver) Commit(string, int, time.Duration)      {}
func (nopObserver) Backlog(int64, int64)                   {}
func (nopObserver) Throttled(time.Duration)                {}
func (nopObserver) Acked(int, int, time.Duration)          {}
func (nopObserver) Rejected(int)                           {}
func (nopObserver) TimestampWarnings(string, int)          {}
func (nopObserver) Closed()                                {}
