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
// same file and is changed in the same transaction as the DDL. Workspace
// state (principals, tokens, grants, protobuf descriptors) is in SQLite.
//
// Ingest: a request is validated by a decoder compiled once per table
// version, appended to the ingest log (package engine/ingestlog) and
// acknowledged once the log is synced (group commit across all streams). The materialiser then applies
// acknowledged rows to DuckDB with the Appender in large transactions that
// also record the log index they cover, so replay on start-up is exact:
// every acknowledged record is in DuckDB once. SQL statements first wait for
// the materialiser to catch up with every acknowledgement (Sync), so a query
// sees all records acknowledged before it started.
//
// Concurrency: Engine is safe for concurrent use. Engine.mu guards the
// metadata cache; table versions are immutable and swapped atomically, so
// the ingest path reads them without locks. The materialiser is the only
// writer of ingested rows; DDL that changes a table pauses it. Open starts
// the log writer and the materialiser; Close drains and stops them.
package engine
