package broker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
	"github.com/saturnmq/saturn/store"
)

// sendHeader is SendMessageRequestHeader. Every field is read under its long
// name and its V2 short name, whatever the request code, so either form is
// accepted everywhere.
type sendHeader struct {
	producerGroup         string
	topic                 string
	defaultTopic          string
	defaultTopicQueueNums int32
	queueID               int32
	sysFlag               int32
	bornTimestamp         int64
	flag                  int32
	properties            string
	reconsumeTimes        int32
	unitMode              bool
	maxReconsumeTimes     int32
	hasMaxReconsumeTimes  bool
	batch                 bool
}

// Indexes of the send header's fields in sendFieldNames. The V2 short
// name of field i is the letter 'a'+i.
const (
	sfProducerGroup = iota
	sfTopic
	sfDefaultTopic
	sfDefaultTopicQueueNums
	sfQueueID
	sfSysFlag
	sfBornTimestamp
	sfFlag
	sfProperties
	sfReconsumeTimes
	sfUnitMode
	sfMaxReconsumeTimes
	sfBatch
	sfCount
)

// sendFieldNames are the long names of the send header's fields.
var sendFieldNames = [sfCount]string{
	"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
	"bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes", "batch",
}

// sendFieldIndex returns the index of a send header field by its long or
// short name; long reports which it was. ok is false for other keys.
func sendFieldIndex(k string) (i int, long, ok bool) {
	if len(k) == 1 {
		if c := k[0]; c >= 'a' && c < 'a'+sfCount {
			return int(c - 'a'), false, true
		}
		return 0, false, false
	}
	switch k {
	case "producerGroup":
		return sfProducerGroup, true, true
	case "topic":
		return sfTopic, true, true
	case "defaultTopic":
		return sfDefaultTopic, true, true
	case "defaultTopicQueueNums":
		return sfDefaultTopicQueueNums, true, true
	case "queueId":
		return sfQueueID, true, true
	case "sysFlag":
		return sfSysFlag, true, true
	case "bornTimestamp":
		return sfBornTimestamp, true, true
	case "flag":
		return sfFlag, true, true
	case "properties":
		return sfProperties, true, true
	case "reconsumeTimes":
		return sfReconsumeTimes, true, true
	case "unitMode":
		return sfUnitMode, true, true
	case "maxReconsumeTimes":
		return sfMaxReconsumeTimes, true, true
	case "batch":
		return sfBatch, true, true
	}
	return 0, false, false
}

// parseSendHeader reads the send header of req from req.Fields (the send
// codes are registered with RegisterFields) or, for requests decoded
// into a map, from req.ExtFields. Errors are reported for the first bad
// field in the header's field order, as upstream checks them.
func parseSendHeader(req *remoting.Command) (sendHeader, error) {
	f := headerFields{names: sendFieldNames[:]}
	f.read(req, sendFieldIndex)
	var err error
	h := sendHeader{
		producerGroup:         f.v[sfProducerGroup],
		topic:                 f.v[sfTopic],
		defaultTopic:          f.v[sfDefaultTopic],
		defaultTopicQueueNums: int32(f.int(sfDefaultTopicQueueNums, 32, false, &err)),
		queueID:               int32(f.int(sfQueueID, 32, true, &err)),
		sysFlag:               int32(f.int(sfSysFlag, 32, false, &err)),
		bornTimestamp:         f.int(sfBornTimestamp, 64, false, &err),
		flag:                  int32(f.int(sfFlag, 32, false, &err)),
		properties:            f.v[sfProperties],
		reconsumeTimes:        int32(f.int(sfReconsumeTimes, 32, false, &err)),
		unitMode:              strings.EqualFold(f.v[sfUnitMode], "true"),
		maxReconsumeTimes:     int32(f.int(sfMaxReconsumeTimes, 32, false, &err)),
		hasMaxReconsumeTimes:  f.has(sfMaxReconsumeTimes),
		batch:                 strings.EqualFold(f.v[sfBatch], "true"),
	}
	if h.defaultTopic == "" {
		h.defaultTopic = meta.AutoCreateTopicKey
	}
	return h, err
}

// handleSend serves SEND_MESSAGE, SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE.
func (b *Broker) handleSend(ctx context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	h, err := parseSendHeader(req)
	if err != nil {
		return b.sendResponse(req, remoting.ResponseSystemError, err.Error())
	}
	if req.Code == remoting.RequestSendBatchMessage || h.batch {
		return b.sendBatch(ctx, conn, req, &h)
	}
	return b.sendOne(ctx, conn, req, &h)
}

// sendResponse starts a send response; MSG_REGION and TRACE_ON go on every
// one, as upstream adds them before processing.
func (b *Broker) sendResponse(req *remoting.Command, code int32, remark string) *remoting.Command {
	// The header goes as a list, without hashing, with room for what
	// addSendResult adds; command and list in one allocation.
	return b.fillSendResponse(&sendResp{}, req, code, remark)
}

// fillSendResponse is sendResponse in memory r the caller provides.
func (b *Broker) fillSendResponse(r *sendResp, req *remoting.Command, code int32, remark string) *remoting.Command {
	r.fields[0] = remoting.ExtField{Key: message.PropertyMsgRegion, Value: b.cfg.RegionID}
	r.fields[1] = remoting.ExtField{Key: message.PropertyTraceSwitch, Value: strconv.FormatBool(b.cfg.TraceOn)}
	r.cmd = *remoting.NewFieldsResponse(req, code, remark, r.fields[:2])
	return &r.cmd
}

// sendResp is a send response with the room for its header fields.
type sendResp struct {
	cmd    remoting.Command
	fields [6]remoting.ExtField
}

// addSendResult adds the fields of a stored send to its response.
func addSendResult(resp *remoting.Command, msgID string, queueID int32, queueOffset int64, transactionID string) {
	resp.Fields = append(resp.Fields,
		remoting.ExtField{Key: "msgId", Value: msgID},
		remoting.ExtField{Key: "queueId", Value: strconv.Itoa(int(queueID))},
		remoting.ExtField{Key: "queueOffset", Value: strconv.FormatInt(queueOffset, 10)},
		remoting.ExtField{Key: "transactionId", Value: transactionID})
}

// addSingleResult is addSendResult for one message stored at commitLogOffset:
// its id and queue offset are made as one string (one allocation).
func addSingleResult(resp *remoting.Command, storeHost netip.AddrPort, commitLogOffset int64, queueID int32, queueOffset int64, transactionID string) {
	var buf [96]byte
	b := message.AppendOffsetMsgID(buf[:0], storeHost, commitLogOffset)
	n := len(b)
	s := string(strconv.AppendInt(b, queueOffset, 10))
	resp.Fields = append(resp.Fields,
		remoting.ExtField{Key: "msgId", Value: s[:n]},
		remoting.ExtField{Key: "queueId", Value: strconv.Itoa(int(queueID))},
		remoting.ExtField{Key: "queueOffset", Value: s[n:]},
		remoting.ExtField{Key: "transactionId", Value: transactionID})
}

// errResponse is a checked failure: the response code and remark.
type errResponse struct {
	code   int32
	remark string
}

func (e *errResponse) Error() string { return e.remark }

func failf(code int32, format string, args ...any) *errResponse {
	return &errResponse{code: code, remark: fmt.Sprintf(format, args...)}
}

// checkSend applies upstream's msgCheck to a send: broker and topic
// permissions, the topic name, automatic topic creation and the queue id. It
// returns the topic and the queue to write (a negative queue id picks a
// random writable queue).
func (b *Broker) checkSend(h *sendHeader) (meta.TopicConfig, int32, *errResponse) {
	if !meta.Writable(int32(b.cfg.BrokerPermission)) {
		return meta.TopicConfig{}, 0, failf(remoting.ResponseNoPermission,
			"the broker[%s] sending message is forbidden", b.brokerAddr)
	}
	if err := meta.ValidateTopicName(h.topic); err != nil {
		return meta.TopicConfig{}, 0, topicNameError(h.topic, err)
	}
	if meta.NotAllowedToSend(h.topic) {
		return meta.TopicConfig{}, 0, failf(remoting.ResponseNoPermission,
			"sending message to topic[%s] is forbidden", h.topic)
	}
	tc, ok := b.topics.Get(h.topic)
	if !ok {
		var err *errResponse
		if tc, err = b.autoCreateTopic(h); err != nil {
			return tc, 0, err
		}
	}
	if !meta.Writable(tc.Perm) {
		return tc, 0, failf(remoting.ResponseNoPermission,
			"the topic[%s] sending message is forbidden", h.topic)
	}
	queueID := h.queueID
	if queueID < 0 {
		if tc.WriteQueueNums <= 0 {
			return tc, 0, failf(remoting.ResponseNoPermission, "the topic[%s] has no write queue", h.topic)
		}
		queueID = rand.Int32N(tc.WriteQueueNums)
	}
	if queueID >= max(tc.ReadQueueNums, tc.WriteQueueNums) {
		return tc, 0, failf(remoting.ResponseInvalidParameter,
			"request queueId[%d] is illegal, topic[%s] has %d write queues, producer: %s",
			queueID, h.topic, tc.WriteQueueNums, h.producerGroup)
	}
	return tc, queueID, nil
}

// autoCreateTopic creates an unknown topic on its first send: from the
// template (defaultTopic, normally TBW102) when automatic creation is on,
// and always for retry topics (one queue), as upstream. A created topic is
// registered with the name servers before the send is answered, so the
// producer's next route lookup finds it.
func (b *Broker) autoCreateTopic(h *sendHeader) (meta.TopicConfig, *errResponse) {
	var sysFlag int32
	if h.unitMode {
		sysFlag = meta.TopicSysFlagUnit
		if meta.IsRetryTopic(h.topic) {
			sysFlag = meta.TopicSysFlagUnitSub
		}
	}
	queueNums := max(h.defaultTopicQueueNums, 1)
	tc, created, err := b.topics.CreateFromTemplate(h.topic, h.defaultTopic, queueNums, sysFlag)
	if err != nil && meta.IsRetryTopic(h.topic) {
		tc, created, err = b.topics.EnsureRetryTopic(h.topic, 1, meta.PermReadWrite)
	}
	switch {
	case errors.Is(err, meta.ErrTemplateNotFound), errors.Is(err, meta.ErrTemplateNotInherit):
		return tc, failf(remoting.ResponseTopicNotExist, "topic[%s] not exist, apply first please!", h.topic)
	case err != nil:
		return tc, failf(remoting.ResponseSystemError, "create topic[%s]: %v", h.topic, err)
	}
	if created {
		b.logger.Info("topic created on first send", "topic", h.topic, "template", h.defaultTopic,
			"queues", tc.WriteQueueNums, "producerGroup", h.producerGroup)
		b.topicsChanged()
	}
	return tc, nil
}

// topicNameError words a name-validation failure as upstream does.
func topicNameError(topic string, err error) *errResponse {
	switch {
	case errors.Is(err, meta.ErrNameBlank):
		return failf(remoting.ResponseInvalidParameter, "the specified topic is blank")
	case errors.Is(err, meta.ErrNameTooLong):
		return failf(remoting.ResponseInvalidParameter,
			"the specified topic is longer than topic max length %d", meta.MaxTopicNameLength)
	case errors.Is(err, meta.ErrNameIllegal):
		return failf(remoting.ResponseInvalidParameter,
			"the specified topic[%s] contains illegal characters, allowing only ^[%%|a-zA-Z0-9_-]+$", topic)
	}
	return failf(remoting.ResponseInvalidParameter, "the specified topic[%s] is invalid: %v", topic, err)
}

// sendOne stores one message.
func (b *Broker) sendOne(ctx context.Context, conn *remoting.Conn, req *remoting.Command, h *sendHeader) *remoting.Command {
	tc, queueID, fail := b.checkSend(h)
	if fail != nil {
		return b.sendResponse(req, fail.code, fail.remark)
	}
	if len(req.Body) > b.cfg.MaxMessageSize {
		return b.sendResponse(req, remoting.ResponseMessageIllegal,
			fmt.Sprintf("the message body size %d is over the max value %d", len(req.Body), b.cfg.MaxMessageSize))
	}
	// One pass over the client's properties answers every question about
	// them below. The UNIQ_KEY pair's value is known after the scan.
	pairs := b.brokerPairs("")
	var sc propScan
	scanProps(&sc, h.properties, pairs[:])
	if message.TransactionType(h.sysFlag) == message.TransactionPreparedType || sc.transactional {
		return b.sendResponse(req, remoting.ResponseNoPermission,
			fmt.Sprintf("the broker[%s] does not support transactional messages yet", b.brokerAddr))
	}
	topic := h.topic
	if meta.IsRetryTopic(topic) {
		var fail *errResponse
		if topic, queueID, fail = b.retryTarget(h, queueID); fail != nil {
			return b.sendResponse(req, fail.code, fail.remark)
		}
	}
	sysFlag := h.sysFlag
	if tc.TopicFilterType == meta.FilterMultiTag {
		sysFlag |= message.SysFlagMultiTags
	}
	var uniq string
	if sc.hasUniq {
		uniq = h.properties[sc.uniqFrom:sc.uniqTo]
		sc.differs &^= 1 << uniqPair // the pair takes the client's value
	} else {
		uniq = b.uniq.Next()
	}
	pairs[uniqPair][1] = uniq
	props := mergeScanned(&sc, h.properties, pairs[:], true)
	if len(props) > message.MaxPropertiesLength {
		return b.sendResponse(req, remoting.ResponseMessageIllegal,
			fmt.Sprintf("the message properties length %d is over the max value %d", len(props), message.MaxPropertiesLength))
	}
	one := b.getSingle()
	msg := &one.ext
	*msg = message.Ext{
		Topic:          topic,
		QueueID:        queueID,
		Flag:           h.flag,
		SysFlag:        sysFlag,
		BornTimestamp:  h.bornTimestamp,
		BornHost:       conn.RemoteAddrPort(),
		StoreHost:      b.storeHost,
		ReconsumeTimes: h.reconsumeTimes,
		Body:           req.Body,
		RawProperties:  props,
	}
	one.list[0] = msg
	return b.storeSend(ctx, conn, req, one.list[:], sendFill{queueID: queueID, uniq: uniq, resp: &one.resp, recycle: one.recycle})
}

// singleMsg is the message of a single send, the list storeSend takes and
// the room for the response, in one allocation.
type singleMsg struct {
	ext  message.Ext
	list [1]*message.Ext
	resp sendResp
	// recycle gives this singleMsg back to the broker's pool; it is the
	// Written of a successful response, made once per singleMsg.
	recycle func()
}

// getSingle returns an empty singleMsg from the pool.
//
// Invariant: a singleMsg goes back only from the Written of its own
// successful response, which the connection calls once it has encoded
// the response (a send response has no body to write from where it is).
// By then the store has encoded the message (Put and PutAsync copy it
// before they return) and the handler, or the store's completion, has
// returned it, so nothing reaches the singleMsg any more. A send answered
// otherwise (a failure, a oneway send, a closed connection) leaves its
// singleMsg to the garbage collector.
func (b *Broker) getSingle() *singleMsg {
	if one, ok := b.singles.Get().(*singleMsg); ok {
		return one
	}
	one := &singleMsg{}
	one.recycle = func() {
		// Cleared so that a pooled singleMsg keeps neither the request's
		// body nor its strings from the garbage collector.
		*one = singleMsg{recycle: one.recycle}
		b.singles.Put(one)
	}
	return one
}

// sendFill is what the response of a stored send carries besides the
// store's result: the queue and the UNIQ_KEY (transactionId). batch sends
// answer with the ids of all their messages.
type sendFill struct {
	queueID int32
	uniq    string
	batch   bool
	// resp, when not nil, is where the successful response is made;
	// recycle, if set, becomes its Written.
	resp    *sendResp
	recycle func()
}

// answerSend maps the store's outcome for msgs to the response of req.
func (b *Broker) answerSend(req *remoting.Command, n int, f sendFill, res store.PutResult, err error) *remoting.Command {
	var resp *remoting.Command
	var stored bool
	if res.Status == store.PutOK && err == nil && f.resp != nil {
		resp, stored = b.fillSendResponse(f.resp, req, remoting.ResponseSuccess, ""), true
		resp.Written = f.recycle
	} else {
		resp, stored = b.putResponse(req, res.Status, err)
	}
	if !stored {
		return resp
	}
	b.stats.put.Add(int64(n))
	if f.batch {
		addSendResult(resp, batchMsgIDs(b.storeHost, res.Offsets), f.queueID, res.QueueOffset, f.uniq)
	} else {
		addSingleResult(resp, b.storeHost, res.CommitLogOffset, f.queueID, res.QueueOffset, f.uniq)
	}
	return resp
}

// storeSend stores msgs (a batch of one queue when f.batch) and answers
// req, with the message ids and offsets once stored (see answerSend).
//
// In SYNC_FLUSH the answer waits for the group commit that syncs the
// messages. The handler does not wait for it: it returns nil, and the
// store's completion callback writes the response. So the number of sends
// one sync covers is not capped by the number of send workers. Sends beyond
// maxPendingSyncSends (and sends while Shutdown drains) wait in the worker
// instead, which bounds the memory pending sends hold: when all workers
// wait, the send queue fills and further sends are answered SYSTEM_BUSY.
func (b *Broker) storeSend(ctx context.Context, conn *remoting.Conn, req *remoting.Command, msgs []*message.Ext, f sendFill) *remoting.Command {
	batch := f.batch
	if !b.asyncSends || !b.sends.acquire() {
		var res store.PutResult
		var err error
		if batch {
			res, err = b.store.PutBatch(ctx, msgs)
		} else {
			res, err = b.store.Put(ctx, msgs[0])
		}
		return b.answerSend(req, len(msgs), f, res, err)
	}
	n := len(msgs)
	conn.AnswerLater()
	done := func(res store.PutResult, err error) {
		resp := b.answerSend(req, n, f, res, err)
		if req.IsOneway() {
			resp = nil
		}
		// An error means the connection is gone; its client treats the
		// send as failed, as it would without an answer.
		_ = conn.FinishLater(resp)
		b.sends.release()
	}
	if batch {
		b.store.PutBatchAsync(msgs, done)
	} else {
		b.store.PutAsync(msgs[0], done)
	}
	return nil
}

// pendingSends counts the sends answered from store callbacks: it bounds
// them and lets Shutdown wait for them, since the remoting server's
// Shutdown does not wait for handlers that answer later.
type pendingSends struct {
	n        atomic.Int64
	limit    int64
	draining atomic.Bool
}

// acquire reserves a pending send; false means the send must be answered
// synchronously (over the limit, or draining).
func (p *pendingSends) acquire() bool {
	// Invariant with drain: the count is raised before draining is read
	// and draining is set before the count is read, so drain never misses
	// a send that went asynchronous.
	if p.n.Add(1) > p.limit || p.draining.Load() {
		p.n.Add(-1)
		return false
	}
	return true
}

func (p *pendingSends) release() { p.n.Add(-1) }

// drain makes later sends synchronous and waits until no send is pending
// or ctx ends. The store answers every pending send within its
// SyncFlushTimeout, so this is bounded.
func (p *pendingSends) drain(ctx context.Context) error {
	p.draining.Store(true)
	if p.n.Load() == 0 {
		return nil
	}
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for p.n.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d sends still wait for their sync: %w", p.n.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// retryTarget handles a client's own send to a retry topic (the Java
// client's fallback when CONSUMER_SEND_MSG_BACK failed): once the message has
// been reconsumed more often than allowed it goes to the group's dead-letter
// topic instead.
func (b *Broker) retryTarget(h *sendHeader, queueID int32) (string, int32, *errResponse) {
	group, _ := meta.GroupOfRetryTopic(h.topic)
	gc, ok := b.groups.Get(group)
	if !ok {
		return "", 0, failf(remoting.ResponseSubscriptionGroupNotExist, "subscription group not exist, %s", group)
	}
	maxTimes := gc.RetryMaxTimes
	if h.hasMaxReconsumeTimes {
		maxTimes = h.maxReconsumeTimes
	}
	if h.reconsumeTimes <= maxTimes {
		return h.topic, queueID, nil
	}
	dlq := meta.DLQTopic(group)
	_, created, err := b.topics.EnsureRetryTopic(dlq, 1, meta.PermReadWrite)
	if err != nil {
		return "", 0, failf(remoting.ResponseSystemError, "topic[%s] not exist: %v", dlq, err)
	}
	if created {
		b.topicsChanged()
	}
	return dlq, 0, nil
}

// isTransactional reports whether a send is a transactional half message.
func isTransactional(sysFlag int32, props string) bool {
	if message.TransactionType(sysFlag) == message.TransactionPreparedType {
		return true
	}
	v, _ := message.FindProperty(props, message.PropertyTransactionPrepared)
	return strings.EqualFold(v, "true")
}

// brokerPairs returns the broker's additions to the properties of a single
// send: MSG_REGION, TRACE_ON, CLUSTER and UNIQ_KEY (uniq, at index
// uniqPair: the client's UNIQ_KEY when it sent one). Merged with override:
// the broker's values win; POP_CK is removed, as 5.x does.
func (b *Broker) brokerPairs(uniq string) [4][2]string {
	return [4][2]string{
		{message.PropertyMsgRegion, b.cfg.RegionID},
		{message.PropertyTraceSwitch, strconv.FormatBool(b.cfg.TraceOn)},
		{message.PropertyCluster, b.cfg.BrokerClusterName},
		uniqPair: {message.PropertyUniqClientMessageIDKeyIdx, uniq},
	}
}

// uniqPair is the index of UNIQ_KEY in brokerPairs.
const uniqPair = 3

// mergeProperties adds pairs to an encoded properties string. With override
// the pairs' values win over the string's, otherwise the string's do.
//
// The common case, where no key of pairs is present with another value, just
// appends to the client's string and never decodes it; only a conflict (or a
// POP_CK to strip) costs a decode and re-encode.
func mergeProperties(props string, pairs [][2]string, override bool) string {
	_, slow := message.FindProperty(props, message.PropertyPopCK)
	present := make([]bool, len(pairs))
	for i, kv := range pairs {
		v, ok := message.FindProperty(props, kv[0])
		present[i] = ok
		if ok && override && v != kv[1] {
			slow = true
		}
	}
	if slow {
		m := message.DecodeProperties(props)
		delete(m, message.PropertyPopCK)
		for _, kv := range pairs {
			if _, ok := m[kv[0]]; ok && !override {
				continue
			}
			m[kv[0]] = kv[1]
		}
		return message.EncodeProperties(m)
	}
	var sb strings.Builder
	sb.Grow(len(props) + 128)
	sb.WriteString(props)
	if props != "" && props[len(props)-1] != message.PropertySeparator {
		sb.WriteByte(message.PropertySeparator)
	}
	for i, kv := range pairs {
		if present[i] || kv[0] == "" || kv[1] == "" {
			continue
		}
		sb.WriteString(kv[0])
		sb.WriteByte(message.NameValueSeparator)
		sb.WriteString(kv[1])
		sb.WriteByte(message.PropertySeparator)
	}
	return sb.String()
}

// putResponse maps a store outcome to the send response code. stored is true
// when the message was written (SUCCESS or FLUSH_DISK_TIMEOUT), i.e. when the
// response must carry the message id and offsets.
func (b *Broker) putResponse(req *remoting.Command, status store.PutStatus, err error) (*remoting.Command, bool) {
	switch status {
	case store.PutOK:
		if err == nil {
			return b.sendResponse(req, remoting.ResponseSuccess, ""), true
		}
	case store.FlushDiskTimeout:
		return b.sendResponse(req, remoting.ResponseFlushDiskTimeout, "flush disk timeout"), true
	case store.MessageIllegal, store.PropertiesSizeExceeded:
		return b.sendResponse(req, remoting.ResponseMessageIllegal, "the message is illegal, maybe msg body or properties length not matched. "+errText(status, err)), false
	case store.ServiceNotAvailable:
		return b.sendResponse(req, remoting.ResponseServiceNotAvailable,
			"service not available now: the store is closed, read-only or the disk is full. "+errText(status, err)), false
	case store.OSPageCacheBusy:
		return b.sendResponse(req, remoting.ResponseSystemBusy, "[PC_SYNCHRONIZED]broker busy, start flow control for a while"), false
	}
	return b.sendResponse(req, remoting.ResponseSystemError, "UNKNOWN_ERROR: "+errText(status, err)), false
}

func errText(status store.PutStatus, err error) string {
	if err != nil {
		return err.Error()
	}
	return status.String()
}
