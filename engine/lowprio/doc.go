// Package lowprio runs background work on OS threads of their own at a
// lower CPU priority (a higher nice value) than the rest of the process.
//
// Why: zbemu acknowledges a Zerobus request once its records are durable
// in the ingest log; everything after that — applying the records to
// DuckDB (appends, commits and the checkpoints DuckDB runs inside a
// commit), pipeline updates, system table writes — is background work that
// nobody waits for with a deadline. On a machine with few cores that work
// competes with the ack path (gRPC and HTTP handlers, the log writer) for
// the same CPUs, and the kernel shares them fairly: a handler woken by a
// request waits behind a DuckDB commit that has run for less than its
// share. Giving the background threads a higher nice value makes the
// kernel prefer the ack path whenever both are runnable and hand the
// background work every cycle the ack path leaves idle, so the work still
// gets done at full speed on an idle core
// (https://man7.org/linux/man-pages/man7/sched.7.html, "The nice value").
//
// How: DuckDB runs a statement, an appender flush and a checkpoint on the
// thread that calls it (zbemu runs DuckDB with threads = 1 on 2 cores, so
// it has no worker threads that could run them elsewhere), and cgo calls
// run on the calling goroutine's OS thread. Go starts the work on a
// goroutine that locks itself to its OS thread (runtime.LockOSThread) and
// raises that thread's nice value with setpriority(PRIO_PROCESS, tid),
// which on Linux applies to one thread
// (https://man7.org/linux/man-pages/man2/setpriority.2.html, "BUGS").
//
// Invariants:
//   - The goroutine never unlocks its thread: an unprivileged process may
//     raise a nice value but not lower it back, so the thread must never
//     run other goroutines. When the goroutine returns while locked, the
//     Go runtime terminates the thread instead of reusing it
//     (https://pkg.go.dev/runtime#LockOSThread).
//   - Threads the Go runtime starts later do not inherit the nice value: a
//     locked thread asks the runtime's template thread to create new ones
//     (https://go.dev/src/runtime/proc.go, newm). Threads a C library
//     creates from a background thread do inherit it, which is what we
//     want for work it spawns on our behalf.
//   - Nice 0 (or a platform without per-thread nice values) runs the work
//     on an ordinary goroutine: the off switch costs nothing.
//
// What it does not do: a background goroutine still holds one of the Go
// scheduler's Ps while it runs Go code; the kernel priority only decides
// which runnable thread gets a CPU.
package lowprio
