package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/web/zerobuspb"
)

// benchStream is a minimal Zerobus client for the benchmark: it speaks the
// same wire protocol as the official SDK (create_stream, pipelined
// ingest requests with per-stream offsets, cumulative acks).
type benchStream struct {
	gs       zerobuspb.Zerobus_EphemeralStreamClient
	window   chan struct{}
	mu       sync.Mutex
	sentAt   map[int64]time.Time
	lats     []time.Duration
	acked    int64
	ackErr   error
	done     chan struct{}
	nextOff  int64
	lastSent int64
}

func dialBench(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20), grpc.MaxCallRecvMsgSize(64<<20)),
		grpc.WithInitialWindowSize(4<<20), grpc.WithInitialConnWindowSize(16<<20))
}

func openBenchStream(ctx context.Context, cc *grpc.ClientConn, token, table string, rt zerobuspb.RecordType, desc []byte, window int) (*benchStream, error) {
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token, "x-databricks-zerobus-table-name", table)
	gs, err := zerobuspb.NewZerobusClient(cc).EphemeralStream(ctx)
	if err != nil {
		return nil, err
	}
	create := &zerobuspb.CreateIngestStreamRequest{TableName: proto.String(table), RecordType: rt.Enum()}
	if desc != nil {
		create.DescriptorProto = desc
	}
	// A server that refuses the stream (e.g. on its headers) may end it
	// before the send: Send then reports io.EOF and Recv has the status.
	if err := gs.Send(&zerobuspb.EphemeralStreamRequest{Payload: &zerobuspb.EphemeralStreamRequest_CreateStream{CreateStream: create}}); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	resp, err := gs.Recv()
	if err != nil {
		return nil, fmt.Errorf("create stream: %w", err)
	}
	if resp.GetCreateStreamResponse() == nil {
		return nil, fmt.Errorf("create stream: unexpected first response %v", resp)
	}
	s := &benchStream{gs: gs, window: make(chan struct{}, window), sentAt: map[int64]time.Time{}, done: make(chan struct{}), acked: -1, lastSent: -1}
	go s.recv()
	return s, nil
}

func (s *benchStream) recv() {
	defer close(s.done)
	for {
		resp, err := s.gs.Recv()
		if err != nil {
			if err != io.EOF {
				s.mu.Lock()
				s.ackErr = err
				s.mu.Unlock()
			}
			// Unblock senders.
			for {
				select {
				case <-s.window:
				default:
					return
				}
			}
		}
		ack := resp.GetIngestRecordResponse()
		if ack == nil {
			continue
		}
		now := time.Now()
		s.mu.Lock()
		for off := s.acked + 1; off <= ack.GetDurabilityAckUpToOffset(); off++ {
			if t, ok := s.sentAt[off]; ok {
				s.lats = append(s.lats, now.Sub(t))
				delete(s.sentAt, off)
			}
			<-s.window
		}
		s.acked = ack.GetDurabilityAckUpToOffset()
		s.mu.Unlock()
	}
}

// send sends one request (a batch of JSON or proto records) and records
// its send time; scheduled, if non-zero, is the time it should have been
// sent (open-loop latency without coordinated omission).
func (s *benchStream) send(jsonRecs []string, protoRecs [][]byte, scheduled time.Time) error {
	s.window <- struct{}{}
	off := s.nextOff
	s.nextOff++
	req := &zerobuspb.EphemeralStreamRequest{}
	switch {
	case len(jsonRecs) == 1:
		req.Payload = &zerobuspb.EphemeralStreamRequest_IngestRecord{IngestRecord: &zerobuspb.IngestRecordRequest{OffsetId: proto.Int64(off), Record: &zerobuspb.IngestRecordRequest_JsonRecord{JsonRecord: jsonRecs[0]}}}
	case len(jsonRecs) > 1:
		req.Payload = &zerobuspb.EphemeralStreamRequest_IngestRecordBatch{IngestRecordBatch: &zerobuspb.IngestRecordBatchRequest{OffsetId: proto.Int64(off), Batch: &zerobuspb.IngestRecordBatchRequest_JsonBatch{JsonBatch: &zerobuspb.JsonRecordBatch{Records: jsonRecs}}}}
	case len(protoRecs) == 1:
		req.Payload = &zerobuspb.EphemeralStreamRequest_IngestRecord{IngestRecord: &zerobuspb.IngestRecordRequest{OffsetId: proto.Int64(off), Record: &zerobuspb.IngestRecordRequest_ProtoEncodedRecord{ProtoEncodedRecord: protoRecs[0]}}}
	default:
		req.Payload = &zerobuspb.EphemeralStreamRequest_IngestRecordBatch{IngestRecordBatch: &zerobuspb.IngestRecordBatchRequest{OffsetId: proto.Int64(off), Batch: &zerobuspb.IngestRecordBatchRequest_ProtoEncodedBatch{ProtoEncodedBatch: &zerobuspb.ProtoEncodedRecordBatch{Records: protoRecs}}}}
	}
	if scheduled.IsZero() {
		scheduled = time.Now()
	}
	s.mu.Lock()
	s.sentAt[off] = scheduled
	s.lastSent = off
	err := s.ackErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.gs.Send(req)
}

// finish half-closes and waits for the final ack.
func (s *benchStream) finish() error {
	s.gs.CloseSend()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ackErr != nil {
		return s.ackErr
	}
	if s.acked != s.lastSent {
		return fmt.Errorf("stream ended with ack %d, sent up to %d", s.acked, s.lastSent)
	}
	return nil
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return s[i]
}
