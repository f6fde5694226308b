package store

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

// Index file layout (upstream IndexFile): a 40-byte header, IndexSlots
// int32 hash slots, then IndexEntries 20-byte entries. Entry numbers start
// at 1; slot and prev value 0 mean "none".
const (
	indexHeaderSize = 40
	indexSlotSize   = 4
	indexEntrySize  = 20
)

// Header field positions.
const (
	ihBeginTimestamp = 0
	ihEndTimestamp   = 8
	ihBeginPhy       = 16
	ihEndPhy         = 24
	ihSlotCount      = 32
	ihIndexCount     = 36
)

type indexFile struct {
	name    string
	file    vfs.File
	data    []byte
	slots   int
	entries int
	// syncedCount is the entry count read before the last sync. Written
	// by flush under index.syncMu, or with index.syncMu and mu held.
	syncedCount int32
}

func (f *indexFile) i64(off int) int64 { return int64(binary.BigEndian.Uint64(f.data[off:])) }
func (f *indexFile) i32(off int) int32 { return int32(binary.BigEndian.Uint32(f.data[off:])) }
func (f *indexFile) put64(off int, v int64) {
	binary.BigEndian.PutUint64(f.data[off:], uint64(v))
}
func (f *indexFile) put32(off int, v int32) {
	binary.BigEndian.PutUint32(f.data[off:], uint32(v))
}

func (f *indexFile) beginTimestamp() int64 { return f.i64(ihBeginTimestamp) }
func (f *indexFile) endTimestamp() int64   { return f.i64(ihEndTimestamp) }
func (f *indexFile) beginPhy() int64       { return f.i64(ihBeginPhy) }
func (f *indexFile) endPhy() int64         { return f.i64(ihEndPhy) }
func (f *indexFile) count() int32          { return f.i32(ihIndexCount) }
func (f *indexFile) full() bool            { return int(f.count()) >= f.entries }
func (f *indexFile) slotPos(hash int32) int {
	return indexHeaderSize + int(hash%int32(f.slots))*indexSlotSize
}
func (f *indexFile) entryPos(n int32) int {
	return indexHeaderSize + f.slots*indexSlotSize + int(n)*indexEntrySize
}

// indexKeyHash is upstream's hash of "topic#key": |Java hashCode|, with
// MinInt32 mapped to 0.
func indexKeyHash(topic string, key []byte) int32 {
	h := int32(0)
	ascii := true
	for i := 0; i < len(topic); i++ {
		if topic[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
		h = 31*h + int32(topic[i])
	}
	if ascii {
		h = 31*h + '#'
		for _, c := range key {
			if c >= utf8.RuneSelf {
				ascii = false
				break
			}
			h = 31*h + int32(c)
		}
	}
	if !ascii {
		h = message.JavaHashCode(topic + "#" + string(key))
	}
	if h == math.MinInt32 {
		return 0
	}
	if h < 0 {
		return -h
	}
	return h
}

// put adds an entry; the caller checked !full().
func (f *indexFile) put(hash int32, phys, storeTs int64) {
	count := f.count()
	if count < 1 {
		count = 1
	}
	sp := f.slotPos(hash)
	prev := f.i32(sp)
	if prev <= 0 || prev > count {
		prev = 0
	}
	begin := f.beginTimestamp()
	diff := int64(0)
	if begin > 0 {
		diff = min(max((storeTs-begin)/1000, 0), math.MaxInt32)
	}
	ep := f.entryPos(count)
	f.put32(ep, hash)
	f.put64(ep+4, phys)
	f.put32(ep+12, int32(diff))
	f.put32(ep+16, prev)
	f.put32(sp, count)
	if count <= 1 {
		f.put64(ihBeginPhy, phys)
		f.put64(ihBeginTimestamp, storeTs)
	}
	if prev == 0 {
		f.put32(ihSlotCount, f.i32(ihSlotCount)+1)
	}
	f.put32(ihIndexCount, count+1)
	f.put64(ihEndPhy, phys)
	f.put64(ihEndTimestamp, storeTs)
}

func (f *indexFile) timeMatched(begin, end int64) bool {
	b, e := f.beginTimestamp(), f.endTimestamp()
	return (begin < b && end > e) || (begin >= b && begin <= e) || (end >= b && end <= e)
}

// lookup appends the physical offsets of entries with hash in [begin, end]
// (ms), newest first, walking the slot's chain.
func (f *indexFile) lookup(dst []int64, hash int32, maxNum int, begin, end int64) []int64 {
	count := f.count()
	n := f.i32(f.slotPos(hash))
	if n <= 0 || n > count || count <= 1 {
		return dst
	}
	base := f.beginTimestamp()
	for steps := 0; len(dst) < maxNum && steps < f.entries; steps++ {
		ep := f.entryPos(n)
		h := f.i32(ep)
		phys := f.i64(ep + 4)
		diff := f.i32(ep + 12)
		prev := f.i32(ep + 16)
		if diff < 0 {
			break
		}
		t := base + int64(diff)*1000
		if h == hash && t >= begin && t <= end {
			dst = append(dst, phys)
		}
		if prev <= 0 || prev > count || prev == n || t < begin {
			break
		}
		n = prev
	}
	return dst
}

// index is the set of index files, oldest first.
//
// Invariants: only the last file takes entries; entries are added in
// commit-log order, so endPhy of a file is below beginPhy of the next.
// mu is held exclusively by the dispatcher while it writes and shared by
// readers.
type index struct {
	fs      vfs.FS
	dir     string
	slots   int
	entries int
	now     func() time.Time
	log     *slog.Logger

	// syncMu keeps files from being closed while flush syncs them without
	// mu. Lock order: syncMu, then mu. Whoever closes or removes files
	// holds both (lockAll).
	syncMu sync.Mutex
	mu     sync.RWMutex
	files  []*indexFile
	// flushing is set (under mu) while flush syncs files without mu; adds
	// then go to pending, which flush writes when its syncs are done. So
	// nothing writes a file's memory while it is synced (the in-memory
	// test file system copies it) and the dispatcher never waits for a
	// sync. Invariant: pending is empty whenever flushing is false.
	flushing bool
	pending  []pendingEntry
}

// pendingEntry is an index entry added while flush was syncing.
type pendingEntry struct {
	hash          int32
	phys, storeTs int64
}

// lockAll takes syncMu and mu: the index may then drop files.
func (x *index) lockAll() {
	x.syncMu.Lock()
	x.mu.Lock()
}

// unlockAll releases what lockAll took.
func (x *index) unlockAll() {
	x.mu.Unlock()
	x.syncMu.Unlock()
}

func newIndex(cfg *Config) *index {
	return &index{
		fs:      cfg.FS,
		dir:     filepath.Join(cfg.Dir, "index"),
		slots:   cfg.IndexSlots,
		entries: cfg.IndexEntries,
		now:     cfg.Now,
		log:     cfg.Logger,
	}
}

func (x *index) fileSize() int64 {
	return indexHeaderSize + int64(x.slots)*indexSlotSize + int64(x.entries)*indexEntrySize
}

func (x *index) load() error {
	if err := x.fs.MkdirAll(x.dir); err != nil {
		return err
	}
	names, err := x.fs.List(x.dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		if !isIndexName(n) {
			removeStrayTmp(x.fs, x.dir, n)
			continue
		}
		f, err := x.fs.Open(filepath.Join(x.dir, n))
		if err != nil {
			return err
		}
		if f.Size() != x.fileSize() {
			// Written with other IndexSlots/IndexEntries, or foreign:
			// the index can be rebuilt, so drop it rather than refuse
			// to start.
			x.log.Warn("store: dropping index file of unexpected size", "name", n, "size", f.Size())
			f.Close()
			x.fs.Remove(filepath.Join(x.dir, n))
			continue
		}
		x.files = append(x.files, &indexFile{name: filepath.Join(x.dir, n), file: f, data: f.Data(),
			slots: x.slots, entries: x.entries})
		x.files[len(x.files)-1].syncedCount = x.files[len(x.files)-1].count()
	}
	slices.SortStableFunc(x.files, func(a, b *indexFile) int {
		return int(min(max(a.beginPhy()-b.beginPhy(), -1), 1))
	})
	return nil
}

// isIndexName reports whether n is an index file name: its creation time
// as yyyyMMddHHmmssSSS.
func isIndexName(n string) bool {
	if len(n) != 17 {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

func (x *index) create() (*indexFile, error) {
	t := x.now()
	var name string
	for {
		name = filepath.Join(x.dir, t.Format("20060102150405.000"))
		name = name[:len(name)-4] + name[len(name)-3:] // yyyyMMddHHmmssSSS
		if !x.fs.Exists(name) {
			break
		}
		t = t.Add(time.Millisecond)
	}
	f, err := x.fs.Create(name, x.fileSize())
	if err != nil {
		return nil, fmt.Errorf("store: create index file: %w", err)
	}
	if err := x.fs.SyncDir(x.dir); err != nil {
		f.Close()
		return nil, err
	}
	ix := &indexFile{name: name, file: f, data: f.Data(), slots: x.slots, entries: x.entries}
	ix.put32(ihIndexCount, 1)
	return ix, nil
}

// add indexes the keys of one record. Caller holds mu exclusively.
func (x *index) add(topic string, keys [][]byte, phys, storeTs int64) error {
	for _, k := range keys {
		if err := x.addHash(indexKeyHash(topic, k), phys, storeTs); err != nil {
			return err
		}
	}
	return nil
}

// addHash indexes one key hash, or keeps it in pending while flush syncs.
// Caller holds mu exclusively.
func (x *index) addHash(hash int32, phys, storeTs int64) error {
	if x.flushing {
		x.pending = append(x.pending, pendingEntry{hash: hash, phys: phys, storeTs: storeTs})
		return nil
	}
	var last *indexFile
	if n := len(x.files); n > 0 {
		last = x.files[n-1]
	}
	if last != nil && last.count() > 1 && phys < last.endPhy() {
		return nil // indexed before (re-dispatch after recovery)
	}
	if last == nil || last.full() {
		f, err := x.create()
		if err != nil {
			return err
		}
		x.files = append(x.files, f)
		last = f
	}
	last.put(hash, phys, storeTs)
	return nil
}

// query returns physical offsets of entries for topic#key in [begin, end].
func (x *index) query(topic, key string, maxNum int, begin, end int64) []int64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	hash := indexKeyHash(topic, []byte(key))
	var out []int64
	for i := len(x.files) - 1; i >= 0 && len(out) < maxNum; i-- {
		f := x.files[i]
		if f.timeMatched(begin, end) {
			out = f.lookup(out, hash, maxNum, begin, end)
		}
		if f.beginTimestamp() < begin {
			break
		}
	}
	return out
}

// flush syncs files written since their last sync. It holds syncMu, not
// mu, during the syncs: an msync of an index file can take hundreds of
// milliseconds on a busy disk, and holding mu then stopped the dispatcher,
// so no consume queue grew and every long-polling consumer stalled. Adds
// made meanwhile wait in pending and are written when the syncs are done.
// The checkpoint stays exact: it reads the dispatched position before
// flush starts, and every record below it was indexed by then (pending is
// empty between flushes), so the syncs cover all of them.
func (x *index) flush() error {
	x.syncMu.Lock()
	defer x.syncMu.Unlock()
	x.mu.Lock()
	x.flushing = true
	files := slices.Clone(x.files)
	counts := make([]int32, len(files))
	for i, f := range files {
		counts[i] = f.count()
	}
	x.mu.Unlock()
	var err error
	for i, f := range files {
		if f.syncedCount == counts[i] {
			continue
		}
		if err = f.file.Sync(0, f.file.Size()); err != nil {
			break
		}
		f.syncedCount = counts[i]
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.flushing = false
	pending := x.pending
	for _, p := range pending {
		if e := x.addHash(p.hash, p.phys, p.storeTs); e != nil && err == nil {
			err = e
		}
	}
	x.pending = pending[:0]
	return err
}

// truncateFrom drops entries for records at or after phys: files that
// start there are deleted; the file that spans it keeps its entries below
// phys and has its slots rebuilt from them (slots written after the last
// sync cannot be trusted). Caller holds lockAll.
func (x *index) truncateFrom(phys int64, tsAt func(int64) (int64, bool)) error {
	var firstErr error
	for len(x.files) > 0 {
		f := x.files[len(x.files)-1]
		if f.count() > 1 && f.beginPhy() < phys {
			break
		}
		x.files = x.files[:len(x.files)-1]
		f.file.Close()
		if err := x.fs.Remove(f.name); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if len(x.files) > 0 {
		if err := x.rebuild(x.files[len(x.files)-1], phys, tsAt); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if err := x.fs.SyncDir(x.dir); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// rebuild keeps the leading entries of f that point below phys, rebuilds
// slots and header from them, zeroes the rest and syncs.
// tsAt gives the store timestamp of the record at a physical offset.
func (x *index) rebuild(f *indexFile, phys int64, tsAt func(int64) (int64, bool)) error {
	// Entries are in commit-log order; the first one at or after phys,
	// or the first that is not a plausible entry, ends the kept run.
	begin := f.beginPhy()
	n := int32(1)
	var lastPhys int64 = -1
	var lastDiff int32
	for ; int(n) < f.entries; n++ {
		ep := f.entryPos(n)
		p := f.i64(ep + 4)
		prev := f.i32(ep + 16)
		if p < begin || p >= phys || p < lastPhys || prev < 0 || prev >= n || (p == 0 && f.i32(ep) == 0 && n > 1) {
			break
		}
		lastPhys = p
		lastDiff = f.i32(ep + 12)
	}
	x.log.Debug("store: rebuilding index file", "name", f.name, "keep", n-1, "below", phys, "count", f.count())
	clear(f.data[indexHeaderSize : indexHeaderSize+f.slots*indexSlotSize])
	slotCount := int32(0)
	for i := int32(1); i < n; i++ {
		ep := f.entryPos(i)
		sp := f.slotPos(f.i32(ep))
		if f.i32(sp) == 0 {
			slotCount++
		}
		// A chain's head is its newest entry; entries below it keep the
		// prev links they were written with.
		f.put32(sp, i)
	}
	ep := f.entryPos(n)
	if err := f.file.Zero(int64(ep), f.file.Size()-int64(ep)); err != nil {
		return err
	}
	f.put32(ihIndexCount, n)
	f.put32(ihSlotCount, slotCount)
	if n > 1 {
		f.put64(ihEndPhy, lastPhys)
		ts, ok := tsAt(lastPhys)
		if !ok {
			// Seconds precision from the entry: close enough for the
			// file's time range.
			ts = f.beginTimestamp() + int64(lastDiff)*1000 + 999
		}
		f.put64(ihEndTimestamp, ts)
	} else {
		clear(f.data[:indexHeaderSize])
		f.put32(ihIndexCount, 1)
	}
	if err := f.file.Sync(0, f.file.Size()); err != nil {
		return err
	}
	f.syncedCount = f.count()
	return nil
}

// deleteBelow removes files whose entries all point below the commit
// log's minimum, keeping the last file.
func (x *index) deleteBelow(clMin int64) error {
	x.lockAll()
	defer x.unlockAll()
	var firstErr error
	for len(x.files) > 1 && x.files[0].endPhy() < clMin {
		f := x.files[0]
		x.files = x.files[1:]
		f.file.Close()
		if err := x.fs.Remove(f.name); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (x *index) close() {
	x.lockAll()
	defer x.unlockAll()
	for _, f := range x.files {
		f.file.Close()
	}
	x.files = nil
}
