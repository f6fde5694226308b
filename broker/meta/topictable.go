package meta

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/saturnmq/saturn/fastjson"
)

// Errors of automatic topic creation; the broker answers TOPIC_NOT_EXIST (17)
// for both.
var (
	// ErrTemplateNotFound: the template (default) topic does not exist.
	ErrTemplateNotFound = errors.New("template topic does not exist")
	// ErrTemplateNotInherit: the template topic lacks PermInherit.
	ErrTemplateNotInherit = errors.New("template topic does not allow inheritance")
)

// TopicTable is the broker's topic table, persisted as topics.json.
//
// Reads take a read lock and copy a TopicConfig out; they never allocate.
// Every change bumps the data version and is written to disk before the
// changing method returns.
type TopicTable struct {
	path       string
	loadedFrom string

	mu      sync.RWMutex
	topics  map[string]TopicConfig // guarded by mu; values are never modified in place
	version DataVersion            // guarded by mu
	system  map[string]struct{}    // guarded by mu; broker-specific system topic names

	// dirty is set (under mu) by every change and cleared by the write
	// that includes it; persistMu serializes writes so that the last write
	// always carries the newest state.
	dirty     atomic.Bool
	persistMu sync.Mutex
}

// OpenTopicTable loads the topic table from path (upstream:
// <configDir>/topics.json), falling back to path.bak. A missing file gives an
// empty table; it is created on the first change.
func OpenTopicTable(path string) (*TopicTable, error) {
	t := &TopicTable{
		path:    path,
		topics:  make(map[string]TopicConfig),
		version: NewDataVersion(),
		system:  make(map[string]struct{}),
	}
	from, err := loadJSONFile(path, t.decode)
	if err != nil {
		return nil, fmt.Errorf("topic table: %w", err)
	}
	t.loadedFrom = from
	return t, nil
}

// decode replaces the table's content with a topics.json document. It
// changes nothing when the document does not decode.
func (t *TopicTable) decode(b []byte) error {
	var w struct {
		DataVersion      *DataVersion           `json:"dataVersion"`
		TopicConfigTable map[string]TopicConfig `json:"topicConfigTable"`
	}
	if err := fastjson.Unmarshal(b, &w); err != nil {
		return err
	}
	topics := make(map[string]TopicConfig, len(w.TopicConfigTable))
	for name, c := range w.TopicConfigTable {
		// The map key is authoritative, as upstream looks topics up by it.
		c.TopicName = name
		topics[name] = c.clone()
	}
	t.topics = topics
	if w.DataVersion != nil {
		t.version = *w.DataVersion
	}
	return nil
}

// LoadedFrom names the file the table was loaded from: the main file, its
// ".bak" (the main file was missing or corrupt), or "" (started empty).
func (t *TopicTable) LoadedFrom() string { return t.loadedFrom }

// Get returns the topic's configuration. The Attributes map is shared with
// the table and must not be modified.
func (t *TopicTable) Get(name string) (TopicConfig, bool) {
	t.mu.RLock()
	c, ok := t.topics[name]
	t.mu.RUnlock()
	return c, ok
}

// Len returns the number of topics.
func (t *TopicTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.topics)
}

// All returns every topic, sorted by name.
func (t *TopicTable) All() []TopicConfig {
	t.mu.RLock()
	all := slices.Collect(maps.Values(t.topics))
	t.mu.RUnlock()
	slices.SortFunc(all, func(a, b TopicConfig) int { return strings.Compare(a.TopicName, b.TopicName) })
	return all
}

// DataVersion returns the version of the table's current state.
func (t *TopicTable) DataVersion() DataVersion {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.version
}

// IsSystemTopic reports whether name is a system topic: one of the fixed
// names (see the package function IsSystemTopic) or one that
// EnsureSystemTopics created for this broker (cluster, broker and reply
// topics).
func (t *TopicTable) IsSystemTopic(name string) bool {
	if IsSystemTopic(name) {
		return true
	}
	t.mu.RLock()
	_, ok := t.system[name]
	t.mu.RUnlock()
	return ok
}

// Put creates or replaces a topic and persists the table.
func (t *TopicTable) Put(c TopicConfig) error {
	if err := c.Validate(); err != nil {
		return err
	}
	c = c.clone()
	t.mu.Lock()
	t.topics[c.TopicName] = c
	t.changedLocked()
	t.mu.Unlock()
	return t.persist()
}

// Delete removes a topic and persists the table. It reports whether the
// topic existed.
func (t *TopicTable) Delete(name string) (bool, error) {
	t.mu.Lock()
	_, ok := t.topics[name]
	if ok {
		delete(t.topics, name)
		t.changedLocked()
	}
	t.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, t.persist()
}

// CreateFromTemplate creates topic on a producer's first send, from the
// template topic named in the request (upstream's defaultTopic, normally
// TBW102). When topic already exists it is returned with created=false.
// Otherwise the template must exist (ErrTemplateNotFound) and carry
// PermInherit (ErrTemplateNotInherit); the new topic gets
// min(queueNums, template's write queues) read and write queues, the
// template's perm without PermInherit, the template's filter type, and the
// given topicSysFlag. The caller registers a created topic with the name
// servers at once.
func (t *TopicTable) CreateFromTemplate(topic, template string, queueNums, topicSysFlag int32) (TopicConfig, bool, error) {
	if c, ok := t.Get(topic); ok {
		return c, false, nil
	}
	if err := ValidateTopicName(topic); err != nil {
		return TopicConfig{}, false, err
	}
	t.mu.Lock()
	// Check again under the write lock: two sends racing to create the same
	// topic must produce one creation.
	if c, ok := t.topics[topic]; ok {
		t.mu.Unlock()
		return c, false, nil
	}
	tpl, ok := t.topics[template]
	if !ok {
		t.mu.Unlock()
		return TopicConfig{}, false, fmt.Errorf("create topic %s from %s: %w", topic, template, ErrTemplateNotFound)
	}
	if !Inherited(tpl.Perm) {
		t.mu.Unlock()
		return TopicConfig{}, false, fmt.Errorf("create topic %s from %s (perm %s): %w",
			topic, template, PermString(tpl.Perm), ErrTemplateNotInherit)
	}
	n := min(queueNums, tpl.WriteQueueNums)
	if n <= 0 {
		t.mu.Unlock()
		return TopicConfig{}, false, fmt.Errorf("create topic %s from %s: no queues (requested %d, template has %d)",
			topic, template, queueNums, tpl.WriteQueueNums)
	}
	c := TopicConfig{
		TopicName:       topic,
		ReadQueueNums:   n,
		WriteQueueNums:  n,
		Perm:            tpl.Perm &^ PermInherit,
		TopicFilterType: tpl.TopicFilterType,
		TopicSysFlag:    topicSysFlag,
	}.clone()
	t.topics[topic] = c
	t.changedLocked()
	t.mu.Unlock()
	return c, true, t.persist()
}

// EnsureRetryTopic returns the retry ("%RETRY%…") or dead-letter ("%DLQ%…")
// topic, creating it with queueNums read and write queues and perm when it
// does not exist. These topics are created regardless of whether automatic
// topic creation is enabled. created reports whether this call created it.
func (t *TopicTable) EnsureRetryTopic(topic string, queueNums, perm int32) (TopicConfig, bool, error) {
	if c, ok := t.Get(topic); ok {
		return c, false, nil
	}
	if !IsRetryTopic(topic) && !IsDLQTopic(topic) {
		return TopicConfig{}, false, fmt.Errorf("topic %s is neither a retry nor a dead-letter topic", topic)
	}
	c := TopicConfig{
		TopicName:       topic,
		ReadQueueNums:   queueNums,
		WriteQueueNums:  queueNums,
		Perm:            perm,
		TopicFilterType: FilterSingleTag,
	}
	if err := c.Validate(); err != nil {
		return TopicConfig{}, false, err
	}
	t.mu.Lock()
	if old, ok := t.topics[topic]; ok {
		t.mu.Unlock()
		return old, false, nil
	}
	t.topics[topic] = c
	t.changedLocked()
	t.mu.Unlock()
	return c, true, t.persist()
}

// changedLocked records a change; t.mu must be held for writing.
func (t *TopicTable) changedLocked() {
	t.version = t.version.Next()
	t.dirty.Store(true)
}

// SerializeWrapperJSON returns the TopicConfigSerializeWrapper body of
// REGISTER_BROKER and GET_ALL_TOPIC_CONFIG:
// {"dataVersion":{…},"topicConfigTable":{"<name>":{TopicConfig},…}},
// compact, strictly valid JSON, topics and members sorted.
func (t *TopicTable) SerializeWrapperJSON() []byte {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.appendWrapperLocked(make([]byte, 0, 64+200*len(t.topics)))
}

func (t *TopicTable) appendWrapperLocked(b []byte) []byte {
	b = append(b, `{"dataVersion":`...)
	b = t.version.AppendJSON(b)
	b = append(b, `,"topicConfigTable":{`...)
	for i, name := range slices.Sorted(maps.Keys(t.topics)) {
		if i > 0 {
			b = append(b, ',')
		}
		c := t.topics[name]
		b = fastjson.AppendString(b, name)
		b = append(b, ':')
		b = c.AppendJSON(b)
	}
	return append(b, "}}"...)
}

// Persist writes the table if it changed since the last successful write.
// Changing methods already persist; Persist retries after a failed write.
func (t *TopicTable) Persist() error { return t.persist() }

func (t *TopicTable) persist() error {
	t.persistMu.Lock()
	defer t.persistMu.Unlock()
	if !t.dirty.Swap(false) {
		return nil // a concurrent write already carried our change
	}
	t.mu.RLock()
	compact := t.appendWrapperLocked(nil)
	t.mu.RUnlock()
	if err := writeFileAtomic(t.path, indentTabs(compact)); err != nil {
		t.dirty.Store(true)
		return fmt.Errorf("topic table: %w", err)
	}
	return nil
}

// indentTabs pretty-prints valid JSON with tabs, as upstream's config files
// are; it returns b unchanged if it is not valid JSON.
func indentTabs(b []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(b) + len(b)/4)
	if err := json.Indent(&buf, b, "", "\t"); err != nil {
		return b
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}
