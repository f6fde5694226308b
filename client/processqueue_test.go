package client

import (
	"testing"

	"github.com/saturnmq/saturn/message"
)

func exts(offs ...int64) []*message.Ext {
	var out []*message.Ext
	for _, o := range offs {
		out = append(out, &message.Ext{QueueOffset: o, Body: []byte("xx")})
	}
	return out
}

func TestProcessQueueCommitOffset(t *testing.T) {
	pq := newProcessQueue(MessageQueue{}, 10)
	if pq.commitOffset() != 10 {
		t.Fatal("empty queue commits its start")
	}
	m := exts(10, 11, 12, 13)
	pq.put(m, 14)
	if n, size := pq.stats(); n != 4 || size != 8 {
		t.Fatalf("stats %d %d", n, size)
	}
	steps := []struct {
		remove []*message.Ext
		want   int64
	}{
		{[]*message.Ext{m[2]}, 10},       // out of order: 10 still pending
		{[]*message.Ext{m[0]}, 11},       // 11 pending
		{[]*message.Ext{m[1], m[3]}, 14}, // all done: next pull offset
		{[]*message.Ext{m[1]}, 14},       // double removal is harmless
	}
	for i, s := range steps {
		if got := pq.remove(s.remove); got != s.want {
			t.Fatalf("step %d: commit offset %d, want %d", i, got, s.want)
		}
	}
	if n, size := pq.stats(); n != 0 || size != 0 {
		t.Fatalf("stats after all removed %d %d", n, size)
	}
	pq.advance(20) // a pull found nothing matching up to 20
	if pq.commitOffset() != 20 || pq.nextOffset() != 20 {
		t.Fatal("advance")
	}
	pq.put(exts(15), 21) // never backwards
	if pq.commitOffset() != 21 {
		t.Fatalf("commit after stale put = %d", pq.commitOffset())
	}
	pq.reset(5)
	if pq.commitOffset() != 5 || pq.nextOffset() != 5 {
		t.Fatal("reset")
	}
}

func TestProcessQueueCompaction(t *testing.T) {
	pq := newProcessQueue(MessageQueue{}, 0)
	for round := range 10 {
		var batch []int64
		for i := range 100 {
			batch = append(batch, int64(round*100+i))
		}
		ms := exts(batch...)
		pq.put(ms, int64(round*100+100))
		if got := pq.remove(ms); got != int64(round*100+100) {
			t.Fatalf("round %d: commit %d", round, got)
		}
	}
	if len(pq.entries) > 600 {
		t.Fatalf("consumed entries not reclaimed: %d", len(pq.entries))
	}
}
