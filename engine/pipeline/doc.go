// Package pipeline runs Lakeflow Declarative Pipelines (formerly Delta Live
// Tables) over the tables of an engine: streaming tables that read only
// the rows appended to their sources since the last update, materialized
// views recomputed on each update, pipeline views, expectations, and the
// event log that records every update.
//
// The public API in api.go is what the REST layer (web) and the CLI
// (cmd/zbemu) call.
//
// # Datasets and their graph
//
// A pipeline's sources (files, globs, inline SQL) hold CREATE OR REFRESH
// STREAMING TABLE | MATERIALIZED VIEW, the legacy LIVE TABLE forms and
// CREATE [TEMPORARY] LIVE VIEW (parsed by package dialect). A bare name or
// LIVE.x refers to a dataset of the same pipeline (a bare name that is no
// dataset is a table of the target schema), a 3-part name to a table of
// the catalog. Create and Edit compile the sources: a reference to an
// unknown LIVE dataset, a cycle, a duplicate name, a STREAM read of a
// materialized view, a streaming table that reads no stream and
// expectations on a view are refused before anything runs (graph.go).
// Streaming tables and materialized views are published as tables of the
// target catalog with Unity Catalog's table_type STREAMING_TABLE or
// MATERIALIZED_VIEW and the pipeline's id; the engine refuses users'
// INSERT, UPDATE, DELETE, ALTER and Zerobus ingest on them (DROP TABLE is
// allowed). Pipeline views and TEMPORARY tables are not published: they
// are inlined, as subqueries, into the queries that read them.
//
// # Updates
//
// An update goes QUEUED → INITIALIZING (compile) → SETTING_UP_TABLES
// (authorize as the owner, check every query with the engine's sealed-SQL
// rules, create or check the tables) → RUNNING → COMPLETED, FAILED or
// CANCELED, each transition an update_progress event. A triggered update
// runs every flow once; a continuous one runs them every
// Options.ContinuousInterval until Stop, recomputing materialized views
// when a streaming flow wrote rows and at least every 5 s. It skips a
// cycle without touching DuckDB when nothing was written since the last
// one (engine.DataVersion did not move) and no view is due, so an idle
// continuous pipeline costs next to nothing. One update runs
// at a time per pipeline. It runs as the pipeline's owner: USE CATALOG and
// USE SCHEMA on the target, CREATE TABLE there for a new dataset, SELECT
// on every source table, SELECT and MODIFY on the existing datasets, as
// the owner's grants are at the start of the update.
//
// # Exactly once
//
// Every flow writes in one DuckDB transaction on the target catalog: its
// rows, its read positions (__zbemu.pipeline_offsets) and its
// flow_progress event commit together, so an update that fails, is
// stopped or dies with the server leaves nothing half done, and the next
// update (after a restart: the continuous pipeline resumes on Open) reads
// from the last committed position. How positions work and why they are
// exact is described in flow.go. A pipeline reads committed rows of
// DuckDB only (after engine.Sync, so everything acknowledged before the
// update's cycle began) and is never on the ingest acknowledgement path;
// it takes no lock of the materialiser. An update runs on a thread of
// lower CPU priority (engine.Background), so on a machine with few cores
// its DuckDB work takes the CPU the ack path leaves idle rather than a
// share of what the ack path needs.
//
// # Expectations
//
// CONSTRAINT name EXPECT (cond) keeps a violating row and counts it; ON
// VIOLATION DROP ROW drops it; ON VIOLATION FAIL UPDATE fails the update
// with EXPECTATION_VIOLATION naming the flow, the expectation and one
// violating record, and nothing of that flow's batch is written (its
// position does not move). Every expectation is evaluated on every row of
// the batch: passed_records counts the rows where the condition is true,
// failed_records the others.
//
// NULL: Databricks documents that an expectation's constraint "must
// evaluate to true or false for each record" and that a record that fails
// the condition triggers the expectation
// (https://docs.databricks.com/aws/en/ldp/expectations); its examples
// check NULLs explicitly (EXPECT (id IS NOT NULL)). zbemu treats a
// condition that evaluates to NULL as a violation, as Spark's
// DataFrame.filter, on which DROP ROW is built, drops rows whose
// predicate is NULL. This is inferred, not documented in so many words;
// write cond IS NOT FALSE (or coalesce) to let NULLs pass.
//
// After a failed FAIL UPDATE, "handling" the bad rows means one of: change
// the expectation (for example to DROP ROW) and run an update, which reads
// the same batch again because the position did not move; or delete or
// fix the rows in the source and run a full refresh. Deleting or updating
// source rows is a non-append change, which a streaming read refuses
// (DELTA_SOURCE_TABLE_IGNORE_CHANGES, as Databricks) until a full
// refresh, because the rows it already read may have changed.
//
// full_refresh empties every streaming table, forgets its positions and
// reads every source row again; materialized views are recomputed by every
// update anyway.
//
// # Event log
//
// Events (create_update, update_progress, flow_definition, flow_progress)
// are stored in the target catalog's __zbemu.pipeline_events and read by
// Events (the REST API) and by SQL: event_log('<pipeline_id>') and
// event_log(TABLE(c.s.dataset)) are replaced by a subquery over them with
// Databricks' columns (origin a struct, details JSON text), for the
// pipeline's owner (the table's owner) or an admin (EventLogSQL). Users
// cannot name the hidden table itself (engine/seal.go).
package pipeline
