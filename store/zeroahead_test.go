package store

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/store/vfs"
)

// zeroCountFS counts the writes of nothing but zeros into commit-log
// segments: the zeros SyncFlush writes ahead of its appends.
type zeroCountFS struct {
	vfs.FS
	zeroWrites atomic.Int64
}

type zeroCountFile struct {
	vfs.File
	fs *zeroCountFS
}

func (f zeroCountFile) WriteAt(b []byte, off int64) (int, error) {
	if len(b) > 0 && !bytes.ContainsFunc(b, func(r rune) bool { return r != 0 }) {
		f.fs.zeroWrites.Add(1)
	}
	return f.File.WriteAt(b, off)
}

func (fs *zeroCountFS) wrap(f vfs.File, name string, err error) (vfs.File, error) {
	if err != nil || !strings.Contains(name, "commitlog") {
		return f, err
	}
	return zeroCountFile{f, fs}, nil
}

func (fs *zeroCountFS) Create(name string, size int64) (vfs.File, error) {
	f, err := fs.FS.Create(name, size)
	return fs.wrap(f, name, err)
}

func (fs *zeroCountFS) Open(name string) (vfs.File, error) {
	f, err := fs.FS.Open(name)
	return fs.wrap(f, name, err)
}

// TestZeroAheadKeepsRecords: zeros are written ahead of the appends, and
// they never land on a record, even when the appends keep catching up with
// them (a lead of 4 KiB, records that cross segments; in SyncFlush every
// append writing the stage itself, in AsyncFlush copying into the
// mapping). Every record reads back whole, before and after a reopen.
func TestZeroAheadKeepsRecords(t *testing.T) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		t.Run(mode.String(), func(t *testing.T) { testZeroAhead(t, mode) })
	}
}

func testZeroAhead(t *testing.T, mode FlushMode) {
	mem := vfs.NewMemFS()
	fs := &zeroCountFS{FS: mem}
	cfg := testConfig(fs)
	cfg.FlushMode = mode
	cfg.WarmAhead = 4 << 10
	s := mustOpen(t, cfg)
	setWriteAhead(s, 1)

	const writers, perWriter = 6, 150
	bodyOf := func(w, i int) []byte {
		// 40 B to ~5 KiB, so that records straddle pages, chunks and
		// segment ends, and AsyncFlush appends copy (below 16 KiB).
		n := 40 + (w*7919+i*104729)%5000
		return bytes.Repeat([]byte{byte('a' + w), byte(i)}, n/2)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				m := newMsg("Z", int32(w), "", nil)
				m.Body = bodyOf(w, i)
				if _, err := s.Put(context.Background(), m); err != nil {
					errs <- fmt.Errorf("writer %d put %d: %w", w, i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	check := func(s *Store, when string) {
		t.Helper()
		for w := range writers {
			next := int64(0)
			for next < perWriter {
				res := s.Get("Z", int32(w), next, 32, 0, nil)
				if res.Status != Found {
					t.Fatalf("%s: queue %d offset %d: %v", when, w, next, res.Status)
				}
				for i, b := range res.Messages {
					m, _, err := message.DecodeStored(b)
					if err != nil {
						t.Fatalf("%s: queue %d offset %d: %v", when, w, next+int64(i), err)
					}
					if !bytes.Equal(m.Body, bodyOf(w, int(next)+i)) {
						t.Fatalf("%s: queue %d offset %d: body of %d bytes differs", when, w, next+int64(i), len(m.Body))
					}
				}
				next = res.NextOffset
				res.Release()
			}
		}
	}
	// A Put returns once its bytes are stored (in SyncFlush, synced); the
	// consume queues follow asynchronously, as upstream's.
	waitVisible(t, s)
	check(s, "before reopen")
	// The zero writer runs behind the appends' kicks; wait for it to get
	// ahead of the last one.
	for deadline := time.Now().Add(20 * time.Second); s.warmedTo.Load() <= s.cl.writePos.Load(); {
		if time.Now().After(deadline) {
			t.Fatalf("zeros reached %d, not past the log end %d", s.warmedTo.Load(), s.cl.writePos.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if fs.zeroWrites.Load() == 0 {
		t.Fatal("no zeros were written ahead of the appends")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, cfg)
	defer s.Close()
	check(s, "after reopen")
}

// TestZeroAheadKeepsReplicatedBytes: raw bytes a follower appends never
// get overwritten by zeros written ahead of it (here kicked before every
// chunk, as a former leader's appends would have left it running).
func TestZeroAheadKeepsReplicatedBytes(t *testing.T) {
	for _, mode := range []FlushMode{AsyncFlush, SyncFlush} {
		t.Run(mode.String(), func(t *testing.T) {
			leader := mustOpen(t, testConfig(vfs.NewMemFS()))
			defer leader.Close()
			cfg := testConfig(vfs.NewMemFS())
			cfg.FlushMode = mode
			cfg.WarmAhead = 4 << 10
			follower := mustOpen(t, cfg)
			defer follower.Close()

			ws := fill(t, leader, 1500, 0)
			follow(t, leader, follower, 1000, follower.kickWarm)
			waitVisible(t, follower)
			checkSurvivors(t, follower, ws, leader.MaxPhysicalOffset())
			for off := leader.MinPhysicalOffset(); off < leader.MaxPhysicalOffset(); {
				a, _ := leader.ReadRaw(off, 1<<20)
				b, _ := follower.ReadRaw(off, 1<<20)
				if len(a) == 0 || !bytes.Equal(a, b) {
					t.Fatalf("follower's log differs from the leader's in the %d bytes from %d", len(a), off)
				}
				off += int64(len(a))
			}
		})
	}
}
