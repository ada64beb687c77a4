// Package web serves every network surface of zbemu on one address: the
// Zerobus gRPC service (EphemeralStream), the OAuth token endpoint, REST
// ingest, the SQL Statement Execution API, the Unity Catalog REST API,
// Prometheus metrics (/metrics), the stats API, the Lakeview dashboards API
// (with zbemu's widget query endpoint; package engine/lakeview keeps the
// dashboards) and health checks.
//
// Invariants: handlers return errors instead of writing them, and errors.go
// is the only place that turns engine errors into HTTP statuses, Databricks
// error bodies and gRPC statuses; every failure a client receives is logged
// there too (logFailure), the server's own at ERROR with the stream or
// statement it hit. The gRPC handler sends response headers
// before reading anything (the official SDK waits for them) and acks only
// what the engine reports durable, cumulatively and never ahead of what it
// received. web holds no data of its own except the short-lived state of
// SQL statements for polling and the in-memory counters of metrics.go.
package web
