package otlp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/zbemu/zbemu/engine"
)

// Signal is one of the three OTLP signals, with its table layout.
type Signal struct {
	// Name is the signal as OTLP names it: traces, logs, metrics.
	Name string
	// noun is what one record is called in partial success messages.
	noun string
	// suffix is the documented table name suffix after the prefix.
	suffix string
	layout *layout
}

// The three signals, in the order create-tables makes their tables.
var (
	Traces  = &Signal{Name: "traces", noun: "spans", suffix: "_otel_spans", layout: newLayout(spanColumns, "time, service_name, trace_id")}
	Logs    = &Signal{Name: "logs", noun: "log records", suffix: "_otel_logs", layout: newLayout(logColumns, "time, service_name")}
	Metrics = &Signal{Name: "metrics", noun: "data points", suffix: "_otel_metrics", layout: newLayout(metricColumns, "time, service_name")}
	Signals = []*Signal{Traces, Logs, Metrics}
)

// TableHeader names the target table of every OTLP request
// (https://docs.databricks.com/aws/en/ingestion/opentelemetry/configure).
const TableHeader = "x-databricks-zerobus-table-name"

// Transport is how a request arrived, as the system tables report it:
// Protocol GRPC or HTTP, DataFormat PROTOBUF or JSON. Databricks documents
// only these values for system.lakeflow.zerobus_stream, so OTLP requests
// report their transport and encoding rather than a value of their own.
type Transport struct{ Protocol, DataFormat string }

// Result is the outcome of an export request that was not refused whole.
type Result struct {
	// Accepted records are durable rows of the table.
	Accepted int
	// Rejected counts the records refused for a problem of their own;
	// Message describes them (OTLP partial success).
	Rejected int64
	Message  string
}

// Exporter writes OTLP requests into tables of the v2 layout through the
// engine's ingest path: each request is one short-lived stream, as a
// REST insert is, so it is authorized, logged, made durable before the
// response and counted in the system tables like any other ingest.
type Exporter struct {
	e *engine.Engine
}

// NewExporter returns an Exporter writing through e.
func NewExporter(e *engine.Engine) *Exporter { return &Exporter{e: e} }

// Request is one decoded export request: its signal and the function
// that flattens it into rows.
type Request struct {
	Signal *Signal
	rows   func(*batch)
	size   func() int
}

// Export authorizes id for MODIFY (and SELECT, as every Zerobus ingest)
// on table, checks the table's layout, flattens the request and writes
// the valid rows in one durable write. A refused request (no table,
// no access, wrong layout, storage failure) returns an error and writes
// nothing; records with problems of their own are left out and counted.
func (x *Exporter) Export(ctx context.Context, id *engine.Identity, table string, req Request, tr Transport) (Result, error) {
	table = strings.TrimSpace(table)
	if table == "" {
		return Result{}, fmt.Errorf("%w: set header %s to the catalog.schema.table to write %s into (a table of the %s layout)",
			ErrNoTable, TableHeader, req.Signal.Name, req.Signal.suffix)
	}
	st, err := x.e.OpenStream(ctx, id, engine.StreamSpec{Table: table, Format: engine.FormatJSON, Protocol: tr.Protocol, DataFormat: tr.DataFormat})
	if err != nil {
		return Result{}, err
	}
	defer st.Close()
	if err := req.Signal.layout.check(req.Signal, st.TableName(), st.Columns()); err != nil {
		return Result{}, st.Refuse(err)
	}
	b := batch{now: time.Now()}
	req.rows(&b)
	res := Result{Accepted: len(b.ends), Rejected: b.rejected, Message: b.message(req.Signal.noun)}
	if res.Accepted == 0 {
		return res, nil
	}
	if _, err := st.Write(ctx, b.records()); err != nil {
		return Result{}, err
	}
	return res, nil
}
