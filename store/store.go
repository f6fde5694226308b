package store

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saturnmq/saturn/store/vfs"
)

// Store is the message store. Its methods are safe for concurrent use.
type Store struct {
	cfg   Config
	log   *slog.Logger
	fs    vfs.FS
	lock  io.Closer
	cl    *commitLog
	idx   *index // nil when the index is disabled
	cp    *checkpoint
	hours [24]bool

	// cqMu guards cqs. Queues are created by the dispatcher and removed
	// by DeleteTopic.
	cqMu sync.RWMutex
	cqs  map[string]map[int32]*consumeQueue

	// putMu is the append lock. Lock order: commitLog.flushMu,
	// commitLog.writeMu, putMu,
	// dispatchMu, cqFlushMu, commitLog.segMu, then a consumeQueue's mu or
	// index.mu. Get never
	// holds a queue's mu and segMu together.
	putMu sync.Mutex
	// queueTable holds the next queue offset of each queue; guarded by
	// putMu. Values are pointers so that an append hashes its key once.
	queueTable  map[queueKey]*int64
	tableStale  bool         // queueTable must be rebuilt from the consume queues; guarded by putMu
	lastStoreTs int64        // guarded by putMu
	lockedSince atomic.Int64 // UnixNano when putMu was taken, 0 when free

	dispatchMu  sync.Mutex
	dispatched  int64 // next record to dispatch; guarded by dispatchMu
	dispatchedP atomic.Int64
	// dispPartial is the write position at which a dispatch pass last
	// stopped short of it, at a record a raw append has delivered only
	// part of; -1 when the last pass did not. Nothing more can be
	// dispatched until the write position moves (and the AppendRaw that
	// moves it kicks the dispatcher). Written under dispatchMu, by passes
	// and by TruncateTo.
	dispPartial atomic.Int64
	// durableDisp is the dispatched offset of the last checkpoint: consume
	// queue and index entries of records below it are synced. Retention
	// deletes no record above it, so that no entry of a deleted record can
	// be lost in a crash.
	durableDisp atomic.Int64
	lastDispTs  atomic.Int64
	dispIdle    atomic.Bool
	dispKick    chan struct{}
	dispErr     error // guarded by dispatchMu
	dispScratch dispatchScratch

	visibleMu sync.Mutex
	visibleCh chan struct{} // closed after each dispatch step when someone waits

	arrivalMu sync.RWMutex
	arrivals  []func(topic string, queueID int32, maxOffset int64, tagsCode int64)

	gc groupCommit

	cqFlushMu sync.Mutex // serializes consume-queue/index flushes and checkpoint writes

	// warmedTo: bytes below it (from the write position on) are prepared
	// for appends (see warmLoop).
	warmedTo atomic.Int64
	warmKick chan struct{}

	appended atomic.Int64
	// cleanStart records that Open found a clean shutdown (for tests).
	cleanStart bool

	closed   atomic.Bool
	failed   atomic.Pointer[error] // set after an I/O error that makes appends unsafe
	diskFull atomic.Bool
	stop     chan struct{}
	wg       sync.WaitGroup
	bufPool  sync.Pool // encode buffers of Put
	getPool  sync.Pool // released GetResult buffers
	// waitChans are the pooled *waitChan of blocking SyncFlush puts.
	waitChans sync.Pool
}

type queueKey struct {
	topic string
	qid   int32
}

// Open opens (creating if needed) the store in cfg.Dir, recovering after a
// crash as the package comment describes.
func Open(cfg Config) (*Store, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hours, _ := parseHours(cfg.DeleteWhen)
	s := &Store{
		cfg:        cfg,
		log:        cfg.Logger,
		fs:         cfg.FS,
		hours:      hours,
		cqs:        map[string]map[int32]*consumeQueue{},
		queueTable: map[queueKey]*int64{},
		dispKick:   make(chan struct{}, 1),
		warmKick:   make(chan struct{}, 1),
		stop:       make(chan struct{}),
	}
	s.dispPartial.Store(-1)
	s.gc.init()
	if err := s.fs.MkdirAll(cfg.Dir); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	lock, err := s.fs.Lock(filepath.Join(cfg.Dir, "lock"))
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.lock = lock
	if err := s.open(); err != nil {
		s.closeFiles()
		lock.Close()
		return nil, err
	}
	s.start()
	return s, nil
}

func (s *Store) open() error {
	s.cl = newCommitLog(&s.cfg)
	s.cl.putMu = &s.putMu
	if err := s.cl.load(); err != nil {
		return err
	}
	if err := s.loadConsumeQueues(); err != nil {
		return err
	}
	if !s.cfg.DisableIndex {
		s.idx = newIndex(&s.cfg)
		if err := s.idx.load(); err != nil {
			return err
		}
	}
	cp, data, cpOK, err := openCheckpoint(s.fs, s.cfg.Dir)
	if err != nil {
		return err
	}
	s.cp = cp
	abortName := filepath.Join(s.cfg.Dir, "abort")
	abnormal := s.fs.Exists(abortName) || !cpOK || !data.Clean
	if err := s.recover(data, cpOK, abnormal); err != nil {
		return err
	}
	// From here until Close, a crash must be noticed at the next start.
	if err := s.writeCheckpoint(false); err != nil {
		return err
	}
	if !s.fs.Exists(abortName) {
		f, err := s.fs.Create(abortName, 0)
		if err != nil {
			return fmt.Errorf("store: abort marker: %w", err)
		}
		f.Close()
	}
	return s.fs.SyncDir(s.cfg.Dir)
}

func (s *Store) loadConsumeQueues() error {
	root := filepath.Join(s.cfg.Dir, "consumequeue")
	if err := s.fs.MkdirAll(root); err != nil {
		return err
	}
	topics, err := s.fs.List(root)
	if err != nil {
		return err
	}
	for _, t := range topics {
		if validTopic(t) != nil {
			continue
		}
		qids, err := s.fs.List(filepath.Join(root, t))
		if err != nil {
			return err
		}
		for _, qs := range qids {
			var qid int32
			if _, err := fmt.Sscanf(qs, "%d", &qid); err != nil || fmt.Sprint(qid) != qs {
				continue
			}
			q := newConsumeQueue(&s.cfg, t, qid)
			if err := q.load(); err != nil {
				return err
			}
			s.addQueue(q)
		}
	}
	return nil
}

func (s *Store) addQueue(q *consumeQueue) {
	s.cqMu.Lock()
	defer s.cqMu.Unlock()
	m := s.cqs[q.topic]
	if m == nil {
		m = map[int32]*consumeQueue{}
		s.cqs[q.topic] = m
	}
	m[q.queueID] = q
}

// queue returns the consume queue of topic and qid, or nil.
func (s *Store) queue(topic string, qid int32) *consumeQueue {
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	return s.cqs[topic][qid]
}

// queueBytes is queue for a topic given as bytes; the map lookup does not
// allocate.
func (s *Store) queueBytes(topic []byte, qid int32) *consumeQueue {
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	return s.cqs[string(topic)][qid]
}

func (s *Store) allQueues() []*consumeQueue {
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	var out []*consumeQueue
	for _, m := range s.cqs {
		for _, q := range m {
			out = append(out, q)
		}
	}
	return out
}

func (s *Store) start() {
	if s.cfg.WarmAhead > 0 {
		s.wg.Add(1)
		go s.warmLoop()
	}
	if s.cfg.FlushMode == SyncFlush {
		s.wg.Add(2)
		go s.completeLoop()
		go s.expireLoop()
	}
	s.wg.Add(4)
	go s.dispatchLoop()
	go s.flushLoop()
	go s.logicFlushLoop()
	go s.cleanLoop()
}

// Close stops the store: it waits for appends in progress, dispatches and
// syncs everything, writes a clean checkpoint and removes the abort marker.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return ErrClosed
	}
	s.putMu.Lock()
	close(s.stop)
	s.putMu.Unlock()
	s.wg.Wait()
	var errs []error
	// Flush first: in SyncFlush it publishes staged appends, which must
	// then be dispatched before the clean checkpoint.
	if _, err := s.cl.flush(); err != nil {
		errs = append(errs, err)
	}
	// Waiters the flusher did not complete: their bytes are synced now,
	// unless the flush failed.
	s.completeAll(errStoreClosed)
	if err := s.dispatchAvailable(false); err != nil {
		errs = append(errs, err)
	}
	if s.failed.Load() == nil && len(errs) == 0 {
		if err := s.writeCheckpoint(true); err != nil {
			errs = append(errs, err)
		} else if err := s.fs.Remove(filepath.Join(s.cfg.Dir, "abort")); err != nil && !errors.Is(err, vfs.ErrNotExist) {
			errs = append(errs, err)
		} else if err := s.fs.SyncDir(s.cfg.Dir); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.closeFiles(); err != nil {
		errs = append(errs, err)
	}
	if err := s.lock.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (s *Store) closeFiles() error {
	var err error
	for _, q := range s.allQueues() {
		q.close()
	}
	if s.idx != nil {
		s.idx.close()
	}
	if s.cl != nil {
		err = s.cl.close()
	}
	if s.cp != nil {
		s.cp.close()
	}
	return err
}

// writeCheckpoint syncs consume queues and index and records how far they
// and the commit log are durable.
func (s *Store) writeCheckpoint(clean bool) error {
	s.cqFlushMu.Lock()
	defer s.cqFlushMu.Unlock()
	return s.writeCheckpointLocked(clean)
}

// writeCheckpointLocked is writeCheckpoint with cqFlushMu held.
func (s *Store) writeCheckpointLocked(clean bool) error {
	// Read both positions before syncing: everything below them is then
	// covered by the syncs that follow.
	disp := s.dispatchedP.Load()
	flushed := s.cl.flushedPos.Load()
	for _, q := range s.allQueues() {
		if err := q.flush(); err != nil {
			return s.fail(fmt.Errorf("store: sync consume queue: %w", err))
		}
	}
	if s.idx != nil {
		if err := s.idx.flush(); err != nil {
			return s.fail(fmt.Errorf("store: sync index: %w", err))
		}
	}
	ts := s.lastDispTs.Load()
	err := s.cp.write(checkpointData{
		PhysicTimestamp: ts, LogicsTimestamp: ts, IndexTimestamp: ts,
		Flushed: flushed, Dispatched: disp, Clean: clean,
	})
	if err != nil {
		return s.fail(fmt.Errorf("store: write checkpoint: %w", err))
	}
	s.durableDisp.Store(disp)
	return nil
}

// fail records an I/O error after which appends are refused: after a
// failed sync the kernel may have dropped the dirty pages, so what the log
// holds is no longer known.
func (s *Store) fail(err error) error {
	s.failed.CompareAndSwap(nil, &err)
	s.log.Error("store: I/O error; refusing appends", "err", err)
	return err
}

func (s *Store) flushLoop() {
	defer s.wg.Done()
	if s.cfg.FlushMode == SyncFlush {
		s.groupCommitLoop()
		return
	}
	t := time.NewTicker(s.cfg.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.cl.flush(); err != nil {
				s.fail(fmt.Errorf("store: sync commit log: %w", err))
			}
		}
	}
}

func (s *Store) logicFlushLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.ConsumeQueueFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.failed.Load() == nil {
				s.writeCheckpoint(false)
			}
		}
	}
}

// OnArrival registers f, called by the dispatcher for every message once
// its consume-queue entry is visible to Get, with the queue's new max
// offset and the message's tags code. f runs on the dispatcher goroutine:
// it must not block, and must not call AppendRaw, TruncateTo or Close; it
// may call Get.
func (s *Store) OnArrival(f func(topic string, queueID int32, maxOffset int64, tagsCode int64)) {
	s.arrivalMu.Lock()
	s.arrivals = append(s.arrivals, f)
	s.arrivalMu.Unlock()
}

// Topics returns the topics that have consume queues, sorted.
func (s *Store) Topics() []string {
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	out := make([]string, 0, len(s.cqs))
	for t := range s.cqs {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// QueueIDs returns the queue ids of topic that have consume queues, sorted.
func (s *Store) QueueIDs(topic string) []int32 {
	s.cqMu.RLock()
	defer s.cqMu.RUnlock()
	var out []int32
	for q := range s.cqs[topic] {
		out = append(out, q)
	}
	slices.Sort(out)
	return out
}

// DeleteTopic removes the consume queues of topic; its records stay in the
// commit log until retention removes them, and new messages to the topic
// start again at queue offset 0.
func (s *Store) DeleteTopic(topic string) error {
	s.putMu.Lock()
	defer s.putMu.Unlock()
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	s.cqMu.Lock()
	qs := s.cqs[topic]
	delete(s.cqs, topic)
	s.cqMu.Unlock()
	for k := range s.queueTable {
		if k.topic == topic {
			delete(s.queueTable, k)
		}
	}
	var errs []error
	for _, q := range qs {
		if err := q.destroy(); err != nil {
			errs = append(errs, err)
		}
	}
	dir := filepath.Join(s.cfg.Dir, "consumequeue")
	if err := s.fs.RemoveAll(filepath.Join(dir, topic)); err != nil {
		errs = append(errs, err)
	}
	if err := s.fs.SyncDir(dir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// MaxPhysicalOffset returns the commit log's write position.
func (s *Store) MaxPhysicalOffset() int64 { return s.cl.writePos.Load() }

// MinPhysicalOffset returns the first offset still in the commit log.
func (s *Store) MinPhysicalOffset() int64 { return s.cl.minOffset() }

// FlushedPhysicalOffset returns the offset below which the commit log is
// synced.
func (s *Store) FlushedPhysicalOffset() int64 { return s.cl.flushedPos.Load() }

// DispatchedPhysicalOffset returns the offset below which every record's
// consume-queue and index entries are visible.
func (s *Store) DispatchedPhysicalOffset() int64 { return s.dispatchedP.Load() }

// quiesce runs f while no background work or append touches the files:
// tests use it to take a consistent crash image of an in-memory FS.
func (s *Store) quiesce(f func()) {
	s.cl.flushMu.Lock()
	defer s.cl.flushMu.Unlock()
	s.cl.writeMu.Lock()
	defer s.cl.writeMu.Unlock()
	s.putMu.Lock()
	defer s.putMu.Unlock()
	s.dispatchMu.Lock()
	defer s.dispatchMu.Unlock()
	s.cqFlushMu.Lock()
	defer s.cqFlushMu.Unlock()
	f()
}

// Stats are counters of the store's work since Open.
type Stats struct {
	// Syncs is the number of commit-log syncs: with SyncFlush, appends
	// divided by Syncs is the group-commit batch size.
	Syncs int64
	// Appended is the number of messages appended by Put and PutBatch.
	Appended int64
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	return Stats{Syncs: s.cl.syncs.Load(), Appended: s.appended.Load()}
}
