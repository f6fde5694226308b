package store

import (
	"encoding/binary"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/saturnmq/saturn/store/vfs"
)

// follow copies the leader's log to the follower in chunks of at most
// chunk bytes, which cut records anywhere, calling before (if not nil)
// ahead of each AppendRaw. After each, the follower's log must end at
// least where the chunk does: the log end never moves back.
func follow(t *testing.T, leader, follower *Store, chunk int, before func(off int64)) {
	t.Helper()
	for follower.MaxPhysicalOffset() < leader.MaxPhysicalOffset() {
		off := follower.MaxPhysicalOffset()
		b, err := leader.ReadRaw(off, chunk)
		if err != nil || len(b) == 0 {
			t.Fatalf("ReadRaw(%d): %d bytes, %v", off, len(b), err)
		}
		if before != nil {
			before(off)
		}
		if err := follower.AppendRaw(off, b); err != nil {
			t.Fatalf("AppendRaw(%d): %v", off, err)
		}
		if end := follower.MaxPhysicalOffset(); end < off+int64(len(b)) {
			t.Fatalf("log end %d after a raw append up to %d", end, off+int64(len(b)))
		}
	}
}

func TestReplicationSeams(t *testing.T) {
	leader := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer leader.Close()
	ffs := vfs.NewMemFS()
	fcfg := testConfig(ffs)
	follower := mustOpen(t, fcfg)
	defer func() { follower.Close() }()

	ws := fill(t, leader, 1500, 0) // several segments, with blanks
	follow(t, leader, follower, 777, nil)
	if follower.MaxPhysicalOffset() != leader.MaxPhysicalOffset() {
		t.Fatalf("follower at %d, leader at %d", follower.MaxPhysicalOffset(), leader.MaxPhysicalOffset())
	}
	waitVisible(t, follower)
	checkSurvivors(t, follower, ws, leader.MaxPhysicalOffset())
	a, _ := leader.ReadRaw(leader.MinPhysicalOffset(), 1<<20)
	b, _ := follower.ReadRaw(follower.MinPhysicalOffset(), 1<<20)
	if !slices.Equal(a, b) {
		t.Fatal("follower's first segment differs from the leader's")
	}

	// Wrong offsets are refused.
	if err := follower.AppendRaw(follower.MaxPhysicalOffset()+1, []byte{1}); !errors.Is(err, ErrOffset) {
		t.Fatalf("AppendRaw at a wrong offset: %v", err)
	}
	if err := follower.TruncateTo(ws[100].phys + 1); !errors.Is(err, ErrOffset) {
		t.Fatalf("TruncateTo inside a record: %v", err)
	}

	// A partial record at the end is not dispatched; Put refuses until the
	// log is cut back to a boundary.
	more := fill(t, leader, 1, 7000)
	raw, err := leader.ReadRaw(more[0].phys, 50)
	if err != nil {
		t.Fatal(err)
	}
	if err := follower.AppendRaw(more[0].phys, raw); err != nil {
		t.Fatal(err)
	}
	if _, err := follower.Put(t.Context(), newMsg("Topic", 0, "x", nil)); !errors.Is(err, ErrServiceNotAvailable) {
		t.Fatalf("Put on a log ending in a partial record: %v", err)
	}

	// After a leader change the follower cuts back and becomes a leader
	// itself: queue offsets continue from what was kept.
	k := 1200
	if err := follower.TruncateTo(ws[k].phys); err != nil {
		t.Fatal(err)
	}
	checkSurvivors(t, follower, ws[:k], ws[k].phys)
	next := fill(t, follower, 60, 8000)
	if next[0].phys != ws[k].phys {
		t.Fatalf("append after truncation at %d, want %d", next[0].phys, ws[k].phys)
	}
	all := append(slices.Clone(ws[:k]), next...)
	end := next[len(next)-1].phys + int64(next[len(next)-1].size)
	checkSurvivors(t, follower, all, end)

	// The truncation survives a crash and a restart.
	img := crashImage(follower, ffs, vfs.PowerLoss, nil)
	follower.Close()
	fcfg.FS = img
	follower = mustOpen(t, fcfg)
	if got := follower.MaxPhysicalOffset(); got < ws[k].phys {
		t.Fatalf("after power loss the log ends at %d, below the truncation point %d", got, ws[k].phys)
	}
	n := slices.IndexFunc(all, func(w written) bool { return w.phys+int64(w.size) > follower.MaxPhysicalOffset() })
	if n < 0 {
		n = len(all)
	}
	checkSurvivors(t, follower, all[:n], follower.MaxPhysicalOffset())
	for _, w := range ws[k:] {
		if msgs, _ := follower.QueryByKey("Topic", w.key, 2, 0, 1<<62); len(msgs) != 0 {
			t.Fatalf("truncated message %s still indexed", w.key)
		}
	}
}

// TestAppendRawNeverMovesLogEndBack: in SyncFlush a sync publishes the
// position it took before syncing; raw appends published meanwhile must
// not be hidden again by it (the log end only grows, outside TruncateTo).
func TestAppendRawNeverMovesLogEndBack(t *testing.T) {
	leader := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer leader.Close()
	fill(t, leader, 3000, 0)
	cfg := testConfig(vfs.NewMemFS())
	cfg.FlushMode = SyncFlush
	follower := mustOpen(t, cfg)
	defer follower.Close()

	done := make(chan struct{})
	flushed := make(chan error, 1)
	// Stopped before the follower closes, also when the test fails.
	stop := sync.OnceValue(func() error {
		close(done)
		return <-flushed
	})
	defer stop()
	go func() {
		// Syncs as the group commit runs them, as often as possible.
		var err error
		for err == nil {
			select {
			case <-done:
				flushed <- nil
				return
			default:
			}
			_, err = follower.cl.flush()
		}
		flushed <- err
	}()
	follow(t, leader, follower, 200, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if got, want := follower.MaxPhysicalOffset(), leader.MaxPhysicalOffset(); got != want {
		t.Fatalf("log ends at %d, want %d", got, want)
	}
}

// TestPartialRecordIdlesDispatcher: while the log ends in part of a record
// (a raw append cut it), the dispatcher waits for the rest instead of
// retrying at once; the rest is then dispatched, and Close is not held up.
func TestPartialRecordIdlesDispatcher(t *testing.T) {
	leader := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer leader.Close()
	want := fill(t, leader, 10, 0)
	follower := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer follower.Close()

	b, err := leader.ReadRaw(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	cut := int64(binary.BigEndian.Uint32(b) / 2) // inside the first record
	if err := follower.AppendRaw(0, b[:cut]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); !follower.dispIdle.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the dispatcher never went idle behind a partial record")
		}
	}
	if d := follower.DispatchedPhysicalOffset(); d != 0 {
		t.Fatalf("dispatched up to %d inside a partial record", d)
	}
	if err := follower.AppendRaw(cut, b[cut:]); err != nil {
		t.Fatal(err)
	}
	checkSurvivors(t, follower, want, leader.MaxPhysicalOffset())
}
