package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/saturnmq/saturn/fastjson"
	"github.com/saturnmq/saturn/remoting"
)

// Admin manages topics and groups and reads offsets, like upstream's
// mqadmin; enough for tools and tests. It uses its Client's connections and
// registers nothing with brokers.
type Admin struct {
	c *Client
}

// NewAdmin returns the admin API of c.
func NewAdmin(c *Client) *Admin { return &Admin{c: c} }

// Defaults of TopicConfig.
const (
	DefaultTopicQueues = 8
	DefaultTopicPerm   = PermRead | PermWrite
)

// TopicConfig describes a topic to create or update.
type TopicConfig struct {
	Topic string
	// ReadQueues and WriteQueues per broker. Default DefaultTopicQueues (8)
	// each (mqadmin's default).
	ReadQueues, WriteQueues int
	// Perm is the permission (PermRead|PermWrite...). Default
	// DefaultTopicPerm.
	Perm int
	// Order marks an ordered topic.
	Order bool
	// BrokerAddrs are the brokers (master addresses) to create the topic
	// on. When empty, the masters of Cluster are used, or of all clusters
	// the name servers know when Cluster is empty too.
	BrokerAddrs []string
	Cluster     string
}

// ClusterInfo is the cluster map of the name servers
// (GET_BROKER_CLUSTER_INFO).
type ClusterInfo struct {
	// Brokers by broker name.
	Brokers map[string]BrokerData
	// Clusters maps cluster names to their broker names.
	Clusters map[string][]string
}

// ClusterInfo returns the cluster map.
func (a *Admin) ClusterInfo(ctx context.Context) (*ClusterInfo, error) {
	req := remoting.NewRequest(remoting.RequestGetBrokerClusterInfo, nil, nil)
	resp, addr, err := a.c.invokeNameServer(ctx, req)
	if err != nil {
		return nil, err
	}
	v, err := fastjson.Parse(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: cluster info from %s: %w", addr, err)
	}
	ci := &ClusterInfo{Brokers: make(map[string]BrokerData), Clusters: make(map[string][]string)}
	bt, _ := v.Get("brokerAddrTable")
	for _, m := range bt.Members {
		b, err := parseBrokerData(m.Val)
		if err != nil {
			return nil, err
		}
		if b.BrokerName == "" {
			b.BrokerName = m.Key.Text
		}
		ci.Brokers[m.Key.Text] = b
	}
	ct, _ := v.Get("clusterAddrTable")
	for _, m := range ct.Members {
		names := m.Val.Strings()
		slices.Sort(names)
		ci.Clusters[m.Key.Text] = names
	}
	return ci, nil
}

// masters returns the master addresses of cluster's brokers, or of all
// brokers when cluster is "".
func (a *Admin) masters(ctx context.Context, cluster string) ([]string, error) {
	ci, err := a.ClusterInfo(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	if cluster == "" {
		names = slices.Sorted(maps.Keys(ci.Brokers))
	} else {
		var ok bool
		if names, ok = ci.Clusters[cluster]; !ok {
			return nil, fmt.Errorf("%w: the name servers know no cluster %q", ErrInvalidConfig, cluster)
		}
	}
	var addrs []string
	for _, n := range names {
		b := ci.Brokers[n]
		if addr := b.MasterAddr(); addr != "" {
			addrs = append(addrs, addr)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("client: no broker master known to the name servers (cluster %q)", cluster)
	}
	return addrs, nil
}

// CreateTopic creates or updates a topic on brokers
// (UPDATE_AND_CREATE_TOPIC); the brokers register it with the name servers.
func (a *Admin) CreateTopic(ctx context.Context, cfg TopicConfig) error {
	if err := checkTopic(cfg.Topic); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if cfg.ReadQueues <= 0 {
		cfg.ReadQueues = DefaultTopicQueues
	}
	if cfg.WriteQueues <= 0 {
		cfg.WriteQueues = DefaultTopicQueues
	}
	if cfg.Perm == 0 {
		cfg.Perm = DefaultTopicPerm
	}
	addrs := cfg.BrokerAddrs
	if len(addrs) == 0 {
		var err error
		if addrs, err = a.masters(ctx, cfg.Cluster); err != nil {
			return err
		}
	}
	ext := map[string]string{
		"topic":           cfg.Topic,
		"defaultTopic":    DefaultCreateTopicKey,
		"readQueueNums":   strconv.Itoa(cfg.ReadQueues),
		"writeQueueNums":  strconv.Itoa(cfg.WriteQueues),
		"perm":            strconv.Itoa(cfg.Perm),
		"topicFilterType": "SINGLE_TAG",
		"topicSysFlag":    "0",
		"order":           strconv.FormatBool(cfg.Order),
	}
	var errs []error
	for _, addr := range addrs {
		if _, err := a.c.invokeOK(ctx, addr, remoting.NewRequest(remoting.RequestUpdateAndCreateTopic, ext, nil)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// DeleteTopic deletes a topic from the masters that host it (or from the
// masters of cluster, when given) and from every name server.
func (a *Admin) DeleteTopic(ctx context.Context, topic, cluster string) error {
	var addrs []string
	var err error
	if cluster != "" {
		addrs, err = a.masters(ctx, cluster)
	} else {
		var r *TopicRoute
		if r, err = a.c.fetchRoute(ctx, topic); err == nil {
			for _, b := range r.Brokers {
				if m := b.MasterAddr(); m != "" {
					addrs = append(addrs, m)
				}
			}
		}
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, addr := range addrs {
		req := remoting.NewRequest(remoting.RequestDeleteTopicInBroker, map[string]string{"topic": topic}, nil)
		if _, err := a.c.invokeOK(ctx, addr, req); err != nil {
			errs = append(errs, err)
		}
	}
	ext := map[string]string{"topic": topic}
	if cluster != "" {
		ext["clusterName"] = cluster
	}
	if err := a.c.allNameServers(ctx, remoting.NewRequest(remoting.RequestDeleteTopicInNamesrv, ext, nil)); err != nil {
		errs = append(errs, err)
	}
	a.c.routes.remove(topic)
	return errors.Join(errs...)
}

// Topics lists all topics the name servers know.
func (a *Admin) Topics(ctx context.Context) ([]string, error) {
	req := remoting.NewRequest(remoting.RequestGetAllTopicListFromNameServer, nil, nil)
	resp, addr, err := a.c.invokeNameServer(ctx, req)
	if err != nil {
		return nil, err
	}
	v, err := fastjson.Parse(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: topic list from %s: %w", addr, err)
	}
	tl, _ := v.Get("topicList")
	out := tl.Strings()
	slices.Sort(out)
	return out, nil
}

// Route fetches topic's route from the name servers (bypassing the cache,
// which it refreshes). A topic without route gives an error matching
// ErrNoRoute.
func (a *Admin) Route(ctx context.Context, topic string) (*TopicRoute, error) {
	e, err := a.c.refreshRoute(ctx, topic)
	if err != nil {
		return nil, err
	}
	return e.route, nil
}

// MaxOffset returns the offset the next message stored in mq will get.
func (a *Admin) MaxOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return a.c.maxOffset(ctx, mq)
}

// MinOffset returns the smallest offset still stored in mq.
func (a *Admin) MinOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return a.c.minOffset(ctx, mq)
}

// SearchOffset returns the offset of the first message of mq stored at or
// after the time ms (epoch milliseconds).
func (a *Admin) SearchOffset(ctx context.Context, mq MessageQueue, ms int64) (int64, error) {
	return a.c.searchOffset(ctx, mq, ms)
}

// ConsumerIDs returns the client ids of the live consumers of group, as a
// broker hosting topic knows them.
func (a *Admin) ConsumerIDs(ctx context.Context, group, topic string) ([]string, error) {
	ids, err := a.c.consumerIDs(ctx, group, topic)
	slices.Sort(ids)
	return ids, err
}

// QueueOffsets are a group's position in one queue.
type QueueOffsets struct {
	Queue MessageQueue
	// BrokerOffset is the queue's max offset (next offset to be written).
	BrokerOffset int64
	// ConsumerOffset is the group's committed offset, -1 when none.
	ConsumerOffset int64
	// LastTimestamp is the store time of the last consumed message (ms),
	// when the source reports it (ConsumeStats), else 0.
	LastTimestamp int64
}

// Lag is the number of messages the group has still to consume in the
// queue: all of them when nothing is committed.
func (q QueueOffsets) Lag() int64 {
	return q.BrokerOffset - max(q.ConsumerOffset, 0)
}

// GroupOffsets are a group's positions in a topic's queues.
type GroupOffsets struct {
	Group, Topic string
	Queues       []QueueOffsets // sorted by queue
	// ConsumeTPS is the group's consumption rate as the brokers report it
	// (ConsumeStats only).
	ConsumeTPS float64
}

// Lag is the sum of the queues' lags.
func (g *GroupOffsets) Lag() int64 {
	var n int64
	for _, q := range g.Queues {
		n += q.Lag()
	}
	return n
}

// ConsumerOffsets reads group's committed offsets and the max offsets of
// every readable queue of topic, queue by queue (QUERY_CONSUMER_OFFSET and
// GET_MAX_OFFSET), which every broker supports.
func (a *Admin) ConsumerOffsets(ctx context.Context, group, topic string) (*GroupOffsets, error) {
	e, err := a.c.refreshRoute(ctx, topic)
	if err != nil {
		return nil, err
	}
	g := &GroupOffsets{Group: group, Topic: topic}
	for _, mq := range e.read {
		q := QueueOffsets{Queue: mq}
		if q.BrokerOffset, err = a.c.maxOffset(ctx, mq); err != nil {
			return nil, err
		}
		if q.ConsumerOffset, err = a.c.queryConsumerOffset(ctx, group, mq); err != nil {
			return nil, err
		}
		g.Queues = append(g.Queues, q)
	}
	return g, nil
}

// ConsumeStats asks the brokers of topic for group's consumption statistics
// (GET_CONSUME_STATS), in one request per broker.
func (a *Admin) ConsumeStats(ctx context.Context, group, topic string) (*GroupOffsets, error) {
	e, err := a.c.refreshRoute(ctx, topic)
	if err != nil {
		return nil, err
	}
	g := &GroupOffsets{Group: group, Topic: topic}
	for _, b := range e.route.Brokers {
		addr := b.MasterAddr()
		if addr == "" {
			continue
		}
		req := remoting.NewRequest(remoting.RequestGetConsumeStats, map[string]string{"consumerGroup": group, "topic": topic}, nil)
		resp, err := a.c.invokeOK(ctx, addr, req)
		if err != nil {
			return nil, err
		}
		if err := parseConsumeStats(resp.Body, g); err != nil {
			return nil, fmt.Errorf("client: consume stats from %s: %w", addr, err)
		}
	}
	slices.SortFunc(g.Queues, func(x, y QueueOffsets) int { return compareQueues(x.Queue, y.Queue) })
	return g, nil
}

// parseConsumeStats adds the queues of a ConsumeStats body (queues as object
// keys, fastjson style) to g.
func parseConsumeStats(body []byte, g *GroupOffsets) error {
	v, err := fastjson.Parse(body)
	if err != nil {
		return err
	}
	if tps, ok := v.Get("consumeTps"); ok {
		f, _ := tps.Float()
		g.ConsumeTPS += f
	}
	ot, _ := v.Get("offsetTable")
	for _, m := range ot.Members {
		q, err := parseQueueValue(m.Key)
		if err != nil {
			return err
		}
		qo := QueueOffsets{Queue: q}
		if qo.BrokerOffset, err = int64Field(m.Val, "brokerOffset"); err != nil {
			return err
		}
		if qo.ConsumerOffset, err = int64Field(m.Val, "consumerOffset"); err != nil {
			return err
		}
		if qo.LastTimestamp, err = int64Field(m.Val, "lastTimestamp"); err != nil {
			return err
		}
		g.Queues = append(g.Queues, qo)
	}
	return nil
}

// GroupConfig describes a subscription group to create or update.
type GroupConfig struct {
	Group string
	// RetryQueues is the number of retry queues. Default 1.
	RetryQueues int
	// RetryMaxTimes is how often messages are redelivered before the
	// dead-letter topic. Default 16.
	RetryMaxTimes int
	// ConsumeBroadcastDisable forbids broadcasting consumption.
	ConsumeBroadcastDisable bool
	// BrokerAddrs and Cluster select the brokers as in TopicConfig.
	BrokerAddrs []string
	Cluster     string
}

// CreateGroup creates or updates a subscription group on brokers
// (UPDATE_AND_CREATE_SUBSCRIPTIONGROUP), for brokers that do not create
// groups on first use.
func (a *Admin) CreateGroup(ctx context.Context, cfg GroupConfig) error {
	if err := checkName("consumer group", cfg.Group, 255); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if cfg.RetryQueues <= 0 {
		cfg.RetryQueues = 1
	}
	if cfg.RetryMaxTimes <= 0 {
		cfg.RetryMaxTimes = DefaultMaxReconsumeTimes
	}
	addrs := cfg.BrokerAddrs
	if len(addrs) == 0 {
		var err error
		if addrs, err = a.masters(ctx, cfg.Cluster); err != nil {
			return err
		}
	}
	body, _ := json.Marshal(map[string]any{
		"groupName":                      cfg.Group,
		"consumeEnable":                  true,
		"consumeFromMinEnable":           true,
		"consumeBroadcastEnable":         !cfg.ConsumeBroadcastDisable,
		"retryQueueNums":                 cfg.RetryQueues,
		"retryMaxTimes":                  cfg.RetryMaxTimes,
		"brokerId":                       0,
		"whichBrokerWhenConsumeSlowly":   1,
		"notifyConsumerIdsChangedEnable": true,
	})
	var errs []error
	for _, addr := range addrs {
		req := remoting.NewRequest(remoting.RequestUpdateAndCreateSubscriptionGroup, nil, body)
		if _, err := a.c.invokeOK(ctx, addr, req); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
