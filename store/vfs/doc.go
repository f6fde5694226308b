// Package vfs is the small file-system interface the store keeps its files
// behind: fixed-size files whose contents are mapped into memory, written in
// place and made durable by range. It has two implementations: OS, backed by
// memory-mapped files, and MemFS, an in-memory file system that remembers
// what was synced separately from what was written, so tests can simulate a
// process crash, a power loss (with or without random write-back of unsynced
// pages) and I/O errors.
package vfs
