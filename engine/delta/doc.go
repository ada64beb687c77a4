// Package delta reads and writes Delta Lake transaction logs: the actions of
// the Delta protocol, commit files under _delta_log, checkpoints and the
// snapshot of a table at a version. It is a leaf: it knows the protocol and
// the file layout, not zbemu's engine; the engine decides what to commit.
//
// Protocol: https://github.com/delta-io/delta/blob/master/PROTOCOL.md
//
// Invariants:
//   - A commit file is created whole or not at all: it is written to a
//     temporary name, synced, then linked to its final name, and link fails
//     when the version exists (put-if-absent, as the protocol requires of
//     a log store). A reader never sees a partial version.
//   - Versions are dense from 0; the log is only appended to.
//   - A table lives at TableDir(root, catalog, schema, table).
//   - Reading (Load, History, VersionAtTimestamp) follows the protocol's
//     reader requirements: a snapshot is the newest complete checkpoint at
//     or before the version (classic or multi-part Parquet, read with
//     parquet-go) plus the JSON commits after it; a multi-part checkpoint
//     with a missing part is ignored. Anything zbemu cannot read correctly
//     (deletion vectors, reader features it lacks, V2 checkpoints) fails
//     with a *FeatureError naming it, never with wrong rows.
//   - A snapshot's file paths never leave the table folder: absolute URIs
//     and paths with .. are refused as a malformed log.
package delta
