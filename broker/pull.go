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

// Indexes of the pull header's fields in pullFieldNames.
const (
	pfGroup = iota
	pfTopic
	pfQueueID
	pfQueueOffset
	pfMaxMsgNums
	pfSysFlag
	pfCommitOffset
	pfSuspendTimeout
	pfSubscription
	pfSubVersion
	pfExpressionType
	pfMaxMsgBytes
	pfCount
)

// pullFieldNames are the names of the pull header's fields.
var pullFieldNames = [pfCount]string{
	"consumerGroup", "topic", "queueId", "queueOffset", "maxMsgNums", "sysFlag",
	"commitOffset", "suspendTimeoutMillis", "subscription", "subVersion", "expressionType", "maxMsgBytes",
}

// pullFieldIndex returns the index of a pull header field by name.
func pullFieldIndex(k string) (i int, long, ok bool) {
	switch k {
	case "consumerGroup":
		return pfGroup, true, true
	case "topic":
		return pfTopic, true, true
	case "queueId":
		return pfQueueID, true, true
	case "queueOffset":
		return pfQueueOffset, true, true
	case "maxMsgNums":
		return pfMaxMsgNums, true, true
	case "sysFlag":
		return pfSysFlag, true, true
	case "commitOffset":
		return pfCommitOffset, true, true
	case "suspendTimeoutMillis":
		return pfSuspendTimeout, true, true
	case "subscription":
		return pfSubscription, true, true
	case "subVersion":
		return pfSubVersion, true, true
	case "expressionType":
		return pfExpressionType, true, true
	case "maxMsgBytes":
		return pfMaxMsgBytes, true, true
	}
	return 0, false, false
}

// parsePullHeader reads the pull header of req in one pass, from req.Fields
// (the pull codes are registered with RegisterFields) or req.ExtFields.
// Errors name the first bad field in the header's field order.
func parsePullHeader(req *remoting.Command) (pullHeader, error) {
	f := headerFields{names: pullFieldNames[:]}
	f.read(req, pullFieldIndex)
	var err error
	h := pullHeader{
		group:          f.required(pfGroup, &err),
		topic:          f.required(pfTopic, &err),
		queueID:        int32(f.int(pfQueueID, 32, true, &err)),
		queueOffset:    f.int(pfQueueOffset, 64, true, &err),
		maxMsgNums:     int32(f.int(pfMaxMsgNums, 32, true, &err)),
		sysFlag:        int32(f.int(pfSysFlag, 32, true, &err)),
		commitOffset:   f.int(pfCommitOffset, 64, false, &err),
		suspendTimeout: f.int(pfSuspendTimeout, 64, false, &err),
		subscription:   f.v[pfSubscription],
		subVersion:     f.int(pfSubVersion, 64, false, &err),
		expressionType: f.v[pfExpressionType],
		maxMsgBytes:    int32(f.int(pfMaxMsgBytes, 32, false, &err)),
	}
	return h, err
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
	h, err := parsePullHeader(req)
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
	// A pull whose first message is no longer counted as in memory reads
	// from the disk: upstream's smaller on-disk limits apply (upstream
	// decides per message; the first decides here, and the later ones of
	// a queue are newer), and the read leaves the connection's reader, so
	// that the requests behind it on the connection (other queues' pulls,
	// heartbeats, offset commits) do not wait for the disk.
	if b.coldRead(h.topic, h.queueID, h.queueOffset) {
		maxCount = min(maxCount, b.cfg.MaxTransferCountOnDisk)
		maxBytes = min(maxBytes, b.cfg.MaxTransferBytesOnDisk)
		hc := h // only a cold pull's header escapes to the heap
		if allowSuspend && b.offloadColdPull(conn, func() *remoting.Command {
			return b.readPull(conn, req, hc, filter, maxCount, maxBytes, true)
		}) {
			return nil
		}
	}
	return b.readPull(conn, req, h, filter, maxCount, maxBytes, allowSuspend)
}

// readPull reads a validated pull's messages and answers it, or holds it
// when it found nothing and may be suspended (nil then).
func (b *Broker) readPull(conn *remoting.Conn, req *remoting.Command, h pullHeader, filter tagFilter, maxCount, maxBytes int, allowSuspend bool) *remoting.Command {
	res := b.store.Get(h.topic, h.queueID, h.queueOffset, maxCount, maxBytes, filter)
	code := pullCode(res.Status, h.queueOffset)
	resp := remoting.NewFieldsResponse(req, code, res.Status.String(), []remoting.ExtField{
		{Key: "suggestWhichBrokerId", Value: "0"},
		{Key: "nextBeginOffset", Value: strconv.FormatInt(res.NextOffset, 10)},
		{Key: "minOffset", Value: strconv.FormatInt(res.MinOffset, 10)},
		{Key: "maxOffset", Value: strconv.FormatInt(res.MaxOffset, 10)},
	})
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
