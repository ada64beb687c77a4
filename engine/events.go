package engine

import "time"

// EventSink receives what happens to streams and commits, for the system
// tables (package systables implements it). The engine calls it off the ack
// path; implementations must not block for long and must be safe for
// concurrent use.
type EventSink interface {
	// StreamEvent records an open, an error or a close of a stream.
	StreamEvent(ev StreamEvent)
	// CommitEvent records rows of one stream committed to a table.
	CommitEvent(ev CommitEvent)
	// RejectedRecord records a record that failed validation, so learners
	// can see why data did not arrive (system.zbemu.rejected_records).
	RejectedRecord(ev RejectedRecord)
	// TimestampWarning records records accepted with timestamps that look
	// like seconds or milliseconds (system.zbemu.warnings, sampled).
	TimestampWarning(ev TimestampWarning)
}

// RejectedRecord is one record that was refused.
type RejectedRecord struct {
	Time      time.Time
	TableName string
	StreamID  string // stream id (gRPC) or request id (REST)
	Protocol  string // GRPC or HTTP
	Offset    int64  // wire offset of the request (gRPC), -1 for REST
	Index     int    // record index within the request
	Column    string // column path, e.g. readings[3].value
	Reason    string
	Hint      string
	Message   string // the full error text the client received
	Raw       []byte // the record, truncated to MaxRejectedRaw bytes
}

// MaxRejectedRaw bounds the raw record kept with a rejection.
const MaxRejectedRaw = 4096

// StreamEvent is one row of system.lakeflow.zerobus_stream.
type StreamEvent struct {
	StreamID   string
	Time       time.Time
	OpenedTime time.Time
	ClosedTime time.Time // zero while open
	TableID    string
	TableName  string
	Protocol   string // GRPC or HTTP
	DataFormat string // JSON or PROTOBUF
	Errors     []StreamError
}

// StreamError is one element of the errors array of a stream event.
type StreamError struct {
	Code    string
	Message string
	Time    time.Time
}

// CommitEvent is one row of system.lakeflow.zerobus_ingest.
type CommitEvent struct {
	StreamID         string
	TableID          string
	TableName        string
	CommitVersion    int64
	CommitTime       time.Time
	CommittedRecords int64
	CommittedBytes   int64
}

type nopSink struct{}

func (nopSink) StreamEvent(StreamEvent)           {}
func (nopSink) CommitEvent(CommitEvent)           {}
func (nopSink) RejectedRecord(RejectedRecord)     {}
func (nopSink) TimestampWarning(TimestampWarning) {}
