// Package pipeline runs Lakeflow Declarative Pipelines (formerly Delta Live
// Tables) over the tables of an engine: streaming tables that read only
// the rows appended to their sources since the last update, materialized
// views recomputed on each update, pipeline views, expectations, and the
// event log that records every update.
//
// CONTRACT (being implemented): the public API in api.go is what the REST
// layer (web) and the CLI (cmd/zbemu) call. Invariants the implementation
// keeps:
//   - A pipeline reads committed rows only and is never on the ingest
//     acknowledgement path.
//   - Every source row reaches a streaming table exactly once across
//     updates and restarts: a flow's read position is committed in the
//     same DuckDB transaction as the rows it wrote.
//   - An update runs as the pipeline's owner, with Unity Catalog's
//     privileges checked as for that owner's own SQL.
package pipeline
