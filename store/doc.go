// Package store is Saturn's message store, built on RocketMQ's design: one
// append-only commit log for all topics, a small consume queue per topic and
// queue that points into it, and a hash index by message key.
//
// Commit log. Segments of Config.SegmentSize bytes named by their start
// offset (20 decimal digits) hold stored records (message.AppendStored
// layout) back to back; a record never spans two segments, the unused end of
// a segment starts with an 8-byte blank marker. Put and PutBatch take one
// lock, assign the physical offset, the queue offset and the store
// timestamp, copy the pre-encoded record into the mapped segment and publish
// the new write position. Readers only read below the published position.
//
// Flushing. In AsyncFlush a background flusher syncs dirty data every
// FlushInterval. In SyncFlush an append returns after a sync covered it;
// concurrent appends share syncs (group commit).
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
// pull's worth of messages costs little next to the rest of a pull.
//
// File access goes through the small interface of package vfs, so that tests
// can run on an in-memory file system that simulates power loss.
package store
