package flight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/schema"
)

// Options wires the service into the server that registers it.
type Options struct {
	// Engine authenticates, authorizes and ingests.
	Engine *engine.Engine
	// Status converts an error into the gRPC status the client gets (the
	// server's one error table).
	Status func(error) error
	// Failed is told of each call that ends with an error, with where the
	// stream had got to (key/value pairs), for metrics and the log.
	Failed func(ctx context.Context, err error, args ...any)
	// MessageLimit is the largest FlightData accepted, in bytes.
	MessageLimit func() int
	// Admit is asked before the stream opens and before each batch
	// (stream is empty before the stream has an id); an error refuses it.
	// It applies the server's injected faults. Nil admits everything.
	Admit func(table, stream string) error
}

// Service implements arrow.flight.protocol.FlightService: DoPut only;
// every other method answers UNIMPLEMENTED, as Zerobus does.
type Service struct {
	flight.BaseFlightServer
	opts Options
}

// Register adds the service to a gRPC server.
func Register(g *grpc.Server, opts Options) {
	flight.RegisterFlightServiceServer(g, &Service{opts: opts})
}

// The error_code Zerobus puts in the ErrorInfo of a schema refusal
// (zerobus-sdk rust/sdk/src/errors.rs from_setup_status, "e.g. 8001").
const schemaErrorCode = "8001"

// place is how far a call got, for the log line of its failure.
type place struct {
	principal, table, streamID string
	offset                     int64 // of the last batch received, -1: none
}

// DoPut runs one Arrow stream and turns its error into the gRPC status
// once, after reporting it.
func (s *Service) DoPut(ps flight.FlightService_DoPutServer) error {
	at := place{offset: -1}
	err := s.doPut(ps, &at)
	if err == nil {
		return nil
	}
	if s.opts.Failed != nil {
		s.opts.Failed(ps.Context(), err, "stream_id", at.streamID, "table", at.table, "offset", at.offset, "principal", at.principal, "format", "ARROW")
	}
	return s.status(err)
}

// status is the wire form of err; a schema refusal carries Zerobus'
// ErrorInfo so that newer SDKs report it as InvalidSchema.
func (s *Service) status(err error) error {
	out := s.opts.Status(err)
	var se *schema.ArrowSchemaError
	if !errors.As(err, &se) {
		return out
	}
	st, _ := status.FromError(out)
	if d, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: "SCHEMA_VALIDATION_FAILED", Domain: "zerobus.databricks.com",
		Metadata: map[string]string{"causes": strings.Join(se.Causes(), ","), "error_code": schemaErrorCode}}); derr == nil {
		return d.Err()
	}
	return out
}

// recorder is the call's FlightData source for the IPC reader; it keeps
// the last message received, whose bytes are logged as they came.
type recorder struct {
	ps    flight.FlightService_DoPutServer
	last  *flight.FlightData
	limit int
}

func (r *recorder) Recv() (*flight.FlightData, error) {
	fd, err := r.ps.Recv()
	if err != nil {
		return nil, err
	}
	if size := proto.Size(fd); size > r.limit {
		return nil, fmt.Errorf("%w: FlightData of %d bytes exceeds the limit of %d bytes per message; send smaller batches",
			engine.ErrTooLarge, size, r.limit)
	}
	r.last = fd
	return fd, nil
}

func (s *Service) doPut(ps flight.FlightService_DoPutServer, at *place) error {
	// The SDK waits for the response headers while its schema message is
	// already on the way; send them at once.
	if err := ps.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	ctx := ps.Context()
	md, _ := metadata.FromIncomingContext(ctx)
	tok := first(md, "authorization")
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = tok[7:]
	}
	id, err := s.opts.Engine.Authenticate(ctx, tok)
	if err != nil {
		return err
	}
	at.principal = id.ClientID
	at.table = first(md, "x-databricks-zerobus-table-name")
	if at.table == "" {
		return fmt.Errorf("%w: header x-databricks-zerobus-table-name is missing; it names the table (catalog.schema.table) the Arrow stream writes to",
			engine.ErrInvalidArgument)
	}
	if err := s.admit(at.table, ""); err != nil {
		return err
	}
	src := &recorder{ps: ps, limit: s.opts.MessageLimit()}
	rdr, err := newReader(src)
	if err != nil {
		return err
	}
	defer rdr.Release()
	st, err := s.opts.Engine.OpenStream(ctx, id, engine.StreamSpec{Table: at.table, Format: engine.FormatArrow, Protocol: "GRPC",
		ArrowSchema: rdr.Schema(), ArrowSchemaHeader: src.last.DataHeader})
	if err != nil {
		return err
	}
	defer st.Close()
	at.streamID = st.ID()
	if err := sendAck(ps, -1, 0); err != nil { // READY
		return err
	}

	ackCtx, stopAcks := context.WithCancel(ctx)
	ackDone := make(chan error, 1)
	last := make(chan struct{})
	go func() { ackDone <- sendAcks(ackCtx, ps, st, last) }()
	// end stops the ack goroutine, then acknowledges what became durable,
	// so that the client replays only what was not written.
	end := func(err error) error {
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		derr := st.Drain(dctx)
		cancel()
		if err == nil && derr == nil {
			close(last)
			return <-ackDone
		}
		stopAcks()
		<-ackDone
		_ = sendAck(ps, st.Acked(), st.AckedRecords())
		if err == nil {
			err = derr
		}
		return err
	}
	for {
		rec, err := next(rdr)
		if err != nil {
			if ctx.Err() != nil {
				stopAcks()
				<-ackDone
				return nil // the client left; nobody reads an answer
			}
			if errors.Is(err, io.EOF) {
				return end(nil) // half-close: everything is acked, then OK
			}
			return end(fmt.Errorf("FlightData after offset %d: %w", at.offset, err))
		}
		offset, err := offsetOf(rdr.LatestAppMetadata())
		if err != nil {
			return end(err)
		}
		at.offset = offset
		if err := s.admit(at.table, st.ID()); err != nil {
			return end(err)
		}
		err = st.SubmitArrow(offset, rec, src.last.DataHeader, src.last.DataBody)
		if err != nil {
			return end(err)
		}
	}
}

func (s *Service) admit(table, stream string) error {
	if s.opts.Admit == nil {
		return nil
	}
	return s.opts.Admit(table, stream)
}

func first(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// newReader reads the schema message that opens the call. The IPC reader
// answers malformed bytes with errors (and panics, which are recovered).
func newReader(src *recorder) (*flight.Reader, error) {
	rdr, err := flight.NewRecordReader(src)
	switch {
	case err == nil:
		return rdr, nil
	case errors.Is(err, engine.ErrTooLarge), status.Code(err) != codes.Unknown:
		return nil, err
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("%w: the call ended before its schema message", engine.ErrInvalidArgument)
	}
	return nil, fmt.Errorf("%w: the first FlightData must be the Arrow IPC schema message: %v", engine.ErrInvalidArgument, err)
}

// next reads the next record batch; io.EOF when the client half-closed.
func next(rdr *flight.Reader) (rec arrow.RecordBatch, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: malformed Arrow IPC message: %v", engine.ErrInvalidArgument, p)
		}
	}()
	if rdr.Next() {
		return rdr.RecordBatch(), nil
	}
	err = rdr.Err()
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return nil, io.EOF
	case errors.Is(err, engine.ErrTooLarge), status.Code(err) != codes.Unknown:
		return nil, err
	}
	return nil, fmt.Errorf("%w: malformed Arrow IPC message: %v", engine.ErrInvalidArgument, err)
}

// offsetOf reads a batch's app_metadata, {"offset_id":N}.
func offsetOf(meta []byte) (int64, error) {
	var m struct {
		OffsetID *int64 `json:"offset_id"`
	}
	if err := json.Unmarshal(meta, &m); err != nil || m.OffsetID == nil {
		return 0, fmt.Errorf("%w: a record batch's app_metadata must be JSON {\"offset_id\": N}, received %q",
			engine.ErrInvalidArgument, clip(meta))
	}
	return *m.OffsetID, nil
}

func clip(b []byte) string {
	if len(b) > 64 {
		return string(b[:64]) + "..."
	}
	return string(b)
}

// ack is the app_metadata of a PutResult.
type ack struct {
	Offset  int64 `json:"ack_up_to_offset"`
	Records int64 `json:"ack_up_to_records"`
}

func sendAck(ps flight.FlightService_DoPutServer, offset, records int64) error {
	b, _ := json.Marshal(ack{offset, records})
	return ps.Send(&flight.PutResult{AppMetadata: b})
}

// sendAcks sends a cumulative ack each time durability advances, until
// ctx ends, or last is closed and every ack is out.
func sendAcks(ctx context.Context, ps flight.FlightService_DoPutServer, st *engine.Stream, last <-chan struct{}) error {
	sent := int64(-1)
	finishing := false
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-st.AckNotify():
		case <-last:
			last, finishing = nil, true
		}
		if a := st.Acked(); a > sent {
			if err := sendAck(ps, a, st.AckedRecords()); err != nil {
				return err
			}
			sent = a
		}
		if finishing {
			return nil
		}
	}
}
