// Package store is Saturn's message store, built on RocketMQ's design: one
// append-only commit log for all topics, a small consume queue per topic and
// queue that points into it, and a hash index by message key.
//
// Commit log. Segments of Config.SegmentSize bytes named by their start
// offset (20 decimal digits) hold stored records (message.AppendStored
// layout) back to back; a record never spans two segments, the unused end of
// a segment starts with an 8-byte blank marker. Put and PutBatch take one
// lock, assign the physical offset, the queue offset and the store
// timestamp, put the pre-encoded record into the segment (see Flushing) and
// publish the new write position. Readers only read below the published position.
//
// Flushing. In AsyncFlush small appends copy into the mapped segment (a
// background goroutine writes zeros over the pages ahead of the write
// position, so that appends find them in the page cache), appends of 16 KiB and more
// (batches) write their records with one write(2), which brings pages into
// the page cache far more cheaply; a flusher syncs the written range every
// FlushInterval. In SyncFlush appends copy into a staging buffer; the
// group-commit flusher writes it with one write(2), syncs it and only then
// publishes it, and completes every append waiting for that sync. Once the
// stage holds 16 KiB, the append that finds it so writes it itself,
// outside the append lock, so that the flusher's write before a sync
// covers only the rest. Concurrent appends thus share syncs, and readers
// never see a record that is not yet durable. In both modes the same
// background goroutine first writes zeros ahead of the appends, a MiB at a
// time (and in SyncFlush syncs them), so that appends land in blocks the
// file system already counts as written (see Config.WarmAhead). PutAsync
// and PutBatchAsync register a
// callback instead of waiting, so that a caller (the broker's send handler)
// need not hold a goroutine per message in flight; Put and PutBatch wait
// for that callback.
//
// Dispatch. One goroutine follows the commit log in order and writes the
// consume queue entries (20 bytes: physical offset, size, tags code) and
// index entries of each record, then calls the OnArrival callbacks. A
// message is thus readable by Get shortly after its Put returns, not at
// once.
//
// Recovery. A checkpoint file records how far the commit log was synced and
// how far consume queues and index were synced. Open scans the commit log
// from there, verifies each record (size, magic, layout, body CRC, and that
// its physical offset field names its position), cuts the log at the first
// bad record, zeroes what lies behind it, and rebuilds consume queue and
// index entries for the scanned part. The abort marker tells whether the
// last run ended cleanly. If recovery finds the consume queues inconsistent
// with the log, it rebuilds them from the whole log.
//
// Lifetime of returned bytes. Every []byte the store returns is a copy:
// retention and TruncateTo may unmap segments at any time, and copying a
// pull's worth of messages costs little next to the rest of a pull. Get
// copies into one buffer per call; GetResult.Release hands it back for
// reuse, which removes the allocation from the read path.
//
// File access goes through the small interface of package vfs, so that tests
// can run on an in-memory file system that simulates power loss.
package store
