// Package systables keeps Databricks' Zerobus system tables in SQLite and
// serves them to the engine's SQL, plus zbemu's own tables.
//
// Tables (in <data>/system.db, SQLite in WAL mode, or in memory):
//
//	system.lakeflow.zerobus_stream   one row per stream event: open (closed_time
//	                                 NULL), each error, close (opened_time and
//	                                 closed_time set)
//	system.lakeflow.zerobus_ingest   one row per commit per stream
//	system.zbemu.rejected_records    records refused by validation (newest 100,000)
//	system.zbemu.warnings            records accepted with timestamps that look like
//	                                 seconds or milliseconds (sampled, newest 100,000)
//	system.zbemu.alert_events        alert state changes (Store is package
//	                                 sqlalert's EventSink)
//
// The SQLite tables are named like the last part (zerobus_stream, ...), with
// an id key and the columns of engine.SystemTableDefs; timestamps are UTC
// ISO-8601 text (2026-01-02T10:15:00.000000Z) and errors arrays JSON text, so
// the sqlite3 shell reads them as they are. account_id and workspace_id are
// fixed strings from Options (defaults DefaultAccountID, DefaultWorkspaceID).
//
// Store implements engine.EventSink (the write side) and engine.SystemTables
// (the read side the engine's system views page through). Writes never block
// the caller: events go into a bounded queue that one goroutine drains in
// batches, one SQLite transaction per batch at most every BatchInterval. A
// read first flushes the queue, so a statement sees every event that
// happened before it started. Close drains the queue; an event is lost only
// if the queue overflows (counted and logged) or the process dies. The same
// goroutine prunes rows older than the retention period.
//
// Older versions kept alert rules in system.db (table alert_rules);
// LegacyAlertRules hands them to package sqlalert once, and
// DropLegacyAlertRules removes the table.
//
// Concurrency: Store is safe for concurrent use and owns its goroutine
// from Open to Close. Close it after the engine (the engine emits its last
// commits while closing) and after the alerts that record into it.
package systables
