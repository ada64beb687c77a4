package web

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/engine/fault"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// zerobusService implements databricks.zerobus.Zerobus/EphemeralStream.
type zerobusService struct {
	zerobuspb.UnimplementedZerobusServer
	s *Server
}

func metadataValue(md metadata.MD, key string) string {
	if v := md.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// EphemeralStream runs one stream and turns its error into the gRPC status
// here, once, after counting it for the metrics (unless the client left)
// and logging it with what the stream had got to.
func (z *zerobusService) EphemeralStream(gs zerobuspb.Zerobus_EphemeralStreamServer) error {
	var at streamPlace
	err := z.ephemeralStream(gs, &at)
	if err != nil {
		if gs.Context().Err() == nil {
			z.s.metrics.CountError(errorCode(err), "GRPC")
		}
		z.s.logFailure(gs.Context(), "stream failed", err, "stream_id", at.streamID, "table", at.table, "offset", at.offset, "principal", at.principal)
	}
	return grpcStatus(err)
}

// streamPlace is how far a stream got, for the log line of its failure.
type streamPlace struct {
	principal, table, streamID string
	// offset is the offset_id of the last request received (-1: none).
	offset int64
}

// ephemeralStream runs one stream: create, then ingest requests acked
// cumulatively once durable. Acks are sent by a second goroutine so that
// receiving and validating never wait for the disk.
func (z *zerobusService) ephemeralStream(gs zerobuspb.Zerobus_EphemeralStreamServer, at *streamPlace) error {
	at.offset = -1
	// The SDK waits for response headers before it sends create_stream.
	if err := gs.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	ctx := gs.Context()
	md, _ := metadata.FromIncomingContext(ctx)
	tok := metadataValue(md, "authorization")
	if len(tok) > 7 && (tok[:7] == "Bearer " || tok[:7] == "bearer ") {
		tok = tok[7:]
	}
	id, err := z.s.e.Authenticate(ctx, tok)
	if err != nil {
		return err
	}
	at.principal = id.ClientID
	first, err := gs.Recv()
	if err != nil {
		return err
	}
	create := first.GetCreateStream()
	if create == nil {
		return status.Error(codes.InvalidArgument, "first message must be create_stream")
	}
	spec := engine.StreamSpec{Table: create.GetTableName(), Protocol: "GRPC", Descriptor: create.GetDescriptorProto()}
	if spec.Table == "" {
		spec.Table = metadataValue(md, "x-databricks-zerobus-table-name")
	}
	at.table = spec.Table
	switch create.GetRecordType() {
	case zerobuspb.RecordType_JSON:
		spec.Format = engine.FormatJSON
	case zerobuspb.RecordType_PROTO:
		spec.Format = engine.FormatProto
	default:
		if create.RecordType == nil {
			spec.Format = engine.FormatProto // absent means PROTO, for old clients
		} else {
			return status.Error(codes.InvalidArgument, "record_type RECORD_TYPE_UNSPECIFIED is not supported; use JSON or PROTO")
		}
	}
	if h := z.s.faults.Check(spec.Table, "", fault.RateLimit, fault.Unavailable); h != nil {
		return faultError(h, spec.Table, "")
	}
	st, err := z.s.e.OpenStream(ctx, id, spec)
	if err != nil {
		return err
	}
	defer st.Close()
	// The trailer goes out with the final status, whatever it is: records
	// acknowledged before a failure were accepted with their warnings.
	defer func() {
		if md := warningTrailer(st); md != nil {
			gs.SetTrailer(md)
		}
	}()
	at.streamID = st.ID()
	if err := gs.Send(&zerobuspb.EphemeralStreamResponse{Payload: &zerobuspb.EphemeralStreamResponse_CreateStreamResponse{
		CreateStreamResponse: &zerobuspb.CreateIngestStreamResponse{StreamId: proto.String(st.ID())}}}); err != nil {
		return err
	}

	ackCtx, stopAcks := context.WithCancel(ctx)
	ackDone := make(chan error, 1)
	acks := ackControl{signal: make(chan time.Duration, 1), last: make(chan struct{})}
	go func() { ackDone <- z.sendAcks(ackCtx, gs, st, acks) }()
	finish := func(err error) error {
		stopAcks()
		if aerr := <-ackDone; err == nil && aerr != nil {
			err = aerr
		}
		return err
	}
	// failAcked ends the stream with err after acknowledging what became
	// durable before, so the client resends only what was not written.
	failAcked := func(err error) error {
		dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = st.Drain(dctx)
		cancel()
		stopAcks()
		<-ackDone
		finalAck(gs, st)
		return err
	}
	quota := z.s.newStreamQuota()
	// closeBy is set once a close fault has announced the end of the
	// stream: a request after it ends the stream as the real server does.
	var closeBy time.Time

	var jsonRecs [][]byte
	for {
		req, err := gs.Recv()
		if err != nil {
			// Half-close (io.EOF): everything received is acked, then OK.
			// A cancelled call needs no answer.
			if ctx.Err() != nil {
				return finish(nil)
			}
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			derr := st.Drain(dctx)
			cancel()
			if derr != nil {
				return finish(derr)
			}
			// The last acks go out when their delay is over.
			close(acks.last)
			return <-ackDone
		}
		var offset int64
		var records [][]byte
		switch p := req.Payload.(type) {
		case *zerobuspb.EphemeralStreamRequest_IngestRecord:
			offset = p.IngestRecord.GetOffsetId()
			switch r := p.IngestRecord.Record.(type) {
			case *zerobuspb.IngestRecordRequest_JsonRecord:
				records = [][]byte{stringBytes(r.JsonRecord)}
			case *zerobuspb.IngestRecordRequest_ProtoEncodedRecord:
				records = [][]byte{r.ProtoEncodedRecord}
			}
		case *zerobuspb.EphemeralStreamRequest_IngestRecordBatch:
			offset = p.IngestRecordBatch.GetOffsetId()
			switch b := p.IngestRecordBatch.Batch.(type) {
			case *zerobuspb.IngestRecordBatchRequest_JsonBatch:
				// Submit keeps no reference to records once it returns, so
				// one slice serves every request of the stream.
				jsonRecs = jsonRecs[:0]
				for _, r := range b.JsonBatch.GetRecords() {
					jsonRecs = append(jsonRecs, stringBytes(r))
				}
				records = jsonRecs
				if cap(jsonRecs) > maxKeptRecords {
					jsonRecs = nil // not kept for the stream's life
				}
			case *zerobuspb.IngestRecordBatchRequest_ProtoEncodedBatch:
				records = b.ProtoEncodedBatch.GetRecords()
			}
		case *zerobuspb.EphemeralStreamRequest_CreateStream:
			return finish(status.Error(codes.InvalidArgument, "create_stream may only be the first message of a stream"))
		default:
			return finish(status.Error(codes.InvalidArgument, "empty request message"))
		}
		at.offset = offset
		size := proto.Size(req)
		if limit := z.s.messageLimit(); size > limit {
			return finish(status.Error(codes.ResourceExhausted, fmt.Sprintf("message of %d bytes exceeds %s per request; send smaller batches", size, limitText(limit))))
		}
		if !closeBy.IsZero() && time.Now().After(closeBy) {
			return failAcked(streamTimeout(st.ID(), "the client did not leave the stream within the duration of the server's CloseStreamSignal"))
		}
		kinds := []fault.Kind{fault.RateLimit, fault.Unavailable, fault.Timeout}
		if closeBy.IsZero() {
			kinds = append(kinds, fault.Close)
		}
		if h := z.s.faults.Check(spec.Table, st.ID(), kinds...); h != nil {
			if h.Kind != fault.Close {
				return failAcked(faultError(h, st.TableName(), st.ID()))
			}
			closeBy = time.Now().Add(h.Signal)
			acks.signal <- h.Signal
		}
		if err := quota.admit(st.TableName(), len(records), size); err != nil {
			return failAcked(err)
		}
		if err := st.Submit(offset, records); err != nil {
			// What was acknowledged stays; acknowledge what became durable
			// before failing the stream.
			return failAcked(err)
		}
	}
}

// maxKeptRecords is the most records a stream's reused slice of JSON
// records keeps room for between requests (24 bytes each).
const maxKeptRecords = 1 << 14

// stringBytes returns the bytes of a JSON record without copying them:
// the engine only reads records (decoders never write their input, and
// encodePayload copies them once into the ingest log's frame), so the
// string's immutability holds.
func stringBytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// ackControl is what the receive loop tells the ack goroutine: a
// CloseStreamSignal to send (signal), and that no more records come
// (last closed), so it returns once every ack is sent.
type ackControl struct {
	signal chan time.Duration
	last   chan struct{}
}

// pendingAck is an ack held back until due (Server.ackDelay).
type pendingAck struct {
	offset int64
	due    time.Time
}

// sendAcks sends cumulative acks as durability advances, each when its
// delay is over (none by default), and the close signals of close faults;
// it is the only sender of the stream after create. Delays hold back this
// stream's acks only.
func (z *zerobusService) sendAcks(ctx context.Context, gs zerobuspb.Zerobus_EphemeralStreamServer, st *engine.Stream, ctl ackControl) error {
	sent, queued := int64(-1), int64(-1)
	var queue []pendingAck
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	last, finishing := ctl.last, false
	for {
		select {
		case <-ctx.Done():
			return nil
		case d := <-ctl.signal:
			if err := sendCloseSignal(gs, d); err != nil {
				return err
			}
			continue
		case <-st.AckNotify():
		case <-last:
			last, finishing = nil, true
		case <-timer.C:
		}
		now := time.Now()
		if a := st.Acked(); a > queued {
			queued = a
			queue = append(queue, pendingAck{a, now.Add(z.s.ackDelay(st.TableName(), st.ID()))})
		}
		// Send the highest ack that is due; acks are cumulative, so one
		// that overtakes an earlier, later-due one acks that one too.
		due := sent
		for _, p := range queue {
			if !p.due.After(now) {
				due = max(due, p.offset)
			}
		}
		var next time.Time
		n := 0
		for _, p := range queue {
			if p.offset > due {
				if next.IsZero() || p.due.Before(next) {
					next = p.due
				}
				queue[n] = p
				n++
			}
		}
		queue = queue[:n]
		if due > sent {
			if err := sendAck(gs, due); err != nil {
				return err
			}
			sent = due
		}
		switch {
		case !next.IsZero():
			timer.Reset(time.Until(next))
		case finishing:
			return nil // the client half-closed and every ack is out
		}
	}
}

// finalAck sends the stream's highest durable offset once more; used after
// the ack goroutine has stopped, so it never races with it. Repeating an
// ack is harmless to the SDK (an empty range of offsets).
func finalAck(gs zerobuspb.Zerobus_EphemeralStreamServer, st *engine.Stream) error {
	if a := st.Acked(); a >= 0 {
		return sendAck(gs, a)
	}
	return nil
}

func sendAck(gs zerobuspb.Zerobus_EphemeralStreamServer, offset int64) error {
	return gs.Send(&zerobuspb.EphemeralStreamResponse{Payload: &zerobuspb.EphemeralStreamResponse_IngestRecordResponse{
		IngestRecordResponse: &zerobuspb.IngestRecordResponse{DurabilityAckUpToOffset: proto.Int64(offset)}}})
}

// sendCloseSignal announces that the server will end the stream after d,
// as the real server does before it rotates a stream; the SDK finishes its
// in-flight requests, then moves to a new stream.
func sendCloseSignal(gs zerobuspb.Zerobus_EphemeralStreamServer, d time.Duration) error {
	return gs.Send(&zerobuspb.EphemeralStreamResponse{Payload: &zerobuspb.EphemeralStreamResponse_CloseStreamSignal{
		CloseStreamSignal: &zerobuspb.CloseStreamSignal{Duration: durationpb.New(d)}}})
}
