package vfs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

func fdatasync(f *os.File) error { return unix.Fdatasync(int(f.Fd())) }

// zeroRange zeroes [off, off+n) and keeps its blocks allocated, so that a
// later write through the mapping never needs a block the disk may not have
// (a page fault that cannot allocate is a SIGBUS, which kills the process).
// File systems without FALLOC_FL_ZERO_RANGE punch a hole instead.
func zeroRange(f *os.File, off, n int64) error {
	err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_ZERO_RANGE|unix.FALLOC_FL_KEEP_SIZE, off, n)
	if err == nil || !unsupported(err) {
		return err
	}
	return unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, off, n)
}

// preallocate sizes the new, empty file f to size bytes with its blocks
// reserved (fallocate), so that running out of disk space shows up here, as
// an error wrapping ErrNoSpace, and not later as a SIGBUS on a write
// through the mapping. On tmpfs, where reserving would take the memory at
// once, and on file systems without fallocate, the file is only truncated
// to size (sparse), as before.
func preallocate(f *os.File, size int64) error {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &st); err == nil && st.Type == unix.TMPFS_MAGIC {
		return f.Truncate(size)
	}
	return fallocated(f, size, unix.Fallocate(int(f.Fd()), 0, 0, size))
}

// fallocated turns the result err of reserving size bytes for f into
// preallocate's: out of space is ErrNoSpace, a file system without
// fallocate falls back to a sparse file.
func fallocated(f *os.File, size int64, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOSPC), errors.Is(err, unix.EDQUOT):
		return noSpace(f.Name(), size, err)
	case unsupported(err):
		return f.Truncate(size)
	default:
		return err
	}
}

// unsupported reports whether err says the file system lacks an fallocate
// mode.
func unsupported(err error) bool {
	return errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL)
}

func populate(b []byte) error {
	err := unix.Madvise(b, unix.MADV_POPULATE_WRITE)
	if err == unix.EINVAL {
		return nil // kernel before 5.14
	}
	return err
}
