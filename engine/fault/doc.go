// Package fault keeps the failures zbemu injects on purpose, so that
// learners and tests can practise what a client does when Zerobus throttles
// it (429 / RESOURCE_EXHAUSTED), is unavailable (503 / UNAVAILABLE), acks
// slowly, rotates a stream (CloseStreamSignal) or times it out (the real
// service's "Stream timeout reached ... Error Code: 6002").
//
// A Set holds the active faults. Each targets one table, one stream or
// every ingest request, and is triggered for a duration, for a number of
// hits or with a probability (or until it is cleared). The ingest surfaces
// (package web) ask Check at their hook points: stream creation and every
// ingest request (rate-limit, unavailable, close, timeout) and every ack
// (latency). With no faults set Check is one atomic load, so the ingest
// path costs the same as without this package.
//
// Invariants: faults live in memory only; a restart clears them. A fault
// never touches stored data: the surfaces refuse a request before it is
// submitted, and acknowledge what was durable before they end a stream.
//
// Concurrency: Set is safe for concurrent use; mu guards the list.
package fault
