package meta

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/saturnmq/saturn/fastjson"
)

// offsetKeySeparator joins topic and group in upstream's "topic@group" keys;
// neither name may contain it.
const offsetKeySeparator = "@"

// offsetKey identifies one (topic, group) pair. A struct of two strings, not
// a concatenation, so that lookups on the commit path do not allocate.
type offsetKey struct{ topic, group string }

// queueOffsets holds one pair's committed offsets by queue id.
type queueOffsets struct {
	mu      sync.Mutex
	offsets map[int32]int64 // guarded by mu
}

// OffsetTable holds committed consumer offsets, persisted as
// consumerOffset.json: {"offsetTable":{"<topic>@<group>":{0:12,1:40}}} with
// unquoted queue-id keys, as upstream writes it.
//
// Commits update memory only; Persist writes the file when something changed
// (the broker calls it every 5 s and at shutdown).
type OffsetTable struct {
	file       persistedFile // dirty: some commit is not on disk yet
	loadedFrom string

	// mu guards the map itself; each entry has its own lock, so commits to
	// existing entries only need the read lock and run in parallel.
	mu    sync.RWMutex
	table map[offsetKey]*queueOffsets
}

// OpenOffsetTable loads committed offsets from path (upstream:
// <configDir>/consumerOffset.json), falling back to path.bak. Queue-id keys
// may be quoted or not.
func OpenOffsetTable(path string) (*OffsetTable, error) {
	t := &OffsetTable{file: persistedFile{path: path, what: "consumer offset table"}, table: make(map[offsetKey]*queueOffsets)}
	from, err := loadJSONFile(path, t.decode)
	if err != nil {
		return nil, fmt.Errorf("consumer offset table: %w", err)
	}
	t.loadedFrom = from
	return t, nil
}

func (t *OffsetTable) decode(b []byte) error {
	var w struct {
		OffsetTable map[string]map[string]json.Number `json:"offsetTable"`
	}
	if err := fastjson.Unmarshal(b, &w); err != nil {
		return err
	}
	table := make(map[offsetKey]*queueOffsets, len(w.OffsetTable))
	for k, queues := range w.OffsetTable {
		topic, group, ok := strings.Cut(k, offsetKeySeparator)
		if !ok || topic == "" || group == "" {
			// Not a key this table can address; a malformed number below,
			// in contrast, means a corrupt file and fails the load.
			continue
		}
		q := &queueOffsets{offsets: make(map[int32]int64, len(queues))}
		for qid, off := range queues {
			id, err := strconv.ParseInt(qid, 10, 32)
			if err != nil {
				return fmt.Errorf("offset key %q: queue id %q: %w", k, qid, err)
			}
			v, err := off.Int64()
			if err != nil {
				return fmt.Errorf("offset key %q queue %d: %w", k, id, err)
			}
			q.offsets[int32(id)] = v
		}
		table[offsetKey{topic, group}] = q
	}
	t.table = table
	return nil
}

// LoadedFrom names the file the table was loaded from (see TopicTable).
func (t *OffsetTable) LoadedFrom() string { return t.loadedFrom }

// Commit records the group's committed offset of one queue. Committing the
// value already stored changes nothing (and leaves Persist idle).
func (t *OffsetTable) Commit(group, topic string, queueID int32, offset int64) {
	k := offsetKey{topic, group}
	t.mu.RLock()
	q := t.table[k]
	t.mu.RUnlock()
	if q == nil {
		t.mu.Lock()
		if q = t.table[k]; q == nil {
			q = &queueOffsets{offsets: make(map[int32]int64, 8)}
			t.table[k] = q
		}
		t.mu.Unlock()
	}
	q.mu.Lock()
	old, had := q.offsets[queueID]
	if !had || old != offset {
		q.offsets[queueID] = offset
		// Load first: under steady commits the flag is already set, and a
		// read keeps the cache line shared between cores. Safe because
		// Persist clears the flag before it reads the offsets (under q.mu).
		if !t.file.dirty.Load() {
			t.file.dirty.Store(true)
		}
	}
	q.mu.Unlock()
}

// Query returns the group's committed offset of one queue.
func (t *OffsetTable) Query(group, topic string, queueID int32) (int64, bool) {
	t.mu.RLock()
	q := t.table[offsetKey{topic, group}]
	t.mu.RUnlock()
	if q == nil {
		return 0, false
	}
	q.mu.Lock()
	v, ok := q.offsets[queueID]
	q.mu.Unlock()
	return v, ok
}

// Offsets returns a copy of the group's committed offsets of every queue of
// topic (nil when there are none).
func (t *OffsetTable) Offsets(group, topic string) map[int32]int64 {
	t.mu.RLock()
	q := t.table[offsetKey{topic, group}]
	t.mu.RUnlock()
	if q == nil {
		return nil
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.offsets) == 0 {
		return nil
	}
	return maps.Clone(q.offsets)
}

// GroupsOfTopic returns, sorted, the groups with committed offsets of topic.
func (t *OffsetTable) GroupsOfTopic(topic string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var groups []string
	for k := range t.table {
		if k.topic == topic {
			groups = append(groups, k.group)
		}
	}
	slices.Sort(groups)
	return groups
}

// TopicsOfGroup returns, sorted, the topics the group has committed offsets of.
func (t *OffsetTable) TopicsOfGroup(group string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var topics []string
	for k := range t.table {
		if k.group == group {
			topics = append(topics, k.topic)
		}
	}
	slices.Sort(topics)
	return topics
}

// DeleteGroup forgets every offset of the group; it reports whether any existed.
func (t *OffsetTable) DeleteGroup(group string) bool {
	return t.deleteWhere(func(k offsetKey) bool { return k.group == group })
}

// DeleteTopic forgets every group's offsets of topic; it reports whether any existed.
func (t *OffsetTable) DeleteTopic(topic string) bool {
	return t.deleteWhere(func(k offsetKey) bool { return k.topic == topic })
}

// DeleteGroupTopic forgets the group's offsets of one topic.
func (t *OffsetTable) DeleteGroupTopic(group, topic string) bool {
	k := offsetKey{topic, group}
	return t.deleteWhere(func(o offsetKey) bool { return o == k })
}

func (t *OffsetTable) deleteWhere(match func(offsetKey) bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	deleted := false
	for k := range t.table {
		if match(k) {
			delete(t.table, k)
			deleted = true
		}
	}
	if deleted {
		t.file.dirty.Store(true)
	}
	return deleted
}

// Persist writes the table if anything changed since the last successful
// write; otherwise it returns at once without touching the disk.
func (t *OffsetTable) Persist() error { return t.file.persist(t.encode) }

// encode renders the table in upstream's form, one topic@group per line,
// keys and queue ids sorted, queue ids unquoted.
func (t *OffsetTable) encode() []byte {
	type entry struct {
		key offsetKey
		q   *queueOffsets
	}
	t.mu.RLock()
	entries := make([]entry, 0, len(t.table))
	for k, q := range t.table {
		entries = append(entries, entry{k, q})
	}
	t.mu.RUnlock()
	slices.SortFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.key.topic, b.key.topic), cmp.Compare(a.key.group, b.key.group))
	})

	var b bytes.Buffer
	b.Grow(32 + 80*len(entries))
	b.WriteString("{\n\t\"offsetTable\":{")
	var line []byte
	var ids []int32
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		line = append(line[:0], "\n\t\t"...)
		line = fastjson.AppendString(line, e.key.topic+offsetKeySeparator+e.key.group)
		line = append(line, ":{"...)
		e.q.mu.Lock()
		ids = slices.AppendSeq(ids[:0], maps.Keys(e.q.offsets))
		slices.Sort(ids)
		for j, id := range ids {
			if j > 0 {
				line = append(line, ',')
			}
			line = strconv.AppendInt(line, int64(id), 10)
			line = append(line, ':')
			line = strconv.AppendInt(line, e.q.offsets[id], 10)
		}
		e.q.mu.Unlock()
		line = append(line, '}')
		b.Write(line)
	}
	if len(entries) > 0 {
		b.WriteString("\n\t")
	}
	b.WriteString("}\n}\n")
	return b.Bytes()
}
