package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

// TestConcurrentWritersReaders runs many writers and readers on many queues
// at once (meant for -race) and checks that every reader sees every queue
// complete and in order, and that OnArrival saw every message.
func TestConcurrentWritersReaders(t *testing.T) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		t.Run(mode.String(), func(t *testing.T) {
			fs := vfs.NewMemFS()
			cfg := testConfig(fs)
			cfg.FlushMode = mode
			s := mustOpen(t, cfg)
			defer s.Close()

			const writers, perWriter = 8, 300
			type qk struct {
				topic string
				qid   int32
			}
			queueOf := func(w int) qk { return qk{fmt.Sprintf("T%d", w%3), int32(w)} }
			var arrived atomic.Int64
			var arrMu sync.Mutex
			lastMax := map[qk]int64{}
			s.OnArrival(func(topic string, qid int32, max int64, tags int64) {
				arrived.Add(1)
				arrMu.Lock()
				defer arrMu.Unlock()
				k := qk{topic, qid}
				if max <= lastMax[k] {
					t.Errorf("arrival for %v went from %d to %d", k, lastMax[k], max)
				}
				lastMax[k] = max
			})

			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					q := queueOf(w)
					for i := 0; i < perWriter; {
						n := 1
						if w%2 == 0 {
							n = min(3, perWriter-i) // batch writers
						}
						var ms []*message.Ext
						for j := range n {
							ms = append(ms, newMsg(q.topic, q.qid, fmt.Sprintf("%d-%d", w, i+j),
								map[string]string{message.PropertyTags: fmt.Sprint((i + j) % 2), message.PropertyKeys: fmt.Sprintf("w%d-%d", w, i+j)}))
						}
						if _, err := s.PutBatch(context.Background(), ms); err != nil {
							errs <- err
							return
						}
						i += n
					}
				}()
			}
			// Readers follow every queue to its end.
			for r := range 4 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					deadline := time.Now().Add(30 * time.Second)
					next := map[int]int64{}
					for done := 0; done < writers; {
						if time.Now().After(deadline) {
							errs <- fmt.Errorf("reader %d: timed out with %d queues done", r, done)
							return
						}
						done = 0
						for w := range writers {
							q := queueOf(w)
							if next[w] == perWriter {
								done++
								continue
							}
							res := s.Get(q.topic, q.qid, next[w], 1+r*7, 0, nil)
							for i, b := range res.Messages {
								m, _, err := message.DecodeStored(b)
								if err != nil || string(m.Body) != fmt.Sprintf("%d-%d", w, next[w]+int64(i)) || m.QueueOffset != next[w]+int64(i) {
									errs <- fmt.Errorf("reader %d queue %v offset %d: %q %v", r, q, next[w]+int64(i), m.Body, err)
									return
								}
							}
							if res.Status == Found {
								next[w] = res.NextOffset
							}
						}
					}
				}()
			}
			// Lookups while all this happens.
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 200 {
					s.Topics()
					s.OffsetByTime("T0", 0, time.Now().UnixMilli())
					s.QueryByKey("T1", "w1-3", 4, 0, 1<<62)
					s.EarliestStoreTime("T2", 2)
					s.MessageAt(s.MinPhysicalOffset())
				}
			}()
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			waitVisible(t, s)
			if got := arrived.Load(); got != writers*perWriter {
				t.Fatalf("OnArrival called %d times, want %d", got, writers*perWriter)
			}
			for w := range writers {
				q := queueOf(w)
				if s.MaxOffset(q.topic, q.qid) != perWriter {
					t.Fatalf("queue %v max %d", q, s.MaxOffset(q.topic, q.qid))
				}
				if msgs, err := s.QueryByKey(q.topic, fmt.Sprintf("w%d-%d", w, perWriter-1), 2, 0, 1<<62); err != nil || len(msgs) != 1 {
					t.Fatalf("QueryByKey: %d %v", len(msgs), err)
				}
			}
		})
	}
}
