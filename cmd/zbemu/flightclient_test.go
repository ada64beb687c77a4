package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// An Arrow Flight client built on arrow-go, speaking DoPut as the SDK does
// (zerobus-sdk rust/sdk/src/arrow_stream.rs): no descriptor, the table in
// the x-databricks-zerobus-table-name header, {"offset_id":N} on each
// batch. The SDK's TypeScript binding (1.3.0) declares only primitive
// fields, so nested types and hand-made attacks go through this client.

// flightMessages encodes a schema and batches as the FlightData the SDK
// sends (encodeFlight).
func flightMessages(t testing.TB, schema *arrow.Schema, recs ...arrow.RecordBatch) []*flight.FlightData {
	t.Helper()
	msgs, err := encodeFlight(schema, recs...)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// flightAck is a PutResult's app_metadata.
type flightAck struct {
	Offset  int64 `json:"ack_up_to_offset"`
	Records int64 `json:"ack_up_to_records"`
}

// flightOutcome is how a DoPut call went: the results received (the
// READY one first) and the call's final error (nil: status OK).
type flightOutcome struct {
	acks []flightAck
	err  error
}

func (o flightOutcome) ready() bool { return len(o.acks) > 0 && o.acks[0].Offset == -1 }

// last is the final ack, or -1/0 without one.
func (o flightOutcome) last() flightAck {
	if len(o.acks) < 2 {
		return flightAck{-1, 0}
	}
	return o.acks[len(o.acks)-1]
}

// flightPut sends msgs (the schema message first) on one DoPut call with
// token and table, waiting for the READY result after the schema, then
// half-closes and reads every result until the call ends.
func flightPut(t testing.TB, s *server, token, table string, msgs []*flight.FlightData) flightOutcome {
	t.Helper()
	cc, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallSendMsgSize(64<<20)))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token, "x-databricks-zerobus-table-name", table)
	ps, err := flight.NewFlightServiceClient(cc).DoPut(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out flightOutcome
	recv := func() bool {
		r, err := ps.Recv()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				out.err = err
			}
			return false
		}
		var a flightAck
		if err := json.Unmarshal(r.AppMetadata, &a); err != nil {
			t.Fatalf("PutResult app_metadata %q: %v", r.AppMetadata, err)
		}
		out.acks = append(out.acks, a)
		return true
	}
	for i, m := range msgs {
		if err := ps.Send(m); err != nil {
			break // the server ended the call; Recv says why
		}
		if i == 0 && !recv() {
			return out
		}
	}
	ps.CloseSend()
	for recv() {
	}
	return out
}
