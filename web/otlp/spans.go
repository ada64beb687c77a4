package otlp

import (
	"fmt"
	"strconv"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Enum names as the OTLP protos spell them; Databricks stores enums by
// name (https://docs.databricks.com/aws/en/ingestion/opentelemetry/table-reference).
var (
	spanKinds   = []string{"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"}
	statusCodes = []string{"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"}
)

// enumName is names[v], or the number for a value newer than the protos
// (proto3 enums are open).
func enumName(names []string, v int32) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return strconv.Itoa(int(v))
}

// spanRows flattens a traces request into one row per span.
func spanRows(td ptrace.Traces, b *batch) {
	var c scopeCtx
	for i, rss := 0, td.ResourceSpans(); i < rss.Len(); i++ {
		rs := rss.At(i)
		res := rs.Resource()
		c.setResource(res.Attributes(), res.DroppedAttributesCount(), rs.SchemaUrl())
		for j, sss := 0, rs.ScopeSpans(); j < sss.Len(); j++ {
			ss := sss.At(j)
			c.setScope(ss.Scope())
			for k, spans := 0, ss.Spans(); k < spans.Len(); k++ {
				spanRow(b, &c, spans.At(k), ss.SchemaUrl(), func() string {
					return fmt.Sprintf("resource_spans[%d].scope_spans[%d].spans[%d]", i, j, k)
				})
			}
		}
	}
}

func spanRow(b *batch, c *scopeCtx, s ptrace.Span, schemaURL string, what func() string) {
	w := b.begin()
	switch {
	case s.TraceID().IsEmpty():
		w.fail(fmt.Errorf("trace_id is empty or all zero; OTLP requires a non-zero 16-byte trace id"))
	case s.SpanID().IsEmpty():
		w.fail(fmt.Errorf("span_id is empty or all zero; OTLP requires a non-zero 8-byte span id"))
	}
	w.head(uint64(s.StartTimestamp()), c)
	w.traceID("trace_id", s.TraceID())
	w.spanID("span_id", s.SpanID())
	w.str("trace_state", s.TraceState().AsRaw(), "trace_state")
	w.spanID("parent_span_id", s.ParentSpanID())
	w.i64("flags", int64(s.Flags()))
	w.str("name", s.Name(), "name")
	w.str("kind", enumName(spanKinds, int32(s.Kind())), "kind")
	w.nanos("start_time_unix_nano", s.StartTimestamp(), "start_time_unix_nano")
	w.nanos("end_time_unix_nano", s.EndTimestamp(), "end_time_unix_nano")
	w.attrs("attributes", s.Attributes(), "attributes")
	w.i64("dropped_attributes_count", int64(s.DroppedAttributesCount()))
	w.openArr("events")
	for i, evs := 0, s.Events(); i < evs.Len(); i++ {
		ev := evs.At(i)
		w.elem()
		w.nanos("time_unix_nano", ev.Timestamp(), "event time_unix_nano")
		w.str("name", ev.Name(), "event name")
		w.attrs("attributes", ev.Attributes(), "event attributes")
		w.i64("dropped_attributes_count", int64(ev.DroppedAttributesCount()))
		w.closeObj()
	}
	w.closeArr()
	w.i64("dropped_events_count", int64(s.DroppedEventsCount()))
	w.openArr("links")
	for i, links := 0, s.Links(); i < links.Len(); i++ {
		l := links.At(i)
		w.elem()
		w.traceID("trace_id", l.TraceID())
		w.spanID("span_id", l.SpanID())
		w.str("trace_state", l.TraceState().AsRaw(), "link trace_state")
		w.attrs("attributes", l.Attributes(), "link attributes")
		w.i64("dropped_attributes_count", int64(l.DroppedAttributesCount()))
		w.i64("flags", int64(l.Flags()))
		w.closeObj()
	}
	w.closeArr()
	w.i64("dropped_links_count", int64(s.DroppedLinksCount()))
	w.open("status")
	w.str("message", s.Status().Message(), "status message")
	w.str("code", enumName(statusCodes, int32(s.Status().Code())), "status code")
	w.closeObj()
	w.raw(c.resource)
	w.raw(c.scope)
	w.str("span_schema_url", schemaURL, "scope schema_url")
	b.end(w, c, what)
}
