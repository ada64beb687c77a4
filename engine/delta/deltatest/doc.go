// Package deltatest writes small Delta tables for tests, independently of
// zbemu's own mirror: Parquet data files written with parquet-go (not
// DuckDB) and commits built from the protocol's actions
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md). Tests use
// it to give time travel, RESTORE and import a log with known versions.
//
// Invariants: every commit is written with delta.WriteCommit (atomic,
// put-if-absent) after its data files, so a reader never sees a version
// whose files are missing.
package deltatest
