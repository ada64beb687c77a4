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

	"github.com/zbemu/zbemu/engine"
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
			z.s.metrics.countError(errorCode(err), "GRPC")
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
	st, err := z.s.e.OpenStream(ctx, id, spec)
	if err != nil {
		return err
	}
	defer st.Close()
	at.streamID = st.ID()
	if err := gs.Send(&zerobuspb.EphemeralStreamResponse{Payload: &zerobuspb.EphemeralStreamResponse_CreateStreamResponse{
		CreateStreamResponse: &zerobuspb.CreateIngestStreamResponse{StreamId: proto.String(st.ID())}}}); err != nil {
		return err
	}

	ackCtx, stopAcks := context.WithCancel(ctx)
	ackDone := make(chan error, 1)
	go func() { ackDone <- z.sendAcks(ackCtx, gs, st) }()
	finish := func(err error) error {
		stopAcks()
		if aerr := <-ackDone; err == nil && aerr != nil {
			err = aerr
		}
		return err
	}

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
			stopAcks()
			<-ackDone
			if err := finalAck(gs, st); err != nil {
				return err
			}
			return nil
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
		if size := proto.Size(req); size > engine.MaxMessageBytes {
			return finish(status.Error(codes.ResourceExhausted, fmt.Sprintf("message of %d bytes exceeds the 10 MB (%d bytes) limit per request; send smaller batches", size, engine.MaxMessageBytes)))
		}
		if err := st.Submit(offset, records); err != nil {
			// What was acknowledged stays; acknowledge what became durable
			// before failing the stream.
			dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_ = st.Drain(dctx)
			cancel()
			stopAcks()
			<-ackDone
			finalAck(gs, st)
			return err
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

// sendAcks sends cumulative acks as durability advances.
func (z *zerobusService) sendAcks(ctx context.Context, gs zerobuspb.Zerobus_EphemeralStreamServer, st *engine.Stream) error {
	last := int64(-1)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-st.AckNotify():
		}
		if a := st.Acked(); a > last {
			if err := sendAck(gs, a); err != nil {
				return err
			}
			last = a
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
