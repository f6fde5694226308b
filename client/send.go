package client

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// sendKeys names the send header fields: one-letter names for
// SEND_MESSAGE_V2 and SEND_BATCH_MESSAGE, long names for SEND_MESSAGE.
type sendKeys struct {
	code                                                      int32
	group, topic, defTopic, defQueues, queueID, sysFlag, born string
	flag, props, reconsume, unitMode, maxReconsume, batch     string
}

var (
	v2Keys = sendKeys{remoting.RequestSendMessageV2,
		"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m"}
	v1Keys = sendKeys{remoting.RequestSendMessage,
		"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag", "bornTimestamp",
		"flag", "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes", "batch"}
)

// retryableSendCodes are the refusals after which upstream clients try
// another broker (plus SYSTEM_BUSY and GO_AWAY, which say "not now, not here").
var retryableSendCodes = map[int32]bool{
	remoting.ResponseTopicNotExist:       true,
	remoting.ResponseServiceNotAvailable: true,
	remoting.ResponseSystemError:         true,
	remoting.ResponseNoPermission:        true,
	remoting.ResponseNoBuyerID:           true,
	remoting.ResponseNotInCurrentUnit:    true,
	remoting.ResponseSystemBusy:          true,
	remoting.ResponseGoAway:              true,
}

// sendReq is a request being sent, with the buffers it was built in. sendReqs
// are pooled: the header map or encoded header, the properties buffer and
// the compression or batch buffer are reused from message to message. The
// frame is encoded when the request is queued on the connection, so after
// the call returns (or its callback ran) nothing refers to these buffers any
// more, except a large body written without a copy: refs keeps r out of the
// pool until that frame was written.
type sendReq struct {
	// The header is either in ext (JSON serialization) or in hdr, encoded
	// into bext for each attempt (binary serialization, see
	// Producer.binary).
	hdr  sendFields
	bext remoting.BinaryExt
	ext  map[string]string
	keys *sendKeys // the names ext holds; nil when ext is empty
	// retryHdr says ext holds the reconsume counters of a retry send.
	retryHdr bool
	props    []byte
	body     []byte // compressed body or batch body
	cmd      remoting.Command
	msgID    string
	topic    string
	msg      *message.Message // what the selector sees
	now      time.Time        // when it was prepared: born timestamp, deadline

	// refs counts who uses r: the sender until the send is over, and each
	// frame a connection may still write r.body from (binary requests
	// with large bodies go out without a copy; see extOf). The last one
	// recycles r. A frame dropped with its connection never gives its
	// reference back, and r is then left to the garbage collector.
	refs    atomic.Int32
	written func() // p.unref(r), bound once: r.cmd.Written

	async *asyncSend // bound to r once r served an asynchronous send
}

// sendFields is what varies between the headers of a producer's send
// requests, for the binary serialization; the rest comes from the producer.
type sendFields struct {
	topic   string
	sysFlag int32
	flag    int32
	born    int64
	props   bool // the header carries sendReq.props (batches: no)
	batch   bool
	retry   bool // the reconsume counters below are sent
	opts    sendOpts
}

// sendOpts are the extras of sends a consumer makes to a retry topic.
type sendOpts struct {
	reconsumeTimes    int32
	maxReconsumeTimes int32
}

// maxPooledBuffer bounds the buffers kept in pooled requests, but for
// batch bodies.
const maxPooledBuffer = 64 << 10

// maxPooledBatch bounds the batch bodies kept in pooled requests: a batch
// of 64 messages of 1 KiB is already past maxPooledBuffer, and growing a
// fresh body for each batch was most of a batch's cost.
const maxPooledBatch = 4 << 20

func (p *Producer) getReq() *sendReq {
	if r, ok := p.reqs.Get().(*sendReq); ok {
		r.refs.Store(1)
		return r
	}
	r := &sendReq{}
	r.refs.Store(1)
	if !p.binary {
		r.ext = make(map[string]string, 16)
	}
	r.written = func() { p.unref(r) }
	return r
}

// putReq gives up the sender's reference to r (see sendReq.refs).
func (p *Producer) putReq(r *sendReq) { p.unref(r) }

// unref drops a reference to r and recycles r with the last one.
func (p *Producer) unref(r *sendReq) {
	if r.refs.Add(-1) != 0 {
		return
	}
	// ext keeps its entries: the next request of the same key set
	// overwrites every one of them (see setHeader), which is cheaper
	// than clearing the map.
	r.msg = nil
	if cap(r.props) > maxPooledBuffer {
		r.props = nil
	}
	if cap(r.body) > maxPooledBatch || (cap(r.body) > maxPooledBuffer && r.cmd.Code != remoting.RequestSendBatchMessage) {
		r.body = nil
	}
	r.cmd = remoting.Command{}
	p.reqs.Put(r)
}

// appendProps appends the encoded properties of msg to dst with a UNIQ_KEY,
// generated unless msg has one, and returns the buffer and the id. msg is
// not modified: sending one Message value twice gives two ids.
func (p *Producer) appendProps(dst []byte, msg *message.Message, now time.Time) ([]byte, string) {
	id := msg.Properties[message.PropertyUniqClientMessageIDKeyIdx]
	dst = appendUserProps(dst, msg)
	if id == "" {
		id = p.c.uniq.Block(1, now)
		dst = appendProp(dst, message.PropertyUniqClientMessageIDKeyIdx, id)
	}
	return dst, id
}

// appendUserProps appends the encoded properties of msg.
func appendUserProps(dst []byte, msg *message.Message) []byte {
	if len(msg.Properties) == 0 {
		return dst
	}
	for k, v := range msg.Properties {
		if k == "" || v == "" {
			continue
		}
		dst = appendProp(dst, k, v)
	}
	return dst
}

// appendProp appends one encoded property.
func appendProp(dst []byte, k, v string) []byte {
	dst = append(dst, k...)
	dst = append(dst, message.NameValueSeparator)
	dst = append(dst, v...)
	return append(dst, message.PropertySeparator)
}

// checkTopic is checkTopic, remembering the last topic that passed: a
// producer usually sends to one or a few topics.
func (p *Producer) checkTopic(topic string) error {
	if last := p.validTopic.Load(); last != nil && *last == topic {
		return nil
	}
	if err := checkTopic(topic); err != nil {
		return err
	}
	t := topic // a copy: taking topic's address would move it to the heap on every call
	p.validTopic.Store(&t)
	return nil
}

func (p *Producer) checkMessage(msg *message.Message) error {
	if msg == nil {
		return fmt.Errorf("%w: nil message", ErrInvalidMessage)
	}
	if err := p.checkTopic(msg.Topic); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	if len(msg.Body) == 0 {
		return fmt.Errorf("%w: message body of topic %s is empty", ErrInvalidMessage, msg.Topic)
	}
	if len(msg.Body) > p.cfg.MaxMessageSize {
		return fmt.Errorf("%w: message body of %d bytes exceeds the limit of %d", ErrInvalidMessage, len(msg.Body), p.cfg.MaxMessageSize)
	}
	if err := checkProperties(msg.Properties); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidMessage, err)
	}
	return nil
}

// prepare validates msg and builds its request, all but the queue id.
func (p *Producer) prepare(msg *message.Message, o *sendOpts) (*sendReq, error) {
	if p.closed.Load() {
		return nil, fmt.Errorf("client: producer %s: %w", p.group, ErrClosed)
	}
	if err := p.checkMessage(msg); err != nil {
		return nil, err
	}
	r := p.getReq()
	r.now = time.Now()
	r.props, r.msgID = p.appendProps(r.props[:0], msg, r.now)
	if len(r.props) > message.MaxPropertiesLength {
		p.putReq(r)
		return nil, fmt.Errorf("%w: encoded properties of %d bytes exceed %d", ErrInvalidMessage, len(r.props), message.MaxPropertiesLength)
	}
	body := msg.Body
	var sysFlag int32
	if t := p.cfg.CompressThreshold; t >= 0 && len(body) >= t {
		z, err := p.zlib.compress(r.body[:0], body, p.cfg.CompressLevel)
		if err != nil {
			p.putReq(r)
			return nil, err
		}
		r.body = z
		if len(z) < len(body) {
			body = z
			sysFlag |= message.SysFlagCompressed
		}
	}
	k := p.keys
	var ext map[string]string
	if p.binary {
		r.hdr = sendFields{topic: msg.Topic, sysFlag: sysFlag, flag: msg.Flag, born: r.now.UnixMilli(), props: true}
		if o != nil {
			r.hdr.retry, r.hdr.opts = true, *o
		}
	} else {
		ext = p.setHeader(r, k, msg.Topic, o)
		ext[k.sysFlag] = strconv.Itoa(int(sysFlag))
		ext[k.flag] = strconv.Itoa(int(msg.Flag))
		ext[k.props] = string(r.props)
		ext[k.batch] = "false"
	}
	r.topic = msg.Topic
	r.msg = msg
	r.cmd = remoting.Command{Code: k.code, Language: remoting.LangGo, Version: remoting.CurrentVersion, ExtFields: ext, Body: body}
	return r, nil
}

// setHeader fills the header fields every send request has and returns
// r's header map, for the caller to add sysFlag, flag, properties and batch.
// Invariant: a request's map holds exactly the names of one key set (queueId
// is set before each attempt), and the fields that are the same for every
// send of the producer (group, template topic and queue count, unitMode)
// are set when the map takes that key set and never change after: requests
// are pooled per producer. Only the fields of retry sends are removed again.
func (p *Producer) setHeader(r *sendReq, k *sendKeys, topic string, o *sendOpts) map[string]string {
	ext := r.ext
	if r.keys != k {
		clear(ext)
		r.keys = k
		r.retryHdr = false
		ext[k.group] = p.group
		ext[k.defTopic] = p.cfg.CreateTopicKey
		ext[k.defQueues] = p.defQueues
		ext[k.unitMode] = "false"
		ext[k.reconsume] = "0"
	}
	ext[k.topic] = topic
	ext[k.born] = p.bornStamp(r.now)
	switch {
	case o != nil:
		ext[k.reconsume] = strconv.Itoa(int(o.reconsumeTimes))
		ext[k.maxReconsume] = strconv.Itoa(int(o.maxReconsumeTimes))
		r.retryHdr = true
	case r.retryHdr:
		ext[k.reconsume] = "0"
		delete(ext, k.maxReconsume)
		r.retryHdr = false
	}
	return ext
}

// bornStamp returns now in Unix milliseconds as a string,
// formatted once per millisecond rather than once per message.
func (p *Producer) bornStamp(now time.Time) string { return p.msString(now.UnixMilli()) }

// msString returns the decimal form of ms, a time in Unix milliseconds,
// remembering the last one.
func (p *Producer) msString(ms int64) string {
	if b := p.born.Load(); b != nil && b.ms == ms {
		return b.s
	}
	b := &msStamp{ms: ms, s: strconv.FormatInt(ms, 10)}
	p.born.Store(b)
	return b.s
}

// msStamp is a millisecond time and its decimal form.
type msStamp struct {
	ms int64
	s  string
}

// pickQueue chooses the queue of the next attempt. tried lists the brokers
// that failed earlier attempts of this send.
func (p *Producer) pickQueue(msg *message.Message, e *topicEntry, tried []string) MessageQueue {
	qs := e.write
	if !p.stable && (len(tried) > 0 || (!p.cfg.DisableFaultAvoidance && p.c.faults.anyMarked())) {
		qs = p.narrow(qs, tried)
	}
	return p.cfg.Selector.Select(msg, qs)
}

// narrow leaves out the brokers already tried and, with fault avoidance,
// those being avoided; when that leaves nothing it relaxes the second rule,
// then the first.
func (p *Producer) narrow(qs []MessageQueue, tried []string) []MessageQueue {
	var healthy, untried []MessageQueue
	for _, q := range qs {
		if slices.Contains(tried, q.BrokerName) {
			continue
		}
		untried = append(untried, q)
		if p.cfg.DisableFaultAvoidance || p.c.faults.available(q.BrokerName) {
			healthy = append(healthy, q)
		}
	}
	switch {
	case len(healthy) > 0:
		return healthy
	case len(untried) > 0:
		return untried
	}
	return qs
}

// recordLatency tells fault avoidance how an attempt on broker started at
// start went (failed: the transport failed). A producer without fault
// avoidance records nothing, as upstream's producers do when
// sendLatencyFaultEnable is off: its sends then cost no clock reading
// and no look-up.
func (p *Producer) recordLatency(broker string, start time.Time, failed bool) {
	if p.cfg.DisableFaultAvoidance {
		return
	}
	p.c.faults.update(broker, time.Since(start), failed)
}

// attempt is the state of one send across its attempts.
type attempt struct {
	errs  []error
	tried []string
}

func (a *attempt) fail(broker, addr string, err error) {
	a.errs = append(a.errs, &AttemptError{Broker: broker, Addr: addr, Err: err})
	a.tried = append(a.tried, broker)
}

// target picks the queue of r's next attempt from route e and finds its
// broker's master, and puts the queue id into r's header. Without a master
// address it records the failed attempt in a and returns ok=false.
func (p *Producer) target(r *sendReq, e *topicEntry, a *attempt) (mq MessageQueue, addr string, ok bool) {
	mq = p.pickQueue(r.msg, e, a.tried)
	addr = p.c.masterAddr(mq.BrokerName)
	if addr == "" {
		a.fail(mq.BrokerName, "", &RouteError{Topic: r.topic, Err: fmt.Errorf("no master address for broker %s", mq.BrokerName)})
		return mq, "", false
	}
	if p.binary {
		p.encodeHeader(r, mq.QueueID)
	} else {
		r.ext[p.keysOf(r).queueID] = strconv.Itoa(int(mq.QueueID))
	}
	return mq, addr, true
}

// encodeHeader encodes r's binary header for an attempt on queue qid, with
// the same fields, values and names setHeader and its callers put in the
// map of the JSON form.
func (p *Producer) encodeHeader(r *sendReq, qid int32) {
	k, h, e := p.keysOf(r), &r.hdr, &r.bext
	e.Reset()
	e.Append(p.leadHeader(k, h.topic))
	e.AddInt(k.queueID, int64(qid))
	e.AddInt(k.sysFlag, int64(h.sysFlag))
	e.Add(k.born, p.msString(h.born))
	e.AddInt(k.flag, int64(h.flag))
	if h.props {
		e.AddBytes(k.props, r.props)
	}
	if !h.retry {
		// reconsumeTimes 0 and batch: the same in every such request.
		e.Append(p.tailHeader(k, h.batch))
		return
	}
	e.AddInt(k.reconsume, int64(h.opts.reconsumeTimes))
	e.AddInt(k.maxReconsume, int64(h.opts.maxReconsumeTimes))
	e.AddBool(k.batch, h.batch)
}

// keyIndex numbers the key sets for the producer's header caches.
func keyIndex(k *sendKeys) int {
	if k == &v2Keys {
		return 0
	}
	return 1
}

// leadHeader returns the encoded fields that open every send request with
// names k to topic: fixedHeader's, then the topic. It remembers the last
// topic per key set (a producer usually sends to one topic); a producer
// that alternates topics encodes a new lead for each switch.
func (p *Producer) leadHeader(k *sendKeys, topic string) *remoting.BinaryExt {
	i := keyIndex(k)
	if l := p.lead[i].Load(); l != nil && l.topic == topic {
		return &l.ext
	}
	l := &leadExt{topic: topic}
	l.ext.Append(p.fixedHeader(k))
	l.ext.Add(k.topic, topic)
	p.lead[i].Store(l)
	return &l.ext
}

// leadExt is a cached leadHeader.
type leadExt struct {
	topic string
	ext   remoting.BinaryExt
}

// tailHeader returns the encoded fields that close every send request with
// names k that is not a retry send: reconsumeTimes 0 and batch.
func (p *Producer) tailHeader(k *sendKeys, batch bool) *remoting.BinaryExt {
	i, j := keyIndex(k), 0
	if batch {
		j = 1
	}
	if e := p.tail[i][j].Load(); e != nil {
		return e
	}
	e := new(remoting.BinaryExt)
	e.AddInt(k.reconsume, 0)
	e.AddBool(k.batch, batch)
	p.tail[i][j].Store(e) // racing stores store equal values
	return e
}

// fixedHeader returns the encoded header fields that are the same in every
// send request of the producer with names k: group, template topic and
// queue count, unitMode.
func (p *Producer) fixedHeader(k *sendKeys) *remoting.BinaryExt {
	i := keyIndex(k)
	if e := p.fixed[i].Load(); e != nil {
		return e
	}
	e := new(remoting.BinaryExt)
	e.Add(k.group, p.group)
	e.Add(k.defTopic, p.cfg.CreateTopicKey)
	e.Add(k.defQueues, p.defQueues)
	e.Add(k.unitMode, "false")
	p.fixed[i].Store(e) // racing stores store equal values
	return e
}

// extOf returns r's encoded header when the producer sends binary headers,
// else nil (the header is in r.cmd.ExtFields). Called once per attempt,
// right before the request is handed to remoting: with a binary header,
// remoting calls r.cmd.Written once it no longer uses r.cmd.Body (at once
// when it copied the body), so each attempt holds a reference to r.
func (p *Producer) extOf(r *sendReq) *remoting.BinaryExt {
	if !p.binary {
		return nil
	}
	if len(r.cmd.Body) >= zeroCopyBody {
		r.refs.Add(1)
		r.cmd.Written = r.written
	}
	return &r.bext
}

// zeroCopyBody is the body size from which remoting writes request bodies
// without a copy (see remoting.Client.InvokeAsyncInline); smaller ones are
// copied at once, and tracking them would cost more than it saves.
const zeroCopyBody = 4 << 10

// outcome classifies a send response. It returns the result on success,
// retry=true when another broker should be tried, or the final error.
func (p *Producer) outcome(r *sendReq, mq MessageQueue, addr string, resp *remoting.Command) (res *SendResult, retry bool, err error) {
	if _, ok := sendStatus(resp.Code); ok {
		res, err = parseSendResponse(resp, addr, mq, r.msgID)
		return res, false, err
	}
	be := &BrokerError{Addr: addr, Request: r.cmd.Code, Code: resp.Code, Remark: resp.Remark}
	if resp.Code == remoting.ResponseTopicNotExist {
		p.c.refreshRouteAsync(r.topic)
	}
	return nil, retryableSendCodes[resp.Code], be
}

// SendSync sends msg and waits until a broker stored it. A send that fails
// is retried on another broker (see ProducerConfig.MaxAttempts) while ctx
// allows; ctx without a deadline gets ProducerConfig.SendTimeout.
//
// Errors: ErrInvalidMessage before anything is sent; a *RouteError (matching
// ErrNoRoute) when the topic has no route; otherwise a *SendError listing
// every attempt, each an *AttemptError wrapping a *BrokerError (a refusal
// with code and remark) or a transport error (matching ErrTimeout when the
// deadline passed).
func (p *Producer) SendSync(ctx context.Context, msg *message.Message) (*SendResult, error) {
	r, err := p.prepare(msg, nil)
	if err != nil {
		return nil, err
	}
	defer p.putReq(r)
	return p.sendSync(ctx, r)
}

// sendRetry sends msg to a retry topic with the reconsume counters in the
// header, as upstream consumers do when CONSUMER_SEND_MSG_BACK fails.
func (p *Producer) sendRetry(ctx context.Context, msg *message.Message, o sendOpts) (*SendResult, error) {
	r, err := p.prepare(msg, &o)
	if err != nil {
		return nil, err
	}
	defer p.putReq(r)
	return p.sendSync(ctx, r)
}

func (p *Producer) sendSync(ctx context.Context, r *sendReq) (*SendResult, error) {
	ctx, cancel := p.deadline.with(ctx, r.now)
	defer cancel()
	var a attempt
	for len(a.errs) < p.cfg.MaxAttempts {
		e, err := p.c.publishInfo(ctx, r.topic, p.cfg.CreateTopicKey, p.cfg.DefaultTopicQueueNums)
		if err != nil {
			if len(a.errs) == 0 {
				return nil, err
			}
			a.errs = append(a.errs, err)
			break
		}
		mq, addr, ok := p.target(r, e, &a)
		if !ok {
			p.c.refreshRouteAsync(r.topic)
			continue
		}
		start := time.Now()
		resp, err := p.c.rc.InvokeSyncExt(ctx, addr, &r.cmd, p.extOf(r))
		if err != nil {
			p.recordLatency(mq.BrokerName, start, true)
			a.fail(mq.BrokerName, addr, p.c.transportErr(r.cmd.Code, addr, err))
			p.c.refreshRouteAsync(r.topic) // the broker may have moved
			if ctx.Err() != nil || errors.Is(err, remoting.ErrClientClosed) {
				break
			}
			continue
		}
		p.recordLatency(mq.BrokerName, start, false)
		res, retry, err := p.outcome(r, mq, addr, resp)
		if err == nil {
			return res, nil
		}
		a.fail(mq.BrokerName, addr, err)
		if !retry || ctx.Err() != nil {
			break
		}
	}
	return nil, &SendError{Topic: r.topic, Attempts: a.errs}
}

// keysOf returns the header names r was built with.
func (p *Producer) keysOf(r *sendReq) *sendKeys {
	if r.cmd.Code == remoting.RequestSendBatchMessage {
		return &v2Keys
	}
	return p.keys
}

// SendAsync sends msg and returns once the first attempt is under way; cb is
// called exactly once, on another goroutine, with the result or the error
// (the same errors as SendSync, retries included). Callbacks of the sends
// to one broker run one after another on a goroutine of its connection
// (see remoting.Client.InvokeAsyncInline): cb should return quickly, as a
// cb that blocks delays the callbacks of other sends (sending from cb, even
// with SendSync, is fine). A send whose ctx ends fails up to 10 ms later. SendAsync itself returns
// an error, and then never calls cb, only when msg is invalid or the
// producer is shut down. ctx bounds the whole send, retries included; ctx
// without a deadline gets ProducerConfig.SendTimeout.
func (p *Producer) SendAsync(ctx context.Context, msg *message.Message, cb func(*SendResult, error)) error {
	if cb == nil {
		return fmt.Errorf("%w: nil callback", ErrInvalidConfig)
	}
	r, err := p.prepare(msg, nil)
	if err != nil {
		return err
	}
	return p.startAsync(ctx, r, cb)
}

// SendBatchAsync is the asynchronous SendBatch: it returns once the first
// attempt is under way and calls cb exactly once, on another goroutine, with
// the result or the error, as SendAsync does. msgs and their bodies must not
// be modified until cb runs.
func (p *Producer) SendBatchAsync(ctx context.Context, msgs []*message.Message, cb func(*SendResult, error)) error {
	if cb == nil {
		return fmt.Errorf("%w: nil callback", ErrInvalidConfig)
	}
	r, err := p.prepareBatch(msgs)
	if err != nil {
		return err
	}
	return p.startAsync(ctx, r, cb)
}

// startAsync starts the attempts of prepared request r; it owns r.
func (p *Producer) startAsync(ctx context.Context, r *sendReq, cb func(*SendResult, error)) error {
	p.smu.RLock()
	if p.closed.Load() {
		p.smu.RUnlock()
		p.putReq(r)
		return fmt.Errorf("client: producer %s: %w", p.group, ErrClosed)
	}
	p.inflight.Add(1) // before Shutdown can start waiting
	p.smu.RUnlock()
	s := p.asyncOf(r)
	s.cb = cb
	s.ctx, s.cancel = p.deadline.with(ctx, r.now)
	s.start = r.now
	s.next()
	return nil
}

// asyncSend drives the attempts of one asynchronous send. An asyncSend,
// with its response callback bound once, belongs to one sendReq for good
// and is pooled with it (one pool round trip per send instead of two): it
// is cleared before its request goes back to the pool, when remoting holds
// no reference to it any more (remoting calls the response callback
// exactly once per attempt, and a new attempt starts only from that
// callback).
type asyncSend struct {
	p      *Producer
	r      *sendReq
	ctx    context.Context
	cancel context.CancelFunc
	cb     func(*SendResult, error)
	a      attempt
	mq     MessageQueue
	addr   string
	start  time.Time
	onResp func(*remoting.Command, error) // s.done
}

// asyncOf returns the asyncSend of r, made on r's first asynchronous send.
func (p *Producer) asyncOf(r *sendReq) *asyncSend {
	if r.async == nil {
		s := &asyncSend{p: p, r: r}
		s.onResp = s.done
		r.async = s
	}
	return r.async
}

// clear drops what s refers to for one send; s stays bound to s.r.
func (s *asyncSend) clear() {
	// The attempt's slices went into the error given to the callback:
	// never reuse them.
	s.ctx, s.cancel, s.cb = nil, nil, nil
	s.a = attempt{}
	s.mq, s.addr = MessageQueue{}, ""
}

// next starts the next attempt, or finishes when none is left.
func (s *asyncSend) next() {
	p := s.p
	for {
		if len(s.a.errs) >= p.cfg.MaxAttempts || (len(s.a.errs) > 0 && s.ctx.Err() != nil) {
			s.finish(nil, &SendError{Topic: s.r.topic, Attempts: s.a.errs})
			return
		}
		e, err := p.c.publishInfo(s.ctx, s.r.topic, p.cfg.CreateTopicKey, p.cfg.DefaultTopicQueueNums)
		if err != nil {
			if len(s.a.errs) > 0 {
				s.a.errs = append(s.a.errs, err)
				err = &SendError{Topic: s.r.topic, Attempts: s.a.errs}
			}
			s.finish(nil, err)
			return
		}
		var ok bool
		if s.mq, s.addr, ok = p.target(s.r, e, &s.a); !ok {
			p.c.refreshRouteAsync(s.r.topic)
			continue
		}
		if len(s.a.errs) > 0 {
			s.start = time.Now()
		} // else the first attempt starts now, when the request was prepared
		if err := p.c.rc.InvokeAsyncInline(s.ctx, s.addr, &s.r.cmd, p.extOf(s.r), s.onResp); err != nil {
			p.recordLatency(s.mq.BrokerName, s.start, true)
			s.a.fail(s.mq.BrokerName, s.addr, p.c.transportErr(s.r.cmd.Code, s.addr, err))
			if errors.Is(err, remoting.ErrClientClosed) {
				s.finish(nil, &SendError{Topic: s.r.topic, Attempts: s.a.errs})
				return
			}
			continue
		}
		return
	}
}

// done receives the response of the current attempt.
func (s *asyncSend) done(resp *remoting.Command, err error) {
	p := s.p
	if err != nil {
		p.recordLatency(s.mq.BrokerName, s.start, true)
		s.a.fail(s.mq.BrokerName, s.addr, p.c.transportErr(s.r.cmd.Code, s.addr, err))
		p.c.refreshRouteAsync(s.r.topic)
		s.next()
		return
	}
	p.recordLatency(s.mq.BrokerName, s.start, false)
	res, retry, err := p.outcome(s.r, s.mq, s.addr, resp)
	if err == nil {
		s.finish(res, nil)
		return
	}
	s.a.fail(s.mq.BrokerName, s.addr, err)
	if !retry {
		s.finish(nil, &SendError{Topic: s.r.topic, Attempts: s.a.errs})
		return
	}
	s.next()
}

func (s *asyncSend) finish(res *SendResult, err error) {
	p, cb, r := s.p, s.cb, s.r
	s.cancel()
	s.clear()
	p.putReq(r) // last: once r is in the pool, s may serve another send
	defer p.inflight.Done()
	cb(res, err)
}

// SendOneway sends msg without waiting for the broker's answer: it returns
// once the request is written to a connection (or queued for writing). It
// is retried on another broker only when no connection could take it. ctx
// bounds connecting; without a deadline it gets ProducerConfig.SendTimeout.
func (p *Producer) SendOneway(ctx context.Context, msg *message.Message) error {
	r, err := p.prepare(msg, nil)
	if err != nil {
		return err
	}
	defer p.putReq(r)
	ctx, cancel := p.deadline.with(ctx, r.now)
	defer cancel()
	var a attempt
	for len(a.errs) < p.cfg.MaxAttempts {
		e, err := p.c.publishInfo(ctx, r.topic, p.cfg.CreateTopicKey, p.cfg.DefaultTopicQueueNums)
		if err != nil {
			if len(a.errs) == 0 {
				return err
			}
			a.errs = append(a.errs, err)
			break
		}
		mq, addr, ok := p.target(r, e, &a)
		if !ok {
			continue
		}
		start := time.Now()
		if err := p.c.rc.InvokeOnewayExt(ctx, addr, &r.cmd, p.extOf(r)); err != nil {
			p.recordLatency(mq.BrokerName, start, true)
			a.fail(mq.BrokerName, addr, p.c.transportErr(r.cmd.Code, addr, err))
			if ctx.Err() != nil || errors.Is(err, remoting.ErrClientClosed) {
				break
			}
			continue
		}
		return nil
	}
	return &SendError{Topic: r.topic, Attempts: a.errs}
}

// SendBatch sends msgs, which must share one topic, as one
// SEND_BATCH_MESSAGE: the broker stores them in one queue with consecutive
// offsets. Every message gets its own UNIQ_KEY; the result's MsgID and
// OffsetMsgID list them all, comma-separated, and QueueOffset is the first
// message's. Batches are never compressed; they may not carry delay levels
// nor go to retry topics (brokers refuse those). Retries and errors are as
// for SendSync.
func (p *Producer) SendBatch(ctx context.Context, msgs []*message.Message) (*SendResult, error) {
	r, err := p.prepareBatch(msgs)
	if err != nil {
		return nil, err
	}
	defer p.putReq(r)
	return p.sendSync(ctx, r)
}

func (p *Producer) prepareBatch(msgs []*message.Message) (*sendReq, error) {
	if p.closed.Load() {
		return nil, fmt.Errorf("client: producer %s: %w", p.group, ErrClosed)
	}
	if len(msgs) == 0 {
		return nil, fmt.Errorf("%w: empty batch", ErrInvalidMessage)
	}
	topic := ""
	for i, m := range msgs {
		if err := p.checkMessage(m); err != nil {
			return nil, fmt.Errorf("batch message %d: %w", i, err)
		}
		if i == 0 {
			topic = m.Topic
		} else if m.Topic != topic {
			return nil, fmt.Errorf("%w: batch mixes topics %s and %s", ErrInvalidMessage, topic, m.Topic)
		}
		if strings.HasPrefix(m.Topic, retryTopicPrefix) {
			return nil, fmt.Errorf("%w: batches cannot go to retry topic %s", ErrInvalidMessage, m.Topic)
		}
		if m.Property(message.PropertyDelayTimeLevel) != "" {
			return nil, fmt.Errorf("%w: batch message %d has a delay level; brokers refuse delayed batches", ErrInvalidMessage, i)
		}
	}
	r := p.getReq()
	r.now = time.Now()
	// Size the body once: records of 20 bytes, body, 2 bytes and
	// properties, which hold a UNIQ_KEY entry besides the message's own.
	// Messages without a UNIQ_KEY of their own (all, usually) get theirs
	// from one block of ids.
	need, own := 0, false
	for _, m := range msgs {
		need += 22 + len(m.Body) + len(message.PropertyUniqClientMessageIDKeyIdx) + 2 + p.c.uniq.IDLen()
		if len(m.Properties) > 0 {
			for k, v := range m.Properties {
				need += len(k) + len(v) + 2
			}
		}
		own = own || m.Properties[message.PropertyUniqClientMessageIDKeyIdx] != ""
	}
	var ids []string
	var joined string
	if own {
		ids = make([]string, 0, len(msgs))
	} else {
		joined = p.c.uniq.Block(len(msgs), r.now)
	}
	idLen := p.c.uniq.IDLen()
	body := slices.Grow(r.body[:0], need)
	for i, m := range msgs {
		// Record: [total][magic 0][crc 0][flag][body len][body][props len][props].
		start := len(body)
		body = append(body, make([]byte, 20)...)
		body = append(body, m.Body...)
		body = append(body, 0, 0)
		pstart := len(body)
		var id string
		if own {
			body, id = p.appendProps(body, m, r.now)
			ids = append(ids, id)
		} else {
			body = appendUserProps(body, m)
			body = appendProp(body, message.PropertyUniqClientMessageIDKeyIdx, joined[i*(idLen+1):][:idLen])
		}
		plen := len(body) - pstart
		if plen > message.MaxPropertiesLength {
			p.putReq(r)
			return nil, fmt.Errorf("%w: batch message %d: encoded properties of %d bytes exceed %d", ErrInvalidMessage, i, plen, message.MaxPropertiesLength)
		}
		putInt32(body[start:], int32(len(body)-start))
		putInt32(body[start+12:], m.Flag)
		putInt32(body[start+16:], int32(len(m.Body)))
		body[pstart-2], body[pstart-1] = byte(plen>>8), byte(plen)
	}
	r.body = body
	if len(body) > p.cfg.MaxMessageSize {
		p.putReq(r)
		return nil, fmt.Errorf("%w: batch of %d bytes exceeds the limit of %d", ErrInvalidMessage, len(body), p.cfg.MaxMessageSize)
	}
	var ext map[string]string
	if p.binary {
		r.hdr = sendFields{topic: topic, born: r.now.UnixMilli(), batch: true}
	} else {
		k := &v2Keys
		ext = p.setHeader(r, k, topic, nil)
		ext[k.sysFlag] = "0"
		ext[k.flag] = "0"
		ext[k.props] = ""
		ext[k.batch] = "true"
	}
	r.topic = topic
	r.msg = msgs[0]
	r.msgID = joined
	if own {
		r.msgID = strings.Join(ids, ",")
	}
	r.cmd = remoting.Command{Code: remoting.RequestSendBatchMessage, Language: remoting.LangGo, Version: remoting.CurrentVersion, ExtFields: ext, Body: body}
	return r, nil
}

func putInt32(b []byte, v int32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
