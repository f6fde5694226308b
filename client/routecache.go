package client

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/saturnmq/saturn/remoting"
)

// topicEntry is the cached route of one topic with the queue lists derived
// from it. Entries are immutable once published; a refresh replaces them.
type topicEntry struct {
	route *TopicRoute
	write []MessageQueue // queues producers send to
	read  []MessageQueue // queues consumers pull from
	// fromDefault marks publish queues borrowed from the auto-creation
	// template topic (TBW102) because the topic has no route yet.
	fromDefault bool
}

// routeCache holds the routes of the topics in use and the addresses of
// their brokers.
type routeCache struct {
	mu       sync.RWMutex
	topics   map[string]*topicEntry
	brokers  map[string]BrokerData // by broker name, rebuilt from topics
	inflight map[string]*routeFetch
}

// routeFetch is a route request in progress; concurrent askers wait for it.
type routeFetch struct {
	done  chan struct{}
	entry *topicEntry
	err   error
}

func (rc *routeCache) init() {
	rc.topics = make(map[string]*topicEntry)
	rc.brokers = make(map[string]BrokerData)
	rc.inflight = make(map[string]*routeFetch)
}

func (rc *routeCache) get(topic string) *topicEntry {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	return rc.topics[topic]
}

func (rc *routeCache) topicNames() []string {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	return slices.Sorted(maps.Keys(rc.topics))
}

// put stores e for topic and rebuilds the broker table.
func (rc *routeCache) put(topic string, e *topicEntry) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.topics[topic] = e
	rc.rebuildBrokersLocked()
}

// remove forgets topic.
func (rc *routeCache) remove(topic string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	delete(rc.topics, topic)
	rc.rebuildBrokersLocked()
}

func (rc *routeCache) rebuildBrokersLocked() {
	b := make(map[string]BrokerData, len(rc.brokers))
	for _, e := range rc.topics {
		for _, bd := range e.route.Brokers {
			b[bd.BrokerName] = bd
		}
	}
	rc.brokers = b
}

// broker returns the BrokerData of name, if a cached route names it.
func (rc *routeCache) broker(name string) (BrokerData, bool) {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	b, ok := rc.brokers[name]
	return b, ok
}

// allBrokers returns the brokers of all cached routes.
func (rc *routeCache) allBrokers() []BrokerData {
	rc.mu.RLock()
	defer rc.mu.RUnlock()
	return slices.Collect(maps.Values(rc.brokers))
}

// fetchRoute asks the name servers for topic's route.
func (c *Client) fetchRoute(ctx context.Context, topic string) (*TopicRoute, error) {
	req := remoting.NewRequest(remoting.RequestGetRouteInfoByTopic, map[string]string{"topic": topic}, nil)
	resp, addr, err := c.invokeNameServer(ctx, req)
	if err != nil {
		return nil, err
	}
	if len(resp.Body) == 0 {
		return nil, fmt.Errorf("client: name server %s sent an empty route for topic %q", addr, topic)
	}
	return parseTopicRoute(resp.Body)
}

// refreshRoute fetches topic's route and caches it. Concurrent refreshes of
// one topic share one request. A topic with a borrowed (TBW102) route keeps
// it while the name servers still know no route of its own.
func (c *Client) refreshRoute(ctx context.Context, topic string) (*topicEntry, error) {
	rc := &c.routes
	rc.mu.Lock()
	if f := rc.inflight[topic]; f != nil {
		rc.mu.Unlock()
		select {
		case <-f.done:
			return f.entry, f.err
		case <-ctx.Done():
			return nil, &RouteError{Topic: topic, Err: context.Cause(ctx)}
		}
	}
	f := &routeFetch{done: make(chan struct{})}
	rc.inflight[topic] = f
	rc.mu.Unlock()

	route, err := c.fetchRoute(ctx, topic)
	if err == nil {
		f.entry = &topicEntry{route: route, write: route.WriteQueues(topic), read: route.ReadQueues(topic)}
		rc.put(topic, f.entry)
	} else {
		f.err = &RouteError{Topic: topic, Err: err}
	}
	rc.mu.Lock()
	delete(rc.inflight, topic)
	rc.mu.Unlock()
	close(f.done)
	return f.entry, f.err
}

// topicRoute returns topic's cached route, fetching it on first use.
func (c *Client) topicRoute(ctx context.Context, topic string) (*topicEntry, error) {
	if e := c.routes.get(topic); e != nil {
		return e, nil
	}
	return c.refreshRoute(ctx, topic)
}

// publishInfo returns the route producers use for topic. When the name
// servers know no route for topic and createKey is set, the queues of the
// template topic createKey stand in, at most defaultQueues per broker, so the
// first send makes the broker create topic (upstream's auto-creation).
func (c *Client) publishInfo(ctx context.Context, topic, createKey string, defaultQueues int) (*topicEntry, error) {
	if e := c.routes.get(topic); e != nil && len(e.write) > 0 {
		return e, nil
	}
	e, err := c.refreshRoute(ctx, topic)
	if err == nil && len(e.write) > 0 {
		return e, nil
	}
	if err == nil {
		return nil, &RouteError{Topic: topic, Err: errors.New("no writable queue with a known master")}
	}
	if createKey == "" || !errors.Is(err, ErrNoRoute) {
		return nil, err
	}
	tmpl, terr := c.fetchRoute(ctx, createKey)
	if terr != nil {
		return nil, &RouteError{Topic: topic, Err: fmt.Errorf("%w; template topic %s: %w", err, createKey, terr)}
	}
	borrowed := &TopicRoute{Brokers: tmpl.Brokers}
	for _, q := range tmpl.Queues {
		n := min(defaultQueues, q.ReadQueueNums)
		q.ReadQueueNums, q.WriteQueueNums = n, n
		borrowed.Queues = append(borrowed.Queues, q)
	}
	de := &topicEntry{route: borrowed, write: borrowed.WriteQueues(topic), fromDefault: true}
	if len(de.write) == 0 {
		return nil, &RouteError{Topic: topic, Err: fmt.Errorf("%w; template topic %s has no writable queue", err, createKey)}
	}
	// Do not overwrite a real route a concurrent refresh stored meanwhile.
	rc := &c.routes
	rc.mu.Lock()
	if cur := rc.topics[topic]; cur != nil && len(cur.write) > 0 {
		rc.mu.Unlock()
		return cur, nil
	}
	rc.topics[topic] = de
	rc.rebuildBrokersLocked()
	rc.mu.Unlock()
	return de, nil
}

// masterAddr returns the master address of brokerName from the cached
// routes.
func (c *Client) masterAddr(brokerName string) string {
	b, ok := c.routes.broker(brokerName)
	if !ok {
		return ""
	}
	return b.MasterAddr()
}

// brokerAddr returns the address of brokerName's broker id, falling back to
// the master, then to any address.
func (c *Client) brokerAddr(brokerName string, id int64) string {
	b, ok := c.routes.broker(brokerName)
	if !ok {
		return ""
	}
	if a := b.Addrs[id]; a != "" {
		return a
	}
	if a := b.MasterAddr(); a != "" {
		return a
	}
	for _, a := range b.Addrs {
		return a
	}
	return ""
}

// findMaster returns the master of brokerName, refreshing topic's route when
// the broker is unknown.
func (c *Client) findMaster(ctx context.Context, topic, brokerName string) (string, error) {
	if a := c.masterAddr(brokerName); a != "" {
		return a, nil
	}
	if _, err := c.refreshRoute(ctx, topic); err != nil {
		return "", err
	}
	if a := c.masterAddr(brokerName); a != "" {
		return a, nil
	}
	return "", &RouteError{Topic: topic, Err: fmt.Errorf("no master address for broker %s", brokerName)}
}
