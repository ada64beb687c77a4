// Package dialect parses and translates the Databricks SQL that learners send
// to zbemu's SQL Statement Execution API.
//
// The engine runs every statement in one of two ways. Catalog statements
// (CREATE/DROP CATALOG, SCHEMA, TABLE and VIEW, ALTER TABLE, ALTER VIEW AS,
// USE, SHOW, DESCRIBE [DETAIL], GRANT, REVOKE) are parsed into the AST
// types of this package and carried out by the engine against its own Unity
// Catalog model; the query of CREATE TABLE ... AS and of a view is
// translated like a *Query. Queries and DML (SELECT, WITH, VALUES,
// FROM-first, INSERT, UPDATE, DELETE, MERGE INTO, EXPLAIN) are returned as
// a *Query whose SQL is the statement rewritten for DuckDB (MERGE's Spark
// star forms UPDATE SET * and INSERT * become DuckDB's BY NAME forms).
//
// Lakeflow Declarative Pipelines statements (CREATE OR REFRESH STREAMING
// TABLE, MATERIALIZED VIEW and the legacy LIVE forms; ParseDataset also
// reads a pipeline source's CREATE [TEMPORARY] VIEW) are parsed into a
// *CreateDataset: its expectations, and the relations its query reads
// (STREAM(x), LIVE.x, plain names) in Refs. The pipeline runner resolves
// each reference to the rows a flow must read and TranslateQuery splices
// them into the translated query. event_log(...) in FROM is replaced by
// the relation TranslateOptions.EventLog returns.
//
// The conditions of CHECK constraints and column DEFAULTs are parsed into
// an expression AST (ParseExpr, check_expr.go) limited to what the engine
// evaluates the same way on ingest (package engine/rowcheck) and in DuckDB;
// anything else fails with ErrUnsupported naming the construct.
//
// The rewrite is token-level on purpose: it changes only what Databricks and
// DuckDB spell differently (backtick identifiers, double-quoted strings,
// backslash escapes, adjacent literal chaining, numeric suffixes such as
// 10L, three-part names whose catalog DuckDB stores under another name, and
// :name parameter markers) and keeps everything else as typed, so DuckDB's
// own error messages still point at what the learner wrote. Comments are
// dropped and surrounding whitespace and a trailing semicolon are trimmed.
//
// The Spark SQL that learners and Databricks' own dashboards write is
// rewritten the same way (translate_*.go): Spark functions DuckDB lacks or
// spells differently (SIZE, UNIX_TIMESTAMP, DATEADD, DATE_FORMAT,
// collect_list, named_struct, ... — the table is funcRewrites), LATERAL
// VIEW EXPLODE as a lateral join, INTERVAL forms DuckDB does not read,
// typed literals and cast types with zbemu's type mapping (TIMESTAMP is
// TIMESTAMPTZ, VARIANT is JSON, ARRAY<T> is T[]), VARIANT paths v:a.b[0]
// as json_extract, 0-based array subscripts as 1-based, <=>, ^, DIV and
// RLIKE. Where Spark's answer depends on a type only DuckDB knows
// (element_at of an array or a map, a cast of a DECIMAL or a string to
// INT, typeof), the translation asks DuckDB's typeof (translate_ansi.go). Without types, two guesses are made and documented where they
// are: SIZE of anything not built by a map function is an array's, and a
// subscript that is not a string literal is an array index. A Spark
// function zbemu cannot express fails with an ErrUnsupported error naming
// it (json_tuple, inline, date patterns with letters strftime lacks).
//
// Invariants:
//   - The package is pure: no I/O, no global mutable state, standard
//     library only. Every function is safe for concurrent use.
//   - Nothing is silently accepted. Databricks syntax that zbemu recognises
//     but does not implement fails with an error wrapping ErrUnsupported
//     that names the construct; malformed input fails with an error
//     wrapping ErrSyntax that gives the line, column and what was expected.
//   - What is a string and what is code is decided the same way as
//     DuckDB decides it: string forms DuckDB reads but Databricks does not
//     (E'..', U&'..', B'..', $$..$$ and $tag$..$tag$, any other $) and NUL
//     characters are syntax errors, a translated string literal never
//     directly follows a word, and line comments end at \r or \n. So one
//     statement translates to one DuckDB statement (engine's
//     FuzzOneStatement checks this against DuckDB's parser).
//   - Parse never panics, whatever the input (FuzzParse checks this).
//   - Names are kept as written (case preserved, quotes removed); resolving
//     them against the current catalog and schema is the engine's job.
//   - Column types are kept as raw text (ColumnDef.TypeText); interpreting
//     them is the job of package schema.
package dialect
