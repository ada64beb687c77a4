package otlp

import (
	"fmt"

	"go.opentelemetry.io/collector/pdata/plog"
)

// severityNumbers are the names of SeverityNumber 0..24.
var severityNumbers = func() []string {
	out := []string{"SEVERITY_NUMBER_UNSPECIFIED"}
	for _, level := range []string{"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"} {
		out = append(out, "SEVERITY_NUMBER_"+level)
		for n := 2; n <= 4; n++ {
			out = append(out, fmt.Sprintf("SEVERITY_NUMBER_%s%d", level, n))
		}
	}
	return out
}()

// logRows flattens a logs request into one row per log record.
func logRows(ld plog.Logs, b *batch) {
	var c scopeCtx
	for i, rls := 0, ld.ResourceLogs(); i < rls.Len(); i++ {
		rl := rls.At(i)
		res := rl.Resource()
		c.setResource(res.Attributes(), res.DroppedAttributesCount(), rl.SchemaUrl())
		for j, sls := 0, rl.ScopeLogs(); j < sls.Len(); j++ {
			sl := sls.At(j)
			c.setScope(sl.Scope())
			for k, recs := 0, sl.LogRecords(); k < recs.Len(); k++ {
				logRow(b, &c, recs.At(k), sl.SchemaUrl(), func() string {
					return fmt.Sprintf("resource_logs[%d].scope_logs[%d].log_records[%d]", i, j, k)
				})
			}
		}
	}
}

// logRow writes one log record. Its time is time_unix_nano, or when that
// is unknown (0) observed_time_unix_nano, as the OTel log data model
// tells consumers to do
// (https://opentelemetry.io/docs/specs/otel/logs/data-model/#field-observedtimestamp),
// or the request's arrival when both are 0.
func logRow(b *batch, c *scopeCtx, l plog.LogRecord, schemaURL string, what func() string) {
	w := b.begin()
	ns := uint64(l.Timestamp())
	if ns == 0 {
		ns = uint64(l.ObservedTimestamp())
	}
	if ns == 0 {
		ns = uint64(b.now.UnixNano())
	}
	w.head(ns, c)
	w.str("event_name", l.EventName(), "event_name")
	w.traceID("trace_id", l.TraceID())
	w.spanID("span_id", l.SpanID())
	w.nanos("time_unix_nano", l.Timestamp(), "time_unix_nano")
	w.nanos("observed_time_unix_nano", l.ObservedTimestamp(), "observed_time_unix_nano")
	w.str("severity_number", enumName(severityNumbers, int32(l.SeverityNumber())), "severity_number")
	w.str("severity_text", l.SeverityText(), "severity_text")
	w.key("body")
	w.value(l.Body(), "body", 0)
	w.attrs("attributes", l.Attributes(), "attributes")
	w.i64("dropped_attributes_count", int64(l.DroppedAttributesCount()))
	w.i64("flags", int64(l.Flags()))
	w.raw(c.resource)
	w.raw(c.scope)
	w.str("log_schema_url", schemaURL, "scope schema_url")
	b.end(w, c, what)
}
