package otlp

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// maxMessages is how many rejected records a partial success describes;
// the count covers them all.
const maxMessages = 3

// batch collects the rows of one request in one buffer, and the records
// it rejects.
type batch struct {
	buf  []byte
	ends []int // end offset in buf of each row
	// rejected counts the rejected records (spans, log records, data
	// points); msgs describes the first maxMessages of them.
	rejected int64
	msgs     []string
	// now is the request's arrival, for log records without any time.
	now time.Time
}

// begin starts a row at the end of the buffer.
func (b *batch) begin() row { return row{b: append(b.buf, '{')} }

// end keeps the row, or drops it and counts the record as rejected when
// it or its resource/scope context had a problem.
func (b *batch) end(w row, c *scopeCtx, what func() string) {
	err := w.err
	if err == nil {
		err = c.err
	}
	if err != nil {
		b.reject(1, what()+": "+err.Error())
		return
	}
	w.b = append(w.b, '}')
	b.buf = w.b
	b.ends = append(b.ends, len(b.buf))
}

func (b *batch) reject(n int64, msg string) {
	b.rejected += n
	if len(b.msgs) < maxMessages {
		b.msgs = append(b.msgs, msg)
	}
}

// records are the accepted rows, slices of the one buffer.
func (b *batch) records() [][]byte {
	out := make([][]byte, len(b.ends))
	start := 0
	for i, end := range b.ends {
		out[i] = b.buf[start:end:end]
		start = end
	}
	return out
}

// message is the partial success's error_message.
func (b *batch) message(noun string) string {
	if b.rejected == 0 {
		return ""
	}
	msg := fmt.Sprintf("%d %s rejected: %s", b.rejected, noun, strings.Join(b.msgs, "; "))
	if extra := b.rejected - int64(len(b.msgs)); extra > 0 {
		msg += fmt.Sprintf("; and %d more", extra)
	}
	return msg
}

// scopeCtx is what every row of one resource and scope repeats, encoded
// once as JSON members: service_name, resource, resource_schema_url,
// instrumentation_scope.
type scopeCtx struct {
	service  []byte // the "service_name": member
	resource []byte // the "resource": and "resource_schema_url": members
	scope    []byte // the "instrumentation_scope": member
	// err is a problem of the resource or scope: every record under it is
	// rejected.
	err error
}

// setResource encodes the resource members; service_name is the
// resource attribute service.name, as Databricks derives it (NULL
// without one).
func (c *scopeCtx) setResource(attrs pcommon.Map, dropped uint32, schemaURL string) {
	w := row{}
	if v, ok := attrs.Get("service.name"); ok {
		w.str("service_name", v.AsString(), "resource attribute service.name")
	} else {
		w.null("service_name")
	}
	c.service = w.b
	w = row{}
	w.open("resource")
	w.attrs("attributes", attrs, "resource attributes")
	w.i64("dropped_attributes_count", int64(dropped))
	w.closeObj()
	w.str("resource_schema_url", schemaURL, "resource schema_url")
	c.resource = w.b
	c.err = w.err
}

// setScope encodes the instrumentation_scope member.
func (c *scopeCtx) setScope(s pcommon.InstrumentationScope) {
	w := row{}
	w.open("instrumentation_scope")
	w.str("name", s.Name(), "scope name")
	w.str("version", s.Version(), "scope version")
	w.attrs("attributes", s.Attributes(), "scope attributes")
	w.i64("dropped_attributes_count", int64(s.DroppedAttributesCount()))
	w.closeObj()
	c.scope = w.b
	if c.err == nil {
		c.err = w.err
	}
}

// raw appends pre-encoded members.
func (w *row) raw(members []byte) {
	w.sep()
	w.b = append(w.b, members...)
}

// head writes the columns Databricks adds to every row: record_id (a
// UUIDv7, unique and ordered by time as documented), time (µs) and date
// from ns, and service_name.
func (w *row) head(ns uint64, c *scopeCtx) {
	id, err := uuid.NewV7()
	if err != nil {
		w.fail(err)
		return
	}
	w.key("record_id")
	w.b = append(w.b, '"')
	w.b = append(w.b, id.String()...)
	w.b = append(w.b, '"')
	if ns > 1<<63-1 {
		w.fail(fmt.Errorf("time %d ns is beyond the year 2262", ns))
		ns = 0
	}
	us := int64(ns) / 1000
	w.i64("time", us)
	w.i64("date", us/86_400_000_000)
	w.raw(c.service)
}
