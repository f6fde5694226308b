package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

// testConfig is a small store on an in-memory file system.
func testConfig(fs vfs.FS) Config {
	return Config{
		Dir:                        "/store",
		FS:                         fs,
		SegmentSize:                256 << 10,
		MaxMessageSize:             64 << 10,
		ConsumeQueueEntriesPerFile: 64,
		IndexSlots:                 101,
		IndexEntries:               400,
		FlushInterval:              5 * time.Millisecond,
		ConsumeQueueFlushInterval:  10 * time.Millisecond,
		CleanInterval:              time.Hour,
		Logger:                     testLogger(),
	}
}

// testLogger discards logs unless STORE_TEST_LOG is set.
func testLogger() *slog.Logger {
	if os.Getenv("STORE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func mustOpen(t testing.TB, cfg Config) *Store {
	t.Helper()
	s, err := Open(cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

var (
	bornHost  = netip.MustParseAddrPort("10.0.0.1:50000")
	storeHost = netip.MustParseAddrPort("10.0.0.2:10911")
)

func newMsg(topic string, qid int32, body string, props map[string]string) *message.Ext {
	return &message.Ext{
		Topic: topic, QueueID: qid, Body: []byte(body), Properties: props,
		BornHost: bornHost, StoreHost: storeHost, BornTimestamp: 1,
	}
}

func mustPut(t testing.TB, s *Store, m *message.Ext) PutResult {
	t.Helper()
	r, err := s.Put(context.Background(), m)
	if err != nil || r.Status != PutOK {
		t.Fatalf("Put: %v %v", r.Status, err)
	}
	return r
}

func waitVisible(t testing.TB, s *Store) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.WaitDispatched(ctx, s.MaxPhysicalOffset()); err != nil {
		t.Fatalf("WaitDispatched(%d): %v (dispatched %d)", s.MaxPhysicalOffset(), err, s.DispatchedPhysicalOffset())
	}
}

// bodies reads a whole queue and returns the bodies in order.
func bodies(t testing.TB, s *Store, topic string, qid int32) []string {
	t.Helper()
	var out []string
	off := s.MinOffset(topic, qid)
	for off < s.MaxOffset(topic, qid) {
		r := s.Get(topic, qid, off, 32, 0, nil)
		if r.Status != Found {
			t.Fatalf("Get(%s,%d,%d) = %v next %d (min %d max %d)", topic, qid, off, r.Status, r.NextOffset, r.MinOffset, r.MaxOffset)
		}
		for i, b := range r.Messages {
			m, _, err := message.DecodeStored(b)
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if m.QueueOffset != off+int64(i) || m.Topic != topic || m.QueueID != qid {
				t.Fatalf("message at %d has queue offset %d topic %s/%d", off+int64(i), m.QueueOffset, m.Topic, m.QueueID)
			}
			out = append(out, string(m.Body))
		}
		off = r.NextOffset
		r.Release() // exercise buffer reuse

	}
	return out
}

func body(i int) string { return fmt.Sprintf("message-%06d", i) }

// setWriteAhead sets the stage size from which SyncFlush appends write the
// stage themselves (1: every append does, 0: none).
func setWriteAhead(s *Store, n int) {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	s.cl.aheadMin = n
}
