package meta

import (
	"errors"
	"fmt"

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
	configTable[TopicConfig] // items are the topics

	system map[string]struct{} // guarded by mu; broker-specific system topic names
}

// OpenTopicTable loads the topic table from path (upstream:
// <configDir>/topics.json), falling back to path.bak. A missing file gives an
// empty table; it is created on the first change.
func OpenTopicTable(path string) (*TopicTable, error) {
	t := &TopicTable{system: make(map[string]struct{})}
	t.init(path, "topic table", t.appendWrapperLocked)
	if err := t.load(t.decode); err != nil {
		return nil, err
	}
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
	t.items = topics
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
func (t *TopicTable) Get(name string) (TopicConfig, bool) { return t.get(name) }

// Len returns the number of topics.
func (t *TopicTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.items)
}

// All returns every topic, sorted by name.
func (t *TopicTable) All() []TopicConfig { return t.all() }

// DataVersion returns the version of the table's current state.
func (t *TopicTable) DataVersion() DataVersion { return t.dataVersion() }

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
	return t.put(c.TopicName, c.clone())
}

// Delete removes a topic and persists the table. It reports whether the
// topic existed.
func (t *TopicTable) Delete(name string) (bool, error) { return t.delete(name) }

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
	if c, ok := t.items[topic]; ok {
		t.mu.Unlock()
		return c, false, nil
	}
	tpl, ok := t.items[template]
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
	t.items[topic] = c
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
	if old, added := t.addIfAbsent(topic, c); !added {
		return old, false, nil
	}
	return c, true, t.persist()
}

// SerializeWrapperJSON returns the TopicConfigSerializeWrapper body of
// REGISTER_BROKER and GET_ALL_TOPIC_CONFIG:
// {"dataVersion":{…},"topicConfigTable":{"<name>":{TopicConfig},…}},
// compact, strictly valid JSON, topics and members sorted.
func (t *TopicTable) SerializeWrapperJSON() []byte {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.appendWrapperLocked(make([]byte, 0, 64+200*len(t.items)))
}

func (t *TopicTable) appendWrapperLocked(b []byte) []byte {
	b = append(b, `{"dataVersion":`...)
	b = t.version.AppendJSON(b)
	b = append(b, `,"topicConfigTable":`...)
	b = t.appendItemsLocked(b, func(b []byte, c TopicConfig) []byte { return c.AppendJSON(b) })
	return append(b, '}')
}

// Persist writes the table if it changed since the last successful write.
// Changing methods already persist; Persist retries after a failed write.
func (t *TopicTable) Persist() error { return t.persist() }
