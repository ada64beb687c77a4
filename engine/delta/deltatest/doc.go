// Package deltatest is an independent reader of Delta Lake tables for
// tests, written from the protocol
// (https://github.com/delta-io/delta/blob/master/PROTOCOL.md), not from the
// writer's code: it decodes commit files as plain JSON, reads checkpoints
// and data files with parquet-go (not DuckDB), reconciles actions into the
// snapshot of a version and renders rows as zbemu's Statement API does, so
// they compare with what SQL returned. Only tests import it.
package deltatest
