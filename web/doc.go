// Package web serves every network surface of zbemu on one address: the
// Zerobus gRPC service (EphemeralStream), the OAuth token endpoint, REST
// ingest, the SQL Statement Execution API, the Unity Catalog REST API (with
// the Grants API and the system catalog), the workspace endpoints the
// Databricks SDKs call first (OAuth discovery, SCIM Me, SQL warehouses,
// token list/delete: workspace.go),
// Prometheus metrics (/metrics), the stats API and its live event stream
// (package web/metrics measures; this package serves and authorizes),
// the Lakeview dashboards API (with zbemu's widget query endpoint; package
// engine/lakeview keeps the dashboards), the Pipelines API (package
// engine/pipeline runs them), the Alerts API v2, saved queries and
// notification destinations with zbemu's own alert API over them (package
// engine/sqlalert keeps and evaluates them), the read side of Unity
// Catalog's entity tag assignments (column tags), health checks, and the browser UI (package
// web/ui: static files, mounted by uiapi.go with the dev session endpoint
// for loopback browsers).
//
// Invariants: handlers return errors instead of writing them, and errors.go
// is the only place that turns engine errors into HTTP statuses, Databricks
// error bodies and gRPC statuses; every failure a client receives is logged
// there too (logFailure), the server's own at ERROR with the stream or
// statement it hit. The gRPC handler sends response headers
// before reading anything (the official SDK waits for them) and acks only
// what the engine reports durable, cumulatively and never ahead of what it
// received. web holds no data of its own except the short-lived state of
// SQL statements for polling; the ingest counters and the live stats
// history belong to package web/metrics.
package web
