package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/fixtures/zbclient"
	"github.com/zbemu/zbemu/web"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// logLine returns the line of the server's log (read after it stopped)
// that contains every one of want, or fails the test.
func logLine(t *testing.T, log string, want ...string) string {
	t.Helper()
	for _, ln := range strings.Split(log, "\n") {
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(ln, w)
		}
		if ok {
			return ln
		}
	}
	t.Errorf("no log line with all of %q in:\n%s", want, log)
	return ""
}

// TestAttackErrorsLogged: the client is told "see the zbemu log", so the
// log must say what failed and where. An internal error (the catalogs
// directory vanished under the server) is logged at ERROR with the
// statement id and principal, and the client sees neither path nor cause;
// a failed asynchronous statement and a gRPC stream refused for a bad
// record are logged at INFO with their statement id, or stream id, table,
// offset and principal.
func TestAttackErrorsLogged(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	s := startServer(t, data)
	s.sql("CREATE TABLE main.default.iot " + iotDDL)

	// Internal: DuckDB cannot create the catalog's file.
	if err := os.RemoveAll(filepath.Join(data, "catalogs")); err != nil {
		t.Fatal(err)
	}
	r := s.sqlResult("CREATE CATALOG lab")
	if r.Status.State != "FAILED" || r.Status.Error == nil || r.Status.Error.ErrorCode != "INTERNAL_ERROR" || r.Status.SQLState != "XX000" {
		t.Fatalf("want INTERNAL_ERROR XX000, got %+v", r.Status)
	}
	if strings.Contains(r.Status.Error.Message, data) || !strings.Contains(r.Status.Error.Message, "see the zbemu log") {
		t.Errorf("the client message leaks or misleads: %q", r.Status.Error.Message)
	}
	internalID := r.StatementID

	// Asynchronous statement: the client only polls for the outcome.
	code, body := s.call("POST", "/api/2.0/sql/statements", devToken, map[string]any{"statement": "SELECT * FROM main.default.nowhere", "wait_timeout": "0s"})
	var async web.StatementResponse
	if err := json.Unmarshal(body, &async); code != 200 || err != nil {
		t.Fatalf("async statement: %d %s", code, body)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, body := s.call("GET", "/api/2.0/sql/statements/"+async.StatementID, devToken, nil)
		var got web.StatementResponse
		json.Unmarshal(body, &got)
		if got.Status.State == "FAILED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("async statement did not fail: %s", body)
		}
	}

	// gRPC stream: a record the table refuses, at offset 3.
	cc, err := zbclient.Dial(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gs, err := zerobuspb.NewZerobusClient(cc).EphemeralStream(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+devToken))
	if err != nil {
		t.Fatal(err)
	}
	gs.Send(&zerobuspb.EphemeralStreamRequest{Payload: &zerobuspb.EphemeralStreamRequest_CreateStream{CreateStream: &zerobuspb.CreateIngestStreamRequest{
		TableName: proto.String("main.default.iot"), RecordType: zerobuspb.RecordType_JSON.Enum()}}})
	created, err := gs.Recv()
	if err != nil {
		t.Fatal(err)
	}
	streamID := created.GetCreateStreamResponse().GetStreamId()
	gs.Send(&zerobuspb.EphemeralStreamRequest{Payload: &zerobuspb.EphemeralStreamRequest_IngestRecord{IngestRecord: &zerobuspb.IngestRecordRequest{
		OffsetId: proto.Int64(3), Record: &zerobuspb.IngestRecordRequest_JsonRecord{JsonRecord: `{"device_id": 12}`}}}})
	for {
		if _, err := gs.Recv(); err != nil {
			break
		}
	}

	s.stop()
	log := s.log.String()
	logLine(t, log, "level=ERROR", `msg="statement failed"`, "statement_id="+internalID, "principal="+devID, "code=INTERNAL_ERROR", "IO Error")
	logLine(t, log, "level=INFO", `msg="statement failed"`, "statement_id="+async.StatementID, "principal="+devID, "TABLE_OR_VIEW_NOT_FOUND")
	logLine(t, log, "level=INFO", `msg="stream failed"`, "stream_id="+streamID, "table=main.default.iot", "offset=3", "principal="+devID, "code=INVALID_PARAMETER_VALUE")
}
