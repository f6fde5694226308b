package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// offsetStore keeps a consumer group's offsets: the remote store commits
// them to the brokers (clustering), the local store to a file (broadcasting).
type offsetStore interface {
	// load returns the stored offset of mq, or -1 when there is none.
	load(ctx context.Context, mq MessageQueue) (int64, error)
	// update sets the in-memory offset; with increaseOnly it never moves
	// backwards.
	update(mq MessageQueue, off int64, increaseOnly bool)
	// get returns the in-memory offset, if any.
	get(mq MessageQueue) (int64, bool)
	// persist writes the in-memory offsets of mqs that changed since their
	// last persist. Persists run one at a time and return once every
	// offset written is stored, so the last offset persisted for a queue is
	// the one that stays.
	persist(ctx context.Context, mqs []MessageQueue) error
	// remove forgets mq (after persisting it).
	remove(mq MessageQueue)
}

// offsetEntry is one queue's offset and the last value persisted.
type offsetEntry struct {
	off       int64
	persisted int64 // -1: never
}

type memOffsets struct {
	mu sync.Mutex
	m  map[MessageQueue]*offsetEntry
}

func (s *memOffsets) update(mq MessageQueue, off int64, increaseOnly bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = make(map[MessageQueue]*offsetEntry)
	}
	e := s.m[mq]
	if e == nil {
		s.m[mq] = &offsetEntry{off: off, persisted: -1}
		return
	}
	if !increaseOnly || off > e.off {
		e.off = off
	}
}

func (s *memOffsets) get(mq MessageQueue) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.m[mq]; e != nil {
		return e.off, true
	}
	return 0, false
}

func (s *memOffsets) remove(mq MessageQueue) {
	s.mu.Lock()
	delete(s.m, mq)
	s.mu.Unlock()
}

// dirty returns the offsets of mqs not persisted in their current value.
func (s *memOffsets) dirty(mqs []MessageQueue) map[MessageQueue]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[MessageQueue]int64)
	for _, mq := range mqs {
		if e := s.m[mq]; e != nil && e.off != e.persisted && e.off >= 0 {
			out[mq] = e.off
		}
	}
	return out
}

func (s *memOffsets) markPersisted(mq MessageQueue, off int64) {
	s.mu.Lock()
	if e := s.m[mq]; e != nil {
		e.persisted = off
	}
	s.mu.Unlock()
}

// remoteOffsets commits offsets to the brokers (clustering).
type remoteOffsets struct {
	memOffsets
	c     *Client
	group string
	// pmu serialises persists: with two in flight for one queue, a broker
	// running them concurrently could store the older offset last (a
	// periodic commit racing the final commit of a released queue).
	pmu sync.Mutex
}

func (s *remoteOffsets) load(ctx context.Context, mq MessageQueue) (int64, error) {
	off, err := s.c.queryConsumerOffset(ctx, s.group, mq)
	if err != nil {
		return 0, err
	}
	if off >= 0 {
		s.update(mq, off, false)
		s.markPersisted(mq, off)
	}
	return off, nil
}

func (s *remoteOffsets) persist(ctx context.Context, mqs []MessageQueue) error {
	s.pmu.Lock()
	defer s.pmu.Unlock()
	var errs []error
	for mq, off := range s.dirty(mqs) {
		if err := s.c.updateConsumerOffset(ctx, s.group, mq, off); err != nil {
			errs = append(errs, err)
			continue
		}
		s.markPersisted(mq, off)
	}
	return errors.Join(errs...)
}

// localOffsets keeps offsets in a JSON file (broadcasting).
type localOffsets struct {
	memOffsets
	path string

	fmu    sync.Mutex // serialises file writes
	loaded bool
	file   map[MessageQueue]int64
}

// offsetRecord is one line of the offsets file.
type offsetRecord struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int32  `json:"queueId"`
	Offset     int64  `json:"offset"`
}

type offsetFile struct {
	Offsets []offsetRecord `json:"offsets"`
}

func (s *localOffsets) readFile() error {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if s.loaded {
		return nil
	}
	s.file = make(map[MessageQueue]int64)
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		s.loaded = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("client: read offsets: %w", err)
	}
	var f offsetFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("client: offsets file %s: %w", s.path, err)
	}
	for _, r := range f.Offsets {
		s.file[MessageQueue{Topic: r.Topic, BrokerName: r.BrokerName, QueueID: r.QueueID}] = r.Offset
	}
	s.loaded = true
	return nil
}

func (s *localOffsets) load(_ context.Context, mq MessageQueue) (int64, error) {
	if err := s.readFile(); err != nil {
		return 0, err
	}
	s.fmu.Lock()
	off, ok := s.file[mq]
	s.fmu.Unlock()
	if !ok {
		return -1, nil
	}
	s.update(mq, off, false)
	s.markPersisted(mq, off)
	return off, nil
}

// persist rewrites the whole file (atomically, through a temporary file)
// when any offset changed; offsets of queues not held stay as they were.
func (s *localOffsets) persist(_ context.Context, mqs []MessageQueue) error {
	if err := s.readFile(); err != nil {
		return err
	}
	// dirty is read under fmu so that two persists cannot write their
	// offsets in the opposite order of reading them.
	s.fmu.Lock()
	defer s.fmu.Unlock()
	d := s.dirty(mqs)
	if len(d) == 0 {
		return nil
	}
	for mq, off := range d {
		s.file[mq] = off
	}
	var f offsetFile
	for mq, off := range s.file {
		f.Offsets = append(f.Offsets, offsetRecord{mq.Topic, mq.BrokerName, mq.QueueID, off})
	}
	b, _ := json.Marshal(&f)
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("client: persist offsets: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("client: persist offsets: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("client: persist offsets: %w", err)
	}
	for mq, off := range d {
		s.markPersisted(mq, off)
	}
	return nil
}
