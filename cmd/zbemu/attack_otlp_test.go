package main

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Attacks on the OTLP endpoints (issue 14): missing and wrong credentials,
// a principal without grants, one with grants on another table only, a
// missing, malformed or wrong table, bodies that are not OTLP, too large
// (also once decompressed) or not gzip. Each is refused with the OTLP
// error shape (google.rpc.Status over HTTP, a gRPC status) naming the
// problem, and the rows accepted before stay as they were.

// otlpSpans is an export request of n valid spans.
func otlpSpans(n int) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "attack")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	now := pcommon.NewTimestampFromTime(time.Now())
	for i := 0; i < n; i++ {
		sp := spans.AppendEmpty()
		sp.SetName("op")
		sp.SetTraceID(pcommon.TraceID{1, byte(i), byte(i >> 8)})
		sp.SetSpanID(pcommon.SpanID{1, byte(i), byte(i >> 8)})
		sp.SetStartTimestamp(now)
		sp.SetEndTimestamp(now)
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestAttackOTLP(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.otelTables(t, "main.default.app")
	s.otelTables(t, "main.default.other")
	noneID, noneSecret := s.newPrincipal("otlp-none")
	otherID, otherSecret := s.newPrincipal("otlp-other")
	for _, g := range []string{"GRANT USE CATALOG ON CATALOG main TO `%s`", "GRANT USE SCHEMA ON SCHEMA main.default TO `%s`",
		"GRANT SELECT, MODIFY ON TABLE main.default.other_otel_spans TO `%s`"} {
		s.sql(strings.ReplaceAll(g, "%s", otherID))
	}
	noneTok, otherTok := s.workspaceToken(noneID, noneSecret), s.workspaceToken(otherID, otherSecret)
	const table = "main.default.app_otel_spans"

	valid, _ := otlpSpans(3).MarshalProto()
	validJSON, _ := otlpSpans(3).MarshalJSON()
	// Rows accepted before the attacks, which must survive them.
	if code, _, body := s.do("POST", "/v1/traces", map[string]string{"Authorization": "Bearer " + devToken,
		"Content-Type": "application/x-protobuf", "x-databricks-zerobus-table-name": table}, valid); code != 200 {
		t.Fatalf("valid export: %d %s", code, body)
	}
	otherOK, _, _ := s.do("POST", "/v1/traces", map[string]string{"Authorization": "Bearer " + otherTok,
		"Content-Type": "application/json", "x-databricks-zerobus-table-name": "main.default.other_otel_spans"}, validJSON)
	if otherOK != 200 {
		t.Fatalf("the table-scoped principal cannot write its own table: %d", otherOK)
	}

	oversized := make([]byte, 10<<20+1)
	bomb := gzipped(make([]byte, 11<<20)) // ~11 KB on the wire, 11 MB decompressed
	tests := []struct {
		name        string
		token       string
		table       string
		contentType string
		encoding    string
		body        []byte
		status      int
		grpcCode    codes.Code
		msg         string
	}{
		{"no token", "", table, "application/x-protobuf", "", valid, 401, codes.Unauthenticated, "missing"},
		{"wrong token", "dapi-not-a-token", table, "application/x-protobuf", "", valid, 401, codes.Unauthenticated, "invalid or expired personal access token"},
		{"principal without grants", noneTok, table, "application/x-protobuf", "", valid, 403, codes.PermissionDenied, "lacks USE CATALOG on CATALOG main"},
		{"grant on another table", otherTok, table, "application/json", "", validJSON, 403, codes.PermissionDenied, "main.default.app_otel_spans"},
		{"no table header", devToken, "", "application/x-protobuf", "", valid, 400, codes.InvalidArgument, "set header x-databricks-zerobus-table-name"},
		{"two-part table", devToken, "default.app_otel_spans", "application/x-protobuf", "", valid, 400, codes.InvalidArgument, "must have exactly 3 parts"},
		{"missing table", devToken, "main.default.nope", "application/x-protobuf", "", valid, 404, codes.NotFound, "nope"},
		{"table of another layout", devToken, "main.default.app_otel_logs", "application/x-protobuf", "", valid, 400, codes.InvalidArgument,
			"missing columns trace_state STRING, parent_span_id STRING"},
		{"bad protobuf", devToken, table, "application/x-protobuf", "", []byte("\x0a\xff\xff\xff\xff\x0f"), 400, codes.InvalidArgument,
			"not an OpenTelemetry traces export request in protobuf"},
		{"bad JSON", devToken, table, "application/json", "", []byte(`{"resourceSpans": [{"scopeSpans": 7}]}`), 400, codes.InvalidArgument,
			"not an OpenTelemetry traces export request in OTLP/JSON"},
		{"wrong content type", devToken, table, "text/plain", "", valid, 415, codes.InvalidArgument, "application/x-protobuf or application/json"},
		{"oversized body", devToken, table, "application/x-protobuf", "", oversized, 413, codes.ResourceExhausted, "exceeds the 10 MB"},
		{"gzip bomb", devToken, table, "application/x-protobuf", "gzip", bomb, 413, codes.ResourceExhausted, "after decompression"},
		{"bad gzip", devToken, table, "application/x-protobuf", "gzip", []byte("not gzip at all"), 400, codes.InvalidArgument, "not gzip data"},
		{"truncated gzip", devToken, table, "application/x-protobuf", "gzip", gzipped(valid)[:20], 400, codes.InvalidArgument, "gzip body is corrupt"},
		{"unknown encoding", devToken, table, "application/x-protobuf", "br", valid, 415, codes.InvalidArgument, `Content-Encoding "br"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"Content-Type": tc.contentType}
			if tc.token != "" {
				hdr["Authorization"] = "Bearer " + tc.token
			}
			if tc.table != "" {
				hdr["x-databricks-zerobus-table-name"] = tc.table
			}
			if tc.encoding != "" {
				hdr["Content-Encoding"] = tc.encoding
			}
			code, h, body := s.do("POST", "/v1/traces", hdr, tc.body)
			var st spb.Status
			var err error
			if h.Get("Content-Type") == "application/json" {
				err = protojson.Unmarshal(body, &st)
			} else {
				err = proto.Unmarshal(body, &st)
			}
			if code != tc.status || err != nil || codes.Code(st.Code) != tc.grpcCode || !strings.Contains(st.Message, tc.msg) {
				t.Errorf("HTTP %d %+v (%v), want %d with status %v naming %q", code, &st, err, tc.status, tc.grpcCode, tc.msg)
			}
		})
	}

	// The same refusals over gRPC, where the request is decoded by gRPC.
	cc := otlpConn(t, s)
	big := otlpSpans(1)
	big.Traces().ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).SetName(strings.Repeat("x", 10<<20))
	grpcTests := []struct {
		name, token, table string
		req                ptraceotlp.ExportRequest
		code               codes.Code
		msg                string
	}{
		{"no token", "", table, otlpSpans(1), codes.Unauthenticated, "missing"},
		{"principal without grants", noneTok, table, otlpSpans(1), codes.PermissionDenied, "lacks USE CATALOG on CATALOG main"},
		{"grant on another table", otherTok, table, otlpSpans(1), codes.PermissionDenied, "main.default.app_otel_spans"},
		{"no table header", devToken, "", otlpSpans(1), codes.InvalidArgument, "x-databricks-zerobus-table-name"},
		{"table of another layout", devToken, "main.default.app_otel_metrics", otlpSpans(1), codes.InvalidArgument, "missing columns trace_id STRING, span_id STRING"},
		{"oversized", devToken, table, big, codes.ResourceExhausted, "above the 10 MB"},
	}
	for _, tc := range grpcTests {
		t.Run("grpc "+tc.name, func(t *testing.T) {
			_, err := ptraceotlp.NewGRPCClient(cc).Export(otlpCtx(tc.token, tc.table), tc.req)
			if st := status.Convert(err); st.Code() != tc.code || !strings.Contains(st.Message(), tc.msg) {
				t.Errorf("got %v %q, want %v naming %q", st.Code(), st.Message(), tc.code, tc.msg)
			}
		})
	}
	if n := s.count(table); n != 3 {
		t.Errorf("%s has %d rows after the attacks, want the 3 accepted before", table, n)
	}
	if n := s.count("main.default.other_otel_spans"); n != 3 {
		t.Errorf("other_otel_spans has %d rows, want 3", n)
	}
}
