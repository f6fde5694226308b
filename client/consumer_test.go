package client

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// fastConsumer shortens the consumer's timers so tests do not wait.
func fastConsumer(cfg PushConsumerConfig) PushConsumerConfig {
	cfg.OffsetPersistInterval = 20 * time.Millisecond
	if cfg.RebalanceInterval == 0 {
		cfg.RebalanceInterval = 100 * time.Millisecond
	}
	cfg.localRetryDelay = 20 * time.Millisecond
	cfg.SuspendTimeout = time.Second
	cfg.PullTimeout = 5 * time.Second
	cfg.PullBackoff = 20 * time.Millisecond
	return cfg
}

// collector records what a handler got.
type collector struct {
	mu     sync.Mutex
	msgs   []*message.Ext
	result func(*message.Ext) ConsumeResult
}

func (c *collector) handle(_ context.Context, msgs []*message.Ext) ConsumeResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, msgs...)
	for _, m := range msgs {
		if c.result != nil && c.result(m) != ConsumeSuccess {
			return ConsumeRetryLater
		}
	}
	return ConsumeSuccess
}

func (c *collector) bodies() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		out = append(out, string(m.Body))
	}
	slices.Sort(out)
	return out
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func startConsumer(t *testing.T, c *Client, cfg PushConsumerConfig, h MessageHandler, subs ...string) *PushConsumer {
	t.Helper()
	pc, err := NewPushConsumer(c, fastConsumer(cfg), h)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(subs); i += 2 {
		if err := pc.Subscribe(subs[i], subs[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := pc.Start(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Shutdown(context.Background()) })
	return pc
}

func TestPushConsumerReceivesAndCommits(t *testing.T) {
	env := newTestEnv(t, 2)
	a, b := env.brokers[0], env.brokers[1]
	env.ns.setRoute("T", 2, PermRead|PermWrite, a, b)
	env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, a)
	// Messages already stored before start: ConsumeFromFirstOffset gets them.
	for q := range int32(2) {
		a.put("T", q, "a"+strconv.Itoa(int(q)), nil)
		b.put("T", q, "b"+strconv.Itoa(int(q)), nil)
	}
	col := &collector{}
	pc := startConsumer(t, env.c, PushConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset, Workers: 3}, col.handle, "T", "*")
	waitFor(t, "pre-existing messages", func() bool { return col.count() == 4 })
	// New messages arrive through long polling.
	p := newTestProducer(t, env.c, ProducerConfig{})
	for i := range 8 {
		if _, err := p.SendSync(testCtx(t), msg("T", "new"+strconv.Itoa(i), map[string]string{message.PropertyTags: "x"})); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "new messages", func() bool { return col.count() == 12 })
	if got := len(pc.Assigned()); got != 5 { // 4 queues of T and 1 retry queue
		t.Fatalf("assigned %d queues", got)
	}
	waitFor(t, "offsets committed", func() bool {
		total := int64(0)
		for _, br := range env.brokers {
			for q := range int32(2) {
				off, _ := br.committed("g", "T", q)
				total += off
			}
		}
		return total == 12
	})
	for _, r := range a.requests(remoting.RequestPullMessage) {
		if r.ExtFields["consumerGroup"] != "g" || r.ExtFields["expressionType"] != "TAG" ||
			r.ExtFields["suspendTimeoutMillis"] != "1000" || atoi32(r.ExtFields["sysFlag"])&pullFlagSubscription == 0 {
			t.Fatalf("pull header = %v", r.ExtFields)
		}
	}
	// The heartbeat described the consumer and its retry subscription.
	var hb heartbeatBody
	hbs := a.requests(remoting.RequestHeartBeat)
	if err := json.Unmarshal(hbs[len(hbs)-1].Body, &hb); err != nil {
		t.Fatal(err)
	}
	cd := hb.ConsumerDataSet[0]
	if cd.GroupName != "g" || cd.ConsumeType != "CONSUME_PASSIVELY" || cd.MessageModel != "CLUSTERING" ||
		cd.ConsumeFromWhere != "CONSUME_FROM_FIRST_OFFSET" || len(cd.SubscriptionDataSet) != 2 ||
		cd.SubscriptionDataSet[0].Topic != "%RETRY%g" {
		t.Fatalf("consumer data = %+v", cd)
	}
	if err := pc.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if ids := a.memberIDs("g"); len(ids) != 0 {
		t.Fatalf("still registered after shutdown: %v", ids)
	}
}

func TestPushConsumerTagsRetryTopicAndCompression(t *testing.T) {
	for _, lazy := range []bool{false, true} {
		t.Run("LazyProperties="+strconv.FormatBool(lazy), func(t *testing.T) { testTagsRetryTopicAndCompression(t, lazy) })
	}
}

func testTagsRetryTopicAndCompression(t *testing.T, lazy bool) {
	env := newTestEnv(t, 1)
	a := env.brokers[0]
	env.ns.setRoute("T", 1, PermRead|PermWrite, a)
	env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, a)
	a.put("T", 0, "tagA", map[string]string{message.PropertyTags: "A"})
	a.put("T", 0, "tagB", map[string]string{message.PropertyTags: "B"})
	a.put("T", 0, "untagged", nil)
	a.put(RetryTopic("g"), 0, "retried", map[string]string{message.PropertyRetryTopic: "T"})
	col := &collector{}
	startConsumer(t, env.c, PushConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset, LazyProperties: lazy}, col.handle, "T", "A || C")
	// A compressed message sent through a producer is delivered inflated.
	p := newTestProducer(t, env.c, ProducerConfig{CompressThreshold: 10})
	big := strings.Repeat("zip", 100)
	if _, err := p.SendSync(testCtx(t), msg("T", big, map[string]string{message.PropertyTags: "A"})); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "messages", func() bool { return col.count() == 3 })
	if got := col.bodies(); !slices.Equal(got, []string{"retried", "tagA", big}) {
		t.Fatalf("bodies = %v", got)
	}
	col.mu.Lock()
	for _, m := range col.msgs {
		if m.Topic != "T" {
			t.Errorf("message %q has topic %q", m.Body, m.Topic)
		}
		if m.SysFlag&message.SysFlagCompressed != 0 {
			t.Errorf("message %q still flagged compressed", m.Body)
		}
		if (m.Properties == nil) != lazy || m.Tags() == "" && string(m.Body) != "retried" {
			t.Errorf("message %q: properties map %v, tags %q (lazy %v)", m.Body, m.Properties, m.Tags(), lazy)
		}
	}
	col.mu.Unlock()
	// The filtered-out messages do not hold back the offset.
	waitFor(t, "offset past filtered messages", func() bool {
		off, _ := a.committed("g", "T", 0)
		return off == 4
	})
}

func TestPushConsumerRetryLater(t *testing.T) {
	for _, tc := range []struct {
		name         string
		sendBackCode int32
	}{
		{"send back", remoting.ResponseSuccess},
		{"resend when send back fails", remoting.ResponseSystemError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, 1)
			a := env.brokers[0]
			a.setSendBackCode(tc.sendBackCode)
			env.ns.setRoute("T", 1, PermRead|PermWrite, a)
			env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, a)
			a.put("T", 0, "ok", nil)
			a.put("T", 0, "fail", map[string]string{message.PropertyUniqClientMessageIDKeyIdx: "UNIQ1"})
			col := &collector{result: func(m *message.Ext) ConsumeResult {
				if string(m.Body) == "fail" && m.Topic == "T" && m.ReconsumeTimes == 0 {
					return ConsumeRetryLater
				}
				return ConsumeSuccess
			}}
			startConsumer(t, env.c, PushConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset, MaxReconsumeTimes: 5}, col.handle, "T", "*")
			waitFor(t, "send-back", func() bool { return len(a.requests(remoting.RequestConsumerSendMsgBack)) == 1 })
			sb := a.requests(remoting.RequestConsumerSendMsgBack)[0].ExtFields
			stored := a.stored("T", 0)
			if sb["group"] != "g" || sb["originTopic"] != "T" || sb["originMsgId"] != "UNIQ1" || sb["delayLevel"] != "0" ||
				sb["maxReconsumeTimes"] != "5" || sb["offset"] != strconv.FormatInt(stored[1].CommitLogOffset, 10) {
				t.Fatalf("send-back header = %v", sb)
			}
			if tc.sendBackCode != remoting.ResponseSuccess {
				waitFor(t, "resend to the retry topic", func() bool { return a.storedCount(RetryTopic("g")) == 1 })
				rs := a.requests(remoting.RequestSendMessageV2)[0].ExtFields
				props := message.DecodeProperties(rs["i"])
				if rs["b"] != "%RETRY%g" || rs["j"] != "1" || rs["l"] != "5" || props[message.PropertyRetryTopic] != "T" ||
					props[message.PropertyDelayTimeLevel] != "3" || props[message.PropertyUniqClientMessageIDKeyIdx] != "UNIQ1" ||
					props[message.PropertyOriginMessageID] != "UNIQ1" {
					t.Fatalf("resend header = %v props %v", rs, props)
				}
				// The retry topic delivers it again, with its original topic.
				waitFor(t, "redelivery", func() bool { return col.count() == 3 })
			}
			waitFor(t, "offset past both", func() bool {
				off, _ := a.committed("g", "T", 0)
				return off == 2
			})
		})
	}
}

func TestPushConsumerLocalRetryWhenBrokerUnreachable(t *testing.T) {
	env := newTestEnv(t, 1)
	a := env.brokers[0]
	a.setSendBackCode(remoting.ResponseSystemError)
	env.ns.setRoute("T", 1, PermRead|PermWrite, a)
	env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, a)
	a.setSendCode(func(*remoting.Command) (int32, string) { return remoting.ResponseMessageIllegal, "no" })
	a.put("T", 0, "fail", nil)
	var mu sync.Mutex
	var reconsumes []int32
	h := func(_ context.Context, msgs []*message.Ext) ConsumeResult {
		mu.Lock()
		defer mu.Unlock()
		reconsumes = append(reconsumes, msgs[0].ReconsumeTimes)
		if len(reconsumes) == 1 {
			return ConsumeRetryLater
		}
		return ConsumeSuccess
	}
	startConsumer(t, env.c, PushConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset}, h, "T", "*")
	waitFor(t, "local redelivery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(reconsumes) == 2
	})
	if reconsumes[1] != 1 {
		t.Fatalf("reconsume times = %v", reconsumes)
	}
	waitFor(t, "offset committed after the local retry", func() bool {
		off, _ := a.committed("g", "T", 0)
		return off == 1
	})
}

func TestPushConsumerConsumeFrom(t *testing.T) {
	tests := []struct {
		name      string
		from      ConsumeFrom
		committed int64 // -1: none
		want      []string
	}{
		{"last skips old messages", ConsumeFromLastOffset, -1, []string{"new"}},
		{"first reads old messages", ConsumeFromFirstOffset, -1, []string{"new", "old0", "old1"}},
		{"committed offset wins", ConsumeFromFirstOffset, 1, []string{"new", "old1"}},
		{"timestamp searches the offset", ConsumeFromTimestamp, -1, []string{"new", "old0", "old1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, 1)
			a := env.brokers[0]
			env.ns.setRoute("T", 1, PermRead|PermWrite, a)
			env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, a)
			a.put("T", 0, "old0", nil)
			a.put("T", 0, "old1", nil)
			if tc.committed >= 0 {
				a.setCommitted("g", "T", 0, tc.committed)
			}
			col := &collector{}
			pc := startConsumer(t, env.c, PushConsumerConfig{Group: "g", ConsumeFrom: tc.from}, col.handle, "T", "*")
			waitFor(t, "queue started", func() bool { _, ok := pc.CommittedOffset(MessageQueue{"T", "broker-a", 0}); return ok })
			a.put("T", 0, "new", nil)
			waitFor(t, "messages", func() bool { return col.count() == len(tc.want) })
			if got := col.bodies(); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v want %v", got, tc.want)
			}
			searched := false
			for _, r := range a.requests(remoting.RequestSearchOffsetByTimestamp) {
				ts, _ := strconv.ParseInt(r.ExtFields["timestamp"], 10, 64)
				searched = searched || (r.ExtFields["topic"] == "T" && ts > 0 && ts < time.Now().UnixMilli())
			}
			if searched != (tc.from == ConsumeFromTimestamp) {
				t.Fatalf("SEARCH_OFFSET_BY_TIMESTAMP sent = %v", searched)
			}
		})
	}
}

func TestPushConsumerRebalance(t *testing.T) {
	env := newTestEnv(t, 2)
	a, b := env.brokers[0], env.brokers[1]
	env.ns.setRoute("T", 2, PermRead|PermWrite, a, b)
	env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, a)
	c2 := env.newClient(t)
	col1, col2 := &collector{}, &collector{}
	// No periodic rebalance during the test: arrivals and departures must
	// be picked up through NOTIFY_CONSUMER_IDS_CHANGED.
	cfg := PushConsumerConfig{Group: "g", RebalanceInterval: time.Hour}
	pc1 := startConsumer(t, env.c, cfg, col1.handle, "T", "*")
	pc2, err := NewPushConsumer(c2, fastConsumer(cfg), col2.handle)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc2.Subscribe("T", "*"); err != nil {
		t.Fatal(err)
	}
	if err := pc2.Start(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc2.Shutdown(context.Background()) })
	countT := func(pc *PushConsumer) int {
		n := 0
		for _, q := range pc.Assigned() {
			if q.Topic == "T" {
				n++
			}
		}
		return n
	}
	waitFor(t, "queues shared", func() bool { return countT(pc1) == 2 && countT(pc2) == 2 })
	disjoint := true
	for _, q := range pc1.Assigned() {
		if slices.Contains(pc2.Assigned(), q) {
			disjoint = false
		}
	}
	if !disjoint {
		t.Fatalf("overlap: %v %v", pc1.Assigned(), pc2.Assigned())
	}
	// Messages go to both; every message is consumed once.
	p := newTestProducer(t, env.c, ProducerConfig{})
	for i := range 8 {
		if _, err := p.SendSync(testCtx(t), msg("T", "m"+strconv.Itoa(i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "all consumed", func() bool { return col1.count()+col2.count() == 8 })
	if col1.count() == 0 || col2.count() == 0 {
		t.Fatalf("one consumer got nothing: %d %d", col1.count(), col2.count())
	}
	// When the second leaves, the first takes everything and its offsets
	// start where the second committed.
	if err := pc2.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "takeover", func() bool { return countT(pc1) == 4 })
	for i := range 4 {
		if _, err := p.SendSync(testCtx(t), msg("T", "late"+strconv.Itoa(i), nil)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "late messages", func() bool { return col1.count()+col2.count() == 12 })
	time.Sleep(50 * time.Millisecond)
	if n := col1.count() + col2.count(); n != 12 {
		t.Fatalf("%d deliveries, want 12 (no duplicates after a clean handover)", n)
	}
	// What makes the handover clean whatever order the brokers handle
	// requests in: no pull carries a commit offset that could be applied
	// after the departing consumer's final commit.
	for _, br := range env.brokers {
		for _, req := range br.requests(remoting.RequestPullMessage) {
			if f := atoi32(req.ExtFields["sysFlag"]); f&pullFlagCommitOffset != 0 {
				t.Fatalf("pull of %s carried commit offset %s", br.name, req.ExtFields["commitOffset"])
			}
		}
	}
}

func TestPushConsumerBroadcasting(t *testing.T) {
	env := newTestEnv(t, 1)
	a := env.brokers[0]
	env.ns.setRoute("T", 2, PermRead|PermWrite, a)
	dir := t.TempDir()
	c2 := env.newClient(t)
	col1, col2 := &collector{}, &collector{}
	cfg := PushConsumerConfig{Group: "bg", Model: Broadcasting, ConsumeFrom: ConsumeFromFirstOffset}
	cfg1, cfg2 := cfg, cfg
	cfg1.OffsetDir, cfg2.OffsetDir = filepath.Join(dir, "1"), filepath.Join(dir, "2")
	pc1 := startConsumer(t, env.c, cfg1, col1.handle, "T", "*")
	startConsumer(t, c2, cfg2, col2.handle, "T", "*")
	for i := range 4 {
		a.put("T", int32(i%2), "b"+strconv.Itoa(i), nil)
	}
	waitFor(t, "both consumers get everything", func() bool { return col1.count() == 4 && col2.count() == 4 })
	if len(pc1.Assigned()) != 2 {
		t.Fatalf("broadcasting consumer owns %v", pc1.Assigned())
	}
	if err := pc1.Shutdown(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "1", "bg", "offsets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f offsetFile
	if err := json.Unmarshal(b, &f); err != nil || len(f.Offsets) != 2 || f.Offsets[0].Offset+f.Offsets[1].Offset != 4 {
		t.Fatalf("offsets file %s: %v", b, err)
	}
	if _, ok := a.committed("bg", "T", 0); ok {
		t.Fatal("broadcasting consumer committed to the broker")
	}
	// A restarted consumer resumes from the file.
	c3 := env.newClient(t)
	col3 := &collector{}
	startConsumer(t, c3, cfg1, col3.handle, "T", "*")
	a.put("T", 0, "after", nil)
	waitFor(t, "resumed consumer", func() bool { return col3.count() == 1 })
	if got := col3.bodies(); got[0] != "after" {
		t.Fatalf("restart redelivered %v", got)
	}
}

func TestPushConsumerFlowControl(t *testing.T) {
	env := newTestEnv(t, 1)
	a := env.brokers[0]
	env.ns.setRoute("T", 1, PermRead|PermWrite, a)
	env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, a)
	for i := range 40 {
		a.put("T", 0, "m"+strconv.Itoa(i), nil)
	}
	release := make(chan struct{})
	var mu sync.Mutex
	got := 0
	h := func(ctx context.Context, msgs []*message.Ext) ConsumeResult {
		select {
		case <-release:
		case <-ctx.Done():
		}
		mu.Lock()
		got += len(msgs)
		mu.Unlock()
		return ConsumeSuccess
	}
	// One blocked worker holds the first pull's batch, the task queue the
	// second's; the threshold (4 messages) must stop a third pull.
	pc := startConsumer(t, env.c, PushConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset,
		PullBatchSize: 2, PullThresholdForQueue: 4, Workers: 1, ConsumeBatchSize: 32}, h, "T", "*")
	var once sync.Once
	releaseAll := func() { once.Do(func() { close(release) }) }
	t.Cleanup(releaseAll) // runs before the consumer's shutdown
	mq := MessageQueue{"T", "broker-a", 0}
	waitFor(t, "queue owned", func() bool { return slices.Contains(pc.Assigned(), mq) })
	// With a blocked handler the consumer stops pulling at the threshold.
	waitFor(t, "pulls up to the threshold", func() bool { return len(a.requests(remoting.RequestPullMessage)) >= 2 })
	time.Sleep(100 * time.Millisecond)
	pulls := a.requests(remoting.RequestPullMessage)
	maxOffset := int64(0)
	for _, r := range pulls {
		if r.ExtFields["topic"] == "T" {
			off, _ := strconv.ParseInt(r.ExtFields["queueOffset"], 10, 64)
			maxOffset = max(maxOffset, off)
		}
	}
	if maxOffset > 2 {
		t.Fatalf("pulled from offset %d with 4 messages unconsumed", maxOffset)
	}
	releaseAll()
	waitFor(t, "all consumed", func() bool { mu.Lock(); defer mu.Unlock(); return got == 40 })
}

func TestServerInitiatedRequests(t *testing.T) {
	env := newTestEnv(t, 1)
	a := env.brokers[0]
	env.ns.setRoute("T", 1, PermRead|PermWrite, a)
	env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, a)
	for i := range 3 {
		a.put("T", 0, "m"+strconv.Itoa(i), nil)
	}
	col := &collector{}
	pc := startConsumer(t, env.c, PushConsumerConfig{Group: "g", ConsumeFrom: ConsumeFromFirstOffset}, col.handle, "T", "*")
	waitFor(t, "messages", func() bool { return col.count() == 3 })
	a.mu.Lock()
	conn := a.members["g"][env.c.ID()]
	a.mu.Unlock()
	ctx := testCtx(t)

	t.Run("running info", func(t *testing.T) {
		req := remoting.NewRequest(remoting.RequestGetConsumerRunningInfo, map[string]string{"consumerGroup": "g", "clientId": env.c.ID()}, nil)
		resp, err := conn.InvokeSync(ctx, req)
		if err != nil || resp.Code != remoting.ResponseSuccess {
			t.Fatalf("%v %v", resp, err)
		}
		var info struct {
			Properties      map[string]string  `json:"properties"`
			SubscriptionSet []subscriptionData `json:"subscriptionSet"`
		}
		if err := json.Unmarshal(resp.Body, &info); err != nil || info.Properties["PROP_CONSUME_TYPE"] != "CONSUME_PASSIVELY" || len(info.SubscriptionSet) != 2 {
			t.Fatalf("info %s: %v", resp.Body, err)
		}
		req = remoting.NewRequest(remoting.RequestGetConsumerRunningInfo, map[string]string{"consumerGroup": "other"}, nil)
		if resp, err := conn.InvokeSync(ctx, req); err != nil || resp.Code != remoting.ResponseSystemError {
			t.Fatalf("unknown group: %v %v", resp, err)
		}
	})
	t.Run("reset offset", func(t *testing.T) {
		body := `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:1}}`
		req := remoting.NewRequest(remoting.RequestResetConsumerClientOffset,
			map[string]string{"topic": "T", "group": "g", "timestamp": "0", "isForce": "true"}, []byte(body))
		if err := conn.InvokeOneway(req); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "redelivery after reset", func() bool { return col.count() == 5 })
		if got := col.bodies(); !slices.Equal(got, []string{"m0", "m1", "m1", "m2", "m2"}) {
			t.Fatalf("bodies after reset = %v", got)
		}
		_ = pc
	})
	t.Run("check transaction is refused", func(t *testing.T) {
		req := remoting.NewRequest(remoting.RequestCheckTransactionState, map[string]string{"msgId": "x"}, nil)
		resp, err := conn.InvokeSync(ctx, req)
		if err != nil || resp.Code != remoting.ResponseRequestCodeNotSupported {
			t.Fatalf("%v %v", resp, err)
		}
	})
}

func TestPushConsumerConfigErrors(t *testing.T) {
	env := newTestEnv(t, 0)
	h := func(context.Context, []*message.Ext) ConsumeResult { return ConsumeSuccess }
	for _, cfg := range []PushConsumerConfig{
		{},
		{Group: "bad group"},
		{Group: "g", SuspendTimeout: time.Minute},
		{Group: "g", RetryDelayLevel: -1},
	} {
		if _, err := NewPushConsumer(env.c, cfg, h); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	if _, err := NewPushConsumer(env.c, PushConsumerConfig{Group: "g"}, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Error("nil handler accepted")
	}
	pc, _ := NewPushConsumer(env.c, PushConsumerConfig{Group: "g"}, h)
	if err := pc.Start(testCtx(t)); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("start without subscription: %v", err)
	}
}

// recordingHandler keeps the log records it gets.
type recordingHandler struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r)
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

// count returns how many records of level mention substr.
func (h *recordingHandler) count(level slog.Level, substr string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level == level && strings.Contains(r.Message, substr) {
			n++
		}
	}
	return n
}

// A retry topic without a route at start is normal (brokers create it on
// the heartbeat); only one that stays missing is worth a warning, once.
func TestRetryTopicRouteWarning(t *testing.T) {
	tests := []struct {
		name      string
		heartbeat time.Duration // the grace is at least twice this
		appears   bool          // the route is published right after Start
	}{
		{"appears after start", time.Hour, true},
		{"never appears", 50 * time.Millisecond, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &recordingHandler{}
			env := newTestEnv(t, 1, func(c *Config) {
				c.Logger = slog.New(logs)
				c.HeartbeatInterval = tt.heartbeat
			})
			b := env.brokers[0]
			env.ns.setRoute("T", 1, PermRead|PermWrite, b)
			pc := startConsumer(t, env.c, PushConsumerConfig{Group: "g"}, (&collector{}).handle, "T", "*")
			if logs.count(slog.LevelDebug, "no route for the retry topic yet") == 0 {
				t.Fatal("missing retry route at start not logged at debug level")
			}
			if tt.appears {
				env.ns.setRoute(RetryTopic("g"), 1, PermRead|PermWrite, b)
				waitFor(t, "retry queue assigned", func() bool { return len(pc.Assigned()) == 2 })
				if n := logs.count(slog.LevelWarn, "retry topic"); n != 0 {
					t.Fatalf("%d warnings about the retry topic", n)
				}
				return
			}
			waitFor(t, "warning about the missing retry route", func() bool {
				return logs.count(slog.LevelWarn, "retry topic still has no route") > 0
			})
			// Further rebalances stay at debug level.
			before := logs.count(slog.LevelDebug, "no route for the retry topic yet")
			waitFor(t, "more rebalances", func() bool {
				return logs.count(slog.LevelDebug, "no route for the retry topic yet") >= before+3
			})
			if n := logs.count(slog.LevelWarn, "retry topic still has no route"); n != 1 {
				t.Fatalf("%d warnings, want 1", n)
			}
		})
	}
}
