// Package deltatest reads and writes Delta Lake tables for tests,
// independently of zbemu's own mirror and snapshot code, from the protocol
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md):
//   - reader.go decodes commit files as plain JSON, reads checkpoints and
//     data files with parquet-go (not DuckDB), reconciles actions into the
//     snapshot of a version and renders rows as zbemu's Statement API does,
//     so they compare with what SQL returned;
//   - table.go writes small tables (Parquet files written with parquet-go,
//     commits built from the protocol's actions) that give time travel,
//     RESTORE and import a log with known versions.
//
// Invariants: every commit is written with delta.WriteCommit (atomic,
// put-if-absent) after its data files, so a reader never sees a version
// whose files are missing. Only tests import it.
package deltatest
