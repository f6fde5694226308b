package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"

	"github.com/saturnmq/saturn/remoting"
)

func mustInt64(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("not an integer: %q", s)
	}
	return n
}

// heartbeatBody is a Go client's heartbeat for one push consumer.
func heartbeatBody(clientID, group, topic, sub string) []byte {
	return []byte(`{"clientID":"` + clientID + `","producerDataSet":[],"consumerDataSet":[{"groupName":"` + group +
		`","consumeType":"CONSUME_PASSIVELY","messageModel":"CLUSTERING","consumeFromWhere":"CONSUME_FROM_LAST_OFFSET",` +
		`"subscriptionDataSet":[{"classFilterMode":false,"topic":"` + topic + `","subString":"` + sub +
		`","tagsSet":[],"codeSet":[],"subVersion":1700000000000000000,"expressionType":"TAG"},` +
		`{"classFilterMode":false,"topic":"%RETRY%` + group + `","subString":"*","tagsSet":[],"codeSet":[],"subVersion":1,"expressionType":"TAG"}],"unitMode":false}]}`)
}

func TestHeartbeatCreatesAndRegistersRetryTopic(t *testing.T) {
	ns := startFakeNamesrv(t)
	tb := startBroker(t, t.TempDir(), func(c *Config) { c.NamesrvAddrs = []string{ns.addr()} })

	resp := tb.call(remoting.RequestHeartBeat, nil, heartbeatBody("10.0.0.1@1", "cg1", "T", "*"))
	if resp.Code != remoting.ResponseSuccess {
		t.Fatalf("heartbeat: %d %q", resp.Code, resp.Remark)
	}
	tc, ok := tb.b.topics.Get("%RETRY%cg1")
	if !ok || tc.ReadQueueNums != 1 || tc.WriteQueueNums != 1 || tc.Perm != 6 {
		t.Fatalf("retry topic = %+v, %v", tc, ok)
	}
	if _, ok := tb.b.groups.Get("cg1"); !ok {
		t.Error("subscription group not created")
	}
	// The registration carrying the new topic reached the name server before
	// the heartbeat was answered.
	regs := ns.requests(remoting.RequestRegisterBroker)
	if len(regs) == 0 || !bytes.Contains(regs[len(regs)-1].Body, []byte(`"%RETRY%cg1"`)) {
		t.Fatalf("no REGISTER_BROKER with the retry topic among %d registrations", len(regs))
	}
	last := regs[len(regs)-1]
	if last.ExtFields["brokerAddr"] != tb.addr || last.ExtFields["brokerName"] != "broker-a" ||
		last.ExtFields["clusterName"] != "DefaultCluster" || last.ExtFields["brokerId"] != "0" {
		t.Errorf("register header = %v", last.ExtFields)
	}
	var body struct {
		TopicConfigSerializeWrapper struct {
			TopicConfigTable map[string]json.RawMessage `json:"topicConfigTable"`
		} `json:"topicConfigSerializeWrapper"`
	}
	if err := json.Unmarshal(last.Body, &body); err != nil {
		t.Fatalf("register body: %v", err)
	}
	for _, topic := range []string{"TBW102", "%RETRY%cg1", "DefaultCluster", "broker-a"} {
		if _, ok := body.TopicConfigSerializeWrapper.TopicConfigTable[topic]; !ok {
			t.Errorf("registered topics lack %s", topic)
		}
	}

	// The heartbeat's subscription filters pulls without a subscription flag.
	tb.createTopic("T", 1, 6)
	tb.send("T", 0, "m", nil)
	pull := tb.call(remoting.RequestPullMessage, pullExt("cg1", "T", 0, 0, 0, "", 0), nil)
	if pull.Code != remoting.ResponseSuccess {
		t.Errorf("pull with the heartbeat's subscription: %d %q", pull.Code, pull.Remark)
	}
}

func TestRegistrationAtStartAndShutdown(t *testing.T) {
	ns := startFakeNamesrv(t)
	tb := startBroker(t, t.TempDir(), func(c *Config) { c.NamesrvAddrs = []string{ns.addr()} })
	if len(ns.requests(remoting.RequestRegisterBroker)) == 0 {
		t.Fatal("Start returned before registering")
	}
	tb.stop()
	unreg := ns.requests(remoting.RequestUnregisterBroker)
	if len(unreg) != 1 || unreg[0].ExtFields["brokerAddr"] != tb.addr {
		t.Fatalf("UNREGISTER_BROKER requests: %v", unreg)
	}
}

func TestConsumerMembershipAndNotification(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	// The first consumer listens for NOTIFY_CONSUMER_IDS_CHANGED.
	first := remoting.NewClient(remoting.ClientConfig{Logger: testLogger()})
	defer first.Close()
	var mu sync.Mutex
	notified := 0
	first.Register(remoting.RequestNotifyConsumerIDsChanged, remoting.HandlerFunc(
		func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
			if req.ExtFields["consumerGroup"] == "cg" {
				mu.Lock()
				notified++
				mu.Unlock()
			}
			return nil
		}))
	if resp := callAddr(t, first, tb.addr, remoting.RequestHeartBeat, nil, heartbeatBody("c1", "cg", "T", "*")); resp.Code != 0 {
		t.Fatalf("heartbeat 1: %d", resp.Code)
	}
	second := remoting.NewClient(remoting.ClientConfig{Logger: testLogger()})
	if resp := callAddr(t, second, tb.addr, remoting.RequestHeartBeat, nil, heartbeatBody("c2", "cg", "T", "*")); resp.Code != 0 {
		t.Fatalf("heartbeat 2: %d", resp.Code)
	}
	waitFor(t, "the first consumer to be notified", func() bool { mu.Lock(); defer mu.Unlock(); return notified > 0 })

	ids := func() []string {
		resp := tb.call(remoting.RequestGetConsumerListByGroup, map[string]string{"consumerGroup": "cg"}, nil)
		if resp.Code != remoting.ResponseSuccess {
			return nil
		}
		var body struct {
			ConsumerIDList []string `json:"consumerIdList"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil {
			t.Fatalf("consumer list body: %v", err)
		}
		return body.ConsumerIDList
	}
	if got := ids(); len(got) != 2 || got[0] != "c1" || got[1] != "c2" {
		t.Fatalf("consumer ids = %v", got)
	}
	// Closing the second connection removes it at once and tells the first.
	mu.Lock()
	before := notified
	mu.Unlock()
	second.Close()
	waitFor(t, "the closed consumer to leave", func() bool { return len(ids()) == 1 })
	waitFor(t, "a second notification", func() bool { mu.Lock(); defer mu.Unlock(); return notified > before })

	// UNREGISTER_CLIENT empties the group; the list then answers code 1.
	if resp := callAddr(t, first, tb.addr, remoting.RequestUnregisterClient,
		map[string]string{"clientID": "c1", "consumerGroup": "cg"}, nil); resp.Code != 0 {
		t.Fatalf("unregister: %d", resp.Code)
	}
	resp := tb.call(remoting.RequestGetConsumerListByGroup, map[string]string{"consumerGroup": "cg"}, nil)
	if resp.Code != remoting.ResponseSystemError {
		t.Errorf("empty group list: code %d, want 1", resp.Code)
	}
}

func TestConsumerOffsets(t *testing.T) {
	dir := t.TempDir()
	tb := startBroker(t, dir, nil)
	tb.createTopic("OT", 2, 6)
	tb.send("OT", 0, "m", nil)
	query := func(tb *testBroker, queue int, extra map[string]string) *remoting.Command {
		ext := map[string]string{"consumerGroup": "og", "topic": "OT", "queueId": strconv.Itoa(queue)}
		for k, v := range extra {
			ext[k] = v
		}
		return tb.call(remoting.RequestQueryConsumerOffset, ext, nil)
	}

	// Nothing committed: a young queue (first message cached, or empty)
	// answers 0 ...
	for _, q := range []int{0, 1} {
		if resp := query(tb, q, nil); resp.Code != remoting.ResponseSuccess || resp.ExtFields["offset"] != "0" {
			t.Errorf("queue %d uncommitted: %d %v, want 0 offset 0", q, resp.Code, resp.ExtFields)
		}
	}
	// ... unless the client asks not to, or the first message is no longer
	// considered cached: then QUERY_NOT_FOUND and the client decides.
	if resp := query(tb, 0, map[string]string{"setZeroIfNotFound": "false"}); resp.Code != remoting.ResponseQueryNotFound {
		t.Errorf("setZeroIfNotFound=false: code %d, want 22", resp.Code)
	}
	tb.b.memWindow.Store(-1)
	if resp := query(tb, 0, nil); resp.Code != remoting.ResponseQueryNotFound {
		t.Errorf("first message out of memory: code %d, want 22", resp.Code)
	}

	// UPDATE_CONSUMER_OFFSET (answered: the Go client does not set oneway)
	// and a commit carried in a pull.
	upd := tb.call(remoting.RequestUpdateConsumerOffset, map[string]string{
		"consumerGroup": "og", "topic": "OT", "queueId": "0", "commitOffset": "1"}, nil)
	if upd.Code != remoting.ResponseSuccess {
		t.Fatalf("update offset: %d %q", upd.Code, upd.Remark)
	}
	ext := pullExt("og", "OT", 1, 0, pullSubscription|pullCommitOffset, "*", 0)
	ext["commitOffset"] = "7"
	tb.call(remoting.RequestPullMessage, ext, nil)
	want := map[int]string{0: "1", 1: "7"}
	for q, off := range want {
		if resp := query(tb, q, nil); resp.Code != 0 || resp.ExtFields["offset"] != off {
			t.Errorf("queue %d: %d %v, want offset %s", q, resp.Code, resp.ExtFields, off)
		}
	}

	// Offsets survive a restart.
	tb.stop()
	tb2 := startBroker(t, dir, nil)
	for q, off := range want {
		if resp := query(tb2, q, nil); resp.Code != 0 || resp.ExtFields["offset"] != off {
			t.Errorf("after restart queue %d: %d %v, want offset %s", q, resp.Code, resp.ExtFields, off)
		}
	}
	// And so do the messages and the topic.
	if resp := tb2.pull("og", "OT", 0, 0, "*"); resp.Code != 0 || len(decode(t, resp.Body)) != 1 {
		t.Errorf("pull after restart: %d", resp.Code)
	}
}

func TestQueueOffsetRequests(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.createTopic("QO", 1, 6)
	q := func(code int32, extra ...string) *remoting.Command {
		ext := map[string]string{"topic": "QO", "queueId": "0"}
		for i := 0; i+1 < len(extra); i += 2 {
			ext[extra[i]] = extra[i+1]
		}
		return tb.call(code, ext, nil)
	}
	if resp := q(remoting.RequestGetEarliestMsgStoreTime); resp.ExtFields["timestamp"] != "-1" {
		t.Errorf("earliest store time of an empty queue = %v, want -1", resp.ExtFields)
	}
	for range 3 {
		tb.send("QO", 0, "m", nil)
	}
	tests := []struct {
		name  string
		resp  *remoting.Command
		field string
		want  string
	}{
		{"max", q(remoting.RequestGetMaxOffset), "offset", "3"},
		{"min", q(remoting.RequestGetMinOffset), "offset", "0"},
		{"search far future", q(remoting.RequestSearchOffsetByTimestamp, "timestamp", "99999999999999"), "offset", "3"},
		{"search past", q(remoting.RequestSearchOffsetByTimestamp, "timestamp", "0"), "offset", "0"},
	}
	for _, tt := range tests {
		if tt.resp.Code != remoting.ResponseSuccess || tt.resp.ExtFields[tt.field] != tt.want {
			t.Errorf("%s: %d %v, want %s=%s", tt.name, tt.resp.Code, tt.resp.ExtFields, tt.field, tt.want)
		}
	}
	if resp := q(remoting.RequestGetEarliestMsgStoreTime); mustInt64(t, resp.ExtFields["timestamp"]) <= 0 {
		t.Errorf("earliest store time = %v", resp.ExtFields)
	}
}

func TestSendMessageBack(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.createTopic("SB", 1, 6)
	tb.send("SB", 0, "payload", map[string]string{"TAGS": "t", "UNIQ_KEY": "U1"})
	orig := decode(t, tb.pull("sbg", "SB", 0, 0, "*").Body)[0]

	back := func(offset int64, delayLevel string) {
		t.Helper()
		resp := tb.call(remoting.RequestConsumerSendMsgBack, map[string]string{
			"group": "sbg", "offset": strconv.FormatInt(offset, 10), "delayLevel": delayLevel,
			"originMsgId": "U1", "originTopic": "SB", "unitMode": "false", "maxReconsumeTimes": "2"}, nil)
		if resp.Code != remoting.ResponseSuccess {
			t.Fatalf("send back: %d %q", resp.Code, resp.Remark)
		}
		tb.waitVisible(nil)
	}
	// Two failures go to the retry topic, the third (reconsumeTimes 2 =
	// max) to the dead-letter topic.
	offset := orig.CommitLogOffset
	rounds := []struct {
		topic      string
		pullOffset int64
	}{{"%RETRY%sbg", 0}, {"%RETRY%sbg", 1}, {"%DLQ%sbg", 0}}
	for i, rd := range rounds {
		back(offset, "0")
		resp := tb.pull("sbg", rd.topic, 0, rd.pullOffset, "*")
		if resp.Code != remoting.ResponseSuccess {
			t.Fatalf("round %d: pull %s: %d %q", i, rd.topic, resp.Code, resp.Remark)
		}
		m := decode(t, resp.Body)[0]
		if string(m.Body) != "payload" || m.ReconsumeTimes != int32(i+1) || m.Property("RETRY_TOPIC") != "SB" ||
			m.Property("ORIGIN_MESSAGE_ID") != "U1" || m.Tags() != "t" {
			t.Fatalf("round %d: message in %s = body %q reconsume %d props %v", i, rd.topic, m.Body, m.ReconsumeTimes, m.Properties)
		}
		offset = m.CommitLogOffset
	}
	if resp := tb.call(remoting.RequestConsumerSendMsgBack, map[string]string{
		"group": "sbg", "offset": "999999999", "delayLevel": "0"}, nil); resp.Code != remoting.ResponseSystemError {
		t.Errorf("send back of a bad offset: %d", resp.Code)
	}
}
