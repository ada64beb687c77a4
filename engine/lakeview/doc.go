// Package lakeview keeps Lakeview (AI/BI) dashboards and runs their widget
// queries, so that dashboards exported from a Databricks workspace
// (.lvdash.json) render against zbemu's tables.
//
// A dashboard file is stored exactly as it was imported (fields zbemu does
// not read survive a round trip); Parse reads what zbemu needs of it —
// datasets with their queryLines and parameters, pages with their 6-column
// grid layout, widgets with their spec version and type, queries, fields
// and filter bindings — and names the JSON path of anything malformed.
//
// The widget query compiler (compile.go) builds the SQL Databricks runs for
// a widget: the dataset query as a subquery, the fields' expressions
// selected under their names, grouped by the fields that do not aggregate
// unless the query is disaggregated. Filter selections and parameter values
// are always bound as Statement API parameters, never spliced into the
// text.
//
// Authorization: a dashboard belongs to its creator; the owner and
// workspace admins hold CAN_MANAGE on it, and the Permissions API shares it
// with a principal or with every principal (group "users") at CAN_READ
// (open it), CAN_RUN (run its widgets), CAN_EDIT (change it) or CAN_MANAGE
// (trash, publish, share). Others get PERMISSION_DENIED, and tokens scoped
// to tables (authorization_details) reach no dashboard. Widget queries
// always run through engine.Execute as the viewer (also for a published or
// shared dashboard, whatever embed_credentials says), so a dashboard never
// shows rows its viewer could not SELECT.
//
// Storage: <data>/dashboards.db (SQLite in WAL mode, or in memory), opened
// only by this package: one row per dashboard (its file, owner, times,
// lifecycle state and revision; the etag is the revision), one per
// published revision and one per permission granted. DELETE moves a dashboard to the trash
// (lifecycle_state TRASHED) as Databricks does; it stays readable by id.
//
// Concurrency: Manager is safe for concurrent use and starts no goroutine;
// an update applies only if the revision it read is still current.
package lakeview
