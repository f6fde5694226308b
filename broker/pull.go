package broker

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/saturnmq/saturn/broker/clients"
	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/remoting"
	"github.com/saturnmq/saturn/store"
)

// PullSysFlag bits of a pull request.
const (
	pullCommitOffset = 1 << 0 // commit commitOffset before reading
	pullSuspend      = 1 << 1 // the broker may hold the request (long polling)
	pullSubscription = 1 << 2 // the request's subscription is authoritative
	pullClassFilter  = 1 << 3 // legacy class filter: everything matches
)

// maxSuspend caps the hold time a client may ask for; clients give up after
// 30 s anyway.
const maxSuspend = 5 * time.Minute

// pullHeader is PullMessageRequestHeader.
type pullHeader struct {
	group          string
	topic          string
	queueID        int32
	queueOffset    int64
	maxMsgNums     int32
	sysFlag        int32
	commitOffset   int64
	suspendTimeout int64 // ms
	subscription   string
	subVersion     int64
	expressionType string
	maxMsgBytes    int32
}

func parsePullHeader(ext map[string]string) (pullHeader, error) {
	r := extReader{ext: ext}
	h := pullHeader{
		group:          r.required("consumerGroup"),
		topic:          r.required("topic"),
		queueID:        r.int32(true, "queueId"),
		queueOffset:    r.int64(true, "queueOffset"),
		maxMsgNums:     r.int32(true, "maxMsgNums"),
		sysFlag:        r.int32(true, "sysFlag"),
		commitOffset:   r.int64(false, "commitOffset"),
		suspendTimeout: r.int64(false, "suspendTimeoutMillis"),
		subscription:   r.str("subscription"),
		subVersion:     r.int64(false, "subVersion"),
		expressionType: r.str("expressionType"),
		maxMsgBytes:    r.int32(false, "maxMsgBytes"),
	}
	return h, r.err
}

// handlePull serves PULL_MESSAGE and LITE_PULL_MESSAGE. A pull that finds
// nothing and may be suspended is held and answered later (nil here).
func (b *Broker) handlePull(_ context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	return b.processPull(conn, req, true)
}

// processPull runs a pull. allowSuspend is true on the first execution only:
// a re-executed (woken) pull neither holds again nor commits the offset
// again.
func (b *Broker) processPull(conn *remoting.Conn, req *remoting.Command, allowSuspend bool) *remoting.Command {
	h, err := parsePullHeader(req.ExtFields)
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	fail := func(code int32, format string, args ...any) *remoting.Command {
		e := failf(code, format, args...)
		return remoting.NewResponse(req, e.code, e.remark)
	}
	if !meta.Readable(int32(b.cfg.BrokerPermission)) {
		return fail(remoting.ResponseNoPermission, "the broker[%s] pulling message is forbidden", b.brokerAddr)
	}
	gc, ok := b.groups.GetOrCreate(h.group, b.cfg.AutoCreateSubscriptionGroup)
	if !ok {
		return fail(remoting.ResponseSubscriptionGroupNotExist, "subscription group [%s] does not exist", h.group)
	}
	if !gc.ConsumeEnable {
		return fail(remoting.ResponseNoPermission, "subscription group no permission, %s", h.group)
	}
	tc, ok := b.topics.Get(h.topic)
	if !ok {
		return fail(remoting.ResponseTopicNotExist, "topic[%s] not exist, apply first please!", h.topic)
	}
	if !meta.Readable(tc.Perm) {
		return fail(remoting.ResponseNoPermission, "the topic[%s] pulling message is forbidden", h.topic)
	}
	if h.queueID < 0 || h.queueID >= tc.ReadQueueNums {
		return fail(remoting.ResponseInvalidParameter, "queueId[%d] is illegal, topic:[%s] topicConfig.readQueueNums:[%d] consumer:[%s]",
			h.queueID, h.topic, tc.ReadQueueNums, conn.RemoteAddr())
	}
	filter, resp := b.pullFilter(req, &h)
	if resp != nil {
		return resp
	}

	// Upstream commits the piggy-backed offset only on the first execution,
	// and only when the request may also be suspended.
	if allowSuspend && h.sysFlag&pullCommitOffset != 0 {
		b.offsets.Commit(h.group, h.topic, h.queueID, h.commitOffset)
	}

	maxCount := int(min(max(h.maxMsgNums, 1), int32(b.cfg.MaxTransferCount)))
	maxBytes := b.cfg.MaxTransferBytes
	if h.maxMsgBytes > 0 {
		maxBytes = min(maxBytes, int(h.maxMsgBytes))
	}
	res := b.store.Get(h.topic, h.queueID, h.queueOffset, maxCount, maxBytes, filter)
	resp = remoting.NewResponse(req, remoting.ResponseSuccess, res.Status.String())
	code := pullCode(res.Status, h.queueOffset)
	resp.Code = code
	resp.ExtFields["suggestWhichBrokerId"] = "0"
	resp.ExtFields["nextBeginOffset"] = strconv.FormatInt(res.NextOffset, 10)
	resp.ExtFields["minOffset"] = strconv.FormatInt(res.MinOffset, 10)
	resp.ExtFields["maxOffset"] = strconv.FormatInt(res.MaxOffset, 10)
	if code == remoting.ResponseSuccess {
		resp.Body = res.Buffer // the stored records back to back, never re-encoded
		// The connection writes the body from the store's buffer and hands
		// it back for the next Get once written.
		resp.Written = res.Release
		b.stats.get.Add(int64(len(res.Messages)))
		return resp
	}
	res.Release()
	if code != remoting.ResponsePullNotFound || !allowSuspend || h.sysFlag&pullSuspend == 0 {
		return resp
	}

	timeout := b.cfg.ShortPollingTime
	if b.cfg.LongPollingEnable {
		timeout = min(time.Duration(max(h.suspendTimeout, 0))*time.Millisecond, maxSuspend)
	}
	hold := &heldPull{
		key:      queueKey{h.topic, h.queueID},
		offset:   h.queueOffset,
		deadline: b.now().Add(timeout),
		match:    filter.MatchTagsCode,
		owner:    conn,
	}
	hold.run = func() {
		if resp := b.processPull(conn, req, false); resp != nil {
			if err := conn.WriteResponse(resp); err != nil {
				b.logger.Debug("held pull answer not sent", "conn", conn.String(), "err", err)
			}
		}
	}
	b.holds.hold(hold)
	// A message may have arrived between the read above and the hold: its
	// wake-up found nothing to wake. Look again; whoever takes the hold
	// answers it, so it is answered once.
	if b.store.MaxOffset(h.topic, h.queueID) > h.queueOffset && b.holds.take(hold) {
		return b.processPull(conn, req, false)
	}
	return nil
}

// pullCode maps a store status to the pull response code (upstream's
// composeResponseHeader). The next offset is always the store's: it follows
// upstream's rules per status.
func pullCode(status store.GetStatus, offset int64) int32 {
	switch status {
	case store.Found:
		return remoting.ResponseSuccess
	case store.NoMatchedMessage, store.MessageWasRemoving:
		return remoting.ResponsePullRetryImmediately
	case store.NoMessageInQueue, store.NoMatchedLogicQueue:
		if offset != 0 {
			return remoting.ResponsePullOffsetMoved
		}
		return remoting.ResponsePullNotFound
	case store.OffsetTooSmall, store.OffsetOverflowBadly:
		return remoting.ResponsePullOffsetMoved
	case store.OffsetOverflowOne, store.OffsetFoundNull:
		return remoting.ResponsePullNotFound
	}
	return remoting.ResponsePullRetryImmediately
}

// tagFilter filters a pull by the consume-queue tags code.
type tagFilter struct {
	sub *clients.SubscriptionData // nil: everything matches
}

// MatchTagsCode implements store.MessageFilter.
func (f tagFilter) MatchTagsCode(code int64) bool {
	return f.sub == nil || f.sub.MatchTagsCode(code)
}

// MatchMessage implements store.MessageFilter; tag filtering is decided by
// the tags code alone (clients re-check the tag string).
func (f tagFilter) MatchMessage([]byte) bool { return true }

// pullFilter works out the subscription a pull is filtered by: the one in
// the request when it carries the subscription flag, otherwise the one the
// group registered by heartbeat.
func (b *Broker) pullFilter(req *remoting.Command, h *pullHeader) (tagFilter, *remoting.Command) {
	if h.sysFlag&pullClassFilter != 0 {
		return tagFilter{}, nil
	}
	var sub *clients.SubscriptionData
	if h.sysFlag&pullSubscription != 0 {
		s, err := clients.ParseSubscription(h.topic, h.subscription, h.expressionType)
		if err != nil {
			return tagFilter{}, remoting.NewResponse(req, remoting.ResponseSubscriptionParseFailed,
				"parse the consumer's subscription failed: "+err.Error())
		}
		sub = s
	} else {
		s, ok := b.clients.Subscription(h.group, h.topic)
		if !ok {
			return tagFilter{}, remoting.NewResponse(req, remoting.ResponseSubscriptionNotExist,
				"the consumer's subscription not exist, group: "+h.group+", topic: "+h.topic)
		}
		if s.SubVersion < h.subVersion {
			return tagFilter{}, remoting.NewResponse(req, remoting.ResponseSubscriptionNotLatest,
				"the consumer's subscription not latest")
		}
		sub = s
	}
	if t := strings.ToUpper(sub.ExpressionType); t != "" && t != "TAG" {
		return tagFilter{}, remoting.NewResponse(req, remoting.ResponseSystemError,
			"The broker does not support consumer to filter message by "+sub.ExpressionType)
	}
	return tagFilter{sub: sub}, nil
}
