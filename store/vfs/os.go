package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"
)

// OS is the FS of the operating system: files are mapped with mmap
// (MAP_SHARED), synced with fdatasync and zeroed by punching holes.
type OS struct{}

var _ FS = OS{}

type osFile struct {
	f    *os.File
	data []byte
	size int64
}

func (OS) mapFile(f *os.File, size int64) (*osFile, error) {
	of := &osFile{f: f, size: size}
	if size == 0 {
		return of, nil
	}
	data, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("vfs: mmap %s: %w", f.Name(), err)
	}
	of.data = data
	return of, nil
}

// Create implements FS. The file is made under a temporary name, sized,
// and renamed into place, so that a crash never leaves a file of the
// wrong size under the real name. On Linux its blocks are reserved
// (fallocate): a full disk fails Create with ErrNoSpace instead of killing
// the process with SIGBUS on a later write through the mapping.
func (o OS) Create(name string, size int64) (File, error) {
	if _, err := os.Lstat(name); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExist, name)
	}
	tmp := name + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := preallocate(f, size); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, name); err != nil {
		f.Close()
		os.Remove(tmp)
		return nil, err
	}
	of, err := o.mapFile(f, size)
	if err != nil {
		f.Close()
		os.Remove(name)
		return nil, err
	}
	return of, nil
}

// Open implements FS.
func (o OS) Open(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotExist, name)
		}
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	of, err := o.mapFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	return of, nil
}

// Remove implements FS.
func (OS) Remove(name string) error {
	err := os.Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s", ErrNotExist, name)
	}
	return err
}

// RemoveAll implements FS.
func (OS) RemoveAll(dir string) error { return os.RemoveAll(dir) }

// MkdirAll implements FS.
func (OS) MkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }

// List implements FS.
func (OS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	slices.Sort(names)
	return names, nil
}

// Exists implements FS.
func (OS) Exists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

// SyncDir implements FS.
func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type osLock struct{ f *os.File }

func (l osLock) Close() error {
	unix.Flock(int(l.f.Fd()), unix.LOCK_UN)
	return l.f.Close()
}

// Lock implements FS with flock(LOCK_EX|LOCK_NB).
func (OS) Lock(name string) (io.Closer, error) {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, name)
		}
		return nil, err
	}
	return osLock{f}, nil
}

// DiskUsage implements FS with statfs, as df counts: total is what is used
// plus what is still available to this (unprivileged) process, so blocks
// reserved for root or held back by a quota count as unavailable. Counting
// from the raw block total instead once reported 13% used on a volume with
// no space left for us.
func (OS) DiskUsage(dir string) (used, total uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, 0, err
	}
	bs := uint64(st.Bsize)
	used = (st.Blocks - min(st.Bfree, st.Blocks)) * bs
	return used, used + st.Bavail*bs, nil
}

func (f *osFile) Data() []byte { return f.data }

func (f *osFile) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(b)) > f.size {
		return 0, fmt.Errorf("vfs: write [%d,+%d) outside %s of %d bytes", off, len(b), f.f.Name(), f.size)
	}
	return f.f.WriteAt(b, off)
}
func (f *osFile) Size() int64 { return f.size }

// Sync uses msync(MS_SYNC) on the range: on Linux it writes back the
// dirty pages of the range only and then syncs like fdatasync (journal and
// disk cache included). Syncing only the range matters for mapped logs:
// pages populated ahead of the write position stay dirty, so appends into
// them take no write-protect faults. A file without mapping (size 0) uses
// fdatasync.
func (f *osFile) Sync(off, n int64) error {
	var err error
	if f.data == nil || n <= 0 {
		err = fdatasync(f.f)
	} else {
		lo := off &^ (PageSize - 1)
		hi := min(off+n, f.size)
		err = unix.Msync(f.data[lo:hi], unix.MS_SYNC)
	}
	if err != nil {
		return fmt.Errorf("vfs: sync %s: %w", f.f.Name(), err)
	}
	return nil
}

// Zero punches a hole; if the file system cannot, it writes zeros through
// the mapping.
func (f *osFile) Zero(off, n int64) error {
	if n <= 0 {
		return nil
	}
	if off < 0 || off+n > f.size {
		return fmt.Errorf("vfs: zero [%d,+%d) outside %s of %d bytes", off, n, f.f.Name(), f.size)
	}
	if err := zeroRange(f.f, off, n); err != nil {
		clear(f.data[off : off+n])
	}
	return nil
}

// Populate uses madvise(MADV_POPULATE_WRITE) (Linux 5.14+); elsewhere it
// does nothing.
func (f *osFile) Populate(off, n int64) error {
	if f.data == nil || n <= 0 {
		return nil
	}
	lo := off &^ (PageSize - 1)
	hi := min(off+n, f.size)
	if lo >= hi {
		return nil
	}
	return populate(f.data[lo:hi])
}

func (f *osFile) Close() error {
	var err error
	if f.data != nil {
		err = unix.Munmap(f.data)
		f.data = nil
	}
	if cerr := f.f.Close(); err == nil {
		err = cerr
	}
	return err
}
