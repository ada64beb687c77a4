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
package delta
