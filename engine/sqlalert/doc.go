// Package sqlalert keeps Databricks SQL alerts, saved queries and
// notification destinations, and evaluates the alerts on their schedules.
//
// An alert is a query, a condition on one column of its result and a
// schedule (Alerts API v2, https://docs.databricks.com/api/workspace/alertsv2):
// the source column's value in the first row, or aggregated over all rows
// (SUM, COUNT, COUNT_DISTINCT, AVG, MEDIAN, MIN, MAX, STDDEV), is compared
// with a constant or another column (GREATER_THAN ... NOT_EQUAL, IS_NULL,
// IS_NOT_NULL). The alert is TRIGGERED when the comparison holds, OK when
// not, empty_result_state (default UNKNOWN) when the result has no rows and
// ERROR when the query fails. Schedules are Quartz cron expressions in a
// time zone (cron.go). A change of state is logged, recorded through the
// EventSink (system.zbemu.alert_events) and POSTed to the webhooks of the
// notification destinations the alert subscribes to: always on TRIGGERED
// and ERROR, on OK when notify_on_ok, and again every retrigger_seconds
// while it stays TRIGGERED. UNKNOWN → OK is not a change worth telling.
//
// The zbemu alert API's rules ("TRIGGERED while the query returns rows",
// rule.go) are alerts on COUNT(*) > 0, so there is one model, one
// evaluator and one store; rules kept by older versions in system.db are
// imported once (ImportRules).
//
// The exported types carry the JSON field names of Databricks' Alerts v2,
// Queries and Notification Destinations APIs, so package web encodes them
// as they are; the Manager overwrites every field a client may not set.
//
// Authorization: an alert or saved query belongs to its creator; only the
// owner and workspace admins see or change it (lists leave the others
// out, reads say PERMISSION_DENIED). An alert's query runs as its run-as
// principal (the creator unless an admin names another) through
// engine.Execute, so it sees only what that principal may SELECT under
// Unity Catalog grants; it runs once at creation so a query that cannot
// run, or may not, is refused then. Destinations hold webhook secrets:
// only admins create or delete them, reads never show URL or password
// (url_set, as Databricks). Tokens scoped to tables reach none of this.
//
// Storage: <data>/alerts.db (SQLite in WAL mode, or in memory), opened
// only by this package: one row per object, its JSON under its id, in
// creation order (the list's page token). The Manager keeps every object
// in memory and writes each change through while holding its lock.
//
// Concurrency: Manager is safe for concurrent use; it owns one goroutine
// (the evaluator) from Open to Close, which evaluates due alerts one at a
// time with a timeout per query and per webhook call.
package sqlalert
