package client

import (
	"sort"
	"sync"
	"sync/atomic"

	"github.com/saturnmq/saturn/message"
)

// processQueue holds the messages pulled from one queue that are not
// consumed yet, in offset order, and knows which offset may be committed:
// the lowest offset not consumed yet, or the next offset to pull when
// everything pulled is consumed. Messages consumed out of order (several
// workers) therefore never let the committed offset skip one still being
// consumed.
type processQueue struct {
	mq MessageQueue

	mu      sync.Mutex
	entries []pqEntry // ascending offsets; entries[:head] are all consumed
	head    int
	count   int   // entries not consumed
	size    int64 // body bytes of those
	next    int64 // next offset to pull; every lower offset is in entries or done

	dropped atomic.Bool   // no longer owned: results of consumption are ignored
	space   chan struct{} // signalled when messages are consumed (flow control)
}

type pqEntry struct {
	off  int64
	size int32
	live bool
}

func newProcessQueue(mq MessageQueue, next int64) *processQueue {
	return &processQueue{mq: mq, next: next, space: make(chan struct{}, 1)}
}

// put adds pulled messages (ascending offsets, above all held ones) and
// records the next offset to pull.
func (pq *processQueue) put(msgs []*message.Ext, next int64) {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	for _, m := range msgs {
		// Offsets only grow: a pull starts at next, so anything below it (or
		// below what is held) is a duplicate.
		if m.QueueOffset < pq.next {
			continue
		}
		if n := len(pq.entries); n > pq.head && m.QueueOffset <= pq.entries[n-1].off {
			continue
		}
		pq.entries = append(pq.entries, pqEntry{off: m.QueueOffset, size: int32(len(m.Body)), live: true})
		pq.count++
		pq.size += int64(len(m.Body))
	}
	if next > pq.next {
		pq.next = next
	}
}

// advance records the next offset to pull after a pull that returned
// nothing to hold.
func (pq *processQueue) advance(next int64) {
	pq.mu.Lock()
	if next > pq.next {
		pq.next = next
	}
	pq.mu.Unlock()
}

// reset forgets everything held and restarts at next (offset moved).
func (pq *processQueue) reset(next int64) {
	pq.mu.Lock()
	pq.entries, pq.head, pq.count, pq.size, pq.next = nil, 0, 0, 0, next
	pq.mu.Unlock()
	pq.signal()
}

// remove marks msgs consumed and returns the offset that may be committed.
func (pq *processQueue) remove(msgs []*message.Ext) int64 {
	pq.mu.Lock()
	live := pq.entries[pq.head:]
	for _, m := range msgs {
		i := sort.Search(len(live), func(i int) bool { return live[i].off >= m.QueueOffset })
		if i < len(live) && live[i].off == m.QueueOffset && live[i].live {
			live[i].live = false
			pq.count--
			pq.size -= int64(live[i].size)
		}
	}
	for pq.head < len(pq.entries) && !pq.entries[pq.head].live {
		pq.head++
	}
	// Reclaim the consumed prefix once it dominates the slice.
	if pq.head > 256 && pq.head*2 > len(pq.entries) {
		n := copy(pq.entries, pq.entries[pq.head:])
		pq.entries = pq.entries[:n]
		pq.head = 0
	}
	off := pq.commitOffsetLocked()
	pq.mu.Unlock()
	pq.signal()
	return off
}

// commitOffset returns the offset that may be committed now.
func (pq *processQueue) commitOffset() int64 {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	return pq.commitOffsetLocked()
}

func (pq *processQueue) commitOffsetLocked() int64 {
	if pq.head < len(pq.entries) {
		return pq.entries[pq.head].off
	}
	return pq.next
}

// stats returns the number and body bytes of messages not consumed yet.
func (pq *processQueue) stats() (int, int64) {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	return pq.count, pq.size
}

// nextOffset returns the next offset to pull.
func (pq *processQueue) nextOffset() int64 {
	pq.mu.Lock()
	defer pq.mu.Unlock()
	return pq.next
}

func (pq *processQueue) signal() {
	select {
	case pq.space <- struct{}{}:
	default:
	}
}
