package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/zbemu/zbemu/engine"
	"github.com/zbemu/zbemu/web/otlp"
)

// otelName is the OTLP line of zbemu bench: spans/s through OTLP/gRPC
// (Export requests of otelBatch spans, otelClients exporters at once, as
// a collector's exporter with a few consumers sends them), into a table of
// the v2 spans layout, as a ratio of the raw DuckDB appender appending the
// same rows (the layout's DuckDB types, nested values and all) into a
// table of that layout, committing every otelBatch rows, in the same pair.
const (
	otelName    = "otlp grpc spans batch=512, 4 exporters"
	otelBatch   = 512
	otelClients = 4
)

// benchOTel runs the OTLP line: pairs of baseline and workload.
func benchOTel(ctx context.Context, w io.Writer, root string, pairs, n int) error {
	n = max(otelBatch*otelClients, n/otelBatch*otelBatch)
	var ratios, rates, bases []float64
	for p := 0; p < pairs; p++ {
		base, err := otelAppender(filepath.Join(root, fmt.Sprintf("otel-base-%d.duckdb", p)), n)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		b, err := openBenchEnv(ctx, root, nil)
		if err != nil {
			return err
		}
		f, err := b.otelRun(ctx, n)
		b.close(ctx)
		if err != nil {
			return err
		}
		ratios, rates, bases = append(ratios, f.rate()/base), append(rates, f.rate()), append(bases, base)
	}
	fmt.Fprintf(w, "%s: %.0f spans/s; raw DuckDB appender, same rows: %.0f rows/s; ratio %.2f [%.2f-%.2f]\n",
		otelName, median(rates), median(bases), median(ratios), minOf(ratios), maxOf(ratios))
	return nil
}

// otelRequest is an Export request of otelBatch spans, the i-th batch.
func otelRequest(i int) ptraceotlp.ExportRequest {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "bench")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("bench")
	start := pcommon.NewTimestampFromTime(time.Unix(1764680000, 0))
	for k := 0; k < otelBatch; k++ {
		sp := ss.Spans().AppendEmpty()
		id := i*otelBatch + k + 1
		sp.SetTraceID(pcommon.TraceID{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id), 1})
		sp.SetSpanID(pcommon.SpanID{byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id), 1})
		sp.SetName("GET /api")
		sp.SetKind(ptrace.SpanKindServer)
		sp.SetStartTimestamp(start + pcommon.Timestamp(id))
		sp.SetEndTimestamp(start + pcommon.Timestamp(id) + 250_000)
		sp.Attributes().PutStr("http.method", "GET")
		sp.Attributes().PutInt("http.status_code", 200)
		sp.Status().SetCode(ptrace.StatusCodeOk)
	}
	return ptraceotlp.NewExportRequestFromTraces(td)
}

// otelRun exports n spans (made beforehand) over gRPC and checks that the
// table holds them all.
func (b *benchEnv) otelRun(ctx context.Context, n int) (benchFigures, error) {
	for _, ddl := range otlp.CreateTablesDDL("main.default.bench") {
		if _, err := b.e.Execute(ctx, engine.StatementRequest{SQL: ddl, Identity: benchAdmin}); err != nil {
			return benchFigures{}, err
		}
	}
	reqs := make([]ptraceotlp.ExportRequest, n/otelBatch)
	size := 0
	for i := range reqs {
		reqs[i] = otelRequest(i)
		b, _ := reqs[i].MarshalProto()
		size += len(b)
	}
	cc, err := grpc.NewClient(b.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return benchFigures{}, err
	}
	defer cc.Close()
	client := ptraceotlp.NewGRPCClient(cc)
	octx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer dapi-bench", otlp.TableHeader, "main.default.bench_otel_spans")
	cpu0, start := cpuTime(), time.Now()
	lats, err := timedCalls(otelClients, func(c int) int { return (len(reqs) - c + otelClients - 1) / otelClients }, func(c, i int) error {
		resp, err := client.Export(octx, reqs[c+i*otelClients])
		if err == nil && resp.PartialSuccess().RejectedSpans() > 0 {
			err = fmt.Errorf("rejected: %s", resp.PartialSuccess().ErrorMessage())
		}
		return err
	})
	f := benchFigures{recs: int64(n), bytes: int64(size), elapsed: time.Since(start), cpu: cpuTime() - cpu0, lats: lats}
	if err != nil {
		return f, err
	}
	res, err := b.e.Execute(ctx, engine.StatementRequest{SQL: "SELECT count(*) FROM main.default.bench_otel_spans", Identity: benchAdmin})
	if err != nil {
		return f, err
	}
	if got := *res.Rows[0][0]; got != fmt.Sprint(n) {
		return f, fmt.Errorf("exported %d spans but the table holds %s", n, got)
	}
	return f, nil
}

// otelAppender appends n span rows as otelRequest makes them with the raw
// DuckDB appender into a table of the spans layout and returns rows/s.
func otelAppender(path string, n int) (float64, error) {
	defer os.Remove(path)
	defer os.Remove(path + ".wal")
	c, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return 0, err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	names, types := otlp.Traces.Columns()
	cols := make([]string, len(names))
	for i := range names {
		cols[i] = `"` + names[i] + `" ` + types[i].DuckDB()
	}
	if _, err := db.Exec("CREATE TABLE t (" + strings.Join(cols, ", ") + ")"); err != nil {
		return 0, err
	}
	start := time.Unix(1764680000, 0)
	rows := make([][]driver.Value, n)
	for i := range rows {
		id := i + 1
		ts := start.Add(time.Duration(id))
		rows[i] = []driver.Value{fmt.Sprintf("0192f0c4-0000-7000-8000-%012x", id), ts, ts.Truncate(24 * time.Hour), "bench",
			fmt.Sprintf("%08x01000000000000000000000000", id), fmt.Sprintf("%08x01000000", id), "", "", int32(0), "GET /api", "SPAN_KIND_SERVER",
			ts.UnixNano(), ts.UnixNano() + 250_000, `{"http.method":"GET","http.status_code":200}`, int32(0),
			[]any{}, int32(0), []any{}, int32(0), map[string]any{"message": "", "code": "STATUS_CODE_OK"},
			map[string]any{"attributes": `{"service.name":"bench"}`, "dropped_attributes_count": int32(0)}, "",
			map[string]any{"name": "bench", "version": "", "attributes": `{}`, "dropped_attributes_count": int32(0)}, ""}
	}
	rate, _, err := appendRows(db, "t", rows, otelBatch)
	return rate, err
}
