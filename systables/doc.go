// Package systables synthesizes Databricks' Zerobus system tables
// (system.lakeflow.zerobus_stream and system.lakeflow.zerobus_ingest) in
// SQLite from the events the engine emits through engine.EventSink.
//
// Not implemented yet: see the open issue "System tables in SQLite and
// monitoring". Until then the engine drops its events.
package systables
