package client

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"time"
)

// rebalanceLoop shares out queues again every RebalanceInterval and
// whenever kicked.
func (pc *PushConsumer) rebalanceLoop() {
	defer pc.loops.Done()
	t := time.NewTicker(pc.cfg.RebalanceInterval)
	defer t.Stop()
	for {
		select {
		case <-pc.runCtx.Done():
			pc.dropAll()
			return
		case <-t.C:
		case <-pc.rbKick:
		}
		ctx, cancel := context.WithTimeout(pc.runCtx, 2*pc.c.cfg.RequestTimeout)
		pc.rebalance(ctx)
		cancel()
	}
}

// retryRouteMissing logs that the retry topic has no route. Brokers create
// a group's retry topic when its first heartbeat arrives, so a missing route
// in the first moments is expected and logged at debug level; when it is
// still missing after retryRouteGrace, something is wrong (auto-creation
// refused, heartbeats failing) and it is a warning, given once until the
// route shows up. Called with rbMu held.
func (pc *PushConsumer) retryRouteMissing(topic string) {
	now := time.Now()
	if pc.retryMissingSince.IsZero() {
		pc.retryMissingSince = now
		pc.retryWarned = false
	}
	missing := now.Sub(pc.retryMissingSince)
	if missing < pc.retryRouteGrace() || pc.retryWarned {
		pc.log.Debug("client: no route for the retry topic yet", "topic", topic)
		return
	}
	pc.retryWarned = true
	pc.log.Warn("client: the retry topic still has no route; messages that fail to be consumed cannot be retried through the broker",
		"topic", topic, "missingFor", missing.Round(time.Millisecond))
}

// retryRouteGrace is how long the retry topic may lack a route before it
// is worth a warning: a few rebalances and two heartbeats (the first one
// may have failed).
func (pc *PushConsumer) retryRouteGrace() time.Duration {
	return max(3*pc.cfg.RebalanceInterval, 2*pc.c.cfg.HeartbeatInterval)
}

// rebalance computes the consumer's share of every subscribed topic and
// starts or stops queues to match it.
func (pc *PushConsumer) rebalance(ctx context.Context) {
	pc.rbMu.Lock()
	defer pc.rbMu.Unlock()
	if pc.runCtx.Err() != nil {
		return
	}
	subs := pc.subscriptions()
	for topic, sub := range subs {
		mine, err := pc.allocate(ctx, topic)
		if err != nil {
			switch {
			case ctx.Err() != nil:
			case strings.HasPrefix(topic, retryTopicPrefix) && errors.Is(err, ErrNoRoute):
				pc.retryRouteMissing(topic)
			default:
				pc.log.Warn("client: rebalance skipped a topic", "topic", topic, "err", err)
			}
			continue
		}
		if strings.HasPrefix(topic, retryTopicPrefix) {
			pc.retryMissingSince = time.Time{}
		}
		pc.apply(ctx, topic, sub, mine)
	}
	// Queues of topics no longer subscribed.
	pc.mu.Lock()
	var stale []MessageQueue
	for mq := range pc.queues {
		if _, ok := subs[mq.Topic]; !ok {
			stale = append(stale, mq)
		}
	}
	pc.mu.Unlock()
	for _, mq := range stale {
		pc.dropQueue(ctx, mq)
	}
}

// allocate returns the consumer's share of topic's readable queues.
func (pc *PushConsumer) allocate(ctx context.Context, topic string) ([]MessageQueue, error) {
	e, err := pc.c.topicRoute(ctx, topic)
	if err == nil && (e.fromDefault || len(e.read) == 0) {
		e, err = pc.c.refreshRoute(ctx, topic)
	}
	if err != nil {
		return nil, err
	}
	if len(e.read) == 0 {
		return nil, &RouteError{Topic: topic, Err: errors.New("no readable queue")}
	}
	if pc.cfg.Model == Broadcasting {
		return e.read, nil
	}
	ids, err := pc.c.consumerIDs(ctx, pc.group, topic)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errors.New("the broker knows no consumer of the group yet")
	}
	slices.Sort(ids)
	if !slices.Contains(ids, pc.c.id) {
		// The broker has not seen our heartbeat yet; taking a share now
		// would overlap with the others'. Tell it and try next time.
		pc.c.kickHeartbeat()
		return nil, errors.New("the broker does not list this consumer yet")
	}
	return pc.cfg.Allocate(pc.group, pc.c.id, e.read, ids), nil
}

// apply starts the queues of topic in mine not owned yet and drops owned
// ones not in mine.
func (pc *PushConsumer) apply(ctx context.Context, topic string, sub *subscription, mine []MessageQueue) {
	want := make(map[MessageQueue]bool, len(mine))
	for _, mq := range mine {
		want[mq] = true
	}
	pc.mu.Lock()
	var drop []MessageQueue
	for mq := range pc.queues {
		if mq.Topic == topic && !want[mq] {
			drop = append(drop, mq)
		}
	}
	var add []MessageQueue
	for _, mq := range mine {
		if _, ok := pc.queues[mq]; !ok {
			add = append(add, mq)
		}
	}
	pc.mu.Unlock()
	for _, mq := range drop {
		pc.dropQueue(ctx, mq)
	}
	for _, mq := range add {
		off, err := pc.startOffset(ctx, mq)
		if err != nil {
			if ctx.Err() == nil {
				pc.log.Warn("client: cannot find where to start a queue", "queue", mq.String(), "err", err)
			}
			continue
		}
		pc.startQueue(mq, sub, off)
	}
	if len(drop) > 0 || len(add) > 0 {
		pc.log.Info("client: queues reassigned", "topic", topic, "added", len(add), "dropped", len(drop))
	}
}

// startOffset finds where to start pulling mq: the stored offset, else
// ConsumeFrom (upstream's computePullFromWhere).
func (pc *PushConsumer) startOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	off, err := pc.store.load(ctx, mq)
	if err != nil || off >= 0 {
		return off, err
	}
	retry := strings.HasPrefix(mq.Topic, retryTopicPrefix)
	switch pc.cfg.ConsumeFrom {
	case ConsumeFromFirstOffset:
		return 0, nil
	case ConsumeFromTimestamp:
		if retry {
			return pc.c.maxOffset(ctx, mq)
		}
		return pc.c.searchOffset(ctx, mq, pc.cfg.ConsumeTimestamp.UnixMilli())
	}
	if retry {
		return 0, nil
	}
	return pc.c.maxOffset(ctx, mq)
}

// startQueue takes ownership of mq from offset off and starts its pull loop.
func (pc *PushConsumer) startQueue(mq MessageQueue, sub *subscription, off int64) {
	pq := newProcessQueue(mq, off)
	pc.store.update(mq, off, false)
	ctx, cancel := context.WithCancel(pc.runCtx)
	r := &queueRunner{pq: pq, cancel: cancel, done: make(chan struct{})}
	pc.mu.Lock()
	if pc.state != stateRunning {
		pc.mu.Unlock()
		cancel()
		return
	}
	pc.queues[mq] = r
	pc.loops.Add(1)
	pc.mu.Unlock()
	go func() {
		defer pc.loops.Done()
		defer close(r.done)
		pc.pullLoop(ctx, pq, sub)
	}()
}

// dropQueue gives up mq: stops its pull loop, commits its offset and
// forgets it. Handler calls still running for it finish, but their results
// no longer move the offset (the next owner may get those messages again).
func (pc *PushConsumer) dropQueue(ctx context.Context, mq MessageQueue) {
	pc.mu.Lock()
	r := pc.queues[mq]
	delete(pc.queues, mq)
	pc.mu.Unlock()
	if r == nil {
		return
	}
	r.pq.dropped.Store(true)
	r.cancel()
	<-r.done
	pc.store.update(mq, r.pq.commitOffset(), true)
	// The commit outlives ctx: a rebalance cut short by Shutdown still
	// owes the queue's next owner its offset (the queue is no longer in
	// pc.queues, so Shutdown's final commit does not cover it).
	pctx, cancel := pc.c.withTimeout(context.WithoutCancel(ctx), 0)
	if err := pc.store.persist(pctx, []MessageQueue{mq}); err != nil {
		pc.log.Warn("client: committing the offset of a dropped queue failed", "queue", mq.String(), "err", err)
	}
	cancel()
	pc.store.remove(mq)
}

// dropAll stops every pull loop when the consumer shuts down; offsets stay
// in the store for the final commit.
func (pc *PushConsumer) dropAll() {
	pc.mu.Lock()
	runners := slices.Collect(maps.Values(pc.queues))
	pc.mu.Unlock()
	for _, r := range runners {
		r.cancel()
		<-r.done
		pc.store.update(r.pq.mq, r.pq.commitOffset(), true)
	}
}

// resetOffsets applies an offset reset pushed by a broker: owned queues of
// topic in table restart from the given offsets, which are committed at
// once.
func (pc *PushConsumer) resetOffsets(topic string, table map[MessageQueue]int64) {
	pc.c.goBackground(func(cctx context.Context) {
		pc.rbMu.Lock()
		defer pc.rbMu.Unlock()
		ctx, cancel := pc.c.withTimeout(cctx, 0)
		defer cancel()
		for mq, off := range table {
			if mq.Topic != topic {
				continue
			}
			pc.mu.Lock()
			r := pc.queues[mq]
			delete(pc.queues, mq)
			pc.mu.Unlock()
			if r == nil {
				continue
			}
			r.pq.dropped.Store(true)
			r.cancel()
			<-r.done
			pc.store.update(mq, off, false)
			if err := pc.store.persist(ctx, []MessageQueue{mq}); err != nil {
				pc.log.Warn("client: committing a reset offset failed", "queue", mq.String(), "err", err)
			}
			pc.store.remove(mq)
		}
		pc.kickRebalance()
	})
}
