package otlp

import (
	"fmt"
	"strings"

	"github.com/zbemu/zbemu/schema"
)

// The v2 table layouts, column by column, as Databricks documents them
// for Zerobus Ingest OTLP
// (https://docs.databricks.com/aws/en/ingestion/opentelemetry/configure,
// column meanings at
// https://docs.databricks.com/aws/en/ingestion/opentelemetry/table-reference).
// The same lists give the DDL of `zbemu otel create-tables` and the check
// of an existing table, so the two cannot drift apart.

const (
	typeResource = "STRUCT<attributes: VARIANT, dropped_attributes_count: INT>"
	typeScope    = "STRUCT<name: STRING, version: STRING, attributes: VARIANT, dropped_attributes_count: INT>"
	typeExemplar = "ARRAY<STRUCT<time_unix_nano: LONG, value: DOUBLE, span_id: STRING, trace_id: STRING, filtered_attributes: VARIANT>>"
	typeBuckets  = "STRUCT<offset: INT, bucket_counts: ARRAY<LONG>>"
)

// column is one column of a layout: its name and Databricks type text.
type column struct{ name, typ string }

var commonHead = []column{
	{"record_id", "STRING"}, {"time", "TIMESTAMP"}, {"date", "DATE"}, {"service_name", "STRING"},
}

var spanColumns = concat(commonHead, []column{
	{"trace_id", "STRING"}, {"span_id", "STRING"}, {"trace_state", "STRING"}, {"parent_span_id", "STRING"},
	{"flags", "INT"}, {"name", "STRING"}, {"kind", "STRING"},
	{"start_time_unix_nano", "LONG"}, {"end_time_unix_nano", "LONG"},
	{"attributes", "VARIANT"}, {"dropped_attributes_count", "INT"},
	{"events", "ARRAY<STRUCT<time_unix_nano: LONG, name: STRING, attributes: VARIANT, dropped_attributes_count: INT>>"},
	{"dropped_events_count", "INT"},
	{"links", "ARRAY<STRUCT<trace_id: STRING, span_id: STRING, trace_state: STRING, attributes: VARIANT, dropped_attributes_count: INT, flags: INT>>"},
	{"dropped_links_count", "INT"},
	{"status", "STRUCT<message: STRING, code: STRING>"},
	{"resource", typeResource}, {"resource_schema_url", "STRING"},
	{"instrumentation_scope", typeScope}, {"span_schema_url", "STRING"},
})

var logColumns = concat(commonHead, []column{
	{"event_name", "STRING"}, {"trace_id", "STRING"}, {"span_id", "STRING"},
	{"time_unix_nano", "LONG"}, {"observed_time_unix_nano", "LONG"},
	{"severity_number", "STRING"}, {"severity_text", "STRING"},
	{"body", "VARIANT"}, {"attributes", "VARIANT"}, {"dropped_attributes_count", "INT"}, {"flags", "INT"},
	{"resource", typeResource}, {"resource_schema_url", "STRING"},
	{"instrumentation_scope", typeScope}, {"log_schema_url", "STRING"},
})

var metricColumns = concat(commonHead, []column{
	{"start_time_unix_nano", "LONG"}, {"time_unix_nano", "LONG"},
	{"name", "STRING"}, {"description", "STRING"}, {"unit", "STRING"}, {"metric_type", "STRING"},
	{"gauge", "STRUCT<value: DOUBLE, exemplars: " + typeExemplar + ", attributes: VARIANT, flags: INT>"},
	{"sum", "STRUCT<value: DOUBLE, exemplars: " + typeExemplar + ", attributes: VARIANT, flags: INT, aggregation_temporality: STRING, is_monotonic: BOOLEAN>"},
	{"histogram", "STRUCT<count: LONG, sum: DOUBLE, bucket_counts: ARRAY<LONG>, explicit_bounds: ARRAY<DOUBLE>, exemplars: " +
		typeExemplar + ", attributes: VARIANT, flags: INT, min: DOUBLE, max: DOUBLE, aggregation_temporality: STRING>"},
	{"exponential_histogram", "STRUCT<attributes: VARIANT, count: LONG, sum: DOUBLE, scale: INT, zero_count: LONG, positive_bucket: " +
		typeBuckets + ", negative_bucket: " + typeBuckets + ", flags: INT, exemplars: " + typeExemplar +
		", min: DOUBLE, max: DOUBLE, zero_threshold: DOUBLE, aggregation_temporality: STRING>"},
	{"summary", "STRUCT<count: LONG, sum: DOUBLE, quantile_values: ARRAY<STRUCT<quantile: DOUBLE, value: DOUBLE>>, attributes: VARIANT, flags: INT>"},
	{"metadata", "VARIANT"},
	{"resource", typeResource}, {"resource_schema_url", "STRING"},
	{"instrumentation_scope", typeScope}, {"metric_schema_url", "STRING"},
})

func concat(a, b []column) []column { return append(append([]column(nil), a...), b...) }

// layout is the parsed v2 layout of one signal's table.
type layout struct {
	cols    []column
	types   []*schema.Type
	cluster string // CLUSTER BY list
}

func newLayout(cols []column, cluster string) *layout {
	l := &layout{cols: cols, types: make([]*schema.Type, len(cols)), cluster: cluster}
	for i, c := range cols {
		t, err := schema.Parse(c.typ)
		if err != nil {
			panic(fmt.Sprintf("otlp: layout column %s: %v", c.name, err)) // a typo in the tables above
		}
		l.types[i] = t
	}
	return l
}

// ddl is the documented CREATE TABLE statement of the layout.
func (l *layout) ddl(table string) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE " + table + " (\n")
	for i, c := range l.cols {
		b.WriteString("  " + c.name + " " + c.typ)
		if i < len(l.cols)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(") USING DELTA\nCLUSTER BY (" + l.cluster + ")\n" +
		"TBLPROPERTIES (\n  'otel.schemaVersion' = 'v2',\n  'delta.checkpointPolicy' = 'classic'\n)")
	return b.String()
}

// check compares a table's columns with the layout: every layout column
// must be there with the same type, nullable (rows leave absent values
// NULL); further columns must be nullable, since OTLP rows leave them
// NULL. The error names every column that differs.
func (l *layout) check(sig *Signal, table string, cols []schema.Column) error {
	byName := make(map[string]schema.Column, len(cols))
	for _, c := range cols {
		byName[strings.ToLower(c.Name)] = c
	}
	var problems []string
	var missing []string
	for i, want := range l.cols {
		got, ok := byName[want.name]
		if !ok {
			missing = append(missing, want.name+" "+l.types[i].String())
			continue
		}
		delete(byName, want.name)
		switch {
		case !sameType(got.Type, l.types[i]):
			problems = append(problems, fmt.Sprintf("column %s is %s, expected %s", want.name, got.Type, l.types[i]))
		case !got.Nullable:
			problems = append(problems, fmt.Sprintf("column %s is NOT NULL, expected nullable (OTLP leaves absent values NULL)", want.name))
		}
	}
	if len(missing) > 0 {
		problems = append([]string{"missing columns " + strings.Join(missing, ", ")}, problems...)
	}
	for _, c := range cols {
		if _, extra := byName[strings.ToLower(c.Name)]; extra && !c.Nullable {
			problems = append(problems, fmt.Sprintf("column %s is not in the layout and NOT NULL, so no OTLP row could be written", c.Name))
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%w: table %s does not have Databricks' OpenTelemetry v2 %s layout: %s; create it with `zbemu otel create-tables catalog.schema.prefix` or the DDL of https://docs.databricks.com/aws/en/ingestion/opentelemetry/configure",
		ErrTableLayout, table, sig.noun, strings.Join(problems, "; "))
}

// sameType compares two types structurally, field names case-insensitive
// as Databricks resolves them, nullability of nested fields ignored
// except that a NOT NULL struct field would refuse OTLP's absent values.
func sameType(a, b *schema.Type) bool {
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case schema.Array:
		return sameType(a.Elem, b.Elem)
	case schema.Map:
		return sameType(a.Key, b.Key) && sameType(a.Value, b.Value)
	case schema.Struct:
		if len(a.Fields) != len(b.Fields) {
			return false
		}
		for i := range a.Fields {
			if !strings.EqualFold(a.Fields[i].Name, b.Fields[i].Name) || !a.Fields[i].Nullable || !sameType(a.Fields[i].Type, b.Fields[i].Type) {
				return false
			}
		}
	case schema.Decimal:
		return a.Precision == b.Precision && a.Scale == b.Scale
	}
	return true
}

// CreateTablesDDL is the documented DDL of the three tables of prefix
// (catalog.schema.prefix): <prefix>_otel_spans, _otel_logs, _otel_metrics.
func CreateTablesDDL(prefix string) []string {
	out := make([]string, 0, len(Signals))
	for _, sig := range Signals {
		out = append(out, sig.layout.ddl(prefix+sig.suffix))
	}
	return out
}

// Columns are the names and types of the signal's v2 table, in order.
func (s *Signal) Columns() (names []string, types []*schema.Type) {
	for _, c := range s.layout.cols {
		names = append(names, c.name)
	}
	return names, s.layout.types
}
