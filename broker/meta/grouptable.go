package meta

import (
	"encoding/json"

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
	configTable[SubscriptionGroupConfig] // items are the groups
	// forbidden is 5.x's forbiddenTable, kept verbatim; empty means {}.
	forbidden json.RawMessage // guarded by mu
}

// OpenGroupTable loads the table from path (upstream:
// <configDir>/subscriptionGroup.json), falling back to path.bak, and adds
// the system groups upstream brokers create (TOOLS_CONSUMER,
// CID_RMQ_SYS_TRANS, …) when they are missing, writing the file if it did.
func OpenGroupTable(path string) (*GroupTable, error) {
	g := &GroupTable{}
	g.init(path, "subscription group table", g.appendJSONLocked)
	if err := g.load(g.decode); err != nil {
		return nil, err
	}

	g.mu.Lock()
	added := false
	for _, name := range systemGroups {
		if _, ok := g.items[name]; !ok {
			g.items[name] = NewSubscriptionGroupConfig(name)
			added = true
		}
	}
	if added {
		g.changedLocked()
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
	g.items = groups
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
func (g *GroupTable) Get(group string) (SubscriptionGroupConfig, bool) { return g.get(group) }

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
	c, added := g.addIfAbsent(group, NewSubscriptionGroupConfig(group))
	if added {
		_ = g.persist() // failure keeps the table dirty; see the doc comment
	}
	return c, true
}

// Put creates or replaces a group and persists the table.
func (g *GroupTable) Put(c SubscriptionGroupConfig) error {
	if err := ValidateGroupName(c.GroupName); err != nil {
		return err
	}
	return g.put(c.GroupName, c.clone())
}

// Delete removes a group and persists the table; it reports whether the
// group existed. Its offsets live in the OffsetTable and are not touched.
func (g *GroupTable) Delete(group string) (bool, error) { return g.delete(group) }

// All returns every group, sorted by name.
func (g *GroupTable) All() []SubscriptionGroupConfig { return g.all() }

// DataVersion returns the version of the table's current state.
func (g *GroupTable) DataVersion() DataVersion { return g.dataVersion() }

// JSON returns the GET_ALL_SUBSCRIPTIONGROUP_CONFIG body:
// {"dataVersion":{…},"forbiddenTable":{…},"subscriptionGroupTable":{…}},
// compact and strictly valid JSON (the Go admin decodes it with
// encoding/json), groups and members sorted.
func (g *GroupTable) JSON() []byte {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.appendJSONLocked(make([]byte, 0, 64+400*len(g.items)))
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
	b = append(b, `,"subscriptionGroupTable":`...)
	b = g.appendItemsLocked(b, func(b []byte, c SubscriptionGroupConfig) []byte {
		// Cannot fail: every member is a plain value or validated raw JSON.
		cj, _ := c.MarshalJSON()
		return append(b, cj...)
	})
	return append(b, '}')
}

// Persist writes the table if it changed since the last successful write.
func (g *GroupTable) Persist() error { return g.persist() }
