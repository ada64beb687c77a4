// Package schema is zbemu's model of Databricks column types and the
// contract between a table and the records sent to it.
//
// It parses Databricks type text (STRUCT<a: INT, b: ARRAY<STRING>>), maps each
// type three ways — to DuckDB storage types, to the JSON encoding Zerobus
// accepts and to the protobuf encoding of the official SDKs — and compiles,
// once per table version, single-pass decoders that turn a JSON or protobuf
// record straight into values ready for the DuckDB appender. The JSON Schema
// it publishes for a table is the reference that explains rejected records.
//
// Invariants: schema is a leaf package. It does no I/O, keeps no global
// state and imports no other zbemu package; decoders are safe for concurrent
// use once built. Every rejection is a *RecordError that names the column
// path, the expected type and what was received.
package schema
