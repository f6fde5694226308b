package namesrv

import (
	"cmp"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultBrokerExpiry is how long a broker may stay silent before it is
// dropped (upstream BROKER_CHANNEL_EXPIRED_TIME).
const DefaultBrokerExpiry = 120 * time.Second

// ErrRegisterRefused is returned by RegisterBroker for a registration that
// upstream refuses too: an unknown broker id whose topic table holds exactly
// one topic (a 5.x broker's single-topic incremental registration that
// overtook its first full one).
var ErrRegisterRefused = errors.New("register broker failed")

// BrokerRegistration is one REGISTER_BROKER request, decoded.
type BrokerRegistration struct {
	Cluster      string
	BrokerName   string
	BrokerAddr   string
	BrokerID     int64
	HAServerAddr string
	ZoneName     string
	// EnableActingMaster is nil for brokers that do not send the header
	// (4.x); 5.x brokers always send it.
	EnableActingMaster *bool
	// HeartbeatTimeout overrides the table's expiry for this broker when > 0.
	HeartbeatTimeout time.Duration
	DataVersion      DataVersion
	Topics           []TopicConfig
	// FilterServers nil leaves the broker's list unchanged; empty clears it.
	FilterServers []string
	// ConnID identifies the connection the registration came on, so that the
	// broker can be dropped when it closes. 0 means none.
	ConnID uint64
}

// RegisterResult is what a registering slave learns about its master; both
// fields are empty for a master or when the master is not registered.
type RegisterResult struct {
	HAServerAddr string
	MasterAddr   string
}

// BrokerAddr identifies a live broker process: liveness is tracked per
// (cluster, address), as in upstream 5.x.
type BrokerAddr struct {
	Cluster string
	Addr    string
}

type liveBroker struct {
	lastUpdate   time.Time
	timeout      time.Duration
	version      DataVersion
	connID       uint64
	haServerAddr string
}

// RouteTable is the name server's view of brokers and topics. It is safe for
// concurrent use. All times come from the clock given to NewRouteTable.
//
// Invariants kept by every method:
//   - every broker name in clusters has an entry in brokers, and every
//     entry in brokers has at least one address;
//   - every topic in topics has at least one QueueData.
//
// A topic's QueueData of a broker name whose BrokerData is gone cannot occur
// through RegisterBroker/UnregisterBroker; RegisterTopic checks names too.
type RouteTable struct {
	now    func() time.Time
	expiry time.Duration

	mu            sync.RWMutex
	topics        map[string]map[string]QueueData // topic → broker name → queues
	brokers       map[string]*BrokerData          // broker name → addresses
	clusters      map[string]map[string]struct{}  // cluster → broker names
	live          map[BrokerAddr]*liveBroker
	filterServers map[BrokerAddr][]string
}

// NewRouteTable returns an empty table. expiry ≤ 0 means
// DefaultBrokerExpiry; now nil means time.Now.
func NewRouteTable(expiry time.Duration, now func() time.Time) *RouteTable {
	if expiry <= 0 {
		expiry = DefaultBrokerExpiry
	}
	if now == nil {
		now = time.Now
	}
	return &RouteTable{
		now:           now,
		expiry:        expiry,
		topics:        map[string]map[string]QueueData{},
		brokers:       map[string]*BrokerData{},
		clusters:      map[string]map[string]struct{}{},
		live:          map[BrokerAddr]*liveBroker{},
		filterServers: map[BrokerAddr][]string{},
	}
}

// RegisterBroker records a broker and, for a master (or a 5.x slave standing
// in for an absent master), its topics. Topics are (re)read when the broker
// is new, its data version changed, or the topic is missing for this broker
// (e.g. after DELETE_TOPIC_IN_NAMESRV); topics the broker no longer lists are
// not removed, as upstream.
func (t *RouteTable) RegisterBroker(r BrokerRegistration) (RegisterResult, error) {
	t.mu.Lock()
	defer t.mu.Unlock()

	key := BrokerAddr{r.Cluster, r.BrokerAddr}
	bd := t.brokers[r.BrokerName]
	registerFirst := bd == nil
	var oldAddr string
	if bd != nil {
		oldAddr = bd.Addrs[r.BrokerID]
	}

	// Refusals come first so that a refused request leaves no trace.
	if oldAddr == "" && len(r.Topics) == 1 {
		return RegisterResult{}, ErrRegisterRefused
	}
	if oldAddr != "" && oldAddr != r.BrokerAddr {
		// Another process holds this id. In 5.x controller mode the one with
		// the newer state version wins; the newcomer is ignored otherwise.
		if prev := t.live[BrokerAddr{r.Cluster, oldAddr}]; prev != nil &&
			prev.version.StateVersion > r.DataVersion.StateVersion {
			delete(t.live, key)
			return RegisterResult{}, nil
		}
	}

	names := t.clusters[r.Cluster]
	if names == nil {
		names = map[string]struct{}{}
		t.clusters[r.Cluster] = names
	}
	names[r.BrokerName] = struct{}{}
	if bd == nil {
		bd = &BrokerData{Cluster: r.Cluster, BrokerName: r.BrokerName, Addrs: map[int64]string{}}
		t.brokers[r.BrokerName] = bd
	}
	bd.EnableActingMaster = r.EnableActingMaster != nil && *r.EnableActingMaster
	bd.ZoneName = r.ZoneName
	// A slave promoted to master re-registers its address under id 0: the
	// address must leave its old id (invariant on BrokerData.Addrs).
	for id, addr := range bd.Addrs {
		if addr == r.BrokerAddr && id != r.BrokerID {
			delete(bd.Addrs, id)
		}
	}
	bd.Addrs[r.BrokerID] = r.BrokerAddr
	registerFirst = registerFirst || oldAddr == ""

	isMaster := r.BrokerID == MasterID
	minID, _ := bd.minID()
	isPrimeSlave := r.EnableActingMaster != nil && !isMaster && r.BrokerID == minID
	if isMaster || isPrimeSlave {
		versionChanged := t.versionChanged(key, r.DataVersion)
		for _, tc := range r.Topics {
			if !registerFirst && !versionChanged && t.hasQueueData(tc.Name, r.BrokerName) {
				continue
			}
			if isPrimeSlave && bd.EnableActingMaster {
				// A slave acting for its master serves reads only.
				tc.Perm &^= PermWrite
			}
			t.putQueueData(tc.Name, tc.queueData(r.BrokerName))
		}
	}

	timeout := r.HeartbeatTimeout
	if timeout <= 0 {
		timeout = t.expiry
	}
	t.live[key] = &liveBroker{
		lastUpdate:   t.now(),
		timeout:      timeout,
		version:      r.DataVersion,
		connID:       r.ConnID,
		haServerAddr: r.HAServerAddr,
	}
	if r.FilterServers != nil {
		if len(r.FilterServers) == 0 {
			delete(t.filterServers, key)
		} else {
			t.filterServers[key] = slices.Clone(r.FilterServers)
		}
	}

	var res RegisterResult
	if !isMaster {
		if masterAddr, ok := bd.Addrs[MasterID]; ok {
			if m := t.live[BrokerAddr{r.Cluster, masterAddr}]; m != nil {
				res.HAServerAddr = m.haServerAddr
				res.MasterAddr = masterAddr
			}
		}
	}
	return res, nil
}

func (t *RouteTable) versionChanged(key BrokerAddr, v DataVersion) bool {
	prev := t.live[key]
	return prev == nil || prev.version != v
}

func (t *RouteTable) hasQueueData(topic, brokerName string) bool {
	_, ok := t.topics[topic][brokerName]
	return ok
}

func (t *RouteTable) putQueueData(topic string, qd QueueData) {
	m := t.topics[topic]
	if m == nil {
		m = map[string]QueueData{}
		t.topics[topic] = m
	}
	m[qd.BrokerName] = qd
}

// UnregisterBroker removes one broker process. When it was the last address
// of its broker name, the name leaves its cluster and its queues leave every
// topic (topics left without queues disappear).
func (t *RouteTable) UnregisterBroker(cluster, brokerAddr, brokerName string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.unregisterLocked(cluster, brokerAddr, brokerName)
}

func (t *RouteTable) unregisterLocked(cluster, brokerAddr, brokerName string) {
	key := BrokerAddr{cluster, brokerAddr}
	delete(t.live, key)
	delete(t.filterServers, key)

	bd := t.brokers[brokerName]
	if bd == nil {
		return
	}
	for id, addr := range bd.Addrs {
		if addr == brokerAddr {
			delete(bd.Addrs, id)
		}
	}
	if len(bd.Addrs) > 0 {
		if _, hasMaster := bd.Addrs[MasterID]; !hasMaster && bd.EnableActingMaster {
			// 5.x acting-master mode: without a master nobody may take writes.
			for topic, m := range t.topics {
				if qd, ok := m[brokerName]; ok {
					qd.Perm &^= PermWrite
					t.topics[topic][brokerName] = qd
				}
			}
		}
		return
	}
	delete(t.brokers, brokerName)
	if names := t.clusters[cluster]; names != nil {
		delete(names, brokerName)
		if len(names) == 0 {
			delete(t.clusters, cluster)
		}
	}
	for topic, m := range t.topics {
		delete(m, brokerName)
		if len(m) == 0 {
			delete(t.topics, topic)
		}
	}
}

// dropLocked removes the live broker key and everything only it provided,
// finding its broker name from the addresses registered in its cluster.
func (t *RouteTable) dropLocked(key BrokerAddr) {
	for name, bd := range t.brokers {
		if bd.Cluster != key.Cluster {
			continue
		}
		for _, addr := range bd.Addrs {
			if addr == key.Addr {
				t.unregisterLocked(key.Cluster, key.Addr, name)
				return
			}
		}
	}
	delete(t.live, key)
	delete(t.filterServers, key)
}

// ScanExpired drops every broker not heard from within its timeout and
// returns the dropped ones, sorted.
func (t *RouteTable) ScanExpired() []BrokerAddr {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var expired []BrokerAddr
	for key, lb := range t.live {
		if now.Sub(lb.lastUpdate) > lb.timeout {
			expired = append(expired, key)
		}
	}
	return t.dropAllLocked(expired)
}

// ConnClosed drops every broker that registered through the connection id
// and returns the dropped ones, sorted. A broker that re-registered over a
// newer connection is not affected by the old one closing.
func (t *RouteTable) ConnClosed(connID uint64) []BrokerAddr {
	if connID == 0 {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	var gone []BrokerAddr
	for key, lb := range t.live {
		if lb.connID == connID {
			gone = append(gone, key)
		}
	}
	return t.dropAllLocked(gone)
}

func (t *RouteTable) dropAllLocked(keys []BrokerAddr) []BrokerAddr {
	slices.SortFunc(keys, compareBrokerAddr)
	for _, k := range keys {
		t.dropLocked(k)
	}
	return keys
}

func compareBrokerAddr(a, b BrokerAddr) int {
	return cmp.Or(strings.Compare(a.Cluster, b.Cluster), strings.Compare(a.Addr, b.Addr))
}

// Heartbeat refreshes a live broker's last-update time and reports whether
// the broker was known.
func (t *RouteTable) Heartbeat(cluster, brokerAddr string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	lb := t.live[BrokerAddr{cluster, brokerAddr}]
	if lb == nil {
		return false
	}
	lb.lastUpdate = t.now()
	return true
}

// QueryDataVersion compares a broker's data version with the one last
// registered. When they are equal the broker counts as heard from (it will
// skip its registration). current is the registered version; known is false
// if the broker is not registered.
func (t *RouteTable) QueryDataVersion(cluster, brokerAddr string, v DataVersion) (changed bool, current DataVersion, known bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	lb := t.live[BrokerAddr{cluster, brokerAddr}]
	if lb == nil {
		return true, DataVersion{}, false
	}
	if lb.version == v {
		lb.lastUpdate = t.now()
		return false, lb.version, true
	}
	return true, lb.version, true
}

// RouteData returns the route of a topic: its queues and the brokers behind
// them, sorted by broker name. ok is false when the topic has no queue on
// any registered broker.
func (t *RouteTable) RouteData(topic string) (rd *TopicRouteData, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	m := t.topics[topic]
	if len(m) == 0 {
		return nil, false
	}
	rd = &TopicRouteData{FilterServerTable: map[string][]string{}}
	for _, name := range sortedKeys(m) {
		rd.QueueDatas = append(rd.QueueDatas, m[name])
		bd := t.brokers[name]
		if bd == nil {
			continue
		}
		c := bd.clone()
		rd.BrokerDatas = append(rd.BrokerDatas, c)
		for _, addr := range c.Addrs {
			if fs := t.filterServers[BrokerAddr{c.Cluster, addr}]; len(fs) > 0 {
				rd.FilterServerTable[addr] = slices.Clone(fs)
			}
		}
	}
	if len(rd.BrokerDatas) == 0 {
		return nil, false
	}
	return rd, true
}

// ClusterInfo returns a copy of the broker and cluster tables.
func (t *RouteTable) ClusterInfo() *ClusterInfo {
	t.mu.RLock()
	defer t.mu.RUnlock()
	ci := &ClusterInfo{Brokers: map[string]BrokerData{}, Clusters: map[string][]string{}}
	for name, bd := range t.brokers {
		ci.Brokers[name] = bd.clone()
	}
	for c, names := range t.clusters {
		ci.Clusters[c] = sortedKeys(names)
	}
	return ci
}

// BrokerMemberGroup returns the addresses of a broker name (nil if unknown).
func (t *RouteTable) BrokerMemberGroup(brokerName string) map[int64]string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if bd := t.brokers[brokerName]; bd != nil {
		return maps.Clone(bd.Addrs)
	}
	return nil
}

// AllTopics returns every topic with at least one queue, sorted.
func (t *RouteTable) AllTopics() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return sortedKeys(t.topics)
}

// TopicsByCluster returns the topics served by any broker of a cluster,
// sorted.
func (t *RouteTable) TopicsByCluster(cluster string) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := t.clusters[cluster]
	var out []string
	for topic, m := range t.topics {
		for name := range m {
			if _, ok := names[name]; ok {
				out = append(out, topic)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// SystemTopics returns the names that Java brokers create as topics of their
// own: every cluster name and every broker name, sorted, plus the address of
// one broker (the lowest id of the first broker name) for the admin tool to
// query, "" if none is registered.
func (t *RouteTable) SystemTopics() (topics []string, brokerAddr string) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	set := map[string]struct{}{}
	for c, names := range t.clusters {
		set[c] = struct{}{}
		for n := range names {
			set[n] = struct{}{}
		}
	}
	for _, name := range sortedKeys(t.brokers) {
		bd := t.brokers[name]
		if id, ok := bd.minID(); ok {
			brokerAddr = bd.Addrs[id]
			break
		}
	}
	return sortedKeys(set), brokerAddr
}

// TopicsBySysFlag returns the sorted topics whose sysFlag (taken from the
// queue data of the alphabetically first broker name) satisfies match. It
// backs the unit-topic listings.
func (t *RouteTable) TopicsBySysFlag(match func(sysFlag int32) bool) []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var out []string
	for topic, m := range t.topics {
		first := slices.Min(slices.Collect(maps.Keys(m)))
		if match(m[first].TopicSysFlag) {
			out = append(out, topic)
		}
	}
	slices.Sort(out)
	return out
}

// DeleteTopic removes a topic's route. With a cluster name only the queues
// of that cluster's brokers are removed (the topic goes when none is left);
// an unknown cluster changes nothing.
func (t *RouteTable) DeleteTopic(topic, cluster string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cluster == "" {
		delete(t.topics, topic)
		return
	}
	m := t.topics[topic]
	if m == nil {
		return
	}
	for name := range t.clusters[cluster] {
		delete(m, name)
	}
	if len(m) == 0 {
		delete(t.topics, topic)
	}
}

// WipeWritePerm clears the write permission of every queue of a broker name
// and returns how many topics it touched.
func (t *RouteTable) WipeWritePerm(brokerName string) int {
	return t.changePerm(brokerName, func(p int32) int32 { return p &^ PermWrite })
}

// AddWritePerm gives every queue of a broker name read and write permission
// back and returns how many topics it touched. Other bits (inherit) are kept;
// upstream resets the permission to exactly read+write.
func (t *RouteTable) AddWritePerm(brokerName string) int {
	return t.changePerm(brokerName, func(p int32) int32 { return p | PermRead | PermWrite })
}

func (t *RouteTable) changePerm(brokerName string, f func(int32) int32) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, m := range t.topics {
		if qd, ok := m[brokerName]; ok {
			qd.Perm = f(qd.Perm)
			m[brokerName] = qd
			n++
		}
	}
	return n
}

// RegisterTopic adds or replaces queue data of a topic (5.x
// REGISTER_TOPIC_IN_NAMESRV). Nothing changes, and false is returned, if
// queues is empty or names a broker that is not registered.
func (t *RouteTable) RegisterTopic(topic string, queues []QueueData) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(queues) == 0 {
		return false
	}
	for _, q := range queues {
		if t.brokers[q.BrokerName] == nil {
			return false
		}
	}
	for _, q := range queues {
		t.putQueueData(topic, q)
	}
	return true
}

// LiveBrokers returns the live broker processes, sorted.
func (t *RouteTable) LiveBrokers() []BrokerAddr {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return slices.SortedFunc(maps.Keys(t.live), compareBrokerAddr)
}
