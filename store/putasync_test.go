package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

// asyncRecorder collects the callbacks of PutAsync by key.
type asyncRecorder struct {
	mu    sync.Mutex
	res   map[string]PutResult
	errs  map[string]error
	calls map[string]int
	n     atomic.Int64
}

func newAsyncRecorder() *asyncRecorder {
	return &asyncRecorder{res: map[string]PutResult{}, errs: map[string]error{}, calls: map[string]int{}}
}

func (r *asyncRecorder) done(key string) func(PutResult, error) {
	return func(res PutResult, err error) {
		r.mu.Lock()
		r.res[key], r.errs[key] = res, err
		r.calls[key]++
		r.mu.Unlock()
		r.n.Add(1)
	}
}

// acked returns the keys answered PutOK so far.
func (r *asyncRecorder) acked() map[string]PutResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]PutResult{}
	for k, res := range r.res {
		if res.Status == PutOK && r.errs[k] == nil {
			out[k] = res
		}
	}
	return out
}

func (r *asyncRecorder) waitFor(t *testing.T, n int64) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); r.n.Load() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d callbacks after 30s", r.n.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPutAsync(t *testing.T) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		t.Run(mode.String(), func(t *testing.T) {
			cfg := testConfig(vfs.NewMemFS())
			cfg.FlushMode = mode
			s := mustOpen(t, cfg)
			defer s.Close()
			rec := newAsyncRecorder()
			const writers, per = 4, 150
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for i := range per {
						key := fmt.Sprintf("w%d-%d", w, i)
						if i%10 == 9 {
							batch := []*message.Ext{
								newMsg("Topic", int32(w), key, map[string]string{message.PropertyKeys: key}),
								newMsg("Topic", int32(w), key+"b", nil),
							}
							s.PutBatchAsync(batch, rec.done(key))
							continue
						}
						s.PutAsync(newMsg("Topic", int32(w), key, map[string]string{message.PropertyKeys: key}), rec.done(key))
					}
				})
			}
			wg.Wait()
			rec.waitFor(t, writers*per)
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for k, c := range rec.calls {
				if c != 1 || rec.errs[k] != nil || rec.res[k].Status != PutOK {
					t.Fatalf("%s: %d calls, %v %v", k, c, rec.res[k].Status, rec.errs[k])
				}
			}
			// Each queue holds its writer's messages in order, with the
			// queue offsets the callbacks reported.
			waitVisible(t, s)
			for w := range writers {
				got := bodies(t, s, "Topic", int32(w))
				var want []string
				next := int64(0)
				for i := range per {
					key := fmt.Sprintf("w%d-%d", w, i)
					if off := rec.res[key].QueueOffset; off != next {
						t.Fatalf("%s: queue offset %d, want %d", key, off, next)
					}
					want = append(want, key)
					next++
					if i%10 == 9 {
						want = append(want, key+"b")
						next++
						if n := len(rec.res[key].Offsets); n != 2 {
							t.Fatalf("%s: %d offsets for a batch of 2", key, n)
						}
					}
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Fatalf("queue %d holds %d messages, want %d", w, len(got), len(want))
				}
			}
		})
	}
}

// TestPutAsyncAckedSurvivesPowerLoss: a message whose callback said PutOK
// survives a power loss at any moment.
func TestPutAsyncAckedSurvivesPowerLoss(t *testing.T) {
	fs := vfs.NewMemFS()
	cfg := testConfig(fs)
	cfg.FlushMode = SyncFlush
	s := mustOpen(t, cfg)
	rec := newAsyncRecorder()
	var stop atomic.Bool
	var wg sync.WaitGroup
	var sent atomic.Int64
	for w := range 4 {
		wg.Go(func() {
			for i := 0; !stop.Load(); i++ {
				key := fmt.Sprintf("w%d-%d", w, i)
				sent.Add(1)
				s.PutAsync(newMsg("Topic", int32(w%3), key, map[string]string{message.PropertyKeys: key}), rec.done(key))
			}
		})
	}
	rng := rand.New(rand.NewPCG(7, 8))
	var acked map[string]PutResult
	var img *vfs.MemFS
	rec.waitFor(t, 300)
	// The acknowledgements are read before the image is taken: each was
	// given after its sync, so the image must hold it.
	s.quiesce(func() {
		acked = rec.acked()
		img = fs.Crash(vfs.PowerLoss, rng)
	})
	stop.Store(true)
	wg.Wait()
	rec.waitFor(t, sent.Load())
	s.Close()
	if len(acked) == 0 {
		t.Fatal("no acknowledged message before the crash")
	}
	cfg.FS = img
	s2 := mustOpen(t, cfg)
	defer s2.Close()
	waitVisible(t, s2)
	for key, res := range acked {
		msgs, err := s2.QueryByKey("Topic", key, 4, 0, 1<<62)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("acknowledged %s (offset %d) lost: %d found, %v", key, res.CommitLogOffset, len(msgs), err)
		}
	}
}

// TestPutAsyncSyncStall: while the disk stalls, waiters are answered
// FlushDiskTimeout after SyncFlushTimeout; their bytes are synced later.
func TestPutAsyncSyncStall(t *testing.T) {
	fs := vfs.NewMemFS()
	cfg := testConfig(fs)
	cfg.FlushMode = SyncFlush
	cfg.SyncFlushTimeout = 20 * time.Millisecond
	s := mustOpen(t, cfg)
	defer s.Close()
	mustPut(t, s, newMsg("T", 0, "before", nil))
	release := make(chan struct{})
	var stalled sync.Once
	stalledCh := make(chan struct{})
	fs.SetFault(func(op vfs.Op, name string) error {
		if op == vfs.OpSync && strings.Contains(name, "commitlog") {
			stalled.Do(func() { close(stalledCh) })
			<-release
		}
		return nil
	})
	rec := newAsyncRecorder()
	s.PutAsync(newMsg("T", 0, "stalled", nil), rec.done("stalled"))
	<-stalledCh
	rec.waitFor(t, 1)
	r, err := rec.res["stalled"], rec.errs["stalled"]
	if r.Status != FlushDiskTimeout || !errors.Is(err, ErrFlushDiskTimeout) || r.QueueOffset != 1 {
		t.Fatalf("stalled PutAsync: %v %v offset %d", r.Status, err, r.QueueOffset)
	}
	close(release)
	fs.SetFault(nil)
	mustPut(t, s, newMsg("T", 0, "after", nil))
	waitVisible(t, s)
	if got := strings.Join(bodies(t, s, "T", 0), ","); got != "before,stalled,after" {
		t.Fatalf("queue holds %s", got)
	}
}

func TestPutAsyncOutcomeAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		mode   FlushMode
		msg    *message.Ext
		status PutStatus
	}{
		{"async flush", AsyncFlush, newMsg("T", 0, "x", nil), PutOK},
		{"WAIT=false", SyncFlush, newMsg("T", 0, "x", map[string]string{message.PropertyWaitStoreMsgOK: "false"}), PutOK},
		{"illegal topic", SyncFlush, newMsg("T/x", 0, "x", nil), MessageIllegal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(vfs.NewMemFS())
			cfg.FlushMode = tt.mode
			s := mustOpen(t, cfg)
			defer s.Close()
			called := 0
			var got PutStatus
			s.PutAsync(tt.msg, func(r PutResult, err error) { called++; got = r.Status })
			if called != 1 || got != tt.status {
				t.Fatalf("callback ran %d times before PutAsync returned, status %v, want %v", called, got, tt.status)
			}
		})
	}
}

// TestPutAsyncClose: Close answers every waiter before it returns, and the
// answered messages are synced.
func TestPutAsyncClose(t *testing.T) {
	fs := vfs.NewMemFS()
	cfg := testConfig(fs)
	cfg.FlushMode = SyncFlush
	s := mustOpen(t, cfg)
	rec := newAsyncRecorder()
	const n = 500
	for i := range n {
		key := body(i)
		s.PutAsync(newMsg("T", 0, key, map[string]string{message.PropertyKeys: key}), rec.done(key))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := rec.n.Load(); got != n {
		t.Fatalf("%d of %d callbacks ran before Close returned", got, n)
	}
	acked := rec.acked()
	if len(acked) != n {
		t.Fatalf("%d of %d acknowledged", len(acked), n)
	}
	cfg.FS = fs.Crash(vfs.PowerLoss, rand.New(rand.NewPCG(1, 1)))
	s2 := mustOpen(t, cfg)
	defer s2.Close()
	if s2.MaxOffset("T", 0) != n {
		t.Fatalf("%d messages after power loss, want %d", s2.MaxOffset("T", 0), n)
	}
}
