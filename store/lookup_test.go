package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

func TestTimeLookups(t *testing.T) {
	clock := newFakeClock(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	cfg := testConfig(vfs.NewMemFS())
	cfg.Now = clock.now
	s := mustOpen(t, cfg)
	defer s.Close()
	start := clock.ms.Load()
	for i := range 100 {
		mustPut(t, s, newMsg("T", 0, body(i), nil))
		clock.add(10 * time.Millisecond)
	}
	waitVisible(t, s)
	tests := []struct {
		ts   int64
		want int64
	}{
		{0, 0},
		{start, 0},
		{start + 1, 1},
		{start + 10, 1},
		{start + 505, 51},
		{start + 990, 99},
		{start + 991, 100},
		{1 << 62, 100},
	}
	for _, tc := range tests {
		if got := s.OffsetByTime("T", 0, tc.ts); got != tc.want {
			t.Errorf("OffsetByTime(start+%d) = %d, want %d", tc.ts-start, got, tc.want)
		}
	}
	if got := s.OffsetByTime("nope", 0, start); got != 0 {
		t.Errorf("OffsetByTime of a missing queue = %d", got)
	}
	if ts, err := s.EarliestStoreTime("T", 0); err != nil || ts != start {
		t.Errorf("EarliestStoreTime = %d, %v", ts-start, err)
	}
	if ts, err := s.StoreTimeAt("T", 0, 42); err != nil || ts != start+420 {
		t.Errorf("StoreTimeAt(42) = %d, %v", ts-start, err)
	}
	if _, err := s.StoreTimeAt("T", 0, 100); !errors.Is(err, ErrNotFound) {
		t.Errorf("StoreTimeAt(100): %v", err)
	}
	if _, err := s.EarliestStoreTime("nope", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("EarliestStoreTime of a missing queue: %v", err)
	}
	// The clock going back does not make store times go back.
	clock.add(-time.Hour)
	r := mustPut(t, s, newMsg("T", 0, "late", nil))
	if r.StoreTimestamp < start+990 {
		t.Errorf("store timestamp went back: %d", r.StoreTimestamp-start)
	}
}

func TestMessageAtAndTransactions(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer s.Close()
	normal := mustPut(t, s, newMsg("T", 0, "normal", nil))
	half := newMsg("T", 0, "half", map[string]string{message.PropertyUniqClientMessageIDKeyIdx: "HALF"})
	half.SysFlag = message.TransactionPreparedType
	hr := mustPut(t, s, half)
	rb := newMsg("T", 0, "rollback", map[string]string{message.PropertyUniqClientMessageIDKeyIdx: "RB"})
	rb.SysFlag = message.TransactionRollbackType
	mustPut(t, s, rb)
	commit := newMsg("T", 0, "commit", nil)
	commit.SysFlag = message.TransactionCommitType
	commit.PreparedTransactionOffset = hr.CommitLogOffset
	cr := mustPut(t, s, commit)
	waitVisible(t, s)
	if hr.QueueOffset != 0 || cr.QueueOffset != 1 {
		t.Fatalf("queue offsets: half %d commit %d", hr.QueueOffset, cr.QueueOffset)
	}
	if got := bodies(t, s, "T", 0); !slices.Equal(got, []string{"normal", "commit"}) {
		t.Fatalf("queue holds %q", got)
	}
	// Half messages are indexed (the transaction check finds them),
	// rollbacks are not.
	if msgs, _ := s.QueryByKey("T", "HALF", 2, 0, 1<<62); len(msgs) != 1 {
		t.Fatal("half message not indexed")
	}
	if msgs, _ := s.QueryByKey("T", "RB", 2, 0, 1<<62); len(msgs) != 0 {
		t.Fatal("rollback message indexed")
	}
	b, err := s.MessageAt(hr.CommitLogOffset)
	if err != nil {
		t.Fatal(err)
	}
	if m, _, _ := message.DecodeStored(b); string(m.Body) != "half" || m.CommitLogOffset != hr.CommitLogOffset {
		t.Fatalf("MessageAt: %+v", m)
	}
	if b2, err := s.MessageAtSize(hr.CommitLogOffset, int32(len(b))); err != nil || !slices.Equal(b, b2) {
		t.Fatalf("MessageAtSize: %v", err)
	}
	for _, off := range []int64{-1, normal.CommitLogOffset + 1, s.MaxPhysicalOffset(), 1 << 40} {
		if _, err := s.MessageAt(off); !errors.Is(err, ErrOffset) {
			t.Errorf("MessageAt(%d): %v", off, err)
		}
	}
	if _, err := s.MessageAtSize(hr.CommitLogOffset, int32(len(b))-1); !errors.Is(err, ErrOffset) {
		t.Errorf("MessageAtSize with a wrong size: %v", err)
	}
}

func TestTopicsAndDelete(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer s.Close()
	for _, q := range []int32{3, 1, 2} {
		mustPut(t, s, newMsg("B", q, "x", nil))
	}
	mustPut(t, s, newMsg("A", 0, "x", nil))
	waitVisible(t, s)
	if got := s.Topics(); !slices.Equal(got, []string{"A", "B"}) {
		t.Fatalf("Topics = %v", got)
	}
	if got := s.QueueIDs("B"); !slices.Equal(got, []int32{1, 2, 3}) {
		t.Fatalf("QueueIDs = %v", got)
	}
	if err := s.DeleteTopic("B"); err != nil {
		t.Fatal(err)
	}
	if got := s.Topics(); !slices.Equal(got, []string{"A"}) {
		t.Fatalf("Topics after delete = %v", got)
	}
	if r := s.Get("B", 1, 0, 1, 0, nil); r.Status != NoMatchedLogicQueue {
		t.Fatalf("Get of a deleted topic: %v", r.Status)
	}
	r := mustPut(t, s, newMsg("B", 1, "again", nil))
	if r.QueueOffset != 0 {
		t.Fatalf("re-created topic starts at %d", r.QueueOffset)
	}
}

func TestIOErrors(t *testing.T) {
	fs := vfs.NewMemFS()
	cfg := testConfig(fs)
	cfg.FlushMode = SyncFlush
	s := mustOpen(t, cfg)
	defer s.Close()
	mustPut(t, s, newMsg("T", 0, "ok", nil))
	boom := errors.New("disk on fire")
	fs.SetFault(func(op vfs.Op, name string) error {
		if op == vfs.OpSync && strings.Contains(name, "commitlog") {
			return boom
		}
		return nil
	})
	r, err := s.Put(context.Background(), newMsg("T", 0, "lost", nil))
	if r.Status != FlushDiskTimeout || !errors.Is(err, ErrFlushDiskTimeout) || !errors.Is(err, boom) {
		t.Fatalf("Put with failing sync: %v %v", r.Status, err)
	}
	r, err = s.Put(context.Background(), newMsg("T", 0, "refused", nil))
	if r.Status != ServiceNotAvailable || !errors.Is(err, ErrServiceNotAvailable) {
		t.Fatalf("Put after a sync error: %v %v", r.Status, err)
	}
	fs.SetFault(nil)

	// A failed write ahead fails the sync that would cover its bytes,
	// also when the flusher's own write succeeds: the append is not
	// acknowledged, and the store refuses appends from then on.
	fs3 := vfs.NewMemFS()
	cfg3 := testConfig(fs3)
	cfg3.FlushMode = SyncFlush
	// No zeros written ahead: the fault below is for the first write of
	// records, and a failed zero write only costs the head start.
	cfg3.WarmAhead = -1
	s3 := mustOpen(t, cfg3)
	defer s3.Close()
	mustPut(t, s3, newMsg("T", 0, "ok", nil))
	setWriteAhead(s3, 1)
	var failed atomic.Bool
	fs3.SetFault(func(op vfs.Op, name string) error {
		if op == vfs.OpWrite && strings.Contains(name, "commitlog") && failed.CompareAndSwap(false, true) {
			return boom
		}
		return nil
	})
	r, err = s3.Put(context.Background(), newMsg("T", 0, "lost", nil))
	if !failed.Load() || r.Status != FlushDiskTimeout || !errors.Is(err, boom) {
		t.Fatalf("Put with a failing write ahead (failed %v): %v %v", failed.Load(), r.Status, err)
	}
	r, err = s3.Put(context.Background(), newMsg("T", 0, "refused", nil))
	if r.Status != ServiceNotAvailable || !errors.Is(err, ErrServiceNotAvailable) {
		t.Fatalf("Put after a failed write ahead: %v %v", r.Status, err)
	}
	fs3.SetFault(nil)

	// A failing segment creation refuses the append and leaves the log
	// as it was.
	fs2 := vfs.NewMemFS()
	cfg2 := testConfig(fs2)
	s2 := mustOpen(t, cfg2)
	defer s2.Close()
	fs2.SetFault(func(op vfs.Op, name string) error {
		if op == vfs.OpCreate && strings.Contains(name, "commitlog") {
			return boom
		}
		return nil
	})
	var last error
	for i := 0; i < 2000 && last == nil; i++ {
		_, last = s2.Put(context.Background(), newMsg("T", 0, body(i)+strings.Repeat("y", 500), nil))
	}
	if !errors.Is(last, boom) {
		t.Fatalf("no error when the next segment cannot be made: %v", last)
	}
	fs2.SetFault(nil)
	before := s2.MaxPhysicalOffset()
	mustPut(t, s2, newMsg("T", 0, "after", nil))
	if s2.MaxPhysicalOffset() <= before {
		t.Fatal("no progress after the fault cleared")
	}
	waitVisible(t, s2)
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no dir", func(c *Config) { c.Dir = "" }, "Dir is empty"},
		{"segment too small", func(c *Config) { c.SegmentSize = 1000 }, "SegmentSize"},
		{"bad hour", func(c *Config) { c.DeleteWhen = "25" }, "DeleteWhen"},
		{"bad ratio", func(c *Config) { c.DiskMaxUsedRatio = 101 }, "DiskMaxUsedRatio"},
		{"bad mode", func(c *Config) { c.FlushMode = 7 }, "FlushMode"},
		{"negative interval", func(c *Config) { c.FlushInterval = -1 }, "FlushInterval"},
	}
	for _, tc := range tests {
		c := Config{Dir: "/x"}.WithDefaults()
		tc.mod(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	c := Config{Dir: "/x"}.WithDefaults()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.SegmentSize != 1<<30 || c.MaxMessageSize != 4<<20 || c.FlushInterval != 500*time.Millisecond ||
		c.ConsumeQueueEntriesPerFile != 300000 || c.FileReservedTime != 72*time.Hour || c.DeleteWhen != "04" ||
		c.DiskMaxUsedRatio != 75 || c.IndexSlots != 5000000 || c.IndexEntries != 20000000 {
		t.Fatalf("defaults: %+v", c)
	}
	if _, err := Open(Config{Dir: "/x", FS: vfs.NewMemFS(), SegmentSize: 10}); err == nil {
		t.Fatal("Open accepted a bad config")
	}
	// Two stores cannot share a directory.
	fs := vfs.NewMemFS()
	s := mustOpen(t, testConfig(fs))
	defer s.Close()
	if _, err := Open(testConfig(fs)); !errors.Is(err, vfs.ErrLocked) {
		t.Fatalf("second Open: %v", err)
	}
}

func TestPhysicalOffsetAt(t *testing.T) {
	s := mustOpen(t, testConfig(vfs.NewMemFS()))
	defer s.Close()
	var phys []int64
	for i := range 5 {
		phys = append(phys, mustPut(t, s, newMsg("T", 1, body(i), nil)).CommitLogOffset)
	}
	waitVisible(t, s)
	tests := []struct {
		topic  string
		queue  int32
		offset int64
		want   int64
		ok     bool
	}{
		{"T", 1, 0, phys[0], true},
		{"T", 1, 3, phys[3], true},
		{"T", 1, 4, phys[4], true},
		{"T", 1, 5, 0, false},  // the max offset: nothing there yet
		{"T", 1, -1, 0, false}, // below the min offset
		{"T", 0, 0, 0, false},  // no such queue
		{"U", 1, 0, 0, false},  // no such topic
	}
	for _, tc := range tests {
		got, ok := s.PhysicalOffsetAt(tc.topic, tc.queue, tc.offset)
		if got != tc.want || ok != tc.ok {
			t.Errorf("PhysicalOffsetAt(%s, %d, %d) = %d, %v; want %d, %v", tc.topic, tc.queue, tc.offset, got, ok, tc.want, tc.ok)
		}
	}
}
