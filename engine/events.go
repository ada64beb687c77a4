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
}

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

func (nopSink) StreamEvent(StreamEvent) {}
func (nopSink) CommitEvent(CommitEvent) {}
