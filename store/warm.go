package store

// warmChunk is how much one Populate call covers: small enough that the
// locks it holds are short. Populating holds the process's memory-map lock
// shared; an mmap (a new segment, consume-queue or index file) then waits
// for it, and every page fault in the process queues behind that mmap. With
// 256 KiB chunks traces showed the whole broker frozen for up to 200 ms.
const warmChunk = 64 << 10

// warmLoop keeps the WarmAhead bytes after the write position populated.
// A page fault on a fresh page of a mapped file costs microseconds (page
// allocation, zeroing, file-system reservation); taken here, it is off the
// append path.
//
// Only appends that copy into the mapping kick it (no timer): ahead of
// appends that write, populated pages would cost what writing saves.
func (s *Store) warmLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.stop:
			return
		case <-s.warmKick:
		}
		s.warm()
	}
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
