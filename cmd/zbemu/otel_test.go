package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploggrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// OpenTelemetry ingest (issue 14): the official exporters of the
// OpenTelemetry JavaScript SDK (gRPC protobuf and OTLP/HTTP JSON) and of
// the Go SDK (gRPC and OTLP/HTTP protobuf) send spans, logs and metrics
// into tables created by `zbemu otel create-tables`; the rows are read
// back with SQL.

// otelJSResult is otel.js's report per signal: code 0 is SUCCESS.
type otelJSResult map[string]struct {
	Code  int    `json:"code"`
	Error string `json:"error"`
}

// runOTelJS runs testdata/sdk/otel.js with a scenario.
func runOTelJS(t *testing.T, scenario map[string]any) otelJSResult {
	t.Helper()
	ensureSDK(t)
	b, _ := json.Marshal(scenario)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "testdata/sdk/otel.js")
	cmd.Stdin = bytes.NewReader(b)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("otel.js: %v\n%s", err, stderr.String())
	}
	var r otelJSResult
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("otel.js output %q: %v", out, err)
	}
	return r
}

// otelTables creates the three tables of prefix with the CLI.
func (s *server) otelTables(t *testing.T, prefix string) {
	t.Helper()
	out, errOut, code := execCLI(t, 2*time.Minute, []string{"ZBEMU_URL=" + s.url, "ZBEMU_TOKEN=" + devToken}, "", "otel", "create-tables", prefix)
	if code != 0 || !strings.Contains(out, "CREATE TABLE "+prefix+"_otel_metrics") || !strings.Contains(out, "'otel.schemaVersion' = 'v2'") {
		t.Fatalf("otel create-tables: exit %d\n%s\n%s", code, out, errOut)
	}
}

func otelTableMap(prefix string) map[string]string {
	return map[string]string{"traces": prefix + "_otel_spans", "logs": prefix + "_otel_logs", "metrics": prefix + "_otel_metrics"}
}

// strs flattens SQL rows into "a|b|c" lines.
func strs(rows [][]*string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		cells := make([]string, len(r))
		for j, c := range r {
			if c == nil {
				cells[j] = "NULL"
			} else {
				cells[j] = *c
			}
		}
		out[i] = strings.Join(cells, "|")
	}
	return out
}

func equalLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestOTelJSExporters(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	const prefix = "main.default.app"
	s.otelTables(t, prefix)
	for _, tr := range []string{"grpc", "http"} {
		r := runOTelJS(t, map[string]any{"url": s.url, "transport": tr, "token": devToken, "service": "js-" + tr, "tables": otelTableMap(prefix)})
		for _, sig := range []string{"traces", "logs", "metrics"} {
			if r[sig].Code != 0 {
				t.Fatalf("%s %s export failed: %s", tr, sig, r[sig].Error)
			}
		}
	}
	for _, tr := range []string{"grpc", "http"} {
		svc := "'js-" + tr + "'"
		equalLines(t, tr+" spans", strs(s.sql(`SELECT name, kind, status.code, status.message, attributes:['http.method']::string,
			attributes:['http.status_code']::int, size(events), size(links), instrumentation_scope.name, instrumentation_scope.version,
			resource.attributes:['deployment.environment']::string, parent_span_id = '', date = CAST(time AS DATE)
			FROM `+prefix+`_otel_spans WHERE service_name = `+svc+` ORDER BY name`)), []string{
			"GET /cart|SPAN_KIND_SERVER|STATUS_CODE_OK||GET|200|1|0|zbemu-test|1.2.3|ci|true|true",
			"SELECT carts|SPAN_KIND_CLIENT|STATUS_CODE_ERROR|timeout|NULL|NULL|0|1|zbemu-test|1.2.3|ci|false|true",
		})
		// The child's parent is the root; ids are lowercase hex.
		equalLines(t, tr+" span ids", strs(s.sql(`SELECT count(*) FROM `+prefix+`_otel_spans c JOIN `+prefix+`_otel_spans p
			ON c.parent_span_id = p.span_id AND c.trace_id = p.trace_id AND c.links[0].span_id = p.span_id
			WHERE c.service_name = `+svc+` AND p.service_name = `+svc+` AND c.trace_id RLIKE '^[0-9a-f]{32}$' AND c.span_id RLIKE '^[0-9a-f]{16}$'`)),
			[]string{"1"})
		equalLines(t, tr+" logs", strs(s.sql(`SELECT severity_number, severity_text, event_name, body:error::string, body:ms::int,
			attributes:['user.id']::string, time_unix_nano > 0 FROM `+prefix+`_otel_logs WHERE service_name = `+svc+` ORDER BY severity_number`)), []string{
			"SEVERITY_NUMBER_ERROR|ERROR|db.error|timeout|250|NULL|true",
			"SEVERITY_NUMBER_INFO|INFO||NULL|NULL|u1|true",
		})
		equalLines(t, tr+" metrics", strs(s.sql(`SELECT name, metric_type, unit, coalesce(gauge.value, sum.value), sum.is_monotonic, sum.aggregation_temporality,
			histogram.count, histogram.sum, histogram.min, histogram.max, exponential_histogram.count, exponential_histogram.zero_count,
			coalesce(gauge.attributes, sum.attributes, histogram.attributes, exponential_histogram.attributes)::string
			FROM `+prefix+`_otel_metrics WHERE service_name = `+svc+` ORDER BY name`)), []string{
			`latency|histogram|ms|NULL|NULL|NULL|3|130.0|3.0|120.0|NULL|NULL|{"route":"/cart"}`,
			`latency.exp|exponential_histogram|ms|NULL|NULL|NULL|NULL|NULL|NULL|NULL|4|0|{}`,
			`queue.depth|sum||-2.0|false|AGGREGATION_TEMPORALITY_CUMULATIVE|NULL|NULL|NULL|NULL|NULL|NULL|{"queue":"q1"}`,
			`requests|sum|1|5.0|true|AGGREGATION_TEMPORALITY_CUMULATIVE|NULL|NULL|NULL|NULL|NULL|NULL|{"route":"/cart"}`,
			`temperature|gauge|Cel|21.5|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|{"room":"lab"}`,
		})
	}
	// record_id is unique across every row.
	equalLines(t, "record ids", strs(s.sql(`SELECT count(*) = count(DISTINCT record_id) FROM (
		SELECT record_id FROM `+prefix+`_otel_spans UNION ALL SELECT record_id FROM `+prefix+`_otel_logs
		UNION ALL SELECT record_id FROM `+prefix+`_otel_metrics)`)), []string{"true"})
	// The documented example queries run unchanged
	// (https://docs.databricks.com/aws/en/ingestion/opentelemetry/queries).
	for _, q := range documentedOTelQueries {
		r := s.sqlResult(strings.ReplaceAll(q, "<catalog>.<schema>.<prefix>", prefix))
		if r.Status.State != "SUCCEEDED" {
			t.Errorf("documented query failed: %s\n%+v", q, r.Status.Error)
		}
	}
	// The requests are streams of the system tables, as transport and
	// encoding: gRPC protobuf and HTTP JSON.
	equalLines(t, "system streams", strs(s.sql(`SELECT protocol, data_format, count(DISTINCT stream_id) FROM system.lakeflow.zerobus_stream
		WHERE table_name LIKE 'main.default.app_otel_%' GROUP BY ALL ORDER BY ALL`)), []string{"GRPC|PROTOBUF|3", "HTTP|JSON|3"})
}

// documentedOTelQueries are the span queries of Databricks' "Query
// OpenTelemetry data" page, verbatim but for their trailing semicolons.
var documentedOTelQueries = []string{
	`SELECT
time,
service_name,
name,
(end_time_unix_nano - start_time_unix_nano) / 1000000 AS duration_ms,
status.code AS status_code,
attributes:['http.method']::string AS http_method,
attributes:['http.status_code']::int AS http_status
FROM <catalog>.<schema>.<prefix>_otel_spans
WHERE time > current_timestamp() - INTERVAL 1 HOUR
ORDER BY time DESC
LIMIT 100`,
	`SELECT *
FROM <catalog>.<schema>.<prefix>_otel_spans
WHERE attributes:['http.status_code']::int = 200
AND time > current_timestamp() - INTERVAL 1 HOUR`,
	`SELECT
service_name,
name,
COUNT(*) AS call_count,
AVG((end_time_unix_nano - start_time_unix_nano) / 1000000) AS avg_duration_ms,
PERCENTILE_APPROX((end_time_unix_nano - start_time_unix_nano) / 1000000, 0.95) AS p95_duration_ms
FROM <catalog>.<schema>.<prefix>_otel_spans
WHERE time > current_timestamp() - INTERVAL 1 HOUR
GROUP BY service_name, name
ORDER BY p95_duration_ms DESC`,
}

// TestOTelJSRefused: the JS exporters report a failed export for a wrong
// token, a missing table header, a table that does not exist and one of
// another layout; nothing is written. Over gRPC the exporter reports the
// status message, over HTTP only the status text.
func TestOTelJSRefused(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	s.otelTables(t, "main.default.app")
	tests := []struct {
		name, token        string
		tables             map[string]string
		wantGRPC, wantHTTP string
	}{
		{"wrong token", "dapi-wrong", otelTableMap("main.default.app"), "UNAUTHENTICATED: unauthenticated: invalid or expired personal access token", "Unauthorized"},
		{"no table header", devToken, map[string]string{"traces": "", "logs": "", "metrics": ""}, "INVALID_ARGUMENT: missing table header: set header x-databricks-zerobus-table-name", "Bad Request"},
		{"missing table", devToken, otelTableMap("main.default.nope"), "NOT_FOUND", "Not Found"},
		{"wrong layout", devToken, map[string]string{"traces": "main.default.app_otel_logs", "logs": "main.default.app_otel_metrics", "metrics": "main.default.app_otel_spans"},
			"layout: missing columns", "Bad Request"},
	}
	for _, tc := range tests {
		for _, tr := range []string{"grpc", "http"} {
			want := tc.wantGRPC
			if tr == "http" {
				want = tc.wantHTTP
			}
			r := runOTelJS(t, map[string]any{"url": s.url, "transport": tr, "token": tc.token, "service": "x", "tables": tc.tables})
			for _, sig := range []string{"traces", "logs", "metrics"} {
				if r[sig].Code == 0 || !strings.Contains(r[sig].Error, want) {
					t.Errorf("%s over %s, %s: got code %d %q, want a failure naming %q", tc.name, tr, sig, r[sig].Code, r[sig].Error, want)
				}
			}
		}
	}
	for _, tbl := range otelTableMap("main.default.app") {
		if n := s.count(tbl); n != 0 {
			t.Errorf("%s has %d rows after refused exports", tbl, n)
		}
	}
}

// TestOTelGoExporters sends with the Go SDK's OTLP exporters, gRPC and
// HTTP (protobuf), and reads the rows back.
func TestOTelGoExporters(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	const prefix = "main.default.goapp"
	s.otelTables(t, prefix)
	ctx := context.Background()
	host := strings.TrimPrefix(s.url, "http://")
	for _, tr := range []string{"grpc", "http"} {
		res := resource.NewSchemaless(attribute.String("service.name", "go-"+tr))
		hdr := func(table string) map[string]string {
			return map[string]string{"Authorization": "Bearer " + devToken, "x-databricks-zerobus-table-name": table}
		}
		var spanExp sdktrace.SpanExporter
		var logExp sdklog.Exporter
		var metricExp sdkmetric.Exporter
		var err1, err2, err3 error
		if tr == "grpc" {
			spanExp, err1 = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(host), otlptracegrpc.WithInsecure(), otlptracegrpc.WithHeaders(hdr(prefix+"_otel_spans")), otlptracegrpc.WithCompressor("gzip"))
			logExp, err2 = otlploggrpc.New(ctx, otlploggrpc.WithEndpoint(host), otlploggrpc.WithInsecure(), otlploggrpc.WithHeaders(hdr(prefix+"_otel_logs")))
			metricExp, err3 = otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint(host), otlpmetricgrpc.WithInsecure(), otlpmetricgrpc.WithHeaders(hdr(prefix+"_otel_metrics")))
		} else {
			spanExp, err1 = otlptracehttp.New(ctx, otlptracehttp.WithEndpoint(host), otlptracehttp.WithInsecure(), otlptracehttp.WithHeaders(hdr(prefix+"_otel_spans")), otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
			logExp, err2 = otlploghttp.New(ctx, otlploghttp.WithEndpoint(host), otlploghttp.WithInsecure(), otlploghttp.WithHeaders(hdr(prefix+"_otel_logs")))
			metricExp, err3 = otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpoint(host), otlpmetrichttp.WithInsecure(), otlpmetrichttp.WithHeaders(hdr(prefix+"_otel_metrics")))
		}
		for _, err := range []error{err1, err2, err3} {
			if err != nil {
				t.Fatal(err)
			}
		}

		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSyncer(spanExp))
		tracer := tp.Tracer("go-test")
		_, span := tracer.Start(ctx, "work", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(attribute.Int64Slice("ids", []int64{1, 2})))
		span.End()
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatalf("%s spans: %v", tr, err)
		}

		lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewSimpleProcessor(logExp)))
		var rec otellog.Record
		rec.SetSeverity(otellog.SeverityWarn)
		rec.SetBody(attribute.MapValue(attribute.String("msg", "disk"), attribute.Float64("free", 0.5)))
		rec.SetTimestamp(time.Now())
		lp.Logger("go-test").Emit(ctx, rec)
		if err := lp.Shutdown(ctx); err != nil {
			t.Fatalf("%s logs: %v", tr, err)
		}

		reader := sdkmetric.NewManualReader()
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(reader),
			sdkmetric.WithView(sdkmetric.NewView(sdkmetric.Instrument{Name: "size.exp"},
				sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}})))
		meter := mp.Meter("go-test")
		c, _ := meter.Int64Counter("jobs")
		c.Add(ctx, 3)
		g, _ := meter.Float64Gauge("load")
		g.Record(ctx, 0.75)
		h, _ := meter.Float64Histogram("size")
		h.Record(ctx, 42)
		e, _ := meter.Float64Histogram("size.exp")
		e.Record(ctx, 42)
		var rm metricdata.ResourceMetrics
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
		if err := metricExp.Export(ctx, &rm); err != nil {
			t.Fatalf("%s metrics: %v", tr, err)
		}
		metricExp.Shutdown(ctx)
	}
	for _, tr := range []string{"grpc", "http"} {
		svc := "'go-" + tr + "'"
		equalLines(t, tr+" spans", strs(s.sql(`SELECT name, kind, attributes:ids[1]::int, instrumentation_scope.name FROM `+prefix+`_otel_spans WHERE service_name = `+svc)),
			[]string{"work|SPAN_KIND_PRODUCER|2|go-test"})
		equalLines(t, tr+" logs", strs(s.sql(`SELECT severity_number, body:msg::string, body:free::double FROM `+prefix+`_otel_logs WHERE service_name = `+svc)),
			[]string{"SEVERITY_NUMBER_WARN|disk|0.5"})
		equalLines(t, tr+" metrics", strs(s.sql(`SELECT name, metric_type, coalesce(gauge.value, sum.value, histogram.sum, exponential_histogram.sum)
			FROM `+prefix+`_otel_metrics WHERE service_name = `+svc+` ORDER BY name`)),
			[]string{"jobs|sum|3.0", "load|gauge|0.75", "size|histogram|42.0", "size.exp|exponential_histogram|42.0"})
	}
}

// otlpConn dials the server's gRPC port with the table header and token.
func otlpConn(t *testing.T, s *server) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(strings.TrimPrefix(s.url, "http://"), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	return cc
}

func otlpCtx(token, table string) context.Context {
	md := metadata.Pairs("x-databricks-zerobus-table-name", table)
	if token != "" {
		md.Set("authorization", "Bearer "+token)
	}
	return metadata.NewOutgoingContext(context.Background(), md)
}

// TestOTelPartialSuccess: records with problems of their own are counted
// in the partial success with a message naming them, the others written;
// and a summary, the one metric type the SDKs do not make, is stored.
func TestOTelPartialSuccess(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--memory")
	const prefix = "main.default.ps"
	s.otelTables(t, prefix)
	cc := otlpConn(t, s)
	now := pcommon.NewTimestampFromTime(time.Now())

	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "ps")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i, tid := range []pcommon.TraceID{{1}, {}, {2}} {
		sp := spans.AppendEmpty()
		sp.SetName(fmt.Sprintf("s%d", i))
		sp.SetTraceID(tid)
		sp.SetSpanID(pcommon.SpanID{byte(i + 1)})
		sp.SetStartTimestamp(now)
		sp.SetEndTimestamp(now)
	}
	spans.At(2).Attributes().PutStr("bad", "\xff\xfe")
	resp, err := ptraceotlp.NewGRPCClient(cc).Export(otlpCtx(devToken, prefix+"_otel_spans"), ptraceotlp.NewExportRequestFromTraces(td))
	if err != nil {
		t.Fatal(err)
	}
	ps := resp.PartialSuccess()
	if ps.RejectedSpans() != 2 || !strings.Contains(ps.ErrorMessage(), "spans[1]: trace_id is empty") || !strings.Contains(ps.ErrorMessage(), "spans[2]: attributes is not valid UTF-8") {
		t.Errorf("partial success: %d %q", ps.RejectedSpans(), ps.ErrorMessage())
	}
	equalLines(t, "spans", strs(s.sql("SELECT name, trace_id FROM "+prefix+"_otel_spans")), []string{"s0|01000000000000000000000000000000"})

	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "ps")
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	sum := ms.AppendEmpty()
	sum.SetName("rpc.latency")
	dp := sum.SetEmptySummary().DataPoints().AppendEmpty()
	dp.SetTimestamp(now)
	dp.SetCount(4)
	dp.SetSum(10)
	for _, q := range [][2]float64{{0.5, 2}, {0.99, 4}} {
		qv := dp.QuantileValues().AppendEmpty()
		qv.SetQuantile(q[0])
		qv.SetValue(q[1])
	}
	h := ms.AppendEmpty()
	h.SetName("bad.histogram")
	hp := h.SetEmptyHistogram().DataPoints().AppendEmpty()
	hp.SetTimestamp(now)
	hp.BucketCounts().FromRaw([]uint64{1, 2, 3})
	hp.ExplicitBounds().FromRaw([]float64{1})
	ms.AppendEmpty().SetName("no.data")
	g := ms.AppendEmpty()
	g.SetName("no.time")
	g.SetEmptyGauge().DataPoints().AppendEmpty().SetDoubleValue(1)
	mresp, err := pmetricotlp.NewGRPCClient(cc).Export(otlpCtx(devToken, prefix+"_otel_metrics"), pmetricotlp.NewExportRequestFromMetrics(md))
	if err != nil {
		t.Fatal(err)
	}
	if mps := mresp.PartialSuccess(); mps.RejectedDataPoints() != 3 || !strings.Contains(mps.ErrorMessage(), "3 data points rejected") ||
		!strings.Contains(mps.ErrorMessage(), `("bad.histogram").data_points[0]: histogram has 3 bucket_counts and 1 explicit_bounds`) ||
		!strings.Contains(mps.ErrorMessage(), `("no.data"): metric has no data`) || !strings.Contains(mps.ErrorMessage(), `("no.time").data_points[0]: time_unix_nano is 0`) {
		t.Errorf("metrics partial success: %d %q", mps.RejectedDataPoints(), mps.ErrorMessage())
	}
	equalLines(t, "summary", strs(s.sql("SELECT name, metric_type, summary.count, summary.sum, summary.quantile_values[1].value FROM "+prefix+"_otel_metrics")),
		[]string{"rpc.latency|summary|4|10.0|4.0"})

	// OTLP/HTTP answers partial success in the request's encoding.
	ld := plog.NewLogs()
	recs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	recs.AppendEmpty().Body().SetStr("ok")
	recs.AppendEmpty().Body().SetStr("bad \xff")
	body, _ := plogotlp.NewExportRequestFromLogs(ld).MarshalJSON()
	code, _, out := s.do("POST", "/v1/logs", map[string]string{"Authorization": "Bearer " + devToken, "Content-Type": "application/json",
		"x-databricks-zerobus-table-name": prefix + "_otel_logs"}, body)
	lr := plogotlp.NewExportResponse()
	if err := lr.UnmarshalJSON(out); code != 200 || err != nil || lr.PartialSuccess().RejectedLogRecords() != 1 {
		t.Errorf("logs over HTTP: %d %s (%v)", code, out, err)
	}
	equalLines(t, "logs", strs(s.sql("SELECT body::string, service_name, time > current_timestamp() - INTERVAL 1 HOUR FROM "+prefix+"_otel_logs")),
		[]string{`"ok"|NULL|true`})
}

// TestOTelDurable: spans whose export was answered survive kill -9, once.
func TestOTelDurable(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	s := startServer(t, data)
	s.otelTables(t, "main.default.d")
	resp, err := ptraceotlp.NewGRPCClient(otlpConn(t, s)).Export(otlpCtx(devToken, "main.default.d_otel_spans"), otlpSpans(50))
	if err != nil || resp.PartialSuccess().RejectedSpans() != 0 {
		t.Fatalf("export: %v %v", err, resp.PartialSuccess().ErrorMessage())
	}
	s.kill9()
	s = startServer(t, data)
	equalLines(t, "spans after kill -9", strs(s.sql("SELECT count(*), count(DISTINCT span_id), count(DISTINCT record_id) FROM main.default.d_otel_spans")),
		[]string{"50|50|50"})
}
