package store

import "math"

// zeroChunk is how much one round of warmAhead writes with zeros (and in
// SyncFlush syncs): each sync journals the blocks it turned into written
// ones, so larger chunks mean fewer journal commits, but a longer wait for
// an append whose records reach into the chunk being written.
const zeroChunk = 1 << 20

// warmLoop keeps the WarmAhead bytes after the write position prepared for
// appends, off the append path: a chunk at a time, it writes them with zeros
// (File.WriteAt), and for staged appends (SyncFlush) syncs them.
//
// Why, measured here on ext4 (segments are preallocated, so their blocks
// start out unwritten):
//   - The first touch of a page-cache page is the main cost of an append
//     after the copy: this machine's memory is virtual, and a page the guest
//     has not used lately faults in the host as well. Written with zeros, a
//     page is brought in the cheapest way found, off the append lock; an
//     append copying into the mapping then takes only a light write fault
//     per page. Peak produce of 1 KiB messages (broker and load tool on the
//     2 cores, medians of 9 interleaved runs): zeros only 111k msg/s and
//     9.2 us of broker CPU per message; populating the mapping instead
//     (MADV_POPULATE_WRITE, which zero-fills each page through readahead)
//     106k and 10.3 us; both 107k and 10-11 us. Batches write(2) their
//     records, which brings the pages in as well: populating ahead of them
//     cost ~1.4 us of broker CPU per message more (3 interleaved pairs).
//   - A sync of records written into unwritten blocks must also journal
//     their conversion to written ones: a write and sync of 64 KiB (a
//     group commit of 64 appends of 1 KiB) took ~280-340 us into unwritten
//     blocks against ~115 us into blocks written before. Synced zeros
//     journal once per chunk instead, at the cost of writing every block
//     twice, at the append rate (unlike WarmSegments, which zero-fills a
//     whole segment at once).
//
// Only appends that copy into the mapping or stage kick it (no timer):
// ahead of AsyncFlush appends that write, prepared pages would cost what
// writing saves.
func (s *Store) warmLoop() {
	defer s.wg.Done()
	var zeros []byte
	for {
		select {
		case <-s.stop:
			return
		case <-s.warmKick:
		}
		if zeros == nil {
			zeros = make([]byte, zeroChunk)
		}
		s.warmAhead(zeros)
	}
}

// warmAhead prepares chunks from the end of the appended records (or
// where it stopped last) up to WarmAhead bytes past it.
func (s *Store) warmAhead(zeros []byte) {
	cl := s.cl
	for {
		select {
		case <-s.stop:
			return
		default:
		}
		from, end, err := s.zeroNext(zeros)
		if end <= from {
			return
		}
		if err == nil && cl.staged {
			cl.withSegment(from, func(seg *segment) { err = seg.file.Sync(from-seg.base, end-from) })
		}
		if err != nil {
			// An append into these bytes only loses the head start; a
			// failing disk is reported by the appends' own writes and
			// syncs.
			s.cfg.Logger.Warn("store: preparing the log ahead of the appends failed", "from", from, "err", err)
			return
		}
		s.warmedTo.Store(end)
	}
}

// zeroNext writes zeros over the next chunk to prepare, [from, end), which
// lies in one segment (the prepared next one included); end <= from when
// there is nothing to prepare now. See commitLog.zeroing for why no record
// is overwritten.
func (s *Store) zeroNext(zeros []byte) (from, end int64, err error) {
	cl := s.cl
	s.putMu.Lock()
	pos := cl.reservePos
	from = max(s.warmedTo.Load(), pos)
	to := min(pos+s.cfg.WarmAhead, from+int64(len(zeros)))
	if from >= to {
		s.putMu.Unlock()
		return from, from, nil
	}
	cl.zeroing.Store(from)
	cl.zeroMu.Lock()
	s.putMu.Unlock()
	end = from
	cl.withSegment(from, func(seg *segment) {
		end = min(to, seg.end())
		_, err = seg.file.WriteAt(zeros[:end-from], from-seg.base)
	})
	cl.zeroing.Store(math.MaxInt64)
	cl.zeroMu.Unlock()
	return from, end, err
}

// withSegment calls f with the segment holding pos, the prepared next
// segment included, while it cannot be unmapped; it does nothing if no
// segment holds pos.
func (cl *commitLog) withSegment(pos int64, f func(*segment)) {
	cl.segMu.RLock()
	defer cl.segMu.RUnlock()
	if seg := cl.segmentAt(pos); seg != nil {
		f(seg)
		return
	}
	// The prepared segment is not in segs yet; prepMu keeps it from being
	// discarded meanwhile.
	cl.prepMu.Lock()
	defer cl.prepMu.Unlock()
	if seg := cl.prepared; seg != nil && seg.base <= pos && pos < seg.end() {
		f(seg)
	}
}
