package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/saturnmq/saturn/message"
)

// MessageFilter selects messages for Get. A nil filter matches everything.
type MessageFilter interface {
	// MatchTagsCode is asked first, with the consume-queue entry's tags
	// code.
	MatchTagsCode(code int64) bool
	// MatchMessage is asked for entries whose tags code matched, with the
	// stored record; the slice is valid only during the call.
	MatchMessage(stored []byte) bool
}

// GetResult is the outcome of Get.
type GetResult struct {
	Status GetStatus
	// Messages are the stored records found, each ready to send; they
	// alias Buffer.
	Messages [][]byte
	// Buffer holds the messages back to back: a pull response body.
	Buffer []byte
	// NextOffset is where the next Get should start, with upstream's
	// rules for each status.
	NextOffset int64
	MinOffset  int64
	MaxOffset  int64

	pool *sync.Pool
}

// Release gives Buffer back for reuse by later Gets. Calling it is
// optional (without it the garbage collector reclaims the buffer); after
// it, neither Buffer nor Messages may be used.
func (r *GetResult) Release() {
	if r.pool != nil && r.Buffer != nil {
		b := r.Buffer[:0]
		r.Buffer, r.Messages = nil, nil
		r.pool.Put(&b)
		r.pool = nil
	}
}

// maxScanEntries is upstream's bound on the consume-queue entries one Get
// reads (16000 bytes of entries), raised to maxCount when that is larger.
const maxScanEntries = 16000 / cqEntrySize

// Get reads up to maxCount messages (and, when maxBytes > 0, at most
// maxBytes bytes, though always at least one message) from a queue,
// starting at logical offset offset and reading within one consume-queue
// file. Statuses and NextOffset follow upstream's DefaultMessageStore:
// NoMatchedLogicQueue and NoMessageInQueue give 0; OffsetTooSmall gives the
// min offset; OffsetOverflowOne the offset itself; OffsetOverflowBadly the
// max offset, or 0 if the min offset is 0 (as upstream); OffsetFoundNull the
// start of the next file; otherwise the offset after the entries read.
func (s *Store) Get(topic string, queueID int32, offset int64, maxCount int, maxBytes int, f MessageFilter) *GetResult {
	r := &GetResult{}
	q := s.queue(topic, queueID)
	if q == nil {
		r.Status = NoMatchedLogicQueue
		return r
	}
	minOff, maxOff := q.minOffset.Load(), q.maxOffset.Load()
	r.MinOffset, r.MaxOffset = minOff, maxOff
	switch {
	case maxOff == 0:
		r.Status = NoMessageInQueue
		return r
	case offset < minOff:
		r.Status, r.NextOffset = OffsetTooSmall, minOff
		return r
	case offset == maxOff:
		r.Status, r.NextOffset = OffsetOverflowOne, offset
		return r
	case offset > maxOff:
		r.Status = OffsetOverflowBadly
		if minOff != 0 {
			r.NextOffset = maxOff
		}
		return r
	}
	if maxCount <= 0 {
		maxCount = 1
	}
	maxScan := int64(max(maxScanEntries, maxCount))
	var stack [64]cqEntry
	var ends []int
	r.Status = NoMatchedMessage
	clMin := s.cl.minOffset()
	removing := false
	off := offset
	full := false
	// Entries are read in chunks, so that a Get of a few messages reads
	// only a few entries; filtering reads on, up to maxScan entries.
	for !full && off < offset+maxScan {
		n := min(len(stack), int(offset+maxScan-off), max(maxCount-len(ends), 8))
		ents, ok, next := q.entries(stack[:0], off, n)
		if !ok {
			if off == offset {
				r.Status, r.NextOffset = OffsetFoundNull, next
				return r
			}
			break
		}
		if len(ents) == 0 {
			break
		}
		if r.Buffer == nil {
			need := 0
			for _, e := range ents[:min(len(ents), maxCount)] {
				if !e.filler() {
					need += int(e.size)
				}
			}
			if maxBytes > 0 {
				need = min(need, maxBytes)
			}
			r.Buffer = s.getBuffer(need)
			r.pool = &s.getPool
		}
		s.cl.segMu.RLock()
		i := 0
		for ; i < len(ents); i++ {
			e := ents[i]
			if len(ends) >= maxCount {
				full = true
				break
			}
			if e.filler() {
				continue
			}
			if maxBytes > 0 && len(ends) > 0 && len(r.Buffer)+int(e.size) > maxBytes {
				full = true
				break
			}
			if e.phys < clMin {
				removing = true
				continue
			}
			if f != nil && !f.MatchTagsCode(e.tags) {
				continue
			}
			rec, ok := s.cl.slice(e.phys, int(e.size))
			if !ok {
				removing = true
				continue
			}
			if f != nil && !f.MatchMessage(rec) {
				continue
			}
			r.Buffer = append(r.Buffer, rec...)
			ends = append(ends, len(r.Buffer))
		}
		s.cl.segMu.RUnlock()
		off += int64(i)
		if len(ends) >= maxCount {
			full = true
		}
		// A short chunk ends at the max offset or at the end of the
		// consume-queue file: one file per Get, as upstream.
		if len(ents) < n {
			break
		}
	}
	r.NextOffset = off
	if len(ends) > 0 {
		r.Status = Found
		r.Messages = make([][]byte, len(ends))
		start := 0
		for j, end := range ends {
			r.Messages[j] = r.Buffer[start:end:end]
			start = end
		}
	} else if removing {
		r.Status = MessageWasRemoving
	}
	return r
}

// getBuffer returns an empty buffer of at least need bytes, reused from a
// released GetResult when one is big enough.
func (s *Store) getBuffer(need int) []byte {
	if p, ok := s.getPool.Get().(*[]byte); ok {
		if cap(*p) >= need {
			return (*p)[:0]
		}
	}
	return make([]byte, 0, max(need, 4096))
}

// MaxOffset returns the queue's max offset (the next offset to be
// written), or 0 if there is no such queue.
func (s *Store) MaxOffset(topic string, queueID int32) int64 {
	if q := s.queue(topic, queueID); q != nil {
		return q.maxOffset.Load()
	}
	return 0
}

// MinOffset returns the queue's first offset still readable, or 0.
func (s *Store) MinOffset(topic string, queueID int32) int64 {
	if q := s.queue(topic, queueID); q != nil {
		return q.minOffset.Load()
	}
	return 0
}

// storeTime returns the store timestamp of the message at a queue offset.
func (s *Store) storeTime(q *consumeQueue, off int64) (int64, error) {
	phys, ok := q.physAt(off)
	if !ok {
		return 0, fmt.Errorf("%w: offset %d of %s/%d", ErrNotFound, off, q.topic, q.queueID)
	}
	ts, ok := s.cl.timestampAt(phys)
	if !ok {
		return 0, fmt.Errorf("%w: message at offset %d of %s/%d was removed", ErrNotFound, off, q.topic, q.queueID)
	}
	return ts, nil
}

// PhysicalOffsetAt returns the commit-log offset of the message at a
// queue's logical offset, read from the consume queue alone (the message
// itself is not touched, so the call never waits for the disk); false if
// the queue holds no message there.
func (s *Store) PhysicalOffsetAt(topic string, queueID int32, offset int64) (int64, bool) {
	q := s.queue(topic, queueID)
	if q == nil || offset < q.minOffset.Load() || offset >= q.maxOffset.Load() {
		return 0, false
	}
	return q.physAt(offset)
}

// StoreTimeAt returns the store timestamp of the message at offset.
func (s *Store) StoreTimeAt(topic string, queueID int32, offset int64) (int64, error) {
	q := s.queue(topic, queueID)
	if q == nil || offset < q.minOffset.Load() || offset >= q.maxOffset.Load() {
		return 0, fmt.Errorf("%w: offset %d of %s/%d", ErrNotFound, offset, topic, queueID)
	}
	return s.storeTime(q, offset)
}

// EarliestStoreTime returns the store timestamp of the queue's first
// readable message.
func (s *Store) EarliestStoreTime(topic string, queueID int32) (int64, error) {
	q := s.queue(topic, queueID)
	if q == nil {
		return 0, fmt.Errorf("%w: queue %s/%d", ErrNotFound, topic, queueID)
	}
	for off := q.minOffset.Load(); off < q.maxOffset.Load(); off++ {
		ts, err := s.storeTime(q, off)
		if err == nil {
			return ts, nil
		}
	}
	return 0, fmt.Errorf("%w: queue %s/%d is empty", ErrNotFound, topic, queueID)
}

// OffsetByTime returns the first offset of the queue whose message was
// stored at or after timestampMs (upstream 5.x's lower boundary); the min
// offset if all are newer, the max offset if all are older; 0 if there is
// no queue.
func (s *Store) OffsetByTime(topic string, queueID int32, timestampMs int64) int64 {
	q := s.queue(topic, queueID)
	if q == nil {
		return 0
	}
	lo, hi := q.minOffset.Load(), q.maxOffset.Load()
	// Invariant: store timestamps do not decrease along a queue. Entries
	// whose message is gone count as older.
	for lo < hi {
		mid := lo + (hi-lo)/2
		ts, err := s.storeTime(q, mid)
		if err == nil && ts >= timestampMs {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// MessageAt returns a copy of the stored record at physOffset.
func (s *Store) MessageAt(physOffset int64) ([]byte, error) {
	s.cl.segMu.RLock()
	defer s.cl.segMu.RUnlock()
	b, err := s.cl.record(physOffset)
	if err != nil {
		return nil, err
	}
	return slices.Clone(b), nil
}

// MessageAtSize returns a copy of the size bytes at physOffset, which must
// be one stored record of that size.
func (s *Store) MessageAtSize(physOffset int64, size int32) ([]byte, error) {
	s.cl.segMu.RLock()
	defer s.cl.segMu.RUnlock()
	b, ok := s.cl.slice(physOffset, int(size))
	if !ok || size < 8 || int32(binary.BigEndian.Uint32(b)) != size {
		return nil, fmt.Errorf("%w: no record of %d bytes at %d", ErrOffset, size, physOffset)
	}
	return slices.Clone(b), nil
}

// QueryByKey returns up to maxNum stored records of topic whose KEYS or
// UNIQ_KEY include key, stored within [beginMs, endMs] (at second
// precision, as the index keeps it), newest first. Hash collisions are
// filtered out.
func (s *Store) QueryByKey(topic, key string, maxNum int, beginMs, endMs int64) ([][]byte, error) {
	if s.idx == nil {
		return nil, fmt.Errorf("store: index disabled")
	}
	if maxNum <= 0 {
		return nil, nil
	}
	// Ask for more than maxNum: collisions are dropped below.
	offs := s.idx.query(topic, key, maxNum*2+8, beginMs, endMs)
	var out [][]byte
	s.cl.segMu.RLock()
	defer s.cl.segMu.RUnlock()
	var v message.View
	for _, phys := range offs {
		if len(out) >= maxNum {
			break
		}
		b, err := s.cl.record(phys)
		if err != nil {
			continue
		}
		if _, err := v.Parse(b); err != nil || string(v.Topic) != topic || !hasKey(v.Properties, key) {
			continue
		}
		out = append(out, slices.Clone(b))
	}
	return out, nil
}

func hasKey(props []byte, key string) bool {
	if u, ok := message.FindPropertyBytes(props, message.PropertyUniqClientMessageIDKeyIdx); ok && string(u) == key {
		return true
	}
	ks, ok := message.FindPropertyBytes(props, message.PropertyKeys)
	if !ok {
		return false
	}
	for _, k := range message.SplitKeys(string(ks)) {
		if k == key {
			return true
		}
	}
	return false
}
