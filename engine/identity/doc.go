// Package identity owns who may do what in a zbemu workspace: service
// principals, personal access tokens, OAuth access tokens (signed JWTs),
// Unity Catalog grants and the decision whether a principal holds the
// privileges an action needs (Access).
//
// It is the only code that opens workspace.db (SQLite). Two small things
// that are not identities live in the same file because SQLite wants one
// writer and one owner: workspace settings (the token signing key, the
// first-start marker) and the protobuf descriptors ingest-log entries refer
// to. They are reached through Store as well, never through the database.
//
// The package sits below engine: it knows securables only by name and is
// told their owners, so it imports nothing of zbemu's.
package identity
