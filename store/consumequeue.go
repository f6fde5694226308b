package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/saturnmq/saturn/store/vfs"
)

// cqEntrySize is the size of a consume-queue entry: int64 physical offset,
// int32 size, int64 tags code.
const cqEntrySize = 20

// fillerSize marks a filler entry (0, MaxInt32, 0): upstream writes these
// before the first entry of a queue that starts inside a file.
const fillerSize = math.MaxInt32

type cqEntry struct {
	phys int64
	size int32
	tags int64
}

func (e cqEntry) filler() bool { return e.size == fillerSize }
func (e cqEntry) valid() bool  { return e.size > 0 && e.phys >= 0 }

func readEntry(b []byte) cqEntry {
	return cqEntry{
		phys: int64(binary.BigEndian.Uint64(b)),
		size: int32(binary.BigEndian.Uint32(b[8:])),
		tags: int64(binary.BigEndian.Uint64(b[12:])),
	}
}

func putEntry(b []byte, e cqEntry) {
	binary.BigEndian.PutUint64(b, uint64(e.phys))
	binary.BigEndian.PutUint32(b[8:], uint32(e.size))
	binary.BigEndian.PutUint64(b[12:], uint64(e.tags))
}

type cqFile struct {
	base int64 // logical offset of the file's first entry
	name string
	file vfs.File
	data []byte
}

// consumeQueue is the index of one (topic, queue): entry n, at byte n*20
// of the logical queue, points at the record with queue offset n.
//
// Invariants:
//   - files is contiguous: files[i].base == files[0].base + i*perFile, and
//     every base is a multiple of perFile.
//   - Entries [minOffset, maxOffset) are written and immutable until
//     truncation; entries are written only by the dispatcher (or recovery
//     and TruncateTo, which exclude it), then maxOffset is published with
//     an atomic store. Readers load maxOffset first.
//   - Entries are ordered by physical offset.
type consumeQueue struct {
	topic   string
	queueID int32
	dir     string
	fs      vfs.FS
	perFile int64

	// mu guards files: shared by readers, exclusive to add or remove a
	// file. Entry bytes are not guarded by it (see invariants).
	mu    sync.RWMutex
	files []*cqFile

	minOffset atomic.Int64
	maxOffset atomic.Int64

	// dead is set when the queue is deleted or replaced, so that cached
	// pointers to it are dropped.
	dead atomic.Bool

	// flushed is the logical offset below which entries are synced.
	// Guarded by the store's cqFlushMu.
	flushed int64
	// dirDirty is set when a file was created in dir and the directory
	// has not been synced since. The dispatcher creates files; syncing the
	// directory there stalled every queue's delivery for up to a second on
	// a busy disk, so flush syncs it, before the entries it makes durable.
	dirDirty atomic.Bool
}

func newConsumeQueue(cfg *Config, topic string, qid int32) *consumeQueue {
	return &consumeQueue{
		topic:   topic,
		queueID: qid,
		dir:     filepath.Join(cfg.Dir, "consumequeue", topic, fmt.Sprint(qid)),
		fs:      cfg.FS,
		perFile: int64(cfg.ConsumeQueueEntriesPerFile),
	}
}

func (q *consumeQueue) fileBytes() int64 { return q.perFile * cqEntrySize }

// load maps the queue's files and finds its max offset: the first invalid
// entry of the last file. Recovery adjusts it further.
func (q *consumeQueue) load() error {
	names, err := q.fs.List(q.dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		boff, ok := parseOffsetName(n)
		if !ok {
			removeStrayTmp(q.fs, q.dir, n)
			continue
		}
		if boff%q.fileBytes() != 0 {
			return fmt.Errorf("store: consume-queue file %s/%s is not aligned to %d entries", q.dir, n, q.perFile)
		}
		f, err := q.fs.Open(filepath.Join(q.dir, n))
		if err != nil {
			return err
		}
		if f.Size() != q.fileBytes() {
			f.Close()
			return fmt.Errorf("store: consume-queue file %s/%s has %d bytes, want %d", q.dir, n, f.Size(), q.fileBytes())
		}
		cf := &cqFile{base: boff / cqEntrySize, name: filepath.Join(q.dir, n), file: f, data: f.Data()}
		if k := len(q.files); k > 0 && q.files[k-1].base+q.perFile != cf.base {
			// A gap: keep the newer run; entries before the gap cannot
			// be reached in order anyway.
			for _, old := range q.files {
				old.file.Close()
				q.fs.Remove(old.name)
			}
			q.files = q.files[:0]
		}
		q.files = append(q.files, cf)
	}
	if len(q.files) == 0 {
		return nil
	}
	// The max offset follows the last valid entry of the last file that
	// has one: a file created just before a crash may hold nothing.
	max := q.files[0].base
	for i := len(q.files) - 1; i >= 0; i-- {
		f := q.files[i]
		n := int64(0)
		for ; n < q.perFile; n++ {
			if !readEntry(f.data[n*cqEntrySize:]).valid() {
				break
			}
		}
		if n > 0 || i == 0 {
			max = f.base + n
			break
		}
	}
	q.maxOffset.Store(max)
	q.minOffset.Store(q.files[0].base)
	q.flushed = max
	return nil
}

// fileFor returns the file holding logical offset off. Caller holds mu.
func (q *consumeQueue) fileFor(off int64) *cqFile {
	if len(q.files) == 0 || off < q.files[0].base {
		return nil
	}
	i := (off - q.files[0].base) / q.perFile
	if i >= int64(len(q.files)) {
		return nil
	}
	return q.files[i]
}

// entry returns entry off (which must be below maxOffset).
func (q *consumeQueue) entry(off int64) (cqEntry, bool) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	f := q.fileFor(off)
	if f == nil {
		return cqEntry{}, false
	}
	return readEntry(f.data[(off-f.base)*cqEntrySize:]), true
}

// physAt returns the commit-log offset of the message at off (which must
// be below maxOffset); false if its file is gone or the slot is a filler.
func (q *consumeQueue) physAt(off int64) (int64, bool) {
	e, ok := q.entry(off)
	if !ok || e.filler() {
		return 0, false
	}
	return e.phys, true
}

// entries copies up to n entries from off, stopping at maxOffset and at the
// end of off's file. ok is false when the file holding off is missing;
// next is then the start of the following file.
func (q *consumeQueue) entries(dst []cqEntry, off int64, n int) (out []cqEntry, ok bool, next int64) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	max := q.maxOffset.Load()
	f := q.fileFor(off)
	if f == nil {
		if len(q.files) > 0 && off < q.files[0].base {
			return dst, false, q.files[0].base
		}
		return dst, false, off - off%q.perFile + q.perFile
	}
	end := min(max, f.base+q.perFile, off+int64(n))
	for o := off; o < end; o++ {
		dst = append(dst, readEntry(f.data[(o-f.base)*cqEntrySize:]))
	}
	return dst, true, end
}

// put writes the entry for queue offset off. Offsets below maxOffset were
// written already and are skipped (re-dispatch after recovery); a gap above
// it is filled with filler entries so that offsets stay aligned. Called by
// the dispatcher only.
func (q *consumeQueue) put(off int64, e cqEntry) error {
	max := q.maxOffset.Load()
	if off < max {
		return nil
	}
	q.mu.RLock()
	empty := len(q.files) == 0
	q.mu.RUnlock()
	if empty {
		// A queue starts where its first message says, possibly inside
		// a file; the slots before it get fillers.
		max = off - off%q.perFile
		q.minOffset.Store(off)
	}
	for o := max; o <= off; o++ {
		f, err := q.fileForWrite(o)
		if err != nil {
			return err
		}
		ent := e
		if o < off {
			ent = cqEntry{size: fillerSize}
		}
		putEntry(f.data[(o-f.base)*cqEntrySize:], ent)
	}
	q.maxOffset.Store(off + 1)
	return nil
}

// startAt makes an empty queue continue at off: the slots of off's file
// before it get fillers, so that the offset survives a restart.
func (q *consumeQueue) startAt(off int64) error {
	base := off - off%q.perFile
	for o := base; o < off; o++ {
		f, err := q.fileForWrite(o)
		if err != nil {
			return err
		}
		putEntry(f.data[(o-f.base)*cqEntrySize:], cqEntry{size: fillerSize})
	}
	if off == base {
		if _, err := q.fileForWrite(off); err != nil {
			return err
		}
	}
	q.flushed = base
	q.minOffset.Store(off)
	q.maxOffset.Store(off)
	return q.flush()
}

// fileForWrite returns the file for off, creating it (and any missing
// file before it) as needed.
func (q *consumeQueue) fileForWrite(off int64) (*cqFile, error) {
	for {
		q.mu.RLock()
		f := q.fileFor(off)
		var base int64
		if len(q.files) == 0 {
			base = off - off%q.perFile
		} else {
			base = q.files[len(q.files)-1].base + q.perFile
		}
		q.mu.RUnlock()
		if f != nil {
			return f, nil
		}
		if err := q.fs.MkdirAll(q.dir); err != nil {
			return nil, err
		}
		name := filepath.Join(q.dir, offsetName(base*cqEntrySize))
		file, err := q.fs.Create(name, q.fileBytes())
		if err != nil {
			return nil, fmt.Errorf("store: create consume-queue file: %w", err)
		}
		q.dirDirty.Store(true)
		q.mu.Lock()
		q.files = append(q.files, &cqFile{base: base, name: name, file: file, data: file.Data()})
		q.mu.Unlock()
	}
}

// flush syncs entries written since the last flush, and first the
// directory if files were created in it: an entry is durable only once its
// file's name is.
func (q *consumeQueue) flush() error {
	max := q.maxOffset.Load()
	if q.dirDirty.Swap(false) {
		if err := q.fs.SyncDir(q.dir); err != nil {
			q.dirDirty.Store(true)
			return err
		}
	}
	if max <= q.flushed {
		return nil
	}
	q.mu.RLock()
	defer q.mu.RUnlock()
	for _, f := range q.files {
		lo, hi := max64(q.flushed, f.base), min(max, f.base+q.perFile)
		if lo >= hi {
			continue
		}
		if err := f.file.Sync((lo-f.base)*cqEntrySize, (hi-lo)*cqEntrySize); err != nil {
			return err
		}
	}
	q.flushed = max
	return nil
}

func max64(a, b int64) int64 { return max(a, b) }

// searchPhys returns the first offset in [lo, hi) whose entry is invalid
// or points at or after phys (fillers count as before), or hi.
//
// The predicate is monotone even after a power loss: entries of records
// below the checkpoint's dispatched offset are durable and valid, and any
// entry that is not durable is either invalid (lost, or torn in its size)
// or was written for a record after that offset (a tear after the physical
// offset leaves it intact).
func (q *consumeQueue) searchPhys(lo, hi, phys int64) int64 {
	for lo < hi {
		mid := lo + (hi-lo)/2
		e, ok := q.entry(mid)
		if !ok || !e.valid() || (!e.filler() && e.phys >= phys) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// truncateAt drops the entries from logical offset off on: zeroes them in
// their file, deletes later files, syncs. Callers exclude the dispatcher.
func (q *consumeQueue) truncateAt(off int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	keep := q.files[:0]
	var firstErr error
	for _, f := range q.files {
		switch {
		case f.base+q.perFile <= off:
			keep = append(keep, f)
		case f.base <= off:
			// The file holding slot off stays, even if emptied: its
			// name keeps the queue's offsets across a restart.
			start := (off - f.base) * cqEntrySize
			if err := f.file.Zero(start, q.fileBytes()-start); err != nil && firstErr == nil {
				firstErr = err
			}
			if err := f.file.Sync(start, q.fileBytes()-start); err != nil && firstErr == nil {
				firstErr = err
			}
			keep = append(keep, f)
		default:
			f.file.Close()
			if err := q.fs.Remove(f.name); err != nil && firstErr == nil {
				firstErr = err
			}
		}
	}
	q.files = keep
	if err := q.fs.SyncDir(q.dir); err != nil && firstErr == nil {
		firstErr = err
	}
	if len(q.files) == 0 {
		// An emptied queue keeps its offsets: the next message continues
		// at off.
		q.minOffset.Store(off)
	} else if q.minOffset.Load() > off {
		q.minOffset.Store(off)
	}
	q.maxOffset.Store(off)
	q.flushed = min(q.flushed, off)
	return firstErr
}

// deleteBelow removes files whose entries all point below the commit log's
// new minimum and moves minOffset to the first entry at or above it.
func (q *consumeQueue) deleteBelow(clMin int64) error {
	max := q.maxOffset.Load()
	var firstErr error
	for {
		q.mu.RLock()
		if len(q.files) == 0 {
			q.mu.RUnlock()
			break
		}
		f := q.files[0]
		lastOff := min(f.base+q.perFile, max) - 1
		// Keep the file holding the last entry: it is where appends go.
		if len(q.files) == 1 || lastOff < f.base {
			q.mu.RUnlock()
			break
		}
		last := readEntry(f.data[(lastOff-f.base)*cqEntrySize:])
		q.mu.RUnlock()
		if last.phys >= clMin {
			break
		}
		q.mu.Lock()
		q.files = q.files[1:]
		q.mu.Unlock()
		f.file.Close()
		if err := q.fs.Remove(f.name); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	// Move minOffset to the first entry pointing into the log.
	lo := q.minOffset.Load()
	q.mu.RLock()
	if len(q.files) > 0 && lo < q.files[0].base {
		lo = q.files[0].base
	}
	q.mu.RUnlock()
	if m := q.searchPhys(lo, max, clMin); m > q.minOffset.Load() {
		q.minOffset.Store(m)
	}
	return firstErr
}

func (q *consumeQueue) close() {
	q.dead.Store(true)
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, f := range q.files {
		f.file.Close()
	}
	q.files = nil
}

// destroy closes and removes every file of the queue.
func (q *consumeQueue) destroy() error {
	q.close()
	return q.fs.RemoveAll(q.dir)
}
