package otlp

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/zbemu/zbemu/fixtures/golden"
	"github.com/zbemu/zbemu/schema"
)

var recordID = regexp.MustCompile(`"record_id":"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"`)

// renderRows is the rows of one request as indented JSON (record_id, a
// UUIDv7, normalised), then the partial success message.
func renderRows(t *testing.T, b *batch, noun string) string {
	t.Helper()
	var out strings.Builder
	for _, rec := range b.records() {
		if !recordID.Match(rec) {
			t.Errorf("record_id is not a UUIDv7: %s", rec)
		}
		var buf bytes.Buffer
		if err := json.Indent(&buf, recordID.ReplaceAll(rec, []byte(`"record_id":"<uuidv7>"`)), "", "  "); err != nil {
			t.Fatalf("row is not JSON: %v\n%s", err, rec)
		}
		out.WriteString(buf.String() + "\n")
	}
	out.WriteString("partial success: " + b.message(noun) + "\n")
	return out.String()
}

var t0 = pcommon.Timestamp(1764690000123456789) // 2025-12-02T15:40:00.123456789Z

func resourceAndScope(res pcommon.Resource, scope pcommon.InstrumentationScope) {
	res.Attributes().PutStr("service.name", "checkout")
	res.Attributes().PutInt("host.cpus", 4)
	res.SetDroppedAttributesCount(1)
	scope.SetName("lib")
	scope.SetVersion("1.0")
	scope.Attributes().PutBool("auto", true)
}

func TestSpanRowsGolden(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.SetSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
	ss := rs.ScopeSpans().AppendEmpty()
	resourceAndScope(rs.Resource(), ss.Scope())
	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(pcommon.TraceID{0x5B, 0x8E, 0xFF, 0xF7, 0x98, 0x03, 0x81, 0x03, 0xD2, 0x69, 0xB6, 0x33, 0x81, 0x3F, 0xC6, 0x0C})
	sp.SetSpanID(pcommon.SpanID{0xEE, 0xE1, 0x9B, 0x7E, 0xC3, 0xC1, 0xB1, 0x74})
	sp.SetParentSpanID(pcommon.SpanID{0xEE, 0xE1, 0x9B, 0x7E, 0xC3, 0xC1, 0xB1, 0x73})
	sp.TraceState().FromRaw("vendor=1")
	sp.SetFlags(1)
	sp.SetName("GET /cart")
	sp.SetKind(ptrace.SpanKindServer)
	sp.SetStartTimestamp(t0)
	sp.SetEndTimestamp(t0 + 250_000_000)
	attrs := sp.Attributes()
	attrs.PutStr("http.method", "GET")
	attrs.PutInt("http.status_code", 200)
	attrs.PutDouble("ratio", 0.25)
	attrs.PutDouble("nan", mathNaN())
	attrs.PutEmptyBytes("raw").FromRaw([]byte{1, 2, 3})
	attrs.PutEmptySlice("tags").FromRaw([]any{"a", int64(1), true})
	attrs.PutEmptyMap("user").PutStr("id", "u\"1\n")
	ev := sp.Events().AppendEmpty()
	ev.SetName("cache.miss")
	ev.SetTimestamp(t0 + 1000)
	ev.Attributes().PutStr("key", "cart:42")
	l := sp.Links().AppendEmpty()
	l.SetTraceID(pcommon.TraceID{1})
	l.SetSpanID(pcommon.SpanID{2})
	l.SetFlags(1)
	sp.SetDroppedEventsCount(2)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("timeout")
	bad := ss.Spans().AppendEmpty()
	bad.SetSpanID(pcommon.SpanID{1})
	b := batch{now: time.Unix(0, int64(t0))}
	spanRows(td, &b)
	golden.Check(t, filepath.Join("testdata", "spans.golden"), []byte(renderRows(t, &b, "spans")))
}

func TestLogRowsGolden(t *testing.T) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	sl := rl.ScopeLogs().AppendEmpty()
	resourceAndScope(rl.Resource(), sl.Scope())
	r := sl.LogRecords().AppendEmpty()
	r.SetTimestamp(t0)
	r.SetObservedTimestamp(t0 + 5)
	r.SetSeverityNumber(plog.SeverityNumberWarn3)
	r.SetSeverityText("WARN")
	r.SetEventName("disk.low")
	r.Body().SetEmptyMap().PutDouble("free", 0.5)
	r.Attributes().PutStr("mount", "/")
	r.SetTraceID(pcommon.TraceID{0xAB})
	r.SetSpanID(pcommon.SpanID{0xCD})
	r.SetFlags(1)
	// No time: observed_time_unix_nano gives the row's time.
	o := sl.LogRecords().AppendEmpty()
	o.SetObservedTimestamp(t0 + 86_400_000_000_000)
	o.Body().SetStr("observed only")
	// Too deep a body is rejected.
	deep := sl.LogRecords().AppendEmpty()
	v := deep.Body().SetEmptyMap()
	for i := 0; i <= maxDepth; i++ {
		v = v.PutEmptyMap("x")
	}
	b := batch{now: time.Unix(0, int64(t0))}
	logRows(ld, &b)
	golden.Check(t, filepath.Join("testdata", "logs.golden"), []byte(renderRows(t, &b, "log records")))
}

func TestMetricRowsGolden(t *testing.T) {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	sm := rm.ScopeMetrics().AppendEmpty()
	resourceAndScope(rm.Resource(), sm.Scope())
	ms := sm.Metrics()

	g := ms.AppendEmpty()
	g.SetName("temperature")
	g.SetUnit("Cel")
	g.Metadata().PutStr("source", "sensor")
	gp := g.SetEmptyGauge().DataPoints().AppendEmpty()
	gp.SetTimestamp(t0)
	gp.SetIntValue(21)
	ex := gp.Exemplars().AppendEmpty()
	ex.SetTimestamp(t0)
	ex.SetDoubleValue(21.5)
	ex.SetTraceID(pcommon.TraceID{1})
	ex.SetSpanID(pcommon.SpanID{2})
	ex.FilteredAttributes().PutStr("room", "lab")

	s := ms.AppendEmpty()
	s.SetName("requests")
	s.SetDescription("requests served")
	sum := s.SetEmptySum()
	sum.SetIsMonotonic(true)
	sum.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	sp := sum.DataPoints().AppendEmpty()
	sp.SetStartTimestamp(t0 - 1_000_000_000)
	sp.SetTimestamp(t0)
	sp.SetDoubleValue(5)
	sp.Attributes().PutStr("route", "/cart")

	h := ms.AppendEmpty()
	h.SetName("latency")
	hist := h.SetEmptyHistogram()
	hist.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	hp := hist.DataPoints().AppendEmpty()
	hp.SetTimestamp(t0)
	hp.SetCount(3)
	hp.SetSum(130)
	hp.SetMin(3)
	hp.SetMax(120)
	hp.BucketCounts().FromRaw([]uint64{1, 1, 1})
	hp.ExplicitBounds().FromRaw([]float64{5, 100})

	e := ms.AppendEmpty()
	e.SetName("latency.exp")
	eh := e.SetEmptyExponentialHistogram()
	ep := eh.DataPoints().AppendEmpty()
	ep.SetTimestamp(t0)
	ep.SetCount(4)
	ep.SetScale(3)
	ep.SetZeroCount(1)
	ep.SetZeroThreshold(0.001)
	ep.Positive().SetOffset(-2)
	ep.Positive().BucketCounts().FromRaw([]uint64{1, 2})
	ep.Negative().BucketCounts().FromRaw([]uint64{})

	su := ms.AppendEmpty()
	su.SetName("rpc")
	sup := su.SetEmptySummary().DataPoints().AppendEmpty()
	sup.SetTimestamp(t0)
	sup.SetCount(2)
	sup.SetSum(3)
	q := sup.QuantileValues().AppendEmpty()
	q.SetQuantile(0.5)
	q.SetValue(1.5)

	big := ms.AppendEmpty()
	big.SetName("huge")
	bp := big.SetEmptyHistogram().DataPoints().AppendEmpty()
	bp.SetTimestamp(t0)
	bp.SetCount(1 << 63)

	b := batch{now: time.Unix(0, int64(t0))}
	metricRows(md, &b)
	golden.Check(t, filepath.Join("testdata", "metrics.golden"), []byte(renderRows(t, &b, "data points")))
}

// TestLayoutCheck: the DDL create-tables prints passes the check; every
// kind of difference is refused, naming the column.
func TestLayoutCheck(t *testing.T) {
	spans := Traces.layout
	cols := func(edit func([]schema.Column) []schema.Column) []schema.Column {
		var out []schema.Column
		for i, c := range spans.cols {
			out = append(out, schema.Column{Name: c.name, Type: spans.types[i], Nullable: true})
		}
		return edit(out)
	}
	parse := func(s string) *schema.Type {
		typ, err := schema.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return typ
	}
	tests := []struct {
		name string
		cols []schema.Column
		want string // "" for accepted
	}{
		{"documented layout", cols(func(c []schema.Column) []schema.Column { return c }), ""},
		{"upper-case names", cols(func(c []schema.Column) []schema.Column { c[0].Name = "RECORD_ID"; return c }), ""},
		{"extra nullable column", cols(func(c []schema.Column) []schema.Column {
			return append(c, schema.Column{Name: "team", Type: parse("STRING"), Nullable: true})
		}), ""},
		{"missing columns", cols(func(c []schema.Column) []schema.Column { return c[2:] }), "missing columns record_id STRING, time TIMESTAMP"},
		{"wrong type", cols(func(c []schema.Column) []schema.Column { c[10].Type = parse("INT"); return c }), "column kind is INT, expected STRING"},
		{"attributes as a map", cols(func(c []schema.Column) []schema.Column { c[13].Type = parse("MAP<STRING, STRING>"); return c }),
			"column attributes is MAP<STRING, STRING>, expected VARIANT"},
		{"struct field renamed", cols(func(c []schema.Column) []schema.Column {
			c[19].Type = parse("STRUCT<msg: STRING, code: STRING>")
			return c
		}), "column status is STRUCT<msg: STRING, code: STRING>, expected STRUCT<message: STRING, code: STRING>"},
		{"NOT NULL column", cols(func(c []schema.Column) []schema.Column { c[3].Nullable = false; return c }), "column service_name is NOT NULL"},
		{"extra NOT NULL column", cols(func(c []schema.Column) []schema.Column {
			return append(c, schema.Column{Name: "team", Type: parse("STRING")})
		}), "column team is not in the layout and NOT NULL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := spans.check(Traces, "main.default.x_otel_spans", tc.cols)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "main.default.x_otel_spans")):
				t.Errorf("got %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

func mathNaN() float64 { return math.NaN() }
