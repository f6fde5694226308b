package store

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/store/vfs"
)

type fakeClock struct{ ms atomic.Int64 }

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ms.Store(t.UnixMilli())
	return c
}
func (c *fakeClock) now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }
func (c *fakeClock) set(t time.Time)     { c.ms.Store(t.UnixMilli()) }
func syncAll(t *testing.T, s *Store) {
	t.Helper()
	waitVisible(t, s)
	if _, err := s.cl.flush(); err != nil {
		t.Fatal(err)
	}
	if err := s.writeCheckpoint(false); err != nil {
		t.Fatal(err)
	}
}

func TestRetentionByTime(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.Local))
	cfg := testConfig(vfs.NewMemFS())
	cfg.Now = clock.now
	cfg.DeleteWhen = "04;16"
	s := mustOpen(t, cfg)
	defer s.Close()
	// Three segments' worth, an hour apart per batch.
	var ws []written
	for b := range 6 {
		ws = append(ws, fill(t, s, 300, b*300)...)
		clock.add(time.Hour)
	}
	syncAll(t, s)
	segs := len(s.cl.segs)
	if segs < 4 {
		t.Fatalf("only %d segments", segs)
	}
	// Not the delete hour and disk nearly empty: nothing happens.
	clock.set(time.Date(2026, 3, 10, 10, 0, 0, 0, time.Local))
	if n := s.clean(false); n != 0 {
		t.Fatalf("deleted %d segments outside the delete hour", n)
	}
	// At 16:xx everything expired goes but the segment being written.
	clock.set(time.Date(2026, 3, 10, 16, 5, 0, 0, time.Local))
	if n := s.clean(false); n != segs-1 {
		t.Fatalf("deleted %d segments, want %d", n, segs-1)
	}
	minPhys := s.MinPhysicalOffset()
	var kept []written
	for _, w := range ws {
		if w.phys >= minPhys {
			kept = append(kept, w)
		}
	}
	checkSurvivors(t, s, kept, s.MaxPhysicalOffset())
	// Reading below the new minimum says so.
	q := kept[0]
	if q.qoff > 0 {
		r := s.Get("Topic", q.qid, 0, 4, 0, nil)
		if r.Status != OffsetTooSmall || r.NextOffset != s.MinOffset("Topic", q.qid) {
			t.Fatalf("Get below min: %v next %d min %d", r.Status, r.NextOffset, s.MinOffset("Topic", q.qid))
		}
	}
	// Survives a restart.
	s.Close()
	s = mustOpen(t, cfg)
	checkSurvivors(t, s, kept, s.MaxPhysicalOffset())
}

func TestRetentionByDiskUse(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.Local))
	fs := vfs.NewMemFS()
	cfg := testConfig(fs)
	cfg.Now = clock.now
	s := mustOpen(t, cfg)
	defer s.Close()
	fill(t, s, 1500, 0)
	syncAll(t, s)
	used, _, _ := fs.DiskUsage("/")
	segs := len(s.cl.segs)

	// Above DiskMaxUsedRatio (75%) nothing is old enough to go.
	fs.SetCapacity(used * 100 / 80)
	if n := s.clean(false); n != 0 {
		t.Fatalf("deleted %d unexpired segments at 80%% use", n)
	}
	// Above 90% appends are refused; above 85% the oldest go anyway.
	fs.SetCapacity(used * 100 / 95)
	if n := s.clean(false); n != segs-1 {
		t.Fatalf("deleted %d segments at 95%% use, want %d", n, segs-1)
	}
	if _, err := s.Put(t.Context(), newMsg("Topic", 0, "x", nil)); !errors.Is(err, ErrServiceNotAvailable) {
		t.Fatalf("Put with a full disk: %v", err)
	}
	fs.SetCapacity(1 << 40)
	s.clean(false)
	mustPut(t, s, newMsg("Topic", 0, "x", nil))
}
