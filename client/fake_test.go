package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// This file holds an in-process fake name server and fake broker built on
// remoting.Server, enough of the protocol for the client's tests.

// fakeNameServer answers route, cluster and topic-list requests from tables
// the test fills.
type fakeNameServer struct {
	t   *testing.T
	srv *remoting.Server

	mu       sync.Mutex
	routes   map[string][]byte // topic -> TopicRouteData body
	reqs     map[int32]int     // requests seen by code
	clusters []byte            // ClusterInfo body
	deleted  []string
}

func newFakeNameServer(t *testing.T) *fakeNameServer {
	t.Helper()
	ns := &fakeNameServer{t: t, routes: make(map[string][]byte), reqs: make(map[int32]int)}
	ns.srv = remoting.NewServer(remoting.ServerConfig{Addr: "127.0.0.1:0", Logger: quietLogger()})
	h := remoting.HandlerFunc(ns.serve)
	for _, code := range []int32{remoting.RequestGetRouteInfoByTopic, remoting.RequestGetBrokerClusterInfo,
		remoting.RequestGetAllTopicListFromNameServer, remoting.RequestDeleteTopicInNamesrv} {
		ns.srv.Register(code, "ns", h)
	}
	if err := ns.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { shutdownServer(ns.srv) })
	return ns
}

func (ns *fakeNameServer) addr() string { return ns.srv.Addr().String() }

func (ns *fakeNameServer) count(code int32) int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.reqs[code]
}

// setRoute publishes topic on brokers with n read/write queues each and perm.
func (ns *fakeNameServer) setRoute(topic string, n, perm int, brokers ...*fakeBroker) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.routes[topic] = routeBody(n, perm, false, brokers...)
}

// routeBody renders TopicRouteData; legacy writes unquoted broker ids as
// fastjson does for old clients.
func routeBody(n, perm int, legacy bool, brokers ...*fakeBroker) []byte {
	var bd, qd []string
	for _, b := range brokers {
		key := `"0"`
		if legacy {
			key = `0`
		}
		bd = append(bd, fmt.Sprintf(`{"brokerAddrs":{%s:"%s"},"brokerName":"%s","cluster":"c1"}`, key, b.addr(), b.name))
		qd = append(qd, fmt.Sprintf(`{"brokerName":"%s","perm":%d,"readQueueNums":%d,"topicSysFlag":0,"writeQueueNums":%d}`, b.name, perm, n, n))
	}
	return []byte(`{"brokerDatas":[` + strings.Join(bd, ",") + `],"filterServerTable":{},"queueDatas":[` + strings.Join(qd, ",") + `]}`)
}

func (ns *fakeNameServer) serve(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.reqs[req.Code]++
	switch req.Code {
	case remoting.RequestGetRouteInfoByTopic:
		body, ok := ns.routes[req.ExtFields["topic"]]
		if !ok {
			return remoting.NewResponse(req, remoting.ResponseTopicNotExist, "No topic route info in name server for the topic: "+req.ExtFields["topic"])
		}
		resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
		resp.Body = body
		return resp
	case remoting.RequestGetBrokerClusterInfo:
		resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
		resp.Body = ns.clusters
		return resp
	case remoting.RequestGetAllTopicListFromNameServer:
		var topics []string
		for t := range ns.routes {
			topics = append(topics, strconv.Quote(t))
		}
		slices.Sort(topics)
		resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
		resp.Body = []byte(`{"topicList":[` + strings.Join(topics, ",") + `]}`)
		return resp
	case remoting.RequestDeleteTopicInNamesrv:
		delete(ns.routes, req.ExtFields["topic"])
		ns.deleted = append(ns.deleted, req.ExtFields["topic"])
		return remoting.NewResponse(req, remoting.ResponseSuccess, "")
	}
	return remoting.NewResponse(req, remoting.ResponseRequestCodeNotSupported, "")
}

// setClusters renders a ClusterInfo body in fastjson's legacy form.
func (ns *fakeNameServer) setClusters(cluster string, brokers ...*fakeBroker) {
	var bt, names []string
	for _, b := range brokers {
		bt = append(bt, fmt.Sprintf(`"%s":{"brokerAddrs":{0:"%s"},"brokerName":"%s","cluster":"%s"}`, b.name, b.addr(), b.name, cluster))
		names = append(names, strconv.Quote(b.name))
	}
	ns.mu.Lock()
	ns.clusters = []byte(`{"brokerAddrTable":{` + strings.Join(bt, ",") + `},"clusterAddrTable":{"` + cluster + `":[` + strings.Join(names, ",") + `]}}`)
	ns.mu.Unlock()
}

// storedMsg is a message the fake broker holds: its encoded record.
type storedMsg struct {
	rec  []byte
	tags string
}

type queueKey struct {
	topic string
	id    int32
}

// fakeBroker stores sent messages per queue, serves pulls (with long
// polling), offsets, heartbeats and group membership.
type fakeBroker struct {
	t    *testing.T
	name string
	srv  *remoting.Server
	host netip.AddrPort

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	reqs     []*remoting.Command // every request, in arrival order
	queues   map[queueKey][]storedMsg
	phys     int64
	offsets  map[string]map[queueKey]int64 // group -> committed offsets
	members  map[string]map[string]*remoting.Conn
	notified map[string]int // NOTIFY_CONSUMER_IDS_CHANGED sent per group
	wake     chan struct{}  // closed and replaced when a message is stored
	// sendCode, when set, decides the response code of sends.
	sendCode func(req *remoting.Command) (int32, string)
	// sendDelay delays send responses.
	sendDelay time.Duration
	// sendBackCode is the response code of CONSUMER_SEND_MSG_BACK.
	sendBackCode int32
}

func newFakeBroker(t *testing.T, name string) *fakeBroker {
	t.Helper()
	b := &fakeBroker{
		t:        t,
		name:     name,
		queues:   make(map[queueKey][]storedMsg),
		offsets:  make(map[string]map[queueKey]int64),
		members:  make(map[string]map[string]*remoting.Conn),
		notified: make(map[string]int),
		wake:     make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	b.srv = remoting.NewServer(remoting.ServerConfig{Addr: "127.0.0.1:0", Logger: quietLogger(), GroupWorkers: 64})
	h := remoting.HandlerFunc(b.serve)
	for _, code := range []int32{
		remoting.RequestSendMessage, remoting.RequestSendMessageV2, remoting.RequestSendBatchMessage,
		remoting.RequestPullMessage, remoting.RequestQueryConsumerOffset, remoting.RequestUpdateConsumerOffset,
		remoting.RequestGetMaxOffset, remoting.RequestGetMinOffset, remoting.RequestSearchOffsetByTimestamp,
		remoting.RequestHeartBeat, remoting.RequestUnregisterClient, remoting.RequestGetConsumerListByGroup,
		remoting.RequestConsumerSendMsgBack, remoting.RequestUpdateAndCreateTopic, remoting.RequestDeleteTopicInBroker,
		remoting.RequestGetConsumeStats, remoting.RequestUpdateAndCreateSubscriptionGroup,
	} {
		b.srv.Register(code, "all", h)
	}
	b.srv.OnConnClose(b.connClosed)
	if err := b.srv.Start(); err != nil {
		t.Fatal(err)
	}
	b.host = netip.MustParseAddrPort(b.srv.Addr().String())
	t.Cleanup(b.close)
	return b
}

func (b *fakeBroker) close() {
	b.cancel()
	shutdownServer(b.srv)
	b.wg.Wait()
}

func (b *fakeBroker) addr() string { return b.srv.Addr().String() }

// requests returns the requests received with code.
func (b *fakeBroker) requests(code int32) []*remoting.Command {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*remoting.Command
	for _, r := range b.reqs {
		if r.Code == code {
			out = append(out, r)
		}
	}
	return out
}

// stored returns the messages stored in a queue, decoded.
func (b *fakeBroker) stored(topic string, id int32) []*message.Ext {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []*message.Ext
	for _, s := range b.queues[queueKey{topic, id}] {
		m, _, err := message.DecodeStored(s.rec)
		if err != nil {
			b.t.Errorf("stored record: %v", err)
			continue
		}
		out = append(out, m)
	}
	return out
}

func (b *fakeBroker) storedCount(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for k, q := range b.queues {
		if k.topic == topic {
			n += len(q)
		}
	}
	return n
}

func (b *fakeBroker) committed(group, topic string, id int32) (int64, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	off, ok := b.offsets[group][queueKey{topic, id}]
	return off, ok
}

func (b *fakeBroker) setCommitted(group, topic string, id int32, off int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.offsets[group] == nil {
		b.offsets[group] = make(map[queueKey]int64)
	}
	b.offsets[group][queueKey{topic, id}] = off
}

func (b *fakeBroker) memberIDs(group string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for id := range b.members[group] {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// store appends a message to a queue and wakes held pulls. Callers hold mu.
func (b *fakeBroker) storeLocked(m *message.Ext) (offset, phys int64, err error) {
	k := queueKey{m.Topic, m.QueueID}
	m.QueueOffset = int64(len(b.queues[k]))
	m.CommitLogOffset = b.phys
	m.StoreHost = b.host
	m.StoreTimestamp = time.Now().UnixMilli()
	rec, err := message.AppendStored(nil, m)
	if err != nil {
		return 0, 0, err
	}
	b.queues[k] = append(b.queues[k], storedMsg{rec: rec, tags: m.Properties[message.PropertyTags]})
	b.phys += int64(len(rec))
	close(b.wake)
	b.wake = make(chan struct{})
	return m.QueueOffset, m.CommitLogOffset, nil
}

// put stores a message directly (for consumer tests).
func (b *fakeBroker) put(topic string, qid int32, body string, props map[string]string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := &message.Ext{Topic: topic, QueueID: qid, Body: []byte(body), Properties: props,
		BornHost: netip.MustParseAddrPort("127.0.0.1:1"), BornTimestamp: time.Now().UnixMilli()}
	if _, _, err := b.storeLocked(m); err != nil {
		b.t.Error(err)
	}
}

func (b *fakeBroker) connClosed(conn *remoting.Conn) {
	b.mu.Lock()
	var changed []string
	for g, ms := range b.members {
		for id, c := range ms {
			if c == conn {
				delete(ms, id)
				changed = append(changed, g)
			}
		}
	}
	b.mu.Unlock()
	for _, g := range changed {
		b.notify(g)
	}
}

// notify sends NOTIFY_CONSUMER_IDS_CHANGED to every member of group.
func (b *fakeBroker) notify(group string) {
	b.mu.Lock()
	var conns []*remoting.Conn
	for _, c := range b.members[group] {
		conns = append(conns, c)
	}
	b.notified[group]++
	b.mu.Unlock()
	for _, c := range conns {
		req := remoting.NewRequest(remoting.RequestNotifyConsumerIDsChanged, map[string]string{"consumerGroup": group}, nil)
		_ = c.InvokeOneway(req)
	}
}

func (b *fakeBroker) serve(_ context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	b.mu.Lock()
	b.reqs = append(b.reqs, req)
	b.mu.Unlock()
	switch req.Code {
	case remoting.RequestSendMessage, remoting.RequestSendMessageV2, remoting.RequestSendBatchMessage:
		return b.handleSend(req)
	case remoting.RequestPullMessage:
		return b.handlePull(conn, req)
	case remoting.RequestQueryConsumerOffset:
		off, ok := b.committed(req.ExtFields["consumerGroup"], req.ExtFields["topic"], atoi32(req.ExtFields["queueId"]))
		if !ok {
			return remoting.NewResponse(req, remoting.ResponseQueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
		}
		resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
		resp.ExtFields["offset"] = strconv.FormatInt(off, 10)
		return resp
	case remoting.RequestUpdateConsumerOffset:
		off, _ := strconv.ParseInt(req.ExtFields["commitOffset"], 10, 64)
		b.setCommitted(req.ExtFields["consumerGroup"], req.ExtFields["topic"], atoi32(req.ExtFields["queueId"]), off)
		return remoting.NewResponse(req, remoting.ResponseSuccess, "")
	case remoting.RequestGetMaxOffset, remoting.RequestGetMinOffset, remoting.RequestSearchOffsetByTimestamp:
		b.mu.Lock()
		n := len(b.queues[queueKey{req.ExtFields["topic"], atoi32(req.ExtFields["queueId"])}])
		b.mu.Unlock()
		resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
		resp.ExtFields["offset"] = "0"
		if req.Code == remoting.RequestGetMaxOffset {
			resp.ExtFields["offset"] = strconv.Itoa(n)
		}
		return resp
	case remoting.RequestHeartBeat:
		return b.handleHeartbeat(conn, req)
	case remoting.RequestUnregisterClient:
		g := req.ExtFields["consumerGroup"]
		if g != "" {
			b.mu.Lock()
			delete(b.members[g], req.ExtFields["clientID"])
			b.mu.Unlock()
			b.notify(g)
		}
		return remoting.NewResponse(req, remoting.ResponseSuccess, "")
	case remoting.RequestGetConsumerListByGroup:
		ids := b.memberIDs(req.ExtFields["consumerGroup"])
		if len(ids) == 0 {
			return remoting.NewResponse(req, remoting.ResponseSystemError, "no consumer for this group, "+req.ExtFields["consumerGroup"])
		}
		body, _ := json.Marshal(map[string][]string{"consumerIdList": ids})
		resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
		resp.Body = body
		return resp
	case remoting.RequestConsumerSendMsgBack:
		b.mu.Lock()
		code := b.sendBackCode
		b.mu.Unlock()
		return remoting.NewResponse(req, code, "")
	case remoting.RequestGetConsumeStats:
		group, topic := req.ExtFields["consumerGroup"], req.ExtFields["topic"]
		b.mu.Lock()
		var parts []string
		for k, q := range b.queues {
			if k.topic != topic {
				continue
			}
			off := b.offsets[group][k]
			parts = append(parts, fmt.Sprintf(`{"brokerName":"%s","queueId":%d,"topic":"%s"}:{"brokerOffset":%d,"consumerOffset":%d,"lastTimestamp":0,"pullOffset":0}`,
				b.name, k.id, k.topic, len(q), off))
		}
		b.mu.Unlock()
		resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
		resp.Body = []byte(`{"consumeTps":1.5,"offsetTable":{` + strings.Join(parts, ",") + `}}`)
		return resp
	}
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

func atoi32(s string) int32 {
	n, _ := strconv.Atoi(s)
	return int32(n)
}

// sendHeader reads a send header in either naming.
func sendHeader(req *remoting.Command, long, short string) string {
	if v, ok := req.ExtFields[short]; ok && req.Code != remoting.RequestSendMessage {
		return v
	}
	return req.ExtFields[long]
}

func (b *fakeBroker) handleSend(req *remoting.Command) *remoting.Command {
	b.mu.Lock()
	decide, delay := b.sendCode, b.sendDelay
	b.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	if decide != nil {
		if code, remark := decide(req); code != remoting.ResponseSuccess {
			return remoting.NewResponse(req, code, remark)
		}
	}
	topic := sendHeader(req, "topic", "b")
	qid := atoi32(sendHeader(req, "queueId", "e"))
	sysFlag := atoi32(sendHeader(req, "sysFlag", "f"))
	flag := atoi32(sendHeader(req, "flag", "h"))
	reconsume := atoi32(sendHeader(req, "reconsumeTimes", "j"))
	born, _ := strconv.ParseInt(sendHeader(req, "bornTimestamp", "g"), 10, 64)
	base := &message.Ext{Topic: topic, QueueID: qid, SysFlag: sysFlag, BornTimestamp: born, ReconsumeTimes: reconsume,
		BornHost: netip.MustParseAddrPort("127.0.0.1:1")}
	b.mu.Lock()
	defer b.mu.Unlock()
	var items []*message.Ext
	if req.Code == remoting.RequestSendBatchMessage {
		batch, err := message.DecodeBatch(req.Body)
		if err != nil {
			return remoting.NewResponse(req, remoting.ResponseMessageIllegal, err.Error())
		}
		for _, it := range batch {
			m := *base
			m.Flag, m.Body = it.Flag, it.Body
			m.Properties = message.DecodeProperties(string(it.Properties))
			items = append(items, &m)
		}
	} else {
		m := *base
		m.Flag, m.Body = flag, req.Body
		m.Properties = message.DecodeProperties(sendHeader(req, "properties", "i"))
		items = append(items, &m)
	}
	var ids []string
	first := int64(-1)
	for _, m := range items {
		off, phys, err := b.storeLocked(m)
		if err != nil {
			return remoting.NewResponse(req, remoting.ResponseMessageIllegal, err.Error())
		}
		if first < 0 {
			first = off
		}
		ids = append(ids, message.OffsetMsgID(b.host, phys))
	}
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.ExtFields["msgId"] = strings.Join(ids, ",")
	resp.ExtFields["queueId"] = strconv.Itoa(int(qid))
	resp.ExtFields["queueOffset"] = strconv.FormatInt(first, 10)
	resp.ExtFields["transactionId"] = items[0].Properties[message.PropertyUniqClientMessageIDKeyIdx]
	resp.ExtFields["MSG_REGION"] = "DefaultRegion"
	resp.ExtFields["TRACE_ON"] = "true"
	return resp
}

func (b *fakeBroker) handleHeartbeat(conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	var hb struct {
		ClientID        string `json:"clientID"`
		ConsumerDataSet []struct {
			GroupName string `json:"groupName"`
		} `json:"consumerDataSet"`
	}
	if err := json.Unmarshal(req.Body, &hb); err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	var changed []string
	b.mu.Lock()
	for _, cd := range hb.ConsumerDataSet {
		ms := b.members[cd.GroupName]
		if ms == nil {
			ms = make(map[string]*remoting.Conn)
			b.members[cd.GroupName] = ms
		}
		if _, ok := ms[hb.ClientID]; !ok {
			changed = append(changed, cd.GroupName)
		}
		ms[hb.ClientID] = conn
	}
	b.mu.Unlock()
	for _, g := range changed {
		b.notify(g)
	}
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

// handlePull serves a pull; with the suspend flag and nothing to return it
// holds the request until a message arrives or the suspension ends.
func (b *fakeBroker) handlePull(conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	group, topic := req.ExtFields["consumerGroup"], req.ExtFields["topic"]
	qid := atoi32(req.ExtFields["queueId"])
	off, _ := strconv.ParseInt(req.ExtFields["queueOffset"], 10, 64)
	max := atoi32(req.ExtFields["maxMsgNums"])
	sysFlag := atoi32(req.ExtFields["sysFlag"])
	suspend, _ := strconv.ParseInt(req.ExtFields["suspendTimeoutMillis"], 10, 64)
	if sysFlag&pullFlagCommitOffset != 0 {
		c, _ := strconv.ParseInt(req.ExtFields["commitOffset"], 10, 64)
		b.setCommitted(group, topic, qid, c)
	}
	resp, wake := b.pullOnce(req, topic, qid, off, max)
	if resp != nil || sysFlag&pullFlagSuspend == 0 {
		if resp == nil {
			resp = b.notFound(req, topic, qid, off)
		}
		return resp
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTimer(time.Duration(suspend) * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-wake:
				var r *remoting.Command
				if r, wake = b.pullOnce(req, topic, qid, off, max); r != nil {
					_ = conn.WriteResponse(r)
					return
				}
				continue
			case <-t.C:
			case <-conn.Done():
				return
			case <-b.ctx.Done():
				return
			}
			_ = conn.WriteResponse(b.notFound(req, topic, qid, off))
			return
		}
	}()
	return nil
}

func (b *fakeBroker) notFound(req *remoting.Command, topic string, qid int32, off int64) *remoting.Command {
	b.mu.Lock()
	n := int64(len(b.queues[queueKey{topic, qid}]))
	b.mu.Unlock()
	code := remoting.ResponsePullNotFound
	next := off
	if off > n {
		code, next = remoting.ResponsePullOffsetMoved, n
	}
	resp := remoting.NewResponse(req, code, "")
	resp.ExtFields["nextBeginOffset"] = strconv.FormatInt(next, 10)
	resp.ExtFields["minOffset"] = "0"
	resp.ExtFields["maxOffset"] = strconv.FormatInt(n, 10)
	resp.ExtFields["suggestWhichBrokerId"] = "0"
	return resp
}

// pullOnce returns the found messages' response, or nil and the channel
// that is closed when the next message is stored.
func (b *fakeBroker) pullOnce(req *remoting.Command, topic string, qid int32, off int64, max int32) (*remoting.Command, chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.queues[queueKey{topic, qid}]
	if off >= int64(len(q)) {
		return nil, b.wake
	}
	end := min(int64(len(q)), off+int64(max))
	var body []byte
	for _, s := range q[off:end] {
		body = append(body, s.rec...)
	}
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "FOUND")
	resp.Body = body
	resp.ExtFields["nextBeginOffset"] = strconv.FormatInt(end, 10)
	resp.ExtFields["minOffset"] = "0"
	resp.ExtFields["maxOffset"] = strconv.Itoa(len(q))
	resp.ExtFields["suggestWhichBrokerId"] = "0"
	return resp, nil
}

func shutdownServer(s *remoting.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.Shutdown(ctx)
}

// testEnv is a name server, brokers and a Client pointed at them.
type testEnv struct {
	ns      *fakeNameServer
	brokers []*fakeBroker
	c       *Client
}

func newTestEnv(t *testing.T, nBrokers int, mod ...func(*Config)) *testEnv {
	t.Helper()
	env := &testEnv{ns: newFakeNameServer(t)}
	for i := range nBrokers {
		env.brokers = append(env.brokers, newFakeBroker(t, "broker-"+string(rune('a'+i))))
	}
	env.c = env.newClient(t, mod...)
	return env
}

func (env *testEnv) newClient(t *testing.T, mod ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{NameServers: []string{env.ns.addr()}, Logger: quietLogger()}
	for _, f := range mod {
		f(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := c.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func (b *fakeBroker) setSendCode(f func(req *remoting.Command) (int32, string)) {
	b.mu.Lock()
	b.sendCode = f
	b.mu.Unlock()
}

func (b *fakeBroker) setSendDelay(d time.Duration) {
	b.mu.Lock()
	b.sendDelay = d
	b.mu.Unlock()
}

func (b *fakeBroker) setSendBackCode(code int32) {
	b.mu.Lock()
	b.sendBackCode = code
	b.mu.Unlock()
}
