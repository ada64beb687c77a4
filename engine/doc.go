// Package engine is zbemu's storage and ingest core: Unity Catalog's
// catalog.schema.table namespace over DuckDB, the Databricks SQL dialect on
// top of it, identities and grants, and the Zerobus ingest path.
//
// Storage: every catalog is one DuckDB file (<data>/catalogs/<name>.duckdb)
// attached under the catalog's name — except names DuckDB reserves (main,
// temp, memory), which get the suffix _db, as the DuckDB shell itself names
// a file main.duckdb. UC schemas and tables are DuckDB schemas and tables.
// What DuckDB does not hold (Databricks type text, comments, properties,
// table ids, versions, history) lives in the hidden schema __zbemu of the
// same file and is changed in the same transaction as the DDL. Views are
// DuckDB views whose tables are named in full, read with their owner's
// rights (view.go). Workspace
// state (principals, tokens, grants, protobuf descriptors) is in SQLite,
// owned by package engine/identity; every statement and API call is
// authorized there with Unity Catalog's privilege model (authz.go).
//
// Ingest: a request is validated by a decoder compiled once per table
// version, appended to the ingest log (package engine/ingestlog) and
// acknowledged once the log is synced (group commit across all streams).
// The decoder of a table with CHECK constraints or column DEFAULTs also
// fills in the DEFAULTs of omitted columns and refuses records that fail a
// constraint, before the ack (constraint.go, defaults.go, package
// engine/rowcheck); SQL DML on such a table runs in a transaction that is
// rolled back on a violation (execDML).
// The materialiser then applies acknowledged rows to DuckDB with the
// Appender in large transactions that also record the log index they
// cover, so replay on start-up is exact:
// every acknowledged record is in DuckDB once (a replayed backlog of more
// than one round is applied by the materialiser after Open returns, before
// anything newer). SQL statements first wait for
// the materialiser to catch up with every acknowledgement (Sync), so a query
// sees all records acknowledged before it started. The backlog between the
// two (acknowledged, not yet in DuckDB) is bounded by Options.MaxBacklogBytes
// and MaxBacklogRecords: at the bound the log writer holds the next batch,
// and so its acks, until the materialiser catches up (backpressure), and
// reports it to the Observer.
//
// Failures: validation refuses every value DuckDB cannot hold, so nothing
// acknowledged fails on account of its value. A round the store cannot
// write (disk full, I/O) leaves the applied index where it was, keeps the
// rows and retries them with backoff; meanwhile Health reports the cause,
// ingest is refused with ErrUnavailable and queries that would miss
// acknowledged rows fail with it. A failed ingest log write is retried the
// same way: once the disk takes a probe write, ingestlog.Log.Recover cuts
// the failed (never acknowledged) batch and the log takes appends again,
// without a restart. An entry DuckDB still refuses is moved to the catalog's
// __zbemu.quarantine (system.zbemu.quarantined_records) in the transaction
// that moves the applied index past it; replay does the same with entries
// it cannot decode, so a start never fails on a record.
//
// Sealed SQL: users' SQL reaches only their tables, for every principal.
// DuckDB runs without external access except zbemu's catalog and spill
// directories, with its configuration locked (duckSettings); each query is
// checked to be one DuckDB statement of a query type, to call no function
// that reads files, runs SQL text or inspects the engine, to name none of
// the hidden schemas or DuckDB's own databases, and to have only allowed
// table functions and zbemu's tables in DuckDB's plan (seal.go).
//
// Time travel: a table reference VERSION AS OF, TIMESTAMP AS OF or @v is
// replaced, at translation, by a read_parquet subquery over the files of
// that version of the table's Delta log (package delta, timetravel.go),
// after SELECT on the table is checked; DESCRIBE HISTORY of a table with a
// log answers from it, and RESTORE and ImportDelta write a snapshot's rows
// through the DML path. The plan check lets read_parquet through only in
// statements the engine rewrote that way; imports read only below
// Options.ImportDirs.
//
// Concurrency: Engine is safe for concurrent use. Engine.mu guards the
// metadata cache; table versions are immutable and swapped atomically, so
// the ingest path reads them without locks. The materialiser is the only
// writer of ingested rows; DDL that changes a table pauses it. Open starts
// the log writer and the materialiser; Close drains and stops them. The
// materialiser (and the pipeline updates, through Engine.Background) runs
// on an OS thread of lower CPU priority (Options.BackgroundNice, package
// engine/lowprio): its DuckDB appends, commits and checkpoints run on that
// thread, so the ack path wins the CPU when both want it.
package engine
