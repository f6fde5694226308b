package clients

import (
	"cmp"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// DefaultChannelExpiry is how long a connection stays in its groups without
// a heartbeat (upstream's channelExpiredTimeout). Clients heartbeat every 30 s.
const DefaultChannelExpiry = 120 * time.Second

// ManagerConfig configures a Manager.
type ManagerConfig struct {
	// ChannelExpiry drops a connection from a group when it has sent no
	// heartbeat naming the group for this long; 0 means 120 s.
	ChannelExpiry time.Duration
	// Now is the clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
}

// Manager tracks producer and consumer groups and their connections. It is
// safe for concurrent use; Subscription, on the pull path, takes a read lock
// and does not allocate.
//
// Membership is per (group, channel): a channel joins a group with a
// heartbeat naming it and leaves on UNREGISTER_CLIENT, on connection close,
// on expiry, or when a later heartbeat from the same client id no longer
// names the group (the Go client never sends UNREGISTER_CLIENT when one of
// its consumers shuts down; its heartbeats simply stop listing it).
type Manager struct {
	expiry   time.Duration
	now      func() time.Time
	log      *slog.Logger
	notifier *notifier

	mu        sync.RWMutex
	consumers map[string]*consumerGroup // guarded by mu; never holds an empty group
	producers map[string]*producerGroup // guarded by mu; never holds an empty group
	// byChan indexes the groups each channel is in, so that closing a
	// connection does not scan every group. Kept in step with the groups'
	// member maps by join and the remove*Locked methods.
	byChan map[Channel]*channelGroups // guarded by mu
}

// member is one channel's registration in one group.
type member struct {
	clientID string
	addr     string
	sdk      SDK
	lastSeen time.Time
}

type consumerGroup struct {
	members map[Channel]*member
	// subs maps topic to subscription. The values are never modified once
	// stored (they are handed out to pull requests); updates replace them.
	subs             map[string]*SubscriptionData
	consumeType      string
	messageModel     string
	consumeFromWhere string
	// notify is the group's notifyConsumerIdsChangedEnable as the broker
	// reported it with the latest heartbeat.
	notify     bool
	lastUpdate time.Time
}

type producerGroup struct {
	members map[Channel]*member
}

type channelGroups struct {
	consumers map[string]struct{}
	producers map[string]struct{}
}

// groupNotice is a notification to send once the lock is released.
type groupNotice struct {
	group string
	chans []Channel
}

// NewManager returns an empty Manager. logger may be nil.
func NewManager(cfg ManagerConfig, logger *slog.Logger) *Manager {
	if cfg.ChannelExpiry <= 0 {
		cfg.ChannelExpiry = DefaultChannelExpiry
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Manager{
		expiry:    cfg.ChannelExpiry,
		now:       cfg.Now,
		log:       logger,
		notifier:  newNotifier(logger),
		consumers: make(map[string]*consumerGroup),
		producers: make(map[string]*producerGroup),
		byChan:    make(map[Channel]*channelGroups),
	}
}

// Heartbeat registers the groups of a HEART_BEAT on ch: every producer
// group, and every consumer group with its subscriptions, consume type,
// message model and consume-from-where (the latest heartbeat of any member
// sets these for the group; a subscription of a topic is replaced only by one
// with a higher subVersion, and topics the heartbeat does not list are
// dropped, as upstream does). Groups this client id registered on ch
// earlier but no longer lists are left.
//
// groupNotify reports a consumer group's notifyConsumerIdsChangedEnable; it
// is called before any lock is taken, so it may look the group up or create
// it. nil means enabled for every group. The answer is remembered for the
// notifications that unregistering, closing and expiry cause later.
//
// Heartbeat returns, sorted, the consumer groups whose set of client ids
// changed. For each of them with notification enabled, every consumer
// channel of the group is sent NOTIFY_CONSUMER_IDS_CHANGED asynchronously.
func (m *Manager) Heartbeat(ch Channel, sdk SDK, data *HeartbeatData, groupNotify func(group string) bool) []string {
	if ch == nil || data == nil || data.ClientID == "" {
		return nil // ParseHeartbeat never yields an empty client id
	}
	notify := make(map[string]bool, len(data.ConsumerDataSet))
	for _, cd := range data.ConsumerDataSet {
		if _, ok := notify[cd.GroupName]; !ok && cd.GroupName != "" {
			notify[cd.GroupName] = groupNotify == nil || groupNotify(cd.GroupName)
		}
	}
	now := m.now()
	addr := addrOf(ch)
	refresh := func(mem *member) {
		mem.clientID, mem.addr, mem.sdk, mem.lastSeen = data.ClientID, addr, sdk, now
	}

	var changed []string
	m.mu.Lock()
	listedProducers := make(map[string]struct{}, len(data.ProducerDataSet))
	for _, pd := range data.ProducerDataSet {
		if pd.GroupName == "" {
			continue
		}
		listedProducers[pd.GroupName] = struct{}{}
		refresh(m.joinProducerLocked(pd.GroupName, ch))
	}
	for _, cd := range data.ConsumerDataSet {
		if cd.GroupName == "" {
			continue
		}
		g, mem, oldID := m.joinConsumerLocked(cd.GroupName, ch)
		if g.idSetChanges(ch, oldID, data.ClientID) && !slices.Contains(changed, cd.GroupName) {
			changed = append(changed, cd.GroupName)
			m.log.Info("consumer group membership changed", "group", cd.GroupName,
				"clientId", data.ClientID, "addr", addr, "previousClientId", oldID)
		}
		refresh(mem)
		g.consumeType, g.messageModel, g.consumeFromWhere = cd.ConsumeType, cd.MessageModel, cd.ConsumeFromWhere
		g.notify = notify[cd.GroupName]
		g.lastUpdate = now
		g.updateSubscriptions(cd.SubscriptionDataSet)
	}

	// Leave the groups this client stopped listing.
	if idx := m.byChan[ch]; idx != nil {
		for _, name := range slices.Collect(maps.Keys(idx.consumers)) {
			if _, listed := notify[name]; listed {
				continue
			}
			if mem := m.consumers[name].members[ch]; mem.clientID == data.ClientID {
				if m.removeConsumerLocked(name, ch) {
					changed = append(changed, name)
					m.log.Info("consumer left group (no longer in heartbeat)", "group", name,
						"clientId", data.ClientID, "addr", addr)
				}
			}
		}
		for _, name := range slices.Collect(maps.Keys(idx.producers)) {
			if _, listed := listedProducers[name]; listed {
				continue
			}
			if mem := m.producers[name].members[ch]; mem.clientID == data.ClientID {
				m.removeProducerLocked(name, ch)
			}
		}
	}
	notices := m.noticesLocked(changed)
	m.mu.Unlock()

	m.send(notices)
	slices.Sort(changed)
	return changed
}

// Unregister handles UNREGISTER_CLIENT: ch leaves producerGroup and
// consumerGroup (either may be empty) if it registered there under clientID
// (an empty clientID matches any). The consumer group's remaining members
// are notified when its set of client ids changed.
func (m *Manager) Unregister(ch Channel, clientID, producerGroup, consumerGroup string) {
	matches := func(mem *member) bool { return mem != nil && (clientID == "" || mem.clientID == clientID) }
	var changed []string
	m.mu.Lock()
	if pg := m.producers[producerGroup]; producerGroup != "" && pg != nil && matches(pg.members[ch]) {
		m.removeProducerLocked(producerGroup, ch)
	}
	if cg := m.consumers[consumerGroup]; consumerGroup != "" && cg != nil && matches(cg.members[ch]) {
		if m.removeConsumerLocked(consumerGroup, ch) {
			changed = append(changed, consumerGroup)
		}
	}
	notices := m.noticesLocked(changed)
	m.mu.Unlock()
	if len(changed) > 0 {
		m.log.Info("consumer unregistered", "group", consumerGroup, "clientId", clientID, "addr", addrOf(ch))
	}
	m.send(notices)
}

// ConnClosed removes ch from every group at once and notifies the remaining
// members of each consumer group whose set of client ids changed.
func (m *Manager) ConnClosed(ch Channel) {
	var changed []string
	m.mu.Lock()
	if idx := m.byChan[ch]; idx != nil {
		for _, name := range slices.Collect(maps.Keys(idx.consumers)) {
			if m.removeConsumerLocked(name, ch) {
				changed = append(changed, name)
			}
		}
		for _, name := range slices.Collect(maps.Keys(idx.producers)) {
			m.removeProducerLocked(name, ch)
		}
	}
	notices := m.noticesLocked(changed)
	m.mu.Unlock()
	if len(changed) > 0 {
		slices.Sort(changed)
		m.log.Info("connection closed; consumer groups changed", "addr", addrOf(ch), "groups", changed)
	}
	m.send(notices)
}

// ScanExpired drops every (group, channel) registration not refreshed by a
// heartbeat for ChannelExpiry, notifies consumer groups whose set of client
// ids changed, and returns the channels that were dropped from at least one
// group. Upstream closes such connections; the caller may do the same. The
// broker calls it every 10 s.
func (m *Manager) ScanExpired() []Channel {
	now := m.now()
	expiredAt := func(mem *member) bool { return now.Sub(mem.lastSeen) > m.expiry }
	type reg struct {
		group string
		ch    Channel
	}
	var consumers, producers []reg
	dropped := make(map[Channel]struct{})

	m.mu.Lock()
	for name, g := range m.consumers {
		for ch, mem := range g.members {
			if expiredAt(mem) {
				consumers = append(consumers, reg{name, ch})
			}
		}
	}
	for name, g := range m.producers {
		for ch, mem := range g.members {
			if expiredAt(mem) {
				producers = append(producers, reg{name, ch})
			}
		}
	}
	var changed []string
	for _, r := range consumers {
		dropped[r.ch] = struct{}{}
		if m.removeConsumerLocked(r.group, r.ch) && !slices.Contains(changed, r.group) {
			changed = append(changed, r.group)
		}
	}
	for _, r := range producers {
		dropped[r.ch] = struct{}{}
		m.removeProducerLocked(r.group, r.ch)
	}
	notices := m.noticesLocked(changed)
	m.mu.Unlock()

	for _, r := range consumers {
		m.log.Info("consumer channel expired", "group", r.group, "addr", addrOf(r.ch))
	}
	for _, r := range producers {
		m.log.Info("producer channel expired", "group", r.group, "addr", addrOf(r.ch))
	}
	m.send(notices)
	return slices.Collect(maps.Keys(dropped))
}

// joinProducerLocked returns ch's registration in a producer group,
// creating the group and the registration as needed.
func (m *Manager) joinProducerLocked(name string, ch Channel) *member {
	g := m.producers[name]
	if g == nil {
		g = &producerGroup{members: make(map[Channel]*member)}
		m.producers[name] = g
	}
	mem := g.members[ch]
	if mem == nil {
		mem = &member{}
		g.members[ch] = mem
		m.indexLocked(ch).producers[name] = struct{}{}
	}
	return mem
}

// joinConsumerLocked is joinProducerLocked for consumer groups; oldID is the
// client id ch was registered under, "" if it was not a member.
func (m *Manager) joinConsumerLocked(name string, ch Channel) (g *consumerGroup, mem *member, oldID string) {
	g = m.consumers[name]
	if g == nil {
		g = &consumerGroup{members: make(map[Channel]*member), subs: make(map[string]*SubscriptionData)}
		m.consumers[name] = g
	}
	mem = g.members[ch]
	if mem == nil {
		mem = &member{}
		g.members[ch] = mem
		m.indexLocked(ch).consumers[name] = struct{}{}
		return g, mem, ""
	}
	return g, mem, mem.clientID
}

func (m *Manager) indexLocked(ch Channel) *channelGroups {
	idx := m.byChan[ch]
	if idx == nil {
		idx = &channelGroups{consumers: make(map[string]struct{}), producers: make(map[string]struct{})}
		m.byChan[ch] = idx
	}
	return idx
}

func (m *Manager) unindexLocked(ch Channel, consumer, producer string) {
	idx := m.byChan[ch]
	if idx == nil {
		return
	}
	delete(idx.consumers, consumer)
	delete(idx.producers, producer)
	if len(idx.consumers) == 0 && len(idx.producers) == 0 {
		delete(m.byChan, ch)
	}
}

// removeConsumerLocked takes ch out of a consumer group, deleting the group
// when it becomes empty. It reports whether the group's set of client ids
// changed (another channel of the same client id keeps the set unchanged).
func (m *Manager) removeConsumerLocked(name string, ch Channel) bool {
	g := m.consumers[name]
	if g == nil {
		return false
	}
	mem := g.members[ch]
	if mem == nil {
		return false
	}
	delete(g.members, ch)
	m.unindexLocked(ch, name, "")
	if len(g.members) == 0 {
		delete(m.consumers, name)
		return true
	}
	return g.countID(mem.clientID, nil) == 0
}

func (m *Manager) removeProducerLocked(name string, ch Channel) {
	g := m.producers[name]
	if g == nil {
		return
	}
	delete(g.members, ch)
	m.unindexLocked(ch, "", name)
	if len(g.members) == 0 {
		delete(m.producers, name)
	}
}

// noticesLocked lists, for each changed group that still has members and
// wants notifications, the channels to notify.
func (m *Manager) noticesLocked(changed []string) []groupNotice {
	var notices []groupNotice
	for _, name := range changed {
		g := m.consumers[name]
		if g == nil || !g.notify {
			continue
		}
		notices = append(notices, groupNotice{name, slices.Collect(maps.Keys(g.members))})
	}
	return notices
}

func (m *Manager) send(notices []groupNotice) {
	for _, n := range notices {
		m.notifier.notifyAll(n.group, n.chans)
	}
}

// countID counts the members other than except registered under id.
func (g *consumerGroup) countID(id string, except Channel) int {
	n := 0
	for ch, mem := range g.members {
		if ch != except && mem.clientID == id {
			n++
		}
	}
	return n
}

// idSetChanges reports whether re-registering ch from client id oldID ("" =
// not a member) to newID changes the group's set of client ids. Call it
// before updating ch's member record.
func (g *consumerGroup) idSetChanges(ch Channel, oldID, newID string) bool {
	if oldID == newID {
		return false
	}
	return (oldID != "" && g.countID(oldID, ch) == 0) || g.countID(newID, ch) == 0
}

// updateSubscriptions applies a heartbeat's subscription list: new topics
// are added, a topic's subscription is replaced by one with a higher
// subVersion, and topics not in the list are dropped. Stored values are
// private copies, never modified afterwards.
func (g *consumerGroup) updateSubscriptions(subs []SubscriptionData) {
	listed := make(map[string]struct{}, len(subs))
	for i := range subs {
		s := &subs[i]
		if s.Topic == "" {
			continue
		}
		listed[s.Topic] = struct{}{}
		if old := g.subs[s.Topic]; old == nil || s.SubVersion > old.SubVersion {
			cp := *s
			cp.TagsSet = slices.Clone(s.TagsSet)
			cp.CodeSet = slices.Clone(s.CodeSet)
			g.subs[s.Topic] = &cp
		}
	}
	for topic := range g.subs {
		if _, ok := listed[topic]; !ok {
			delete(g.subs, topic)
		}
	}
}

// ConsumerIDs returns the sorted, distinct client ids of the group's
// consumers (GET_CONSUMER_LIST_BY_GROUP); nil when the group has none.
func (m *Manager) ConsumerIDs(group string) []string {
	m.mu.RLock()
	g := m.consumers[group]
	var ids []string
	if g != nil {
		ids = make([]string, 0, len(g.members))
		for _, mem := range g.members {
			ids = append(ids, mem.clientID)
		}
	}
	m.mu.RUnlock()
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Subscription returns the group's subscription of topic as registered by
// heartbeats. The result is shared and must not be modified.
func (m *Manager) Subscription(group, topic string) (*SubscriptionData, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.consumers[group]
	if g == nil {
		return nil, false
	}
	s, ok := g.subs[topic]
	return s, ok
}

// ConsumerChannels returns the channels of the group's consumers, e.g. to
// push RESET_CONSUMER_CLIENT_OFFSET to each of them.
func (m *Manager) ConsumerChannels(group string) []Channel {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if g := m.consumers[group]; g != nil {
		return slices.Collect(maps.Keys(g.members))
	}
	return nil
}

// ConsumerChannel returns a channel on which the group's consumer with the
// given client id is connected (the most recently heard-from one), e.g. to
// forward GET_CONSUMER_RUNNING_INFO.
func (m *Manager) ConsumerChannel(group, clientID string) (Channel, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.consumers[group]
	if g == nil {
		return nil, false
	}
	return latest(g.members, func(mem *member) bool { return mem.clientID == clientID })
}

// ProducerChannel returns a live channel of one of the group's producers
// (the most recently heard-from), for transaction checks.
func (m *Manager) ProducerChannel(group string) (Channel, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.producers[group]
	if g == nil {
		return nil, false
	}
	return latest(g.members, func(*member) bool { return true })
}

// ProducerChannelByClientID returns a channel of the client with the given
// id from any producer group, for pushing replies (PUSH_REPLY_MESSAGE_TO_CLIENT).
func (m *Manager) ProducerChannelByClientID(clientID string) (Channel, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var best Channel
	var bestSeen time.Time
	for _, g := range m.producers {
		if ch, ok := latest(g.members, func(mem *member) bool { return mem.clientID == clientID }); ok {
			if seen := g.members[ch].lastSeen; best == nil || seen.After(bestSeen) {
				best, bestSeen = ch, seen
			}
		}
	}
	return best, best != nil
}

// latest returns the most recently refreshed member channel that satisfies ok.
func latest(members map[Channel]*member, ok func(*member) bool) (Channel, bool) {
	var best Channel
	var bestMem *member
	for ch, mem := range members {
		if ok(mem) && (bestMem == nil || mem.lastSeen.After(bestMem.lastSeen)) {
			best, bestMem = ch, mem
		}
	}
	return best, best != nil
}

// ConsumerGroupsOfTopic returns, sorted, the consumer groups with a live
// member whose subscriptions include topic (QUERY_TOPIC_CONSUME_BY_WHO).
func (m *Manager) ConsumerGroupsOfTopic(topic string) []string {
	m.mu.RLock()
	var groups []string
	for name, g := range m.consumers {
		if _, ok := g.subs[topic]; ok {
			groups = append(groups, name)
		}
	}
	m.mu.RUnlock()
	slices.Sort(groups)
	return groups
}

// Groups returns, sorted, the consumer groups that have at least one
// connection.
func (m *Manager) Groups() []string {
	m.mu.RLock()
	groups := slices.Collect(maps.Keys(m.consumers))
	m.mu.RUnlock()
	slices.Sort(groups)
	return groups
}

// ProducerGroups returns, sorted, the producer groups that have at least
// one connection.
func (m *Manager) ProducerGroups() []string {
	m.mu.RLock()
	groups := slices.Collect(maps.Keys(m.producers))
	m.mu.RUnlock()
	slices.Sort(groups)
	return groups
}

// connections lists members sorted by client id, then address.
func connections(members map[Channel]*member) []ConnectionInfo {
	conns := make([]ConnectionInfo, 0, len(members))
	for _, mem := range members {
		conns = append(conns, ConnectionInfo{
			ClientID:   mem.clientID,
			ClientAddr: mem.addr,
			Language:   mem.sdk.Language,
			Version:    mem.sdk.Version,
			LastUpdate: mem.lastSeen,
		})
	}
	slices.SortFunc(conns, func(a, b ConnectionInfo) int {
		return cmp.Or(cmp.Compare(a.ClientID, b.ClientID), cmp.Compare(a.ClientAddr, b.ClientAddr))
	})
	return conns
}

// ConsumerGroup returns what GET_CONSUMER_CONNECTION_LIST reports of a
// consumer group; false when the group has no connection.
func (m *Manager) ConsumerGroup(group string) (ConsumerGroupInfo, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.consumers[group]
	if g == nil {
		return ConsumerGroupInfo{}, false
	}
	subs := slices.Collect(maps.Values(g.subs))
	slices.SortFunc(subs, func(a, b *SubscriptionData) int { return cmp.Compare(a.Topic, b.Topic) })
	return ConsumerGroupInfo{
		Group:            group,
		Connections:      connections(g.members),
		Subscriptions:    subs,
		ConsumeType:      g.consumeType,
		MessageModel:     g.messageModel,
		ConsumeFromWhere: g.consumeFromWhere,
		LastUpdate:       g.lastUpdate,
	}, true
}

// ProducerConnections returns the connections of a producer group
// (GET_PRODUCER_CONNECTION_LIST); false when it has none.
func (m *Manager) ProducerConnections(group string) ([]ConnectionInfo, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	g := m.producers[group]
	if g == nil {
		return nil, false
	}
	return connections(g.members), true
}

// WaitNotifications blocks until every NOTIFY_CONSUMER_IDS_CHANGED asked
// for so far has been handed to its channel (for orderly shutdown and tests).
func (m *Manager) WaitNotifications() { m.notifier.wait() }
