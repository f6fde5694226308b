package store

import (
	"encoding/binary"
	"time"

	"github.com/saturnmq/saturn/message"
)

// maxDeletePerRound bounds the segments one retention round deletes, as
// upstream (DELETE_FILES_BATCH_MAX).
const maxDeletePerRound = 10

func (s *Store) cleanLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.CleanInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.clean(false)
		}
	}
}

// CleanNow runs a retention round at once, as if it were one of the
// DeleteWhen hours: segments older than FileReservedTime are deleted (and
// more if the disk is over DiskCleanForciblyRatio). It returns the number
// of segments deleted.
func (s *Store) CleanNow() int { return s.clean(true) }

func (s *Store) clean(manual bool) int {
	now := s.cfg.Now()
	used, total, err := s.fs.DiskUsage(s.cfg.Dir)
	ratio := 0
	if err == nil && total > 0 {
		ratio = int(used * 100 / total)
	}
	full := ratio >= s.cfg.DiskFullRatio
	if s.diskFull.Swap(full) != full {
		s.log.Warn("store: disk use changed state", "usedPercent", ratio, "refusingAppends", full)
	}
	timeUp := s.hours[now.Hour()]
	forcibly := ratio >= s.cfg.DiskCleanForciblyRatio
	if !(manual || timeUp || forcibly || ratio >= s.cfg.DiskMaxUsedRatio) {
		return 0
	}
	deleted := s.deleteSegments(now, forcibly)
	if deleted > 0 {
		s.log.Info("store: retention deleted commit-log segments", "count", deleted, "usedPercent", ratio, "minOffset", s.cl.minOffset())
	}
	return deleted
}

// deleteSegments deletes the oldest segments that are expired (or, when
// forcibly, any), never the segment being written nor one not yet synced
// and dispatched, then drops consume-queue and index files pointing below
// the new minimum.
func (s *Store) deleteSegments(now time.Time, forcibly bool) int {
	cl := s.cl
	limit := min(cl.flushedPos.Load(), s.durableDisp.Load())
	expireBefore := now.Add(-s.cfg.FileReservedTime).UnixMilli()
	cl.segMu.RLock()
	n := 0
	for i := 0; i+1 < len(cl.segs) && n < maxDeletePerRound; i++ {
		seg, next := cl.segs[i], cl.segs[i+1]
		if seg.end() > limit {
			break
		}
		// Store timestamps never decrease, so the first record of the
		// next segment is at least as new as anything in this one.
		ts, ok := cl.firstTimestamp(next, limit)
		if !forcibly && (!ok || ts > expireBefore) {
			break
		}
		n++
	}
	cl.segMu.RUnlock()
	if n == 0 {
		return 0
	}
	cl.segMu.Lock()
	victims := append([]*segment(nil), cl.segs[:n]...)
	cl.segs = append(cl.segs[:0:0], cl.segs[n:]...)
	cl.segMu.Unlock()
	for _, seg := range victims {
		seg.file.Close()
		if err := s.fs.Remove(seg.name); err != nil {
			s.log.Warn("store: removing segment", "name", seg.name, "err", err)
		}
	}
	if err := s.fs.SyncDir(cl.dir); err != nil {
		s.log.Warn("store: sync commit-log directory", "err", err)
	}
	newMin := cl.minOffset()
	for _, q := range s.allQueues() {
		if err := q.deleteBelow(newMin); err != nil {
			s.log.Warn("store: consume-queue retention", "topic", q.topic, "queue", q.queueID, "err", err)
		}
	}
	if s.idx != nil {
		if err := s.idx.deleteBelow(newMin); err != nil {
			s.log.Warn("store: index retention", "err", err)
		}
	}
	return n
}

// firstTimestamp returns the store timestamp of the first record of seg
// if it lies below limit. Caller holds segMu.
func (cl *commitLog) firstTimestamp(seg *segment, limit int64) (int64, bool) {
	if seg.base+message.MinStoredSize > limit {
		return 0, false
	}
	b := seg.data
	if binary.BigEndian.Uint32(b[message.OffsetMagic:]) == message.BlankMagic {
		return 0, false
	}
	sf := int32(binary.BigEndian.Uint32(b[message.OffsetSysFlag:]))
	return int64(binary.BigEndian.Uint64(b[message.StoreTimestampOffset(sf):])), true
}
