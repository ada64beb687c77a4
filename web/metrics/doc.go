// Package metrics measures ingest for zbemu's observability surfaces:
// Prometheus counters and histograms (GET /metrics), the per-table and
// per-stream summary of the last minute (GET /zbemu/v1/stats), the errors
// returned to ingest clients by error_code, pipeline flow progress, and
// the Hub of per-second samples behind the UI's live event stream. It
// implements engine.Observer and pipeline.Observer, as package systables
// implements the engine's event sink; package web serves what it measures
// and does the authorization.
//
// Invariants: the ack path costs one lookup of cached metric children per
// stream and a few atomic adds plus one short lock per request, never per
// record; entries for tables and series are created once and never
// removed, so memory grows with the number of tables, not with traffic.
// The Hub samples on its own goroutine (Start/Close) however many clients
// watch, so watchers never add work to the ack path. Nothing here reads
// the environment or serves HTTP beyond Metrics.Handler.
package metrics
