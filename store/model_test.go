package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

type modelRec struct {
	qk   queueKey
	qoff int64
	phys int64
	size int64
	body string
	key  string
}

// model is what must be in the store: every record in log order.
type model struct {
	recs []modelRec
	next map[queueKey]int64
}

func (m *model) keepBelow(end int64) {
	m.recs = slices.DeleteFunc(m.recs, func(r modelRec) bool { return r.phys+r.size > end })
}

// TestRandomizedModel mixes appends, reads, clean restarts, crashes of each
// kind, retention and truncation, and compares the store with a model.
func TestRandomizedModel(t *testing.T) {
	seeds := 8
	if testing.Short() {
		seeds = 3
	}
	// STORE_MODEL_SEEDS runs more seeds, for soaking.
	if n, err := strconv.Atoi(os.Getenv("STORE_MODEL_SEEDS")); err == nil {
		seeds = n
	}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, seed, 350) })
	}
}

func runModel(t *testing.T, seed uint64, ops int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	var clock atomic.Int64
	clock.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	fs := vfs.NewMemFS()
	cfg := testConfig(fs)
	cfg.SegmentSize = 96 << 10
	cfg.MaxMessageSize = 16 << 10
	cfg.ConsumeQueueEntriesPerFile = 16
	cfg.IndexEntries = 64
	cfg.IndexSlots = 13
	cfg.Now = func() time.Time { return time.UnixMilli(clock.Load()) }
	if seed%2 == 0 {
		cfg.FlushMode = SyncFlush
	}
	s := mustOpen(t, cfg)
	defer func() { s.Close() }()
	// Half the SyncFlush seeds write ahead from a small stage, so that
	// appends write while the flusher syncs, truncates and crashes.
	ahead := 0
	if seed%4 == 0 {
		ahead = 2 << 10
	}
	setWriteAhead(s, ahead)
	md := &model{next: map[queueKey]int64{}}
	queues := []queueKey{{"A", 0}, {"A", 1}, {"A", 2}, {"B", 0}, {"B", 5}}
	seq := 0

	check := func(where string) {
		t.Helper()
		waitVisible(t, s)
		minPhys := s.MinPhysicalOffset()
		for _, qk := range queues {
			var want []string
			for _, r := range md.recs {
				if r.qk == qk && r.phys >= minPhys {
					want = append(want, r.body)
				}
			}
			got := bodies(t, s, qk.topic, qk.qid)
			if !slices.Equal(got, want) {
				t.Fatalf("%s: queue %v has %d messages, model %d (min phys %d)", where, qk, len(got), len(want), minPhys)
			}
		}
		// A sample of index lookups and direct reads.
		for i := 0; i < 10 && len(md.recs) > 0; i++ {
			r := md.recs[rng.IntN(len(md.recs))]
			if r.phys < minPhys {
				continue
			}
			msgs, err := s.QueryByKey(r.qk.topic, r.key, 4, 0, 1<<62)
			if err != nil || len(msgs) != 1 {
				for _, f := range s.idx.files {
					t.Logf("index file %s phys [%d,%d] ts [%d,%d] count %d", f.name, f.beginPhy(), f.endPhy(), f.beginTimestamp(), f.endTimestamp(), f.count())
				}
				t.Fatalf("%s: QueryByKey(%s) at %d ts? = %d, %v", where, r.key, r.phys, len(msgs), err)
			}
			b, err := s.MessageAt(r.phys)
			if err != nil || int64(len(b)) != r.size {
				t.Fatalf("%s: MessageAt(%d): %v", where, r.phys, err)
			}
		}
	}
	reopen := func(img *vfs.MemFS, bound int64, what string) {
		t.Helper()
		cfg.FS = img
		fs = img
		s = mustOpen(t, cfg)
		setWriteAhead(s, ahead)
		end := s.MaxPhysicalOffset()
		if end < bound {
			t.Fatalf("after %s the log ends at %d, durable up to %d", what, end, bound)
		}
		for _, r := range md.recs {
			if r.phys < end && r.phys+r.size > end {
				t.Fatalf("after %s the log ends at %d inside record [%d,%d)", what, end, r.phys, r.phys+r.size)
			}
		}
		md.keepBelow(end)
		for _, qk := range queues {
			last := int64(-1)
			for _, r := range md.recs {
				if r.qk == qk {
					last = r.qoff
				}
			}
			if last >= 0 {
				md.next[qk] = last + 1
			} else if mo := s.MaxOffset(qk.topic, qk.qid); mo <= md.next[qk] {
				md.next[qk] = mo
			}
		}
		waitVisible(t, s)
		for _, qk := range queues {
			if got := s.MaxOffset(qk.topic, qk.qid); got != md.next[qk] && got != 0 {
				q := s.queue(qk.topic, qk.qid)
				for o := q.minOffset.Load(); o < q.maxOffset.Load(); o++ {
					e, _ := q.entry(o)
					t.Logf("entry %d: %+v", o, e)
				}
				for _, r := range md.recs {
					if r.qk == qk {
						t.Logf("model %d at %d size %d", r.qoff, r.phys, r.size)
					}
				}
				t.Fatalf("after %s queue %v max offset %d, model %d", what, qk, got, md.next[qk])
			}
		}
		check("after " + what)
	}

	for op := 0; op < ops; op++ {
		clock.Add(int64(rng.IntN(40)))
		x := rng.IntN(100)
		if os.Getenv("STORE_MODEL_PARANOID") != "" {
			waitVisible(t, s)
			for _, r := range md.recs {
				if r.phys < s.MinPhysicalOffset() {
					continue
				}
				if msgs, _ := s.QueryByKey(r.qk.topic, r.key, 4, 0, 1<<62); len(msgs) != 1 {
					for _, f := range s.idx.files {
						t.Logf("index file %s phys [%d,%d] ts [%d,%d] count %d", f.name, f.beginPhy(), f.endPhy(), f.beginTimestamp(), f.endTimestamp(), f.count())
					}
					b, err := s.MessageAt(r.phys)
					var got *message.Ext
					if err == nil {
						got, _, err = message.DecodeStored(b)
					}
					if got != nil {
						t.Logf("record there: %v topic %s q %d keys %v body %.20q; model body %.20q", err, got.Topic, got.QueueID, got.Keys(), got.Body, r.body)
					}
					t.Logf("index offsets: %v", s.idx.query(r.qk.topic, r.key, 10, 0, 1<<62))
					t.Fatalf("before op %d: key %s at %d not found", op, r.key, r.phys)
				}
			}
		}
		if testing.Verbose() {
			t.Logf("op %d kind %d log [%d,%d) flushed %d dispatched %d A0 [%d,%d)", op, x, s.MinPhysicalOffset(), s.MaxPhysicalOffset(), s.FlushedPhysicalOffset(), s.DispatchedPhysicalOffset(), s.MinOffset("A", 0), s.MaxOffset("A", 0))
		}
		switch {
		case x < 70:
			qk := queues[rng.IntN(len(queues))]
			n := 1
			if rng.IntN(4) == 0 {
				n = 1 + rng.IntN(5)
			}
			var ms []*message.Ext
			for range n {
				seq++
				key := fmt.Sprintf("k%d-%d", seed, seq)
				body := fmt.Sprintf("%d:%s", seq, strings.Repeat("x", rng.IntN(3000)))
				if n == 1 && rng.IntN(8) == 0 {
					// Sometimes end the record exactly where only the
					// 8-byte end marker still fits in the segment.
					pos := s.MaxPhysicalOffset()
					left := cfg.SegmentSize - pos%cfg.SegmentSize - message.BlankSize
					fixed := int64(message.MinStoredSize + len(qk.topic) + len(message.PropertyKeys) + len(key) + 2)
					if b := left - fixed; b >= int64(len(fmt.Sprint(seq))+1) && b <= int64(cfg.MaxMessageSize) {
						body = fmt.Sprintf("%d:", seq) + strings.Repeat("y", int(b)-len(fmt.Sprint(seq))-1)
					}
				}
				ms = append(ms, newMsg(qk.topic, qk.qid, body, map[string]string{message.PropertyKeys: key}))
			}
			r, err := s.PutBatch(context.Background(), ms)
			if err != nil {
				t.Fatalf("op %d: PutBatch: %v", op, err)
			}
			if r.QueueOffset != md.next[qk] {
				t.Fatalf("op %d: queue %v offset %d, model %d", op, qk, r.QueueOffset, md.next[qk])
			}
			for i, m := range ms {
				md.recs = append(md.recs, modelRec{qk, m.QueueOffset, r.Offsets[i], int64(m.StoreSize), string(m.Body),
					m.Properties[message.PropertyKeys]})
			}
			md.next[qk] += int64(n)
		case x < 78:
			check(fmt.Sprintf("op %d", op))
		case x < 83:
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			reopen(fs, s.MaxPhysicalOffset(), "clean restart")
		case x < 90:
			mode := vfs.CrashMode(rng.IntN(3))
			var bound int64
			var img *vfs.MemFS
			s.quiesce(func() {
				bound = s.cl.writePos.Load()
				if mode != vfs.ProcessCrash {
					bound = s.cl.flushedPos.Load()
				}
				img = fs.Crash(mode, rng)
			})
			if cfg.FlushMode == SyncFlush && len(md.recs) > 0 {
				last := md.recs[len(md.recs)-1]
				if bound < last.phys+last.size {
					t.Fatalf("SyncFlush acknowledged up to %d but synced only %d", last.phys+last.size, bound)
				}
			}
			s.Close()
			reopen(img, bound, fmt.Sprintf("crash mode %d", mode))
		case x < 95:
			clock.Add(int64(73 * time.Hour / time.Millisecond))
			before := s.MinPhysicalOffset()
			s.CleanNow()
			if s.MinPhysicalOffset() < before {
				t.Fatal("min offset went back")
			}
			check(fmt.Sprintf("op %d after retention", op))
		default:
			minPhys := s.MinPhysicalOffset()
			var cands []int
			for i, r := range md.recs {
				if r.phys >= minPhys {
					cands = append(cands, i)
				}
			}
			if len(cands) == 0 {
				continue
			}
			k := cands[rng.IntN(len(cands))]
			cut := md.recs[k].phys
			waitVisible(t, s)
			if err := s.TruncateTo(cut); err != nil {
				t.Fatalf("op %d: TruncateTo(%d): %v", op, cut, err)
			}
			for _, r := range md.recs[k:] {
				md.next[r.qk] = min(md.next[r.qk], r.qoff)
			}
			md.recs = md.recs[:k]
			check(fmt.Sprintf("op %d after truncation to %d", op, cut))
		}
	}
	check("end")
}
