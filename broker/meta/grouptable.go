package meta

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/saturnmq/saturn/fastjson"
)

// systemGroups are the consumer groups upstream brokers create at start-up.
var systemGroups = [...]string{
	ToolsConsumerGroup,
	FilterServerConsumerGroup,
	SelfTestConsumerGroup,
	OnsHTTPProxyGroup,
	OnsAPIPullGroup,
	OnsAPIPermissionGroup,
	OnsAPIOwnerGroup,
	TransCheckGroup,
}

// GroupTable is the broker's subscription-group table, persisted as
// subscriptionGroup.json. Reads take a read lock and do not allocate; every
// change bumps the data version and is written before the method returns.
type GroupTable struct {
	path       string
	loadedFrom string

	mu      sync.RWMutex
	groups  map[string]SubscriptionGroupConfig // guarded by mu; values never modified in place
	version DataVersion                        // guarded by mu
	// forbidden is 5.x's forbiddenTable, kept verbatim; empty means {}.
	forbidden json.RawMessage // guarded by mu

	dirty     atomic.Bool // see TopicTable
	persistMu sync.Mutex
}

// OpenGroupTable loads the table from path (upstream:
// <configDir>/subscriptionGroup.json), falling back to path.bak, and adds
// the system groups upstream brokers create (TOOLS_CONSUMER,
// CID_RMQ_SYS_TRANS, …) when they are missing, writing the file if it did.
func OpenGroupTable(path string) (*GroupTable, error) {
	g := &GroupTable{
		path:    path,
		groups:  make(map[string]SubscriptionGroupConfig),
		version: NewDataVersion(),
	}
	from, err := loadJSONFile(path, g.decode)
	if err != nil {
		return nil, fmt.Errorf("subscription group table: %w", err)
	}
	g.loadedFrom = from

	g.mu.Lock()
	for _, name := range systemGroups {
		if _, ok := g.groups[name]; !ok {
			g.groups[name] = NewSubscriptionGroupConfig(name)
			g.dirty.Store(true)
		}
	}
	if g.dirty.Load() {
		g.version = g.version.Next()
	}
	g.mu.Unlock()
	if err := g.persist(); err != nil {
		return nil, err
	}
	return g, nil
}

func (g *GroupTable) decode(b []byte) error {
	var w struct {
		DataVersion            *DataVersion                       `json:"dataVersion"`
		ForbiddenTable         json.RawMessage                    `json:"forbiddenTable"`
		SubscriptionGroupTable map[string]SubscriptionGroupConfig `json:"subscriptionGroupTable"`
	}
	if err := fastjson.Unmarshal(b, &w); err != nil {
		return err
	}
	groups := make(map[string]SubscriptionGroupConfig, len(w.SubscriptionGroupTable))
	for name, c := range w.SubscriptionGroupTable {
		c.GroupName = name // the key is what upstream looks groups up by
		groups[name] = c.clone()
	}
	g.groups = groups
	if w.DataVersion != nil {
		g.version = *w.DataVersion
	}
	g.forbidden = nullToEmpty(w.ForbiddenTable)
	return nil
}

// LoadedFrom names the file the table was loaded from (see TopicTable).
func (g *GroupTable) LoadedFrom() string { return g.loadedFrom }

// Get returns the group's configuration. Its Attributes map is shared with
// the table and must not be modified.
func (g *GroupTable) Get(group string) (SubscriptionGroupConfig, bool) {
	g.mu.RLock()
	c, ok := g.groups[group]
	g.mu.RUnlock()
	return c, ok
}

// GetOrCreate returns the group's configuration. A missing group is created
// with the defaults of NewSubscriptionGroupConfig when autoCreate is true
// (upstream's autoCreateSubscriptionGroup) and its name is valid. exists
// reports whether the group exists after the call. Should writing the file
// fail, the group still exists in memory and the write is retried by the
// next change or Persist.
func (g *GroupTable) GetOrCreate(group string, autoCreate bool) (cfg SubscriptionGroupConfig, exists bool) {
	if c, ok := g.Get(group); ok {
		return c, true
	}
	if !autoCreate || ValidateGroupName(group) != nil {
		return SubscriptionGroupConfig{}, false
	}
	g.mu.Lock()
	c, ok := g.groups[group]
	if !ok {
		c = NewSubscriptionGroupConfig(group)
		g.groups[group] = c
		g.changedLocked()
	}
	g.mu.Unlock()
	if !ok {
		_ = g.persist() // failure keeps the table dirty; see the doc comment
	}
	return c, true
}

// Put creates or replaces a group and persists the table.
func (g *GroupTable) Put(c SubscriptionGroupConfig) error {
	if err := ValidateGroupName(c.GroupName); err != nil {
		return err
	}
	c = c.clone()
	g.mu.Lock()
	g.groups[c.GroupName] = c
	g.changedLocked()
	g.mu.Unlock()
	return g.persist()
}

// Delete removes a group and persists the table; it reports whether the
// group existed. Its offsets live in the OffsetTable and are not touched.
func (g *GroupTable) Delete(group string) (bool, error) {
	g.mu.Lock()
	_, ok := g.groups[group]
	if ok {
		delete(g.groups, group)
		g.changedLocked()
	}
	g.mu.Unlock()
	if !ok {
		return false, nil
	}
	return true, g.persist()
}

// All returns every group, sorted by name.
func (g *GroupTable) All() []SubscriptionGroupConfig {
	g.mu.RLock()
	all := slices.Collect(maps.Values(g.groups))
	g.mu.RUnlock()
	slices.SortFunc(all, func(a, b SubscriptionGroupConfig) int { return strings.Compare(a.GroupName, b.GroupName) })
	return all
}

// DataVersion returns the version of the table's current state.
func (g *GroupTable) DataVersion() DataVersion {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.version
}

func (g *GroupTable) changedLocked() {
	g.version = g.version.Next()
	g.dirty.Store(true)
}

// JSON returns the GET_ALL_SUBSCRIPTIONGROUP_CONFIG body:
// {"dataVersion":{…},"forbiddenTable":{…},"subscriptionGroupTable":{…}},
// compact and strictly valid JSON (the Go admin decodes it with
// encoding/json), groups and members sorted.
func (g *GroupTable) JSON() []byte {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.appendJSONLocked(make([]byte, 0, 64+400*len(g.groups)))
}

func (g *GroupTable) appendJSONLocked(b []byte) []byte {
	b = append(b, `{"dataVersion":`...)
	b = g.version.AppendJSON(b)
	b = append(b, `,"forbiddenTable":`...)
	if f := validRaw(g.forbidden); f != nil {
		b = append(b, f...)
	} else {
		b = append(b, "{}"...)
	}
	b = append(b, `,"subscriptionGroupTable":{`...)
	for i, name := range slices.Sorted(maps.Keys(g.groups)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = fastjson.AppendString(b, name)
		b = append(b, ':')
		// Cannot fail: every member is a plain value or validated raw JSON.
		cj, _ := g.groups[name].MarshalJSON()
		b = append(b, cj...)
	}
	return append(b, "}}"...)
}

// Persist writes the table if it changed since the last successful write.
func (g *GroupTable) Persist() error { return g.persist() }

func (g *GroupTable) persist() error {
	g.persistMu.Lock()
	defer g.persistMu.Unlock()
	if !g.dirty.Swap(false) {
		return nil
	}
	g.mu.RLock()
	compact := g.appendJSONLocked(nil)
	g.mu.RUnlock()
	if err := writeFileAtomic(g.path, indentTabs(compact)); err != nil {
		g.dirty.Store(true)
		return fmt.Errorf("subscription group table: %w", err)
	}
	return nil
}
