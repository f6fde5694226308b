package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

func newTestProducer(t *testing.T, c *Client, cfg ProducerConfig) *Producer {
	t.Helper()
	p, err := NewProducer(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	return p
}

func msg(topic, body string, props map[string]string) *message.Message {
	return &message.Message{Topic: topic, Body: []byte(body), Properties: props}
}

func TestSendSyncHeaders(t *testing.T) {
	tests := []struct {
		name      string
		legacy    bool
		serialize remoting.SerializeType
		code      int32
		keys      []string
	}{
		{"v2 json", false, remoting.SerializeJSON, remoting.RequestSendMessageV2,
			[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m"}},
		{"v2 binary", false, remoting.SerializeRocketMQ, remoting.RequestSendMessageV2,
			[]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "m"}},
		{"legacy json", true, remoting.SerializeJSON, remoting.RequestSendMessage,
			[]string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
				"bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode", "batch"}},
		{"legacy binary", true, remoting.SerializeRocketMQ, remoting.RequestSendMessage,
			[]string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
				"bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode", "batch"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, 1, func(c *Config) { c.Serialize = tc.serialize })
			b := env.brokers[0]
			env.ns.setRoute("T", 4, PermRead|PermWrite, b)
			p := newTestProducer(t, env.c, ProducerConfig{Group: "pg", LegacyHeader: tc.legacy})
			m := msg("T", "hello", map[string]string{message.PropertyTags: "tagA", message.PropertyKeys: "k1 k2"})
			m.Flag = 7
			res, err := p.SendSync(testCtx(t), m)
			if err != nil {
				t.Fatal(err)
			}
			reqs := b.requests(tc.code)
			if len(reqs) != 1 {
				t.Fatalf("broker got %d requests with code %d", len(reqs), tc.code)
			}
			req := reqs[0]
			if req.Serialize != tc.serialize {
				t.Errorf("serialize = %v, want %v", req.Serialize, tc.serialize)
			}
			for _, k := range tc.keys {
				if _, ok := req.ExtFields[k]; !ok {
					t.Errorf("header %q missing: %v", k, req.ExtFields)
				}
			}
			get := func(long, short string) string { return sendHeader(req, long, short) }
			if get("producerGroup", "a") != "pg" || get("topic", "b") != "T" || get("defaultTopic", "c") != "TBW102" ||
				get("defaultTopicQueueNums", "d") != "4" || get("flag", "h") != "7" || get("sysFlag", "f") != "0" ||
				get("batch", "m") != "false" {
				t.Errorf("header values: %v", req.ExtFields)
			}
			props := message.DecodeProperties(get("properties", "i"))
			if props[message.PropertyTags] != "tagA" || props[message.PropertyKeys] != "k1 k2" {
				t.Errorf("properties = %v", props)
			}
			uniq := props[message.PropertyUniqClientMessageIDKeyIdx]
			if len(uniq) != 32 || uniq != res.MsgID {
				t.Errorf("UNIQ_KEY %q, result MsgID %q", uniq, res.MsgID)
			}
			if m.Properties[message.PropertyUniqClientMessageIDKeyIdx] != "" {
				t.Error("SendSync modified the caller's message")
			}
			if res.Status != SendOK || res.Queue.Topic != "T" || res.Queue.BrokerName != "broker-a" ||
				res.QueueOffset != 0 || res.RegionID != "DefaultRegion" || !res.TraceOn || res.TransactionID != uniq {
				t.Errorf("result = %+v", res)
			}
			if _, _, err := message.ParseOffsetMsgID(res.OffsetMsgID); err != nil {
				t.Errorf("offset msg id %q: %v", res.OffsetMsgID, err)
			}
			stored := b.stored("T", res.Queue.QueueID)
			if len(stored) != 1 || string(stored[0].Body) != "hello" || stored[0].Flag != 7 {
				t.Fatalf("stored = %+v", stored)
			}
		})
	}
}

func TestSendRoundRobinAndRouteRefresh(t *testing.T) {
	env := newTestEnv(t, 2, func(c *Config) { c.RouteRefreshInterval = 20 * time.Millisecond })
	a, b := env.brokers[0], env.brokers[1]
	env.ns.setRoute("T", 2, PermRead|PermWrite, a)
	p := newTestProducer(t, env.c, ProducerConfig{})
	ctx := testCtx(t)
	seen := map[MessageQueue]int{}
	for range 4 {
		res, err := p.SendSync(ctx, msg("T", "x", nil))
		if err != nil {
			t.Fatal(err)
		}
		seen[res.Queue]++
	}
	if len(seen) != 2 || seen[MessageQueue{"T", "broker-a", 0}] != 2 || seen[MessageQueue{"T", "broker-a", 1}] != 2 {
		t.Fatalf("round robin spread = %v", seen)
	}
	// The topic moves to broker-b; the periodic refresh picks that up.
	env.ns.setRoute("T", 2, PermRead|PermWrite, b)
	waitFor(t, "route refresh", func() bool {
		e := env.c.routes.get("T")
		return e != nil && e.write[0].BrokerName == "broker-b"
	})
	res, err := p.SendSync(ctx, msg("T", "x", nil))
	if err != nil || res.Queue.BrokerName != "broker-b" {
		t.Fatalf("after refresh: %v %v", res, err)
	}
}

func TestSendAsync(t *testing.T) {
	env := newTestEnv(t, 1)
	b := env.brokers[0]
	env.ns.setRoute("T", 4, PermRead|PermWrite, b)
	p := newTestProducer(t, env.c, ProducerConfig{})
	const n = 50
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	wg.Add(n)
	for i := range n {
		err := p.SendAsync(testCtx(t), msg("T", strings.Repeat("y", i+1), nil), func(res *SendResult, err error) {
			defer wg.Done()
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			ids[res.MsgID] = true
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if len(ids) != n || b.storedCount("T") != n {
		t.Fatalf("%d distinct ids, %d stored", len(ids), b.storedCount("T"))
	}
	if err := p.SendAsync(testCtx(t), msg("T", "", nil), func(*SendResult, error) { t.Error("callback for invalid message") }); !errors.Is(err, ErrInvalidMessage) {
		t.Fatalf("invalid async send: %v", err)
	}
}

func TestSendOneway(t *testing.T) {
	env := newTestEnv(t, 1)
	b := env.brokers[0]
	env.ns.setRoute("T", 4, PermRead|PermWrite, b)
	p := newTestProducer(t, env.c, ProducerConfig{})
	for range 3 {
		if err := p.SendOneway(testCtx(t), msg("T", "one", nil)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "oneway messages stored", func() bool { return b.storedCount("T") == 3 })
	for _, r := range b.requests(remoting.RequestSendMessageV2) {
		if !r.IsOneway() {
			t.Fatal("oneway send without the oneway flag")
		}
	}
}

func TestSendBatch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		st    remoting.SerializeType
		ownID string // UNIQ_KEY of the second message, if any
	}{
		{"json", remoting.SerializeJSON, ""},
		{"binary", remoting.SerializeRocketMQ, ""},
		{"binary with an own id", remoting.SerializeRocketMQ, "0A0102030000ABCD0000000000000042"},
	} {
		t.Run(tc.name, func(t *testing.T) { testSendBatch(t, tc.st, tc.ownID) })
	}
}

func testSendBatch(t *testing.T, st remoting.SerializeType, ownID string) {
	env := newTestEnv(t, 1, func(c *Config) { c.Serialize = st })
	b := env.brokers[0]
	env.ns.setRoute("T", 1, PermRead|PermWrite, b)
	p := newTestProducer(t, env.c, ProducerConfig{})
	msgs := []*message.Message{
		msg("T", "m0", map[string]string{message.PropertyTags: "t0"}),
		msg("T", "m1", nil),
		msg("T", strings.Repeat("z", 10000), nil), // never compressed in a batch
	}
	msgs[1].Flag = 3
	if ownID != "" {
		msgs[1].Properties = map[string]string{message.PropertyUniqClientMessageIDKeyIdx: ownID}
	}
	res, err := p.SendBatch(testCtx(t), msgs)
	if err != nil {
		t.Fatal(err)
	}
	reqs := b.requests(remoting.RequestSendBatchMessage)
	if len(reqs) != 1 || reqs[0].ExtFields["m"] != "true" || reqs[0].ExtFields["b"] != "T" || reqs[0].ExtFields["f"] != "0" {
		t.Fatalf("batch request = %v", reqs)
	}
	items, err := message.DecodeBatch(reqs[0].Body)
	if err != nil || len(items) != 3 {
		t.Fatalf("batch body: %d items, %v", len(items), err)
	}
	ids := strings.Split(res.MsgID, ",")
	if len(ids) != 3 || len(strings.Split(res.OffsetMsgID, ",")) != 3 || res.QueueOffset != 0 {
		t.Fatalf("result = %+v", res)
	}
	if ids[0] == ids[1] || ids[1] == ids[2] || ids[0] == ids[2] || (ownID != "" && ids[1] != ownID) {
		t.Fatalf("ids %q", ids)
	}
	for i, it := range items {
		props := message.DecodeProperties(string(it.Properties))
		if props[message.PropertyUniqClientMessageIDKeyIdx] != ids[i] {
			t.Errorf("item %d UNIQ_KEY %q, want %q", i, props[message.PropertyUniqClientMessageIDKeyIdx], ids[i])
		}
		if !bytes.Equal(it.Body, msgs[i].Body) || it.Flag != msgs[i].Flag {
			t.Errorf("item %d body/flag differ", i)
		}
	}
	for _, bad := range [][]*message.Message{
		nil,
		{msg("T", "a", nil), msg("U", "b", nil)},
		{msg("T", "a", map[string]string{message.PropertyDelayTimeLevel: "3"})},
		{msg("%RETRY%g", "a", nil)},
	} {
		if _, err := p.SendBatch(testCtx(t), bad); !errors.Is(err, ErrInvalidMessage) {
			t.Errorf("bad batch %v: %v", bad, err)
		}
	}
}

func TestCompression(t *testing.T) {
	big := strings.Repeat("compressible ", 1000) // ~13 KB
	tests := []struct {
		name       string
		threshold  int
		body       string
		compressed bool
	}{
		{"over default threshold", 0, big, true},
		{"under default threshold", 0, "small body", false},
		{"configured threshold", 100, strings.Repeat("a", 200), true},
		{"disabled", -1, big, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := newTestEnv(t, 1)
			b := env.brokers[0]
			env.ns.setRoute("T", 1, PermRead|PermWrite, b)
			p := newTestProducer(t, env.c, ProducerConfig{CompressThreshold: tc.threshold})
			if _, err := p.SendSync(testCtx(t), msg("T", tc.body, nil)); err != nil {
				t.Fatal(err)
			}
			stored := b.stored("T", 0)[0]
			if got := stored.SysFlag&message.SysFlagCompressed != 0; got != tc.compressed {
				t.Fatalf("compressed = %v, want %v", got, tc.compressed)
			}
			if tc.compressed && len(stored.Body) >= len(tc.body) {
				t.Fatalf("stored body of %d bytes is not smaller than %d", len(stored.Body), len(tc.body))
			}
			if err := decompressBody(stored); err != nil || string(stored.Body) != tc.body {
				t.Fatalf("round trip: %v", err)
			}
		})
	}
}

func TestRetryOnAnotherBroker(t *testing.T) {
	env := newTestEnv(t, 2)
	a, b := env.brokers[0], env.brokers[1]
	env.ns.setRoute("T", 1, PermRead|PermWrite, a, b)
	a.setSendCode(func(*remoting.Command) (int32, string) {
		return remoting.ResponseServiceNotAvailable, "store not writable"
	})
	p := newTestProducer(t, env.c, ProducerConfig{})
	ctx := testCtx(t)
	for range 4 {
		res, err := p.SendSync(ctx, msg("T", "x", nil))
		if err != nil {
			t.Fatal(err)
		}
		if res.Queue.BrokerName != "broker-b" {
			t.Fatalf("stored on %s", res.Queue.BrokerName)
		}
	}
	if len(a.requests(remoting.RequestSendMessageV2)) == 0 {
		t.Fatal("broker-a never tried")
	}
	// Async sends retry too.
	done := make(chan error, 4)
	for range 4 {
		if err := p.SendAsync(ctx, msg("T", "x", nil), func(res *SendResult, err error) {
			if err == nil && res.Queue.BrokerName != "broker-b" {
				err = errors.New("stored on " + res.Queue.BrokerName)
			}
			done <- err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func TestFaultAvoidance(t *testing.T) {
	env := newTestEnv(t, 2)
	a, b := env.brokers[0], env.brokers[1]
	env.ns.setRoute("T", 1, PermRead|PermWrite, a, b)
	// broker-a answers, but slower than 550 ms: it is avoided for 30 s.
	a.setSendDelay(600 * time.Millisecond)
	p := newTestProducer(t, env.c, ProducerConfig{})
	ctx := testCtx(t)
	res, err := p.SendSync(ctx, msg("T", "first", nil))
	if err != nil || res.Queue.BrokerName != "broker-a" {
		t.Fatalf("first send: %v %v", res, err)
	}
	for range 6 {
		res, err := p.SendSync(ctx, msg("T", "x", nil))
		if err != nil || res.Queue.BrokerName != "broker-b" {
			t.Fatalf("send while broker-a is avoided: %v %v", res, err)
		}
	}
	if n := len(a.requests(remoting.RequestSendMessageV2)); n != 1 {
		t.Fatalf("broker-a got %d sends, want 1", n)
	}
	// Without avoidance round robin comes back to broker-a.
	p2 := newTestProducer(t, env.c, ProducerConfig{Group: "pg2", DisableFaultAvoidance: true})
	for range 2 {
		if _, err := p2.SendSync(ctx, msg("T", "x", nil)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(a.requests(remoting.RequestSendMessageV2)); n != 2 {
		t.Fatalf("broker-a got %d sends, want 2", n)
	}
}

func TestFaultTrackerTable(t *testing.T) {
	now := time.Unix(1000, 0)
	f := newFaultTracker()
	f.now = func() time.Time { return now }
	tests := []struct {
		latency time.Duration
		isolate bool
		avoided time.Duration
	}{
		{10 * time.Millisecond, false, 0},
		{549 * time.Millisecond, false, 0},
		{550 * time.Millisecond, false, 30 * time.Second},
		{time.Second, false, time.Minute},
		{2 * time.Second, false, 2 * time.Minute},
		{3 * time.Second, false, 3 * time.Minute},
		{15 * time.Second, false, 10 * time.Minute},
		{0, true, 10 * time.Minute},
	}
	for _, tc := range tests {
		f.update("b", tc.latency, tc.isolate)
		if got := f.available("b"); got != (tc.avoided == 0) {
			t.Errorf("latency %v isolate %v: available = %v", tc.latency, tc.isolate, got)
		}
		if tc.avoided > 0 {
			now = now.Add(tc.avoided - time.Millisecond)
			if f.available("b") {
				t.Errorf("latency %v: available before %v", tc.latency, tc.avoided)
			}
			now = now.Add(time.Millisecond)
			if !f.available("b") {
				t.Errorf("latency %v: still avoided after %v", tc.latency, tc.avoided)
			}
		}
		f.update("b", 0, false) // reset
	}
}

func TestSendErrors(t *testing.T) {
	env := newTestEnv(t, 1)
	b := env.brokers[0]
	env.ns.setRoute("T", 1, PermRead|PermWrite, b)
	p := newTestProducer(t, env.c, ProducerConfig{MaxAttempts: 1})

	t.Run("no route", func(t *testing.T) {
		_, err := p.SendSync(testCtx(t), msg("Unknown", "x", nil))
		var re *RouteError
		if !errors.Is(err, ErrNoRoute) || !errors.As(err, &re) || re.Topic != "Unknown" {
			t.Fatalf("err = %v", err)
		}
		if !strings.Contains(err.Error(), "Unknown") || !strings.Contains(err.Error(), "TBW102") {
			t.Fatalf("message does not say what is missing: %v", err)
		}
	})
	t.Run("broker refused", func(t *testing.T) {
		b.setSendCode(func(*remoting.Command) (int32, string) {
			return remoting.ResponseMessageIllegal, "the message is illegal"
		})
		defer b.setSendCode(nil)
		_, err := p.SendSync(testCtx(t), msg("T", "x", nil))
		var be *BrokerError
		if !errors.As(err, &be) || be.Code != remoting.ResponseMessageIllegal || be.Remark != "the message is illegal" ||
			be.Addr != b.addr() || be.Request != remoting.RequestSendMessageV2 {
			t.Fatalf("err = %#v", err)
		}
		if code, ok := CodeOf(err); !ok || code != 13 {
			t.Fatalf("CodeOf = %d %v", code, ok)
		}
		for _, want := range []string{"MESSAGE_ILLEGAL", "the message is illegal", "broker-a", "SEND_MESSAGE_V2"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q lacks %q", err, want)
			}
		}
	})
	t.Run("non-retryable refusal is not retried", func(t *testing.T) {
		p3 := newTestProducer(t, env.c, ProducerConfig{Group: "pg3"})
		before := len(b.requests(remoting.RequestSendMessageV2))
		b.setSendCode(func(*remoting.Command) (int32, string) { return remoting.ResponseMessageIllegal, "illegal" })
		defer b.setSendCode(nil)
		_, err := p3.SendSync(testCtx(t), msg("T", "x", nil))
		var se *SendError
		if !errors.As(err, &se) || len(se.Attempts) != 1 || len(b.requests(remoting.RequestSendMessageV2)) != before+1 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		b.setSendDelay(2 * time.Second)
		defer b.setSendDelay(0)
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err := p.SendSync(ctx, msg("T", "x", nil))
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("invalid messages", func(t *testing.T) {
		for _, m := range []*message.Message{
			nil,
			msg("T", "", nil),
			msg("", "x", nil),
			msg("bad topic", "x", nil),
			msg(strings.Repeat("t", 128), "x", nil),
			msg("SCHEDULE_TOPIC_XXXX", "x", nil),
			msg("T", "x", map[string]string{"k": "a\x01b"}),
			msg("T", strings.Repeat("x", DefaultMaxMessageSize+1), nil),
		} {
			if _, err := p.SendSync(testCtx(t), m); !errors.Is(err, ErrInvalidMessage) {
				t.Errorf("%v: err = %v", m, err)
			}
		}
	})
	t.Run("closed", func(t *testing.T) {
		p4, _ := NewProducer(env.c, ProducerConfig{Group: "pg4"})
		_ = p4.Shutdown(testCtx(t))
		if _, err := p4.SendSync(testCtx(t), msg("T", "x", nil)); !errors.Is(err, ErrClosed) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestAutoCreateThroughTBW102(t *testing.T) {
	env := newTestEnv(t, 1)
	b := env.brokers[0]
	env.ns.setRoute(DefaultCreateTopicKey, 8, PermRead|PermWrite|PermInherit, b)
	p := newTestProducer(t, env.c, ProducerConfig{})
	seen := map[int32]bool{}
	for range 8 {
		res, err := p.SendSync(testCtx(t), msg("NewTopic", "x", nil))
		if err != nil {
			t.Fatal(err)
		}
		seen[res.Queue.QueueID] = true
	}
	if len(seen) != DefaultTopicQueueNums {
		t.Fatalf("queues used = %v, want %d", seen, DefaultTopicQueueNums)
	}
	r := b.requests(remoting.RequestSendMessageV2)[0]
	if r.ExtFields["b"] != "NewTopic" || r.ExtFields["c"] != "TBW102" || r.ExtFields["d"] != "4" {
		t.Fatalf("header = %v", r.ExtFields)
	}
}

func TestProducerHeartbeat(t *testing.T) {
	env := newTestEnv(t, 1, func(c *Config) { c.HeartbeatInterval = 20 * time.Millisecond })
	b := env.brokers[0]
	env.ns.setRoute("T", 1, PermRead|PermWrite, b)
	p := newTestProducer(t, env.c, ProducerConfig{Group: "hb-group"})
	if _, err := p.SendSync(testCtx(t), msg("T", "x", nil)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "heartbeat with the producer group", func() bool {
		for _, r := range b.requests(remoting.RequestHeartBeat) {
			if bytes.Contains(r.Body, []byte(`"producerDataSet":[{"groupName":"hb-group"}]`)) &&
				bytes.Contains(r.Body, []byte(`"clientID":"`+env.c.ID()+`"`)) {
				return true
			}
		}
		return false
	})
	if _, err := NewProducer(env.c, ProducerConfig{Group: "hb-group"}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("duplicate group: %v", err)
	}
}

func TestSelectors(t *testing.T) {
	qs := []MessageQueue{{"T", "a", 0}, {"T", "a", 1}, {"T", "b", 0}}
	h := HashSelector()
	if s, ok := h.(StableSelector); !ok || !s.Stable() {
		t.Fatal("hash selector is not stable")
	}
	m := msg("T", "x", map[string]string{message.PropertyShardingKey: "order-42"})
	first := h.Select(m, qs)
	for range 5 {
		if h.Select(m, qs) != first {
			t.Fatal("hash selector not deterministic")
		}
	}
	// Java: Math.abs("order-42".hashCode() % 3).
	if want := qs[hashIndex("order-42", 3)]; first != want {
		t.Fatalf("got %v want %v", first, want)
	}
	for _, tc := range []struct {
		key  string
		n, i int
	}{{"a", 3, 97 % 3}, {"polygenelubricants", 7, 2}} { // the latter hashes to MinInt32: |-2^31 % 7| = 2
		if got := hashIndex(tc.key, tc.n); got != tc.i {
			t.Errorf("hashIndex(%q, %d) = %d, want %d", tc.key, tc.n, got, tc.i)
		}
	}
	custom := SelectorFunc(func(_ *message.Message, q []MessageQueue) MessageQueue { return q[len(q)-1] })
	if custom.Select(m, qs) != qs[2] {
		t.Fatal("SelectorFunc")
	}
}

func TestHashSelectorSendsKeysToOneQueue(t *testing.T) {
	env := newTestEnv(t, 2)
	env.ns.setRoute("T", 4, PermRead|PermWrite, env.brokers[0], env.brokers[1])
	p := newTestProducer(t, env.c, ProducerConfig{Selector: HashSelector()})
	var q *MessageQueue
	for range 5 {
		res, err := p.SendSync(testCtx(t), msg("T", "x", map[string]string{message.PropertyShardingKey: "k"}))
		if err != nil {
			t.Fatal(err)
		}
		if q != nil && *q != res.Queue {
			t.Fatalf("key moved from %v to %v", *q, res.Queue)
		}
		q = &res.Queue
	}
}

func TestJavaHashOfMinInt(t *testing.T) {
	if message.JavaHashCode("polygenelubricants") != -1<<31 {
		t.Fatal("test key no longer hashes to MinInt32")
	}
}

func TestSendBatchAsync(t *testing.T) {
	env := newTestEnv(t, 1)
	b := env.brokers[0]
	env.ns.setRoute("T", 2, PermRead|PermWrite, b)
	p := newTestProducer(t, env.c, ProducerConfig{})
	const batches, size = 20, 5
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	wg.Add(2 * batches)
	for i := range batches {
		msgs := make([]*message.Message, size)
		for j := range msgs {
			msgs[j] = msg("T", strings.Repeat("b", i*size+j+1), nil)
		}
		cb := func(res *SendResult, err error) {
			defer wg.Done()
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			for _, id := range strings.Split(res.MsgID, ",") {
				ids[id] = true
			}
			mu.Unlock()
		}
		// Batches and single messages share pooled requests.
		if err := p.SendBatchAsync(testCtx(t), msgs, cb); err != nil {
			t.Fatal(err)
		}
		if err := p.SendAsync(testCtx(t), msg("T", "single", nil), cb); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	const want = batches*size + batches
	if len(ids) != want {
		t.Fatalf("%d distinct ids, want %d", len(ids), want)
	}
	reqs := b.requests(remoting.RequestSendBatchMessage)
	if len(reqs) != batches {
		t.Fatalf("%d batch requests, want %d", len(reqs), batches)
	}
	for _, r := range reqs {
		if r.ExtFields["m"] != "true" {
			t.Fatalf("batch request header %v", r.ExtFields)
		}
	}
	for _, r := range b.requests(remoting.RequestSendMessageV2) {
		if r.ExtFields["m"] != "false" {
			t.Fatalf("single request header %v", r.ExtFields)
		}
	}
	tests := []struct {
		name string
		msgs []*message.Message
		cb   func(*SendResult, error)
		want error
	}{
		{"empty", nil, func(*SendResult, error) {}, ErrInvalidMessage},
		{"mixed topics", []*message.Message{msg("T", "a", nil), msg("U", "b", nil)}, func(*SendResult, error) {}, ErrInvalidMessage},
		{"nil callback", []*message.Message{msg("T", "a", nil)}, nil, ErrInvalidConfig},
	}
	for _, tt := range tests {
		if err := p.SendBatchAsync(testCtx(t), tt.msgs, tt.cb); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

// A pooled request's header must not keep fields of the previous send.
func TestSendHeaderReuse(t *testing.T) {
	for _, st := range []remoting.SerializeType{remoting.SerializeJSON, remoting.SerializeRocketMQ} {
		t.Run(st.String(), func(t *testing.T) {
			env := newTestEnv(t, 1, func(c *Config) { c.Serialize = st })
			b := env.brokers[0]
			env.ns.setRoute("T", 1, PermRead|PermWrite, b)
			p := newTestProducer(t, env.c, ProducerConfig{})
			for range 3 {
				if _, err := p.sendRetry(testCtx(t), msg("T", "retry", nil), sendOpts{reconsumeTimes: 2, maxReconsumeTimes: 16}); err != nil {
					t.Fatal(err)
				}
				if _, err := p.SendSync(testCtx(t), msg("T", "plain", nil)); err != nil {
					t.Fatal(err)
				}
			}
			reqs := b.requests(remoting.RequestSendMessageV2)
			if len(reqs) != 6 {
				t.Fatalf("broker got %d sends, want 6", len(reqs))
			}
			for _, r := range reqs {
				retry := string(r.Body) == "retry"
				_, hasMax := r.ExtFields["l"]
				if hasMax != retry || (retry && (r.ExtFields["j"] != "2" || r.ExtFields["l"] != "16")) || (!retry && r.ExtFields["j"] != "0") {
					t.Fatalf("%s send header %v", r.Body, r.ExtFields)
				}
			}
		})
	}
}

// Large binary batches go out without a copy of their body; the pooled
// request must not be reused before its frame was written. Every stored
// message must be exactly what was sent.
func TestSendBatchAsyncLargeBinaryBodiesIntact(t *testing.T) {
	env := newTestEnv(t, 1, func(c *Config) { c.Serialize = remoting.SerializeRocketMQ })
	b := env.brokers[0]
	env.ns.setRoute("T", 1, PermRead|PermWrite, b)
	p := newTestProducer(t, env.c, ProducerConfig{})
	const batches, size = 60, 8
	var wg sync.WaitGroup
	wg.Add(batches)
	for i := range batches {
		msgs := make([]*message.Message, size)
		for j := range msgs {
			// 1 KiB each: the batch body is past the zero-copy size.
			msgs[j] = msg("T", fmt.Sprintf("%04d-%02d-", i, j)+strings.Repeat(string(rune('a'+i%26)), 1024), nil)
		}
		if err := p.SendBatchAsync(testCtx(t), msgs, func(_ *SendResult, err error) {
			defer wg.Done()
			if err != nil {
				t.Error(err)
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	stored := b.stored("T", 0)
	if len(stored) != batches*size {
		t.Fatalf("%d messages stored, want %d", len(stored), batches*size)
	}
	seen := map[string]bool{}
	for _, m := range stored {
		var i, j int
		if _, err := fmt.Sscanf(string(m.Body[:8]), "%04d-%02d-", &i, &j); err != nil {
			t.Fatalf("stored body %.20q: %v", m.Body, err)
		}
		want := fmt.Sprintf("%04d-%02d-", i, j) + strings.Repeat(string(rune('a'+i%26)), 1024)
		if string(m.Body) != want || seen[want[:8]] {
			t.Fatalf("stored body %.20q... is not one that was sent, or twice", m.Body)
		}
		seen[want[:8]] = true
	}
}

// TestSendHeaderCaches checks that a binary producer's cached header parts
// (its fixed fields with the last topic, and the closing reconsume and
// batch fields) follow topic switches and batches.
func TestSendHeaderCaches(t *testing.T) {
	env := newTestEnv(t, 1, func(c *Config) { c.Serialize = remoting.SerializeRocketMQ })
	b := env.brokers[0]
	env.ns.setRoute("T", 2, PermRead|PermWrite, b)
	env.ns.setRoute("U", 2, PermRead|PermWrite, b)
	p := newTestProducer(t, env.c, ProducerConfig{Group: "pg"})
	ctx := testCtx(t)
	steps := []struct {
		topic string
		batch bool
	}{{"T", false}, {"U", false}, {"T", true}, {"T", false}, {"U", true}, {"U", false}}
	for i, st := range steps {
		var err error
		code := int32(remoting.RequestSendMessageV2)
		if st.batch {
			code = remoting.RequestSendBatchMessage
			_, err = p.SendBatch(ctx, []*message.Message{msg(st.topic, "x", nil), msg(st.topic, "y", nil)})
		} else {
			_, err = p.SendSync(ctx, msg(st.topic, "x", nil))
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		reqs := b.requests(code)
		req := reqs[len(reqs)-1]
		want := map[string]string{"a": "pg", "b": st.topic, "c": "TBW102", "d": "4", "j": "0", "k": "false",
			"m": strconv.FormatBool(st.batch)}
		for k, v := range want {
			if got := req.ExtFields[k]; got != v {
				t.Errorf("step %d (%s, batch %v): header %s = %q, want %q", i, st.topic, st.batch, k, got, v)
			}
		}
	}
}
