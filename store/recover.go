package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/saturnmq/saturn/message"
)

// recover brings log, consume queues and index to a consistent state after
// loading them. See the package comment for the procedure.
func (s *Store) recover(cp checkpointData, cpOK, abnormal bool) error {
	cl := s.cl
	minPhys, lastEnd := int64(0), int64(0)
	if n := len(cl.segs); n > 0 {
		minPhys, lastEnd = cl.segs[0].base, cl.segs[n-1].end()
	}
	if cpOK && cp.Flushed > lastEnd && len(cl.segs) == 0 {
		// Every segment was deleted by retention or lost; the log
		// continues where it was.
		minPhys, lastEnd = cp.Flushed, cp.Flushed
	}
	var end int64
	// Close records equal flushed and dispatched offsets; anything else is
	// not a clean checkpoint.
	if !abnormal && cp.Flushed == cp.Dispatched && cp.Flushed >= minPhys && cp.Flushed <= lastEnd {
		// Clean shutdown: Close synced everything up to the write
		// position and recorded it.
		end = cp.Flushed
		s.cleanStart = true
	} else {
		start := minPhys
		if cpOK {
			start = min(max(min(cp.Flushed, cp.Dispatched), minPhys), lastEnd)
		}
		if !cl.isRecordStart(start) {
			// Not a record boundary (a replicated partial record, or a
			// stale checkpoint): scan the whole segment.
			if seg := cl.segmentAt(start); seg != nil {
				start = seg.base
			}
		}
		end = cl.scan(start)
		if len(cl.segs) == 0 && !cpOK {
			// Nothing was ever written: a new store, not a crash.
			s.log.Info("store: new store", "dir", s.cfg.Dir)
		} else {
			s.log.Info("store: recovering after an unclean shutdown", "scanFrom", start, "logEnd", end)
		}
	}
	if err := cl.cutAt(end, abnormal); err != nil {
		return err
	}
	cl.writePos.Store(end)
	cl.reservePos = end
	// What was scanned may be only in the page cache (the process died,
	// the machine did not); sync it before calling it flushed.
	cl.flushedPos.Store(max(min(end, cp.Flushed), minPhys))
	if !cpOK {
		cl.flushedPos.Store(minPhys)
	}
	cl.flushMu.Lock()
	err := cl.syncTo(end)
	cl.flushMu.Unlock()
	if err != nil {
		return fmt.Errorf("store: sync recovered log: %w", err)
	}
	s.lastDispTs.Store(cp.PhysicTimestamp)

	dispFrom := minPhys
	if cpOK {
		dispFrom = min(max(cp.Dispatched, minPhys), end)
	}
	s.log.Debug("store: rebuilding consume queues and index", "from", dispFrom, "to", end, "checkpointOK", cpOK, "flushed", cp.Flushed, "dispatched", cp.Dispatched)
	err = s.rebuildFrom(dispFrom, end, abnormal)
	if errors.Is(err, errInconsistent) {
		s.log.Warn("store: consume queues disagree with the commit log; rebuilding them from the whole log", "err", err)
		err = s.rebuildAll(minPhys, end)
	}
	if err != nil {
		return err
	}
	for _, q := range s.allQueues() {
		if err := q.deleteBelow(minPhys); err != nil {
			return err
		}
	}
	s.lastStoreTs = s.lastDispTs.Load()
	return nil
}

// rebuildFrom drops consume-queue and index entries for records at or
// after from and dispatches the records in [from, end) again.
func (s *Store) rebuildFrom(from, end int64, abnormal bool) error {
	for _, q := range s.allQueues() {
		max := q.maxOffset.Load()
		lo := q.minOffset.Load()
		cut := q.searchPhys(lo, max, from)
		if cut > lo {
			// The last kept entry must point at its record: a mismatch
			// means the queue cannot be trusted.
			e, ok := q.entry(cut - 1)
			if ok && !e.filler() && e.phys >= s.cl.minOffset() && !s.entryMatches(q, cut-1, e) {
				return fmt.Errorf("%w: entry %d of %s/%d", errInconsistent, cut-1, q.topic, q.queueID)
			}
		}
		if cut < max || abnormal {
			if err := q.truncateAt(cut); err != nil {
				return err
			}
		}
	}
	if s.idx != nil {
		s.idx.lockAll()
		var err error
		if n := len(s.idx.files); n > 0 && (abnormal || s.idx.files[n-1].endPhy() >= from) {
			err = s.idx.truncateFrom(from, s.cl.timestampAt)
		}
		s.idx.unlockAll()
		if err != nil {
			return err
		}
	}
	s.dispatched = from
	s.dispatchedP.Store(from)
	s.dispErr = nil
	return s.dispatchAvailable(true)
}

// rebuildAll deletes every consume queue and index file and dispatches the
// whole log again.
func (s *Store) rebuildAll(minPhys, end int64) error {
	old := map[queueKey]int64{}
	for _, q := range s.allQueues() {
		old[queueKey{q.topic, q.queueID}] = q.maxOffset.Load()
		q.close()
	}
	s.cqMu.Lock()
	s.cqs = map[string]map[int32]*consumeQueue{}
	s.cqMu.Unlock()
	root := filepath.Join(s.cfg.Dir, "consumequeue")
	if err := s.fs.RemoveAll(root); err != nil {
		return err
	}
	if err := s.fs.MkdirAll(root); err != nil {
		return err
	}
	if err := s.fs.SyncDir(s.cfg.Dir); err != nil {
		return err
	}
	if s.idx != nil {
		s.idx.lockAll()
		err := s.idx.truncateFrom(-1, s.cl.timestampAt)
		s.idx.unlockAll()
		if err != nil {
			return err
		}
	}
	s.dispatched = minPhys
	s.dispatchedP.Store(minPhys)
	s.dispErr = nil
	// Holes are filled with fillers from here on: what the log no longer
	// holds cannot be rebuilt.
	if err := s.dispatchAvailable(false); err != nil {
		return err
	}
	// Queues whose records are all gone keep their offsets.
	for k, max := range old {
		if s.queue(k.topic, k.qid) != nil || max == 0 {
			continue
		}
		q := newConsumeQueue(&s.cfg, k.topic, k.qid)
		if err := q.startAt(max); err != nil {
			return err
		}
		s.addQueue(q)
	}
	return nil
}

// entryMatches checks a consume-queue entry against the record it points
// at.
func (s *Store) entryMatches(q *consumeQueue, off int64, e cqEntry) bool {
	s.cl.segMu.RLock()
	defer s.cl.segMu.RUnlock()
	b, err := s.cl.record(e.phys)
	if err != nil || int32(len(b)) != e.size {
		return false
	}
	var v message.View
	if _, err := v.Parse(b); err != nil {
		return false
	}
	return v.QueueOffset == off && v.QueueID == q.queueID && string(v.Topic) == q.topic && v.PhysicalOffset == e.phys
}

// isRecordStart reports whether a valid record (or blank, or the end of a
// segment) starts at pos.
func (cl *commitLog) isRecordStart(pos int64) bool {
	seg := cl.segmentAt(pos)
	if seg == nil {
		return true // the end of the log
	}
	if pos == seg.base {
		return true
	}
	var v message.View
	_, err := v.Parse(seg.data[pos-seg.base:])
	if errors.Is(err, message.ErrBlank) {
		return int64(binary.BigEndian.Uint32(seg.data[pos-seg.base:])) == seg.end()-pos
	}
	return err == nil && v.PhysicalOffset == pos
}

// scan verifies records from start, a record boundary, and returns the
// offset of the first byte that does not continue the log: the end of the
// last whole record.
//
// The body CRC does not cover header, topic and properties, and a power
// loss can keep some pages of a record and lose others (they read as
// zeros). So beyond the CRC a record must name its own position, have a
// valid topic, properties that end with \x02 as every encoder writes them
// (a lost last page leaves zeros there), and a store timestamp no older than
// the record before it. A record torn only in the middle of more than 4 KiB
// of properties can still pass; nothing in the format can tell.
func (cl *commitLog) scan(start int64) int64 {
	pos := start
	var v message.View
	var lastTs int64
	for {
		seg := cl.segmentAt(pos)
		if seg == nil {
			return pos
		}
		b := seg.data[pos-seg.base:]
		n, err := v.Parse(b)
		if errors.Is(err, message.ErrBlank) {
			if int64(n) != seg.end()-pos {
				return pos
			}
			pos = seg.end()
			continue
		}
		if err != nil || v.PhysicalOffset != pos || message.BodyCRC(v.Body) != v.BodyCRC ||
			pos+int64(n)+message.BlankSize > seg.end() || !plausible(&v) || v.StoreTimestamp < lastTs {
			return pos
		}
		lastTs = v.StoreTimestamp
		pos += int64(n)
	}
}

// plausible checks the parts of a record the CRC does not cover.
func plausible(v *message.View) bool {
	if validTopic(string(v.Topic)) != nil || v.QueueID < 0 {
		return false
	}
	p := v.Properties
	return len(p) == 0 || p[len(p)-1] == message.PropertySeparator
}

// cutAt makes end the end of the log: the rest of its segment is zeroed
// (when the shutdown was not clean: garbage there could otherwise pass for
// records after later appends), and later segments are deleted.
func (cl *commitLog) cutAt(end int64, zero bool) error {
	keep := cl.segs[:0]
	var removed bool
	for _, seg := range cl.segs {
		switch {
		case seg.end() <= end:
			keep = append(keep, seg)
		case seg.base <= end && (seg.base < end || len(keep) == 0):
			if zero {
				off := end - seg.base
				if err := seg.file.Zero(off, int64(len(seg.data))-off); err != nil {
					return fmt.Errorf("store: cut log at %d: %w", end, err)
				}
				if err := seg.file.Sync(off, int64(len(seg.data))-off); err != nil {
					return fmt.Errorf("store: cut log at %d: %w", end, err)
				}
			}
			keep = append(keep, seg)
		default:
			seg.file.Close()
			if err := cl.fs.Remove(seg.name); err != nil {
				return err
			}
			removed = true
		}
	}
	cl.segs = keep
	cl.cur = nil
	if n := len(keep); n > 0 && keep[n-1].base <= end && end < keep[n-1].end() {
		cl.cur = keep[n-1]
	}
	if removed {
		return cl.fs.SyncDir(cl.dir)
	}
	return nil
}

// timestampAt returns the store timestamp of the record at phys.
func (cl *commitLog) timestampAt(phys int64) (int64, bool) {
	cl.segMu.RLock()
	defer cl.segMu.RUnlock()
	return cl.timestampAtLocked(phys)
}

func (cl *commitLog) timestampAtLocked(phys int64) (int64, bool) {
	b, err := cl.record(phys)
	if err != nil {
		return 0, false
	}
	sf := int32(binary.BigEndian.Uint32(b[message.OffsetSysFlag:]))
	p := message.StoreTimestampOffset(sf)
	if p+8 > len(b) {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(b[p:])), true
}
