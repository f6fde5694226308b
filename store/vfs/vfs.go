package vfs

import (
	"errors"
	"fmt"
	"io"
)

// FS is a file system of fixed-size mapped files. Names are slash-separated
// paths as built by path/filepath.Join on the host.
type FS interface {
	// Create creates a new file of exactly size bytes, all zero, and maps
	// it. It fails if the file exists. The new name is durable only after
	// SyncDir of its directory.
	Create(name string, size int64) (File, error)
	// Open maps an existing file with its current size.
	Open(name string) (File, error)
	// Remove deletes a file. Mappings of it stay valid until closed.
	Remove(name string) error
	// RemoveAll deletes a directory tree; a missing one is not an error.
	RemoveAll(dir string) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(dir string) error
	// List returns the sorted names (not paths) of the entries of dir; a
	// missing directory gives an empty list.
	List(dir string) ([]string, error)
	// Exists reports whether name exists.
	Exists(name string) bool
	// SyncDir makes creations and removals in dir durable.
	SyncDir(dir string) error
	// Lock takes an exclusive lock on name (created if missing) so that two
	// stores cannot share a directory; Close releases it.
	Lock(name string) (io.Closer, error)
	// DiskUsage returns the used and total bytes of the file system that
	// holds dir.
	DiskUsage(dir string) (used, total uint64, err error)
}

// File is a mapped file.
type File interface {
	// Data returns the mapped contents, Size bytes long. Writes to it are
	// visible to every reader of the same file at once and become durable
	// only when a Sync covers them. The slice is invalid after Close.
	Data() []byte
	// Size returns the file's size.
	Size() int64
	// WriteAt writes b at off with write(2) rather than through the
	// mapping; the mapping shows the bytes at once (one page cache).
	WriteAt(b []byte, off int64) (int, error)
	// Sync makes bytes [off, off+n) durable; an implementation may sync
	// more, and should not (see the OS implementation).
	Sync(off, n int64) error
	// Zero sets bytes [off, off+n) to zero and may release their storage
	// (the OS implementation punches a hole). Like writes, it is durable
	// after a Sync covering the range.
	Zero(off, n int64) error
	// Populate makes the pages of [off, off+n) present and writable in
	// the mapping without changing their contents, so that later writes
	// take no page faults. It is only a hint: implementations may do
	// nothing.
	Populate(off, n int64) error
	// Close unmaps the file. Data must not be used afterwards.
	Close() error
}

// ErrExist is returned by Create when the file exists.
var ErrExist = errors.New("vfs: file exists")

// ErrNotExist is returned by Open and Remove when the file does not exist.
var ErrNotExist = errors.New("vfs: file does not exist")

// ErrLocked is returned by Lock when the lock is held.
var ErrLocked = errors.New("vfs: locked by another user")

// ErrNoSpace is returned (wrapped) by Create when the file system has no
// room for the new file's blocks.
var ErrNoSpace = errors.New("vfs: no space left on device")

// noSpace wraps cause (an errno) so that callers can test for ErrNoSpace
// and still see the system's error.
func noSpace(name string, size int64, cause error) error {
	return fmt.Errorf("%w: reserving %d bytes for %s: %w", ErrNoSpace, size, name, cause)
}
