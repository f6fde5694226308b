package store

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

// segment is one commit-log file, mapped.
type segment struct {
	base int64 // physical offset of data[0]
	name string
	file vfs.File
	data []byte
}

func (s *segment) end() int64 { return s.base + int64(len(s.data)) }

// offsetName is the upstream file name of a segment: its start offset in 20
// decimal digits.
func offsetName(off int64) string { return fmt.Sprintf("%020d", off) }

// removeStrayTmp removes a file left by a creation that a crash
// interrupted (vfs.OS creates files under name+".tmp" first).
func removeStrayTmp(fs vfs.FS, dir, n string) {
	if strings.HasSuffix(n, ".tmp") {
		fs.Remove(filepath.Join(dir, n))
	}
}

func parseOffsetName(name string) (int64, bool) {
	if len(name) != 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(name, 10, 64)
	return v, err == nil && v >= 0
}

// commitLog is the segmented append-only log of stored records.
//
// Invariants:
//   - segs is contiguous: segs[i].base == segs[0].base + i*segSize, every
//     segment exactly segSize long.
//   - Every byte below writePos is a complete record or part of an
//     end-of-segment blank, and never changes until TruncateTo moves
//     writePos back. Appenders write above writePos and then publish it
//     with an atomic store; readers load it and read only below it.
//   - minPos <= flushedPos <= writePos (flushedPos may lag minPos only
//     before the first flush after recovery).
type commitLog struct {
	fs      vfs.FS
	dir     string
	segSize int64
	warm    bool
	log     *slog.Logger
	// staged (SyncFlush) makes appends copy records into a staging buffer
	// that the group-commit flusher writes with one File.WriteAt, syncs
	// and only then publishes: syncing pages dirtied through a mapping
	// costs far more per page than syncing pages written with write(2)
	// (measured here: 28 KiB per sync, ~450 us against ~120 us), and a
	// write(2) per append would cost a system call each under the lock.
	// Readers therefore never see unsynced records in SyncFlush.
	staged bool
	// AsyncFlush appends copy their records into the mapping (viaMap)
	// when they are small or mapAll (MappedAppends) is set; larger ones
	// stage them and write them with one File.WriteAt before they
	// publish, under putMu (writeThrough). viaMap is set per append and
	// guarded by putMu.
	mapAll bool
	viaMap bool
	putMu  *sync.Mutex // the store's append lock

	// reservePos is the end of the records appended so far: published
	// ones, and in staged mode also those still in stage. writePos <=
	// reservePos. Guarded by putMu.
	reservePos int64
	// stage holds appended, unwritten bytes: runs of contiguous bytes at
	// physical offsets. Guarded by putMu; spare and spareRuns, the buffers
	// the stage is swapped with, by writeMu.
	stage     []byte
	stageRuns []stageRun
	spare     []byte
	spareRuns []stageRun

	// writeMu is held from taking the stage until its bytes are written
	// (flush, and appends that write ahead of the flusher: see
	// aheadMin). Invariant: whoever holds it and takes the stage
	// finds every byte below the stage written, so the flusher may sync
	// up to the end of what it took. writeErr, guarded by writeMu, is the
	// failure of a write ahead; every later flush reports it, since the
	// bytes it lost would otherwise be called synced.
	writeMu  sync.Mutex
	writeErr error
	ahead    stagedWrite // taken by an append to write ahead; writeMu
	// aheadMin is the stage size from which a staged append writes the
	// stage itself, outside putMu, so that the flusher's next round finds
	// most bytes written: the write then overlaps the arrival of other
	// appends or the sync in progress instead of following them. Zero
	// disables it. Guarded by putMu.
	aheadMin int

	// segMu guards segs. Readers hold it shared while they read mapped
	// bytes; adding a segment and removing segments hold it exclusively,
	// so no mapping is closed under a reader.
	segMu sync.RWMutex
	segs  []*segment

	writePos   atomic.Int64
	flushedPos atomic.Int64

	// cur is the segment holding writePos, nil when writePos is at the
	// start of a segment not yet created. Guarded by the store's putMu.
	cur *segment

	// prepared is the next segment, made in the background so that a
	// rollover rarely waits for file creation. Guarded by prepMu.
	prepMu    sync.Mutex
	prepared  *segment
	preparing sync.WaitGroup

	// zeroMu is held while zeros are written ahead of the appends (see
	// Store.warmLoop), at and above zeroing (math.MaxInt64 when none are).
	// Invariant: zeroing is set under putMu to at least reservePos, so no
	// appended byte lies at or above it; whoever then writes bytes that
	// end above it (an append copying into the mapping, a writer of staged
	// bytes) first waits for zeroMu (awaitZeros), so zeros never land on
	// records. Lock order: putMu, then zeroMu; the zero writer takes
	// segMu and prepMu under zeroMu, so nobody waits for zeroMu holding
	// those.
	zeroMu  sync.Mutex
	zeroing atomic.Int64

	flushMu sync.Mutex   // serializes flush
	syncs   atomic.Int64 // number of flushes that synced something
}

func newCommitLog(cfg *Config) *commitLog {
	cl := &commitLog{
		fs:      cfg.FS,
		dir:     filepath.Join(cfg.Dir, "commitlog"),
		segSize: cfg.SegmentSize,
		warm:    cfg.WarmSegments == WarmOn,
		log:     cfg.Logger,

		staged:   cfg.FlushMode == SyncFlush,
		aheadMin: writeAheadMin,
		mapAll:   cfg.FlushMode != SyncFlush && cfg.MappedAppends,
	}
	cl.zeroing.Store(math.MaxInt64)
	return cl
}

// writeAheadMin is commitLog.aheadMin: in SyncFlush a sync of 64
// KiB staged by 64 writers then follows a write of at most 16 KiB instead
// of all 64 (~40 us of the flusher's round of ~350 us), and the stage is
// written in few system calls.
const writeAheadMin = 16 << 10

// stageRun is a run of staged bytes: stage[off:end] belongs at phys.
type stageRun struct {
	phys     int64
	off, end int
}

// load maps the existing segments. Files that are not segments are
// ignored; a segment of the wrong size or a gap between segments is an
// error, since silently dropping data is worse than refusing to start.
func (cl *commitLog) load() error {
	if err := cl.fs.MkdirAll(cl.dir); err != nil {
		return err
	}
	names, err := cl.fs.List(cl.dir)
	if err != nil {
		return err
	}
	for _, n := range names {
		base, ok := parseOffsetName(n)
		if !ok {
			removeStrayTmp(cl.fs, cl.dir, n)
			continue
		}
		f, err := cl.fs.Open(filepath.Join(cl.dir, n))
		if err != nil {
			return err
		}
		seg := &segment{base: base, name: filepath.Join(cl.dir, n), file: f, data: f.Data()}
		if f.Size() != cl.segSize {
			f.Close()
			return fmt.Errorf("store: commit-log segment %s has %d bytes, SegmentSize is %d", n, f.Size(), cl.segSize)
		}
		if len(cl.segs) > 0 && cl.segs[len(cl.segs)-1].end() != base {
			f.Close()
			return fmt.Errorf("store: commit-log segment %s does not follow %s", n, cl.segs[len(cl.segs)-1].name)
		}
		if base%cl.segSize != 0 {
			f.Close()
			return fmt.Errorf("store: commit-log segment %s is not aligned to SegmentSize %d", n, cl.segSize)
		}
		cl.segs = append(cl.segs, seg)
	}
	return nil
}

// minOffset returns the first physical offset still in the log.
func (cl *commitLog) minOffset() int64 {
	cl.segMu.RLock()
	defer cl.segMu.RUnlock()
	if len(cl.segs) == 0 {
		return cl.writePos.Load()
	}
	return cl.segs[0].base
}

// segmentAt returns the segment holding phys. Caller holds segMu.
func (cl *commitLog) segmentAt(phys int64) *segment {
	if len(cl.segs) == 0 || phys < cl.segs[0].base {
		return nil
	}
	i := (phys - cl.segs[0].base) / cl.segSize
	if i >= int64(len(cl.segs)) {
		return nil
	}
	return cl.segs[i]
}

// slice returns the mapped bytes [phys, phys+n) if they are published and
// lie in one segment. Caller holds segMu shared and must not keep the slice
// after releasing it.
func (cl *commitLog) slice(phys int64, n int) ([]byte, bool) {
	if n < 0 || phys < 0 || phys+int64(n) > cl.writePos.Load() {
		return nil, false
	}
	s := cl.segmentAt(phys)
	if s == nil || phys+int64(n) > s.end() {
		return nil, false
	}
	off := phys - s.base
	return s.data[off : off+int64(n) : off+int64(n)], true
}

// record returns the mapped record at phys after checking its size field
// and magic. Caller holds segMu shared.
func (cl *commitLog) record(phys int64) ([]byte, error) {
	h, ok := cl.slice(phys, 8)
	if !ok {
		return nil, fmt.Errorf("%w: %d not in [%d, %d)", ErrOffset, phys, cl.minOffsetLocked(), cl.writePos.Load())
	}
	size := int32(binary.BigEndian.Uint32(h))
	magic := binary.BigEndian.Uint32(h[4:])
	if (magic != message.MagicV1 && magic != message.MagicV2) || size < message.MinStoredSize {
		return nil, fmt.Errorf("%w: no record at %d", ErrOffset, phys)
	}
	b, ok := cl.slice(phys, int(size))
	if !ok {
		return nil, fmt.Errorf("%w: record at %d of %d bytes runs past the log", ErrCorrupt, phys, size)
	}
	return b, nil
}

func (cl *commitLog) minOffsetLocked() int64 {
	if len(cl.segs) == 0 {
		return cl.writePos.Load()
	}
	return cl.segs[0].base
}

// createSegment creates and maps the segment starting at base.
func (cl *commitLog) createSegment(base int64) (*segment, error) {
	name := filepath.Join(cl.dir, offsetName(base))
	f, err := cl.fs.Create(name, cl.segSize)
	if err != nil {
		return nil, fmt.Errorf("store: create segment: %w", err)
	}
	if err := cl.fs.SyncDir(cl.dir); err != nil {
		f.Close()
		cl.fs.Remove(name)
		return nil, fmt.Errorf("store: create segment: %w", err)
	}
	return &segment{base: base, name: name, file: f, data: f.Data()}, nil
}

// prepare makes the segment at base in the background.
func (cl *commitLog) prepare(base int64) {
	cl.preparing.Add(1)
	go func() {
		defer cl.preparing.Done()
		s, err := cl.createSegment(base)
		if err != nil {
			cl.log.Warn("store: preparing next segment failed; the append will retry", "base", base, "err", err)
			return
		}
		if cl.warm {
			if err := cl.warmSegment(s); err != nil {
				cl.log.Warn("store: warming the next segment failed", "base", base, "err", err)
			}
		}
		cl.prepMu.Lock()
		old := cl.prepared
		cl.prepared = s
		cl.prepMu.Unlock()
		if old != nil {
			cl.discard(old)
		}
	}()
}

// warmSegment prepares a whole new segment for appends (WarmSegments).
// Copying appends get its pages populated in the mapping. Staged
// (SyncFlush) appends get its blocks written with zeros and synced, as
// upstream's warmMappedFile does: a sync then has no block allocation to
// journal, which makes each group commit cheaper (measured here: 28 KiB
// write+sync ~100 us into written blocks against ~165 us into a hole).
func (cl *commitLog) warmSegment(s *segment) error {
	if !cl.staged {
		return s.file.Populate(0, int64(len(s.data)))
	}
	zeros := make([]byte, 1<<20)
	for off := int64(0); off < int64(len(s.data)); off += int64(len(zeros)) {
		n := min(int64(len(zeros)), int64(len(s.data))-off)
		if _, err := s.file.WriteAt(zeros[:n], off); err != nil {
			return err
		}
	}
	return s.file.Sync(0, int64(len(s.data)))
}

// discard closes and deletes a segment that never held data.
func (cl *commitLog) discard(s *segment) {
	s.file.Close()
	if err := cl.fs.Remove(s.name); err != nil {
		cl.log.Warn("store: removing unused segment", "name", s.name, "err", err)
	}
}

// takeSegment returns the segment for base: the prepared one if it fits,
// else a new one. Caller holds putMu.
func (cl *commitLog) takeSegment(base int64) (*segment, error) {
	// A preparation still in flight would race with a creation here for
	// the same file name.
	cl.preparing.Wait()
	cl.prepMu.Lock()
	s := cl.prepared
	cl.prepared = nil
	cl.prepMu.Unlock()
	if s != nil && s.base != base {
		cl.discard(s)
		s = nil
	}
	if s == nil {
		var err error
		if s, err = cl.createSegment(base); err != nil {
			return nil, err
		}
	}
	cl.segMu.Lock()
	// Invariant: segs stays contiguous; the new segment starts where the
	// last one ends.
	if n := len(cl.segs); n > 0 && cl.segs[n-1].end() != base {
		cl.segMu.Unlock()
		cl.discard(s)
		return nil, fmt.Errorf("store: new segment at %d does not follow the log end %d", base, cl.segs[n-1].end())
	}
	cl.segs = append(cl.segs, s)
	cl.segMu.Unlock()
	cl.prepare(base + cl.segSize)
	return s, nil
}

// reserve finds room for a record of n bytes at the write position,
// writing an end-of-segment blank and moving to the next segment when the
// record and an 8-byte blank do not both fit. It returns the segment and
// the record's physical offset; nothing is published. Caller holds putMu.
func (cl *commitLog) reserve(pos int64, n int) (*segment, int64, error) {
	for {
		if cl.cur == nil {
			s, err := cl.takeSegment(pos)
			if err != nil {
				return nil, 0, err
			}
			cl.cur = s
		}
		s := cl.cur
		// Invariant: a record leaves at least 8 bytes of its segment free,
		// so the blank marker always fits.
		if pos+int64(n)+message.BlankSize <= s.end() {
			return s, pos, nil
		}
		var blank [message.BlankSize]byte
		binary.BigEndian.PutUint32(blank[:], uint32(s.end()-pos))
		binary.BigEndian.PutUint32(blank[4:], message.BlankMagic)
		cl.writeAt(s, pos, blank[:])
		pos = s.end()
		cl.cur = nil
	}
}

// writeAt writes b at physical offset pos of segment s, at or above the
// reserve position: into the mapping, or into the stage. Caller holds
// putMu.
func (cl *commitLog) writeAt(s *segment, pos int64, b []byte) {
	if cl.viaMap {
		cl.awaitZeros(pos + int64(len(b)))
		copy(s.data[pos-s.base:], b)
		return
	}
	// Invariant: a run lies within one segment (the flusher writes it with
	// one call); a blank that fills a segment to its last byte is
	// contiguous with the next segment's first record, but not in it.
	if n := len(cl.stageRuns); n > 0 && pos != s.base {
		r := &cl.stageRuns[n-1]
		if r.phys+int64(r.end-r.off) == pos {
			cl.stage = append(cl.stage, b...)
			r.end = len(cl.stage)
			return
		}
	}
	off := len(cl.stage)
	cl.stage = append(cl.stage, b...)
	cl.stageRuns = append(cl.stageRuns, stageRun{phys: pos, off: off, end: len(cl.stage)})
}

// dropStage forgets staged bytes (TruncateTo, a failed append). Caller
// holds putMu, and in SyncFlush flushMu and writeMu.
func (cl *commitLog) dropStage() {
	cl.stage, cl.stageRuns = cl.stage[:0], cl.stageRuns[:0]
}

// flush syncs what was appended and not yet synced and advances
// flushedPos; in staged mode it first writes the staged bytes and
// afterwards publishes them. It reports whether it published records.
//
// Lock order: flushMu, writeMu, then putMu (staged mode takes it briefly).
func (cl *commitLog) flush() (bool, error) {
	cl.flushMu.Lock()
	defer cl.flushMu.Unlock()
	if !cl.staged {
		return false, cl.syncTo(cl.writePos.Load())
	}
	// Appends go on while the bytes are written and synced: only the
	// moment of taking the stage holds putMu.
	cl.writeMu.Lock()
	cl.putMu.Lock()
	target := cl.reservePos
	w := cl.takeStage()
	cl.putMu.Unlock()
	err := cl.writeStaged(w)
	cl.writeMu.Unlock()
	if err != nil {
		return false, err
	}
	if err := cl.syncTo(target); err != nil {
		return false, err
	}
	// Publish: everything below target is written and synced. Never
	// backwards: an AppendRaw, which publishes its bytes itself, may have
	// moved writePos past target since the stage was taken.
	for cur := cl.writePos.Load(); target > cur; cur = cl.writePos.Load() {
		if cl.writePos.CompareAndSwap(cur, target) {
			return true, nil
		}
	}
	return false, nil
}

// stagedWrite is a taken stage: its runs, to be written by the holder of
// writeMu.
type stagedWrite struct {
	data []byte
	runs []stageRun
}

// takeStage takes the staged bytes for writing and starts an empty stage.
// Caller holds writeMu and putMu, and writes the result with writeStaged
// before it releases writeMu.
func (cl *commitLog) takeStage() stagedWrite {
	w := stagedWrite{cl.stage, cl.stageRuns}
	cl.stage, cl.stageRuns = cl.spare[:0], cl.spareRuns[:0]
	cl.spare, cl.spareRuns = nil, nil
	return w
}

// writeStaged writes a taken stage and keeps its buffers for the next
// swap; after a failed write it and every later one fail. Caller holds
// writeMu.
func (cl *commitLog) writeStaged(w stagedWrite) error {
	if cl.writeErr == nil {
		cl.writeErr = cl.writeRuns(w.data, w.runs)
	}
	cl.spare, cl.spareRuns = w.data[:0], w.runs[:0]
	return cl.writeErr
}

// takeWriteAhead takes the stage for the calling append to write when it
// has grown to aheadMin and nobody is writing, and reports whether it
// did. Caller holds putMu; if true, it holds writeMu too and must call
// writeAhead after releasing putMu. (TryLock keeps the lock order,
// writeMu before putMu, free of deadlock.)
func (cl *commitLog) takeWriteAhead() bool {
	if cl.aheadMin == 0 || len(cl.stage) < cl.aheadMin || !cl.writeMu.TryLock() {
		return false
	}
	cl.ahead = cl.takeStage()
	return true
}

// writeAhead writes what takeWriteAhead took and releases writeMu. A
// failure is reported by the next flush (writeErr).
func (cl *commitLog) writeAhead() {
	w := cl.ahead
	cl.ahead = stagedWrite{}
	cl.writeStaged(w)
	cl.writeMu.Unlock()
}

// writeRuns writes staged runs into their segments with File.WriteAt.
func (cl *commitLog) writeRuns(data []byte, runs []stageRun) error {
	if len(runs) == 0 {
		return nil
	}
	// Before segMu (see zeroMu). Runs are in log order, so the last one
	// ends highest.
	last := runs[len(runs)-1]
	cl.awaitZeros(last.phys + int64(last.end-last.off))
	cl.segMu.RLock()
	defer cl.segMu.RUnlock()
	for _, r := range runs {
		seg := cl.segmentAt(r.phys)
		if seg == nil || r.phys+int64(r.end-r.off) > seg.end() {
			return fmt.Errorf("store: write segment: %w: staged bytes at %d outside the log", ErrCorrupt, r.phys)
		}
		if _, err := seg.file.WriteAt(data[r.off:r.end], r.phys-seg.base); err != nil {
			return fmt.Errorf("store: write segment: %w", err)
		}
	}
	return nil
}

// awaitZeros waits until no zeros are being written below end. Bytes
// appended (staged or copied) after it returned lie below the next zeroing,
// which starts at or above reservePos.
func (cl *commitLog) awaitZeros(end int64) {
	if end > cl.zeroing.Load() {
		cl.zeroMu.Lock()
		cl.zeroMu.Unlock() //nolint:staticcheck // only waits
	}
}

// writeThrough writes what an AsyncFlush append staged (one not viaMap)
// and empties the stage. Caller holds putMu.
func (cl *commitLog) writeThrough() error {
	err := cl.writeRuns(cl.stage, cl.stageRuns)
	cl.stage, cl.stageRuns = cl.stage[:0], cl.stageRuns[:0]
	return err
}

// syncTo syncs [flushedPos, target) and advances flushedPos. Caller holds
// flushMu.
func (cl *commitLog) syncTo(target int64) error {
	from := cl.flushedPos.Load()
	if target <= from {
		return nil
	}
	cl.segMu.RLock()
	for _, s := range cl.segs {
		lo, hi := max(from, s.base), min(target, s.end())
		if lo >= hi {
			continue
		}
		if err := s.file.Sync(lo-s.base, hi-lo); err != nil {
			cl.segMu.RUnlock()
			return err
		}
	}
	cl.segMu.RUnlock()
	cl.flushedPos.Store(target)
	cl.syncs.Add(1)
	return nil
}

// close waits for segment preparation and unmaps everything.
func (cl *commitLog) close() error {
	cl.preparing.Wait()
	cl.prepMu.Lock()
	if cl.prepared != nil {
		cl.discard(cl.prepared)
		cl.prepared = nil
	}
	cl.prepMu.Unlock()
	cl.segMu.Lock()
	defer cl.segMu.Unlock()
	var first error
	for _, s := range cl.segs {
		if err := s.file.Close(); err != nil && first == nil {
			first = err
		}
	}
	cl.segs = nil
	return first
}
