// Package flight serves Zerobus' Arrow streams: Arrow Flight DoPut
// (https://arrow.apache.org/docs/format/Flight.html), as the official
// SDKs' createArrowStream speaks it
// (https://docs.databricks.com/aws/en/ingestion/zerobus-arrow-flight).
//
// The protocol: the call carries the same metadata as a Zerobus gRPC
// stream (authorization: Bearer, x-databricks-zerobus-table-name); the
// first FlightData is the IPC schema message, without a descriptor; the
// server checks the token, MODIFY on the table and the schema, then
// answers with the READY PutResult {"ack_up_to_offset":-1,
// "ack_up_to_records":0}. Each further FlightData is one record batch with
// app_metadata {"offset_id":N}, N = 0, 1, 2, ... on the call; acks are
// PutResults {"ack_up_to_offset":N,"ack_up_to_records":R} where R counts
// the durable rows of the call (the SDK completes batches by R). A
// client's half-close is answered with the last acks and status OK.
//
// Invariants: a batch is acknowledged only once the engine has made it
// durable in the ingest log (engine.Stream.SubmitArrow), the same log and
// materialiser as the other formats; a refused schema or batch fails the
// call with a status the SDK does not retry, after acknowledging what was
// durable before. The package depends on engine only; package web
// registers it on its gRPC server with its error table (Options.Status).
//
// Concurrency: each call has its receive loop and one goroutine that sends
// acks; Send is called by one goroutine at a time (the READY result before
// the ack goroutine starts, the final ack after it stops).
package flight
