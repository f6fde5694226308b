package vfs

import (
	"fmt"
	"io"
	"math/rand/v2"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Op names an operation of MemFS for fault injection.
type Op string

// Operations that MemFS.SetFault can make fail.
const (
	OpCreate  Op = "create"
	OpOpen    Op = "open"
	OpRemove  Op = "remove"
	OpSync    Op = "sync"
	OpZero    Op = "zero"
	OpWrite   Op = "write"
	OpSyncDir Op = "syncdir"
)

// MemFS is an in-memory FS that keeps, beside what was written, what was
// made durable: file contents covered by Sync and names covered by SyncDir.
// Crash returns the file system a restarted process would find. It is safe
// for concurrent use, except that Crash must not run while a user writes to
// mapped data (that would be a data race in the test, not a crash).
type MemFS struct {
	mu      sync.Mutex
	live    map[string]*memFile // names as they are now
	durable map[string]*memFile // names as they would survive a power loss
	dirs    map[string]bool
	locks   map[string]bool
	fault   func(op Op, name string) error
	total   uint64
}

type memFile struct {
	mu   sync.Mutex // guards synced
	data []byte     // what was written (the page cache)
	// synced is what reached the disk; nil means all zero.
	synced []byte
}

// NewMemFS returns an empty MemFS with a capacity of 1 TiB for DiskUsage.
func NewMemFS() *MemFS {
	return &MemFS{
		live:    map[string]*memFile{},
		durable: map[string]*memFile{},
		dirs:    map[string]bool{},
		locks:   map[string]bool{},
		total:   1 << 40,
	}
}

var _ FS = (*MemFS)(nil)

// SetFault installs f, called before each operation of the kinds in Op; a
// non-nil result fails the operation with that error. nil removes it.
func (m *MemFS) SetFault(f func(op Op, name string) error) {
	m.mu.Lock()
	m.fault = f
	m.mu.Unlock()
}

// SetCapacity sets the total bytes DiskUsage reports; used bytes are the
// sum of the sizes of the live files.
func (m *MemFS) SetCapacity(total uint64) {
	m.mu.Lock()
	m.total = total
	m.mu.Unlock()
}

func (m *MemFS) check(op Op, name string) error {
	m.mu.Lock()
	f := m.fault
	m.mu.Unlock()
	if f != nil {
		if err := f(op, name); err != nil {
			return fmt.Errorf("vfs: %s %s: %w", op, name, err)
		}
	}
	return nil
}

func clean(name string) string { return filepath.ToSlash(filepath.Clean(name)) }

// Create implements FS.
func (m *MemFS) Create(name string, size int64) (File, error) {
	if err := m.check(OpCreate, name); err != nil {
		return nil, err
	}
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live[name]; ok {
		return nil, fmt.Errorf("%w: %s", ErrExist, name)
	}
	if !m.dirs[path.Dir(name)] {
		return nil, fmt.Errorf("vfs: create %s: no directory", name)
	}
	f := &memFile{data: make([]byte, size)}
	m.live[name] = f
	return &memHandle{f: f, name: name, fs: m}, nil
}

// Open implements FS.
func (m *MemFS) Open(name string) (File, error) {
	if err := m.check(OpOpen, name); err != nil {
		return nil, err
	}
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	f, ok := m.live[name]
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotExist, name)
	}
	return &memHandle{f: f, name: name, fs: m}, nil
}

// Remove implements FS.
func (m *MemFS) Remove(name string) error {
	if err := m.check(OpRemove, name); err != nil {
		return err
	}
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.live[name]; !ok {
		return fmt.Errorf("%w: %s", ErrNotExist, name)
	}
	delete(m.live, name)
	return nil
}

// RemoveAll implements FS. Like Remove, it is durable after SyncDir of the
// parent directory.
func (m *MemFS) RemoveAll(dir string) error {
	if err := m.check(OpRemove, dir); err != nil {
		return err
	}
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	for n := range m.live {
		if strings.HasPrefix(n, dir+"/") {
			delete(m.live, n)
		}
	}
	for d := range m.dirs {
		if d == dir || strings.HasPrefix(d, dir+"/") {
			delete(m.dirs, d)
		}
	}
	return nil
}

// MkdirAll implements FS. Directories are always durable.
func (m *MemFS) MkdirAll(dir string) error {
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := dir; ; d = path.Dir(d) {
		m.dirs[d] = true
		if d == "/" || d == "." {
			break
		}
	}
	return nil
}

// List implements FS.
func (m *MemFS) List(dir string) ([]string, error) {
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	seen := map[string]bool{}
	add := func(p string) {
		if path.Dir(p) == dir && !seen[path.Base(p)] {
			seen[path.Base(p)] = true
			names = append(names, path.Base(p))
		}
	}
	for n := range m.live {
		add(n)
	}
	for d := range m.dirs {
		add(d)
	}
	slices.Sort(names)
	return names, nil
}

// Exists implements FS.
func (m *MemFS) Exists(name string) bool {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.live[name]
	return ok || m.dirs[name]
}

// SyncDir implements FS: the names in dir become durable as they are now.
func (m *MemFS) SyncDir(dir string) error {
	if err := m.check(OpSyncDir, dir); err != nil {
		return err
	}
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	for n := range m.durable {
		if path.Dir(n) == dir {
			if _, ok := m.live[n]; !ok {
				delete(m.durable, n)
			}
		}
	}
	for n, f := range m.live {
		if path.Dir(n) == dir {
			m.durable[n] = f
		}
	}
	return nil
}

type memLock struct {
	m    *MemFS
	name string
}

func (l memLock) Close() error {
	l.m.mu.Lock()
	delete(l.m.locks, l.name)
	l.m.mu.Unlock()
	return nil
}

// Lock implements FS.
func (m *MemFS) Lock(name string) (io.Closer, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locks[name] {
		return nil, fmt.Errorf("%w: %s", ErrLocked, name)
	}
	m.locks[name] = true
	return memLock{m, name}, nil
}

// DiskUsage implements FS.
func (m *MemFS) DiskUsage(string) (used, total uint64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, f := range m.live {
		used += uint64(len(f.data))
	}
	return used, m.total, nil
}

// CrashMode says what a crash keeps.
type CrashMode int

const (
	// ProcessCrash keeps everything written: the page cache survives the
	// death of a process.
	ProcessCrash CrashMode = iota
	// PowerLoss keeps only what was synced, and only durable names.
	PowerLoss
	// PowerLossWriteback is PowerLoss where, in addition, each 4 KiB page
	// written but not synced may have reached the disk anyway (chosen at
	// random), as the kernel's write-back may do before the power goes.
	PowerLossWriteback
)

// PageSize is the unit of random write-back in PowerLossWriteback.
const PageSize = 4096

// Crash returns a new MemFS holding what a process restarted after the given
// kind of crash would find. The receiver is unchanged and may go on being
// used by the crashed store until it is closed. rng chooses the pages of
// PowerLossWriteback and may be nil for the other modes.
func (m *MemFS) Crash(mode CrashMode, rng *rand.Rand) *MemFS {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := NewMemFS()
	n.total = m.total
	for d := range m.dirs {
		n.dirs[d] = true
	}
	src := m.live
	if mode != ProcessCrash {
		src = m.durable
	}
	for name, f := range src {
		var data []byte
		f.mu.Lock()
		switch mode {
		case ProcessCrash:
			data = slices.Clone(f.data)
		default:
			data = make([]byte, len(f.data))
			if f.synced != nil {
				copy(data, f.synced)
			}
			if mode == PowerLossWriteback {
				for off := 0; off < len(data); off += PageSize {
					end := min(off+PageSize, len(data))
					if rng.IntN(2) == 0 {
						copy(data[off:end], f.data[off:end])
					}
				}
			}
		}
		f.mu.Unlock()
		nf := &memFile{data: data, synced: slices.Clone(data)}
		n.live[name] = nf
		n.durable[name] = nf
	}
	return n
}

type memHandle struct {
	f      *memFile
	name   string
	fs     *MemFS
	closed bool
}

func (h *memHandle) Data() []byte { return h.f.data }
func (h *memHandle) Size() int64  { return int64(len(h.f.data)) }

func (h *memHandle) rangeCheck(op string, off, n int64) error {
	if off < 0 || n < 0 || off+n > int64(len(h.f.data)) {
		return fmt.Errorf("vfs: %s [%d,+%d) outside %s of %d bytes", op, off, n, h.name, len(h.f.data))
	}
	return nil
}

// WriteAt copies b into the contents. It holds the file's lock, as Sync
// does: a write may overlap a sync in progress, as on a real file.
func (h *memHandle) WriteAt(b []byte, off int64) (int, error) {
	if err := h.fs.check(OpWrite, h.name); err != nil {
		return 0, err
	}
	if err := h.rangeCheck("write", off, int64(len(b))); err != nil {
		return 0, err
	}
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	return copy(h.f.data[off:], b), nil
}

// Sync copies the range into the durable contents.
func (h *memHandle) Sync(off, n int64) error {
	if err := h.fs.check(OpSync, h.name); err != nil {
		return err
	}
	if err := h.rangeCheck("sync", off, n); err != nil {
		return err
	}
	h.f.mu.Lock()
	defer h.f.mu.Unlock()
	if h.f.synced == nil {
		h.f.synced = make([]byte, len(h.f.data))
	}
	copy(h.f.synced[off:off+n], h.f.data[off:off+n])
	return nil
}

func (h *memHandle) Zero(off, n int64) error {
	if err := h.fs.check(OpZero, h.name); err != nil {
		return err
	}
	if err := h.rangeCheck("zero", off, n); err != nil {
		return err
	}
	clear(h.f.data[off : off+n])
	return nil
}

// Populate does nothing: memory is memory.
func (h *memHandle) Populate(off, n int64) error { return h.rangeCheck("populate", off, n) }

func (h *memHandle) Close() error {
	if h.closed {
		return fmt.Errorf("vfs: %s closed twice", h.name)
	}
	h.closed = true
	return nil
}
