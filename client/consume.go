package client

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// localRetryDelay is how long messages wait before they are handed to the
// handler again when they could not be sent back to the broker (upstream:
// 5 s).
const localRetryDelay = 5 * time.Second

// flowControlPause is how long a queue over its thresholds waits for
// consumption before it checks again (upstream: 50 ms).
const flowControlPause = 50 * time.Millisecond

// pullLoop long-polls one queue until ctx ends, feeding the workers.
func (pc *PushConsumer) pullLoop(ctx context.Context, pq *processQueue, sub *subscription) {
	mq := pq.mq
	brokerID := int64(MasterID)
	retryGroupTopic := RetryTopic(pc.group)
	for ctx.Err() == nil {
		if n, size := pq.stats(); n >= pc.cfg.PullThresholdForQueue || size >= pc.cfg.PullThresholdSizeForQueue {
			select {
			case <-ctx.Done():
				return
			case <-pq.space:
			case <-time.After(flowControlPause):
			}
			continue
		}
		addr := pc.c.brokerAddr(mq.BrokerName, brokerID)
		if addr == "" {
			if _, err := pc.c.refreshRoute(ctx, mq.Topic); err != nil && ctx.Err() == nil {
				pc.log.Warn("client: no address to pull from", "queue", mq.String(), "err", err)
			}
			if !sleepCtx(ctx, pc.cfg.PullBackoff) {
				return
			}
			continue
		}
		// Pulls carry no commit offset (upstream clients piggyback one):
		// a broker may handle a pull after a later UPDATE_CONSUMER_OFFSET
		// of the same queue (it runs requests concurrently), and the
		// pull's older offset would then undo the commit made when the
		// queue was released, so its next owner would consume messages
		// again. Offsets are committed only by the store's serialised,
		// answered commits (persistLoop, dropQueue, Shutdown).
		args := pullArgs{
			group:     pc.group,
			mq:        mq,
			offset:    pq.nextOffset(),
			max:       pc.cfg.PullBatchSize,
			suspend:   pc.cfg.SuspendTimeout,
			sub:       sub,
			lazyProps: pc.cfg.LazyProperties,
		}
		pctx, cancel := context.WithTimeout(ctx, pc.cfg.PullTimeout)
		res, err := pc.c.pull(pctx, addr, &args)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			pc.log.Warn("client: pull failed", "queue", mq.String(), "broker", addr, "err", err)
			if !sleepCtx(ctx, pc.cfg.PullBackoff) {
				return
			}
			continue
		}
		if _, ok := pc.c.routes.broker(mq.BrokerName); ok {
			brokerID = res.SuggestBrokerID
		}
		switch res.Status {
		case PullFound:
			for _, m := range res.Messages {
				if m.Topic == retryGroupTopic {
					if t := m.Property(message.PropertyRetryTopic); t != "" {
						m.Topic = t
					}
				}
			}
			pq.put(res.Messages, res.NextBeginOffset)
			if len(res.Messages) == 0 {
				pc.store.update(mq, pq.commitOffset(), true)
			}
			if !pc.dispatch(ctx, pq, res.Messages) {
				return
			}
		case PullNoNewMessage, PullNoMatchedMessage:
			pq.advance(res.NextBeginOffset)
			pc.store.update(mq, pq.commitOffset(), true)
		case PullOffsetIllegal:
			pc.log.Warn("client: pull offset illegal, moving", "queue", mq.String(),
				"from", args.offset, "to", res.NextBeginOffset)
			pq.reset(res.NextBeginOffset)
			pc.store.update(mq, res.NextBeginOffset, false)
			// Not cut short by ctx: see persistLoop.
			pctx, cancel := pc.c.withTimeout(context.WithoutCancel(ctx), 0)
			if err := pc.store.persist(pctx, []MessageQueue{mq}); err != nil {
				pc.log.Warn("client: committing the corrected offset failed", "queue", mq.String(), "err", err)
			}
			cancel()
		}
		if pc.cfg.PullInterval > 0 && !sleepCtx(ctx, pc.cfg.PullInterval) {
			return
		}
	}
}

// dispatch hands msgs to the workers in batches of ConsumeBatchSize. It
// blocks while all workers are busy and their queue is full; it reports
// false when ctx ended first.
func (pc *PushConsumer) dispatch(ctx context.Context, pq *processQueue, msgs []*message.Ext) bool {
	for len(msgs) > 0 {
		n := min(len(msgs), pc.cfg.ConsumeBatchSize)
		select {
		case pc.tasks <- consumeTask{pq: pq, msgs: msgs[:n:n]}:
		case <-ctx.Done():
			return false
		}
		msgs = msgs[n:]
	}
	return true
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// worker runs handler calls until the consumer stops pulling.
func (pc *PushConsumer) worker() {
	defer pc.workers.Done()
	for {
		select {
		case <-pc.runCtx.Done():
			return
		case t := <-pc.tasks:
			pc.consume(t)
		}
	}
}

// consume runs the handler on one batch and settles the result.
func (pc *PushConsumer) consume(t consumeTask) {
	if t.pq.dropped.Load() {
		return
	}
	result := pc.callHandler(t.msgs)
	if t.pq.dropped.Load() {
		return
	}
	done := t.msgs
	if result != ConsumeSuccess {
		if pc.cfg.Model == Broadcasting {
			for _, m := range t.msgs {
				pc.log.Warn("client: broadcasting consumer dropped a message it could not consume", "msgId", m.MsgID(), "topic", m.Topic)
			}
		} else {
			var later []*message.Ext
			done, later = pc.sendBackAll(t.pq.mq, t.msgs)
			if len(later) > 0 {
				pc.consumeLater(consumeTask{pq: t.pq, msgs: later})
			}
		}
	}
	if len(done) > 0 {
		pc.store.update(t.pq.mq, t.pq.remove(done), true)
	}
}

func (pc *PushConsumer) callHandler(msgs []*message.Ext) (res ConsumeResult) {
	defer func() {
		if r := recover(); r != nil {
			pc.log.Error("client: message handler panicked; messages will be redelivered", "panic", r)
			res = ConsumeRetryLater
		}
	}()
	return pc.handler(pc.conCtx, msgs)
}

// sendBackAll sends failed messages back to the broker for redelivery. It
// returns those that are now the broker's business and those that must be
// consumed again locally because neither send-back nor resend worked.
func (pc *PushConsumer) sendBackAll(mq MessageQueue, msgs []*message.Ext) (done, later []*message.Ext) {
	ctx, cancel := pc.c.withTimeout(pc.conCtx, 0)
	defer cancel()
	for _, m := range msgs {
		if err := pc.sendBack(ctx, mq, m); err != nil {
			pc.log.Warn("client: cannot hand a failed message back to the broker; will consume it again locally",
				"msgId", m.MsgID(), "err", err)
			m.ReconsumeTimes++
			later = append(later, m)
			continue
		}
		done = append(done, m)
	}
	return done, later
}

// sendBack asks the broker the message came from to redeliver it through the
// group's retry topic (CONSUMER_SEND_MSG_BACK); when that fails, it sends a
// copy to the retry topic itself, as upstream consumers do.
func (pc *PushConsumer) sendBack(ctx context.Context, mq MessageQueue, m *message.Ext) error {
	addr, err := pc.c.findMaster(ctx, mq.Topic, mq.BrokerName)
	if err == nil {
		ext := map[string]string{
			"offset":            strconv.FormatInt(m.CommitLogOffset, 10),
			"group":             pc.group,
			"delayLevel":        strconv.Itoa(pc.cfg.RetryDelayLevel),
			"originMsgId":       m.MsgID(),
			"originTopic":       m.Topic,
			"unitMode":          "false",
			"maxReconsumeTimes": strconv.Itoa(pc.cfg.MaxReconsumeTimes),
		}
		_, err = pc.c.invokeOK(ctx, addr, remoting.NewRequest(remoting.RequestConsumerSendMsgBack, ext, nil))
		if err == nil {
			return nil
		}
	}
	props := maps.Clone(m.Properties)
	if props == nil {
		// LazyProperties, or none at all (DecodeProperties gives an
		// empty map then).
		props = message.DecodeProperties(m.RawProperties)
	}
	if props[message.PropertyOriginMessageID] == "" {
		props[message.PropertyOriginMessageID] = m.MsgID()
	}
	props[message.PropertyRetryTopic] = m.Topic
	props[message.PropertyDelayTimeLevel] = strconv.Itoa(3 + int(m.ReconsumeTimes))
	delete(props, message.PropertyTransactionPrepared)
	retryMsg := &message.Message{Topic: RetryTopic(pc.group), Flag: m.Flag, Body: m.Body, Properties: props}
	_, rerr := pc.retry.sendRetry(ctx, retryMsg, sendOpts{
		reconsumeTimes:    m.ReconsumeTimes + 1,
		maxReconsumeTimes: int32(pc.cfg.MaxReconsumeTimes),
	})
	if rerr != nil {
		return fmt.Errorf("send-back: %w; resend: %w", err, rerr)
	}
	return nil
}

// consumeLater hands msgs to the workers again after a delay.
func (pc *PushConsumer) consumeLater(t consumeTask) {
	pc.delayed.Add(1)
	go func() {
		defer pc.delayed.Done()
		if !sleepCtx(pc.runCtx, pc.cfg.localRetryDelay) {
			return
		}
		select {
		case pc.tasks <- t:
		case <-pc.runCtx.Done():
		}
	}()
}
