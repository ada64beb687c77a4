// Package otlp turns OpenTelemetry export requests (OTLP traces, logs and
// metrics) into rows of the tables Databricks documents for Zerobus Ingest
// OTLP, schema v2 (https://docs.databricks.com/aws/en/ingestion/opentelemetry/table-reference),
// and writes them through the engine's ingest path. Package web serves the
// transports: the OTLP/gRPC Export services and OTLP/HTTP /v1/traces,
// /v1/logs and /v1/metrics.
//
// Wire types come from the OpenTelemetry Collector's pdata module
// (go.opentelemetry.io/collector/pdata), not from go.opentelemetry.io/proto/otlp,
// because OTLP/JSON is not protobuf's canonical JSON: trace and span ids
// are hex, not base64, and enums are integers
// (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding).
// pdata's decoder implements those rules, and its gRPC services and
// partial success types are the ones the Collector's own receiver uses.
//
// Invariants:
//   - Zerobus never creates tables: the target table must exist with the v2
//     layout of its signal (layout.go; `zbemu otel create-tables` runs the
//     same DDL); any other layout refuses the request, naming each column
//     that differs, and writes nothing.
//   - One row per span, log record or metric data point; resource and
//     scope are repeated in every row; record_id is a UUIDv7 (unique,
//     ordered by time), time is µs from start_time_unix_nano (spans) or
//     time_unix_nano (logs, metrics), date is time's UTC day, service_name
//     is the resource attribute service.name; ids are lowercase hex ("" when
//     absent), enums their proto names, attribute bags, log bodies and
//     metric metadata VARIANT.
//   - Partial success as OTLP specifies
//     (https://opentelemetry.io/docs/specs/otlp/#partial-success): a record
//     with a problem of its own (a zero trace or span id, a data point
//     without time, invalid UTF-8, histogram buckets that do not match
//     their bounds) is left out and counted with a message; the others are
//     written together, all or nothing, durable before the response.
//   - Each request is one short-lived engine stream, as a REST insert is:
//     authorized with SELECT and MODIFY on the table, recorded in the
//     system tables and metrics with protocol GRPC or HTTP and data_format
//     PROTOBUF or JSON (the only values Databricks documents), and
//     replayed from the ingest log after a crash like every other record.
//
// The package holds no state and starts no goroutines.
package otlp
