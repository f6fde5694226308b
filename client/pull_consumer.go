package client

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// PullConsumerConfig configures a PullConsumer.
type PullConsumerConfig struct {
	// Group is the consumer group offsets are committed for. Required.
	Group string
}

// PullOptions are the options of one pull.
type PullOptions struct {
	// Expr is the tag expression ("*" or "" for all, "A || B"). Default "*".
	Expr string
	// MaxMessages is the most messages returned. Default
	// DefaultPullBatchSize (32).
	MaxMessages int
	// Suspend, when positive, lets the broker hold the pull that long until
	// a message arrives (long polling). ctx without a deadline then gets
	// Suspend plus the Client's request timeout.
	Suspend time.Duration
}

// PullConsumer pulls queues from offsets the caller chooses, for tools and
// applications that manage offsets themselves. It is safe for concurrent
// use.
type PullConsumer struct {
	c     *Client
	group string

	mu     sync.Mutex
	subs   map[string]*subscription
	closed bool
}

// NewPullConsumer returns a pull consumer of cfg.Group on c. The group is
// announced to brokers in heartbeats (as a CONSUME_ACTIVELY group) with the
// topics pulled so far.
func NewPullConsumer(c *Client, cfg PullConsumerConfig) (*PullConsumer, error) {
	if err := checkName("consumer group", cfg.Group, 255); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	p := &PullConsumer{c: c, group: cfg.Group, subs: make(map[string]*subscription)}
	if err := c.addConsumer(cfg.Group, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Queues returns the readable queues of topic, sorted.
func (p *PullConsumer) Queues(ctx context.Context, topic string) ([]MessageQueue, error) {
	e, err := p.c.refreshRoute(ctx, topic)
	if err != nil {
		return nil, err
	}
	if len(e.read) == 0 {
		return nil, &RouteError{Topic: topic, Err: fmt.Errorf("no readable queue")}
	}
	return slices.Clone(e.read), nil
}

// subscription returns the subscription of topic with expr, keeping the
// version of an unchanged one (brokers refuse versions older than the one
// they hold).
func (p *PullConsumer) subscription(topic, expr string) (*subscription, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, false, ErrClosed
	}
	s := newSubscription(topic, expr)
	if old := p.subs[topic]; old != nil && old.expr == s.expr {
		return old, false, nil
	}
	p.subs[topic] = s
	return s, true, nil
}

// Pull reads messages of mq from offset. The result's NextBeginOffset is
// where the next pull should start. Messages whose tag does not match
// opts.Expr are left out (but still advance NextBeginOffset).
func (p *PullConsumer) Pull(ctx context.Context, mq MessageQueue, offset int64, opts PullOptions) (*PullResult, error) {
	if offset < 0 {
		return nil, fmt.Errorf("%w: negative offset %d", ErrInvalidConfig, offset)
	}
	sub, changed, err := p.subscription(mq.Topic, opts.Expr)
	if err != nil {
		return nil, err
	}
	addr, err := p.c.findMaster(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return nil, err
	}
	if changed {
		p.c.kickHeartbeat()
	}
	if opts.MaxMessages <= 0 {
		opts.MaxMessages = DefaultPullBatchSize
	}
	if opts.Suspend > 0 {
		var cancel context.CancelFunc
		ctx, cancel = p.c.withTimeout(ctx, opts.Suspend+p.c.cfg.RequestTimeout)
		defer cancel()
	}
	return p.c.pull(ctx, addr, &pullArgs{
		group: p.group, mq: mq, offset: offset, max: opts.MaxMessages,
		suspend: opts.Suspend, sub: sub,
	})
}

// CommittedOffset returns the group's committed offset of mq, or -1 when
// the broker has none.
func (p *PullConsumer) CommittedOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return p.c.queryConsumerOffset(ctx, p.group, mq)
}

// CommitOffset commits the group's offset of mq (the offset of the next
// message to consume) and waits for the broker.
func (p *PullConsumer) CommitOffset(ctx context.Context, mq MessageQueue, offset int64) error {
	return p.c.updateConsumerOffset(ctx, p.group, mq, offset)
}

// MaxOffset returns the offset the next message stored in mq will get.
func (p *PullConsumer) MaxOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return p.c.maxOffset(ctx, mq)
}

// MinOffset returns the smallest offset still stored in mq.
func (p *PullConsumer) MinOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return p.c.minOffset(ctx, mq)
}

// Shutdown unregisters the group from the Client and the brokers.
func (p *PullConsumer) Shutdown(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.c.removeConsumer(p.group, p)
	p.c.unregisterClient(ctx, "", p.group)
	return nil
}

func (p *PullConsumer) shutdown(ctx context.Context) error { return p.Shutdown(ctx) }

func (p *PullConsumer) heartbeatData() consumerData {
	d := consumerData{
		GroupName:           p.group,
		ConsumeType:         consumeActively,
		MessageModel:        Clustering.String(),
		ConsumeFromWhere:    ConsumeFromLastOffset.String(),
		SubscriptionDataSet: []subscriptionData{},
	}
	p.mu.Lock()
	subs := maps.Clone(p.subs)
	p.mu.Unlock()
	for _, t := range slices.Sorted(maps.Keys(subs)) {
		d.SubscriptionDataSet = append(d.SubscriptionDataSet, subs[t].data())
	}
	return d
}

func (p *PullConsumer) idsChanged()                                 {}
func (p *PullConsumer) resetOffsets(string, map[MessageQueue]int64) {}

func (p *PullConsumer) runningInfo() []byte {
	b, _ := json.Marshal(map[string]any{
		"properties":      runningInfoProps(p.c, consumeActively, 0, 0),
		"subscriptionSet": p.heartbeatData().SubscriptionDataSet,
		"mqTable":         map[string]any{},
		"statusTable":     map[string]any{},
		"jstack":          "",
	})
	return b
}
