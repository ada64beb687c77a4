package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/web/zerobuspb"
)

// nullZerobus is a Zerobus server that does nothing with the records: it
// acknowledges every request as soon as it arrives and grants every token
// request. The official SDK's rate against it is what the client side
// reaches on this machine, the yardstick for its rate against zbemu.
type nullZerobus struct {
	zerobuspb.UnimplementedZerobusServer
}

func (nullZerobus) EphemeralStream(gs zerobuspb.Zerobus_EphemeralStreamServer) error {
	// The SDK waits for response headers before it sends create_stream.
	if err := gs.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	first, err := gs.Recv()
	if err != nil {
		return err
	}
	if first.GetCreateStream() == nil {
		return errors.New("first message must be create_stream")
	}
	if err := gs.Send(&zerobuspb.EphemeralStreamResponse{Payload: &zerobuspb.EphemeralStreamResponse_CreateStreamResponse{
		CreateStreamResponse: &zerobuspb.CreateIngestStreamResponse{StreamId: proto.String("null")}}}); err != nil {
		return err
	}
	for {
		req, err := gs.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		off := req.GetIngestRecord().GetOffsetId()
		if b := req.GetIngestRecordBatch(); b != nil {
			off = b.GetOffsetId()
		}
		if err := gs.Send(&zerobuspb.EphemeralStreamResponse{Payload: &zerobuspb.EphemeralStreamResponse_IngestRecordResponse{
			IngestRecordResponse: &zerobuspb.IngestRecordResponse{DurabilityAckUpToOffset: proto.Int64(off)}}}); err != nil {
			return err
		}
	}
}

// startNullZerobus serves nullZerobus over gRPC (h2c) and its token
// endpoints over HTTP on two loopback ports, until the test ends, and
// returns the driver scenario that points the SDK at them.
func startNullZerobus(t testing.TB) func(streams ...map[string]any) map[string]any {
	t.Helper()
	gl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gs := grpc.NewServer()
	zerobuspb.RegisterZerobusServer(gs, nullZerobus{})
	go gs.Serve(gl)
	t.Cleanup(gs.Stop)

	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + hl.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/oidc/v1/token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "null-token", "token_type": "Bearer", "scope": "all-apis", "expires_in": 3600})
	})
	mux.HandleFunc("/oidc/.well-known/oauth-authorization-server", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": url + "/oidc", "token_endpoint": url + "/oidc/v1/token",
			"grant_types_supported": []string{"client_credentials"}})
	})
	hs := &http.Server{Handler: mux}
	go hs.Serve(hl)
	t.Cleanup(func() { hs.Close() })
	return func(streams ...map[string]any) map[string]any {
		return map[string]any{"endpoint": "http://" + gl.Addr().String(), "workspaceUrl": url, "clientId": "null", "clientSecret": "null",
			"streams": streams, "timeoutMs": 120000}
	}
}

// BenchmarkSDKBatch1000 runs the official SDK (Node core, through
// testdata/sdk/driver.js) with 100,000 JSON records in batches of 1000
// against zbemu and against nullZerobus, alternately (the order swapped
// every op), and reports the SDK's rate against zbemu as a ratio of its
// rate against the do-nothing server: issue 16's target is ≥ 0.8×. The
// rates are the driver's own elapsed time of the stream (create to close),
// not node's start-up. Run e.g.
//
//	go test ./cmd/zbemu -run X -bench SDKBatch1000 -benchtime 5x
func BenchmarkSDKBatch1000(b *testing.B) {
	const n = 100000
	s := startServer(b, "")
	s.sql("CREATE TABLE main.default.sdkbench " + iotDDL)
	nullScenario := startNullZerobus(b)
	stream := map[string]any{"table": "main.default.sdkbench", "batches": batchesOf(iotRecords(0, n), 1000)}
	rate := func(scenario map[string]any) float64 {
		r := runSDK(b, scenario)
		if !r.OK || len(r.Streams) != 1 || r.Streams[0].AckedRecords != n {
			b.Fatalf("SDK run failed: %+v", r)
		}
		return n / (float64(r.Streams[0].ElapsedMs) / 1000)
	}
	var ratios, zbemu, null []float64
	for i := 0; i < b.N; i++ {
		var z, o float64
		if i%2 == 0 {
			z, o = rate(s.scenario(stream)), rate(nullScenario(stream))
		} else {
			o, z = rate(nullScenario(stream)), rate(s.scenario(stream))
		}
		ratios, zbemu, null = append(ratios, z/o), append(zbemu, z), append(null, o)
	}
	if got := s.count("main.default.sdkbench"); got != b.N*n {
		b.Fatalf("zbemu holds %d rows, the SDK was acknowledged %d", got, b.N*n)
	}
	b.ReportMetric(median(ratios), "zbemu/null")
	b.ReportMetric(minOf(ratios), "zbemu/null-min")
	b.ReportMetric(maxOf(ratios), "zbemu/null-max")
	b.ReportMetric(median(zbemu), "zbemu-rec/s")
	b.ReportMetric(median(null), "null-rec/s")
	b.Logf("official SDK, batches of 1000: zbemu %s records/s, do-nothing server %s records/s, ratio %.2f [%.2f-%.2f] over %d pairs (target ≥ 0.8×)",
		fmt.Sprintf("%.0f", median(zbemu)), fmt.Sprintf("%.0f", median(null)), median(ratios), minOf(ratios), maxOf(ratios), b.N)
}
