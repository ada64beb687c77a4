package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/web"
	"github.com/zbemu/zbemu/web/zerobuspb"
)

// logBuffer collects the server's log lines; handlers log from many goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// line returns the first log line containing substr, or "" (waiting a
// little: a statement logs from its own goroutine).
func (l *logBuffer) line(substr string) string {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		l.mu.Lock()
		text := l.b.String()
		l.mu.Unlock()
		for _, ln := range strings.Split(text, "\n") {
			if strings.Contains(ln, substr) {
				return ln
			}
		}
	}
	return ""
}

func startLogged(t *testing.T) (*engine.Engine, *web.Server, *logBuffer) {
	t.Helper()
	buf := &logBuffer{}
	e, s := startWebWith(t, web.Options{Logger: slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	return e, s, buf
}

func assertLogged(t *testing.T, line string, want ...string) {
	t.Helper()
	if line == "" {
		t.Fatalf("no log line for the failure")
	}
	for _, w := range want {
		if !strings.Contains(line, w) {
			t.Errorf("log line lacks %s:\n%s", w, line)
		}
	}
}

// TestLogStatementFailure: a statement that fails on the server's side
// (the engine is gone) is logged at ERROR with its statement id and
// principal; a statement the client got wrong is logged at INFO.
func TestLogStatementFailure(t *testing.T) {
	e, s, buf := startLogged(t)
	base := "http://" + s.Addr()
	post := func(sql string) string {
		t.Helper()
		body := `{"statement": "` + sql + `", "wait_timeout": "30s"}`
		req, _ := http.NewRequest(http.MethodPost, base+"/api/2.0/sql/statements", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r struct {
			StatementID string `json:"statement_id"`
			Status      struct{ State string }
		}
		b, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(b, &r); err != nil || r.Status.State != "FAILED" {
			t.Fatalf("want a FAILED statement, got %s", b)
		}
		return r.StatementID
	}

	id := post("SELECT * FROM main.default.nowhere")
	assertLogged(t, buf.line("statement_id="+id), "level=INFO", `msg="statement failed"`, "principal=zbemu-dev", "code=BAD_REQUEST")

	e.Close(context.Background())
	id = post("SELECT 1")
	assertLogged(t, buf.line("statement_id="+id), "level=ERROR", `msg="statement failed"`, "principal=zbemu-dev", "status=503")
}

// TestLogStreamFailure: a gRPC stream that fails on the server's side is
// logged at ERROR with its stream id, table, offset and principal.
func TestLogStreamFailure(t *testing.T) {
	e, s, buf := startLogged(t)
	ctx := context.Background()
	if _, err := e.Execute(ctx, engine.StatementRequest{SQL: "CREATE TABLE main.default.t (id BIGINT)", Identity: &engine.Identity{ClientID: "zbemu-dev", Admin: true}}); err != nil {
		t.Fatal(err)
	}
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	sctx, cancel := context.WithTimeout(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+testToken), 30*time.Second)
	defer cancel()
	stream, err := zerobuspb.NewZerobusClient(conn).EphemeralStream(sctx)
	if err != nil {
		t.Fatal(err)
	}
	send := func(req *zerobuspb.EphemeralStreamRequest) {
		t.Helper()
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	send(&zerobuspb.EphemeralStreamRequest{Payload: &zerobuspb.EphemeralStreamRequest_CreateStream{CreateStream: &zerobuspb.CreateIngestStreamRequest{
		TableName: proto.String("main.default.t"), RecordType: zerobuspb.RecordType_JSON.Enum()}}})
	created, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	streamID := created.GetCreateStreamResponse().GetStreamId()
	record := func(offset int64) *zerobuspb.EphemeralStreamRequest {
		return &zerobuspb.EphemeralStreamRequest{Payload: &zerobuspb.EphemeralStreamRequest_IngestRecord{IngestRecord: &zerobuspb.IngestRecordRequest{
			OffsetId: proto.Int64(offset), Record: &zerobuspb.IngestRecordRequest_JsonRecord{JsonRecord: `{"id": 1}`}}}}
	}
	send(record(0))
	if ack, err := stream.Recv(); err != nil || ack.GetIngestRecordResponse().GetDurabilityAckUpToOffset() != 0 {
		t.Fatalf("ack of offset 0: %v %v", ack, err)
	}
	e.Close(ctx)
	send(record(1))
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
	}
	assertLogged(t, buf.line(`msg="stream failed"`), "level=ERROR", "stream_id="+streamID, "table=main.default.t", "offset=1", "principal=zbemu-dev", "code=TEMPORARILY_UNAVAILABLE")
}
