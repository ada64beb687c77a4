// Package ingestlog is the append-only log that makes ingested records
// durable before they are acknowledged.
//
// The log is a series of segment files in one directory, each named after
// the index of its first entry (%020d.seg). The caller appends a
// group-commit batch of frames with Append: each payload was built inside
// a frame of its own (NewFrame keeps room for the header), Append fills in
// the headers in place, writes the whole batch from those buffers with one
// pwritev (no copy in user space) and makes it durable with one fdatasync
// (unless Options.NoSync). Nothing of a segment is kept in
// memory: a Go slice grown to segment size is what stalled the previous
// log's writer for 50–250 ms while the kernel touched fresh pages.
//
// Frame (every frame starts at a multiple of 8 bytes):
//
//	u32 size | flags   payload length; bit 31 first of its batch, bit 30 last
//	u32 crc32c         Castagnoli, over the index and the payload
//	u64 index          global entry index
//	payload, zero padded to a multiple of 8
//
// Invariants:
//
//   - Indexes are contiguous and only grow, across segments, restarts and
//     the deletion of applied segments: the newest segment is never deleted
//     and its name carries the next index.
//   - A segment is preallocated (fallocate, or ftruncate where the file
//     system cannot) or recycled from an applied one, so a write only
//     overwrites allocated blocks. The first segment of a fresh log is
//     created empty and preallocated by the first Append, so that Open
//     needs no free space and a full disk only fails appends. Both leave bytes behind the last frame
//     that are not a valid frame: zeros read as index 0, a recycled file's
//     old frames carry indexes below the segment's first, and the index is
//     inside the CRC. So the end of the log is simply the first frame that
//     does not validate with the next expected index.
//   - Only whole batches count. A batch is synced before the next one is
//     written, so only the newest batch can be torn by a crash; it was never
//     acknowledged. Open truncates the newest segment after its last whole
//     batch and preallocates it again, so the torn bytes read as zeros and
//     cannot pass for entries appended later under the same indexes.
//   - Damage followed by the start of a later batch is not a torn tail (that
//     batch could only have been written after the damaged one was synced):
//     Open fails with ErrCorrupt instead of dropping acknowledged entries.
//     Damage to the header of the very last batch cannot be told from a torn
//     write and is cut like one. With NoSync and a machine crash (not a
//     process crash) several unsynced batches may be torn and Open may then
//     report ErrCorrupt.
//   - A write or sync failure is sticky: after it Append always fails until
//     Recover succeeds, since after a failed fsync the kernel may have
//     dropped the dirty pages (https://wiki.postgresql.org/wiki/Fsync_Errors)
//     and the file's bytes after the last whole batch are unknown. A failed
//     Append never advances LastIndex. Recover treats the failed batch like
//     a torn one: it truncates the newest segment after its last whole
//     batch, preallocates it again, syncs it through a new descriptor and
//     reads it back, so the failed batch can neither come back at the next
//     Open nor pass for entries appended later under the same indexes. A
//     segment file whose start failed is removed, so its name is free again.
//
// A Log is used by one writer at a time; Read runs before appends start
// (replay) and must not overlap DropApplied.
package ingestlog
