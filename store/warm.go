package store

import "math"

// warmChunk is how much one Populate call covers: small enough that the
// locks it holds are short. Populating holds the process's memory-map lock
// shared; an mmap (a new segment, consume-queue or index file) then waits
// for it, and every page fault in the process queues behind that mmap. With
// 256 KiB chunks traces showed the whole broker frozen for up to 200 ms.
const warmChunk = 64 << 10

// zeroChunk is how much one round of zeroAhead writes and syncs: each
// sync journals the blocks it turned into written ones, so larger chunks
// mean fewer journal commits, but a longer wait for a flush whose records
// reach into the chunk being written.
const zeroChunk = 1 << 20

// warmLoop keeps the WarmAhead bytes after the write position prepared for
// appends, off the append path: populated in the mapping for appends that
// copy into it (AsyncFlush), written with zeros and synced for staged ones
// (SyncFlush).
//
// Populating: a page fault on a fresh page of a mapped file costs
// microseconds (page allocation, zeroing, file-system reservation). Only
// appends that copy into the mapping kick it (no timer): ahead of appends
// that write, populated pages would cost what writing saves.
//
// Zeros: segments are preallocated, so their blocks start out unwritten,
// and a sync of records written into unwritten blocks must also journal
// their conversion to written ones. Measured here, a write and sync of 64
// KiB took ~280-340 us into unwritten blocks against ~115 us into blocks
// written before; a group commit of 64 appends of 1 KiB is one such
// sync. Zeroing a chunk ahead journals once per chunk instead. It costs a
// second write of every block, but only at the append rate, unlike
// WarmSegments, which zero-fills a whole segment at once.
func (s *Store) warmLoop() {
	defer s.wg.Done()
	var zeros []byte
	for {
		select {
		case <-s.stop:
			return
		case <-s.warmKick:
		}
		if !s.cl.staged {
			s.warm()
			continue
		}
		if zeros == nil {
			zeros = make([]byte, zeroChunk)
		}
		s.zeroAhead(zeros)
	}
}

// zeroAhead writes zeros from the end of the appended records (or where it
// stopped last) up to WarmAhead bytes past it, a chunk at a time, each
// synced. See commitLog.zeroing for why no record is overwritten.
func (s *Store) zeroAhead(zeros []byte) {
	cl := s.cl
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		cl.zeroMu.Lock()
		s.putMu.Lock()
		pos := cl.reservePos
		from := max(s.warmedTo.Load(), pos)
		to := min(pos+s.cfg.WarmAhead, from+int64(len(zeros)))
		if from >= to {
			s.putMu.Unlock()
			cl.zeroMu.Unlock()
			return
		}
		cl.zeroing.Store(from)
		s.putMu.Unlock()
		seg, end, err := s.zeroRange(from, to, zeros)
		cl.zeroing.Store(math.MaxInt64)
		cl.zeroMu.Unlock()
		if seg == nil {
			return
		}
		if err == nil {
			err = seg.file.Sync(from-seg.base, end-from)
		}
		if err != nil {
			// The records' own writes and syncs report a failing disk;
			// this only loses the head start.
			s.cfg.Logger.Warn("store: writing zeros ahead of the appends failed", "from", from, "err", err)
			return
		}
		s.warmedTo.Store(end)
	}
}

// zeroRange writes zeros over [from, to) or the part of it in from's
// segment (the prepared next segment included). It returns the segment,
// nil if from lies in none, and where it stopped.
func (s *Store) zeroRange(from, to int64, zeros []byte) (*segment, int64, error) {
	cl := s.cl
	write := func(seg *segment) (*segment, int64, error) {
		end := min(to, seg.end())
		_, err := seg.file.WriteAt(zeros[:end-from], from-seg.base)
		return seg, end, err
	}
	cl.segMu.RLock()
	defer cl.segMu.RUnlock()
	if seg := cl.segmentAt(from); seg != nil {
		return write(seg)
	}
	cl.prepMu.Lock()
	defer cl.prepMu.Unlock()
	if seg := cl.prepared; seg != nil && seg.base <= from && from < seg.end() {
		return write(seg)
	}
	return nil, from, nil
}

func (s *Store) warm() {
	cl := s.cl
	for {
		pos := cl.writePos.Load()
		from := max(s.warmedTo.Load(), pos)
		target := pos + s.cfg.WarmAhead
		if from >= target {
			return
		}
		end, ok := s.warmRange(from, min(target, from+warmChunk))
		if !ok {
			return
		}
		s.warmedTo.Store(end)
	}
}

// warmRange populates [from, to) or the part of it in from's segment (the
// prepared next segment included), returning where it stopped.
func (s *Store) warmRange(from, to int64) (int64, bool) {
	cl := s.cl
	cl.segMu.RLock()
	defer cl.segMu.RUnlock()
	if seg := cl.segmentAt(from); seg != nil {
		end := min(to, seg.end())
		seg.file.Populate(from-seg.base, end-from)
		return end, true
	}
	// The prepared segment is not in segs yet; prepMu keeps it from being
	// discarded while it is populated.
	cl.prepMu.Lock()
	defer cl.prepMu.Unlock()
	if seg := cl.prepared; seg != nil && seg.base <= from && from < seg.end() {
		end := min(to, seg.end())
		seg.file.Populate(from-seg.base, end-from)
		return end, true
	}
	return from, false
}
