package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// Wire-level checks of EphemeralStream that the SDK cannot provoke.
func TestEphemeralStreamProtocolErrors(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.iot " + iotDDL)
	cc, err := zbclient.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	open := func(t *testing.T) zerobuspb.Zerobus_EphemeralStreamClient {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		t.Cleanup(cancel)
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+devToken, "x-databricks-zerobus-table-name", "main.default.iot")
		gs, err := zerobuspb.NewZerobusClient(cc).EphemeralStream(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Headers arrive before anything is sent: the SDK depends on it.
		if _, err := gs.Header(); err != nil {
			t.Fatalf("no response headers before create_stream: %v", err)
		}
		return gs
	}
	create := &zerobuspb.EphemeralStreamRequest{Payload: &zerobuspb.EphemeralStreamRequest_CreateStream{CreateStream: &zerobuspb.CreateIngestStreamRequest{
		TableName: proto.String("main.default.iot"), RecordType: zerobuspb.RecordType_JSON.Enum()}}}
	record := func(off int64, js string) *zerobuspb.EphemeralStreamRequest {
		return &zerobuspb.EphemeralStreamRequest{Payload: &zerobuspb.EphemeralStreamRequest_IngestRecord{IngestRecord: &zerobuspb.IngestRecordRequest{
			OffsetId: proto.Int64(off), Record: &zerobuspb.IngestRecordRequest_JsonRecord{JsonRecord: js}}}}
	}
	good := `{"device_id":"d","ts":1}`
	finalStatus := func(gs zerobuspb.Zerobus_EphemeralStreamClient) (int64, error) {
		last := int64(-1)
		for {
			r, err := gs.Recv()
			if err != nil {
				return last, err
			}
			if a := r.GetIngestRecordResponse(); a != nil {
				if a.GetDurabilityAckUpToOffset() < last {
					t.Errorf("ack went backwards: %d after %d", a.GetDurabilityAckUpToOffset(), last)
				}
				last = a.GetDurabilityAckUpToOffset()
			}
		}
	}
	tests := []struct {
		name     string
		msgs     []*zerobuspb.EphemeralStreamRequest
		code     codes.Code
		contains string
		lastAck  int64
	}{
		{"first message not create_stream", []*zerobuspb.EphemeralStreamRequest{record(0, good)}, codes.InvalidArgument, "create_stream", -1},
		{"offset gap", []*zerobuspb.EphemeralStreamRequest{create, record(0, good), record(2, good)}, codes.InvalidArgument, "expected offset_id 1, received 2", 0},
		{"message over 10 MB", []*zerobuspb.EphemeralStreamRequest{create, record(0, `{"device_id":"`+strings.Repeat("x", 11<<20)+`","ts":1}`)}, codes.ResourceExhausted, "10 MB", -1},
		{"half-close acks everything then OK", []*zerobuspb.EphemeralStreamRequest{create, record(0, good), record(1, good), record(2, good)}, codes.OK, "", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gs := open(t)
			for _, m := range tc.msgs {
				if err := gs.Send(m); err != nil {
					break
				}
			}
			gs.CloseSend()
			last, err := finalStatus(gs)
			st, _ := status.FromError(err)
			if tc.code == codes.OK {
				if err.Error() != "EOF" {
					t.Fatalf("want OK end, got %v", err)
				}
			} else if st.Code() != tc.code || !strings.Contains(st.Message(), tc.contains) {
				t.Fatalf("got %v, want %v containing %q", err, tc.code, tc.contains)
			}
			if last != tc.lastAck {
				t.Errorf("last ack %d, want %d", last, tc.lastAck)
			}
		})
	}
}

func TestEphemeralStreamRejectsBadTokens(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.sql("CREATE TABLE main.default.iot " + iotDDL)
	cc, err := zbclient.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	for _, tc := range []struct{ name, token string }{{"missing", ""}, {"garbage", "not-a-token"}, {"unknown PAT", "dapi0000"}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := zbclient.OpenStream(context.Background(), cc, zbclient.StreamOptions{Token: tc.token, Table: "main.default.iot", RecordType: zerobuspb.RecordType_JSON, Window: 1})
			if st, _ := status.FromError(errors.Unwrap(err)); err == nil || st.Code() != codes.Unauthenticated {
				t.Errorf("got %v, want UNAUTHENTICATED", err)
			}
		})
	}
}
