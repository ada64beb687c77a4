// Package dialect parses and translates the Databricks SQL that learners send
// to zbemu's SQL Statement Execution API.
//
// The engine runs every statement in one of two ways. Catalog statements
// (CREATE/DROP CATALOG, SCHEMA and TABLE, ALTER TABLE, USE, SHOW, DESCRIBE,
// GRANT, REVOKE) are parsed into the AST types of this package and carried
// out by the engine against its own Unity Catalog model. Queries and DML
// (SELECT, WITH, VALUES, FROM-first, INSERT, UPDATE, DELETE, EXPLAIN) are
// returned as a *Query whose SQL is the statement rewritten for DuckDB.
//
// The rewrite is token-level on purpose: it changes only what Databricks and
// DuckDB spell differently (backtick identifiers, double-quoted strings,
// backslash escapes, adjacent literal chaining, numeric suffixes such as
// 10L, three-part names whose catalog DuckDB stores under another name, and
// :name parameter markers) and keeps everything else as typed, so DuckDB's
// own error messages still point at what the learner wrote. Comments are
// dropped and surrounding whitespace and a trailing semicolon are trimmed.
//
// Invariants:
//   - The package is pure: no I/O, no global mutable state, standard
//     library only. Every function is safe for concurrent use.
//   - Nothing is silently accepted. Databricks syntax that zbemu recognises
//     but does not implement fails with an error wrapping ErrUnsupported
//     that names the construct; malformed input fails with an error
//     wrapping ErrSyntax that gives the line, column and what was expected.
//   - Parse never panics, whatever the input (FuzzParse checks this).
//   - Names are kept as written (case preserved, quotes removed); resolving
//     them against the current catalog and schema is the engine's job.
//   - Column types are kept as raw text (ColumnDef.TypeText); interpreting
//     them is the job of package schema.
package dialect
