package broker

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// waitTimeout bounds every wait of the tests: generous, because the test
// machine is small and shared. Tests never assert how long something took.
const waitTimeout = 20 * time.Second

func testLogger() *slog.Logger {
	if os.Getenv("BROKER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testConfig is a broker on 127.0.0.1 with a free port, small segments and
// the given data directory.
func testConfig(dir string) Config {
	cfg := DefaultConfig()
	cfg.ListenHost = "127.0.0.1"
	cfg.ListenPort = 0
	cfg.StorePathRootDir = dir
	cfg.MappedFileSizeCommitLog = 16 << 20
	cfg.SendWorkers = 4
	cfg.PullWorkers = 4
	return cfg
}

// testBroker is a running broker and a client connected to it.
type testBroker struct {
	t      testing.TB
	b      *Broker
	addr   string
	client *remoting.Client
}

// startBroker starts a broker with testConfig(dir) changed by mutate.
func startBroker(t testing.TB, dir string, mutate func(*Config)) *testBroker {
	t.Helper()
	return startBrokerWith(t, dir, mutate, nil)
}

// startBrokerWith is startBroker with a hook that runs between New and
// Start (to inject a clock).
func startBrokerWith(t testing.TB, dir string, mutate func(*Config), before func(*Broker)) *testBroker {
	t.Helper()
	cfg := testConfig(dir)
	if mutate != nil {
		mutate(&cfg)
	}
	b, err := New(cfg, testLogger())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if before != nil {
		before(b)
	}
	if err := b.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	tb := &testBroker{t: t, b: b, addr: b.Addr().String(),
		client: remoting.NewClient(remoting.ClientConfig{Logger: testLogger()})}
	t.Cleanup(tb.stop)
	return tb
}

// stop shuts the broker down (idempotent).
func (tb *testBroker) stop() {
	tb.client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := tb.b.Shutdown(ctx); err != nil {
		tb.t.Errorf("Shutdown: %v", err)
	}
}

// call sends a request and returns the response.
func (tb *testBroker) call(code int32, ext map[string]string, body []byte) *remoting.Command {
	tb.t.Helper()
	return callAddr(tb.t, tb.client, tb.addr, code, ext, body)
}

func callAddr(t testing.TB, c *remoting.Client, addr string, code int32, ext map[string]string, body []byte) *remoting.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout+10*time.Second)
	defer cancel()
	resp, err := c.InvokeSync(ctx, addr, remoting.NewRequest(code, ext, body))
	if err != nil {
		t.Fatalf("request %d: %v", code, err)
	}
	return resp
}

// sendExt is the long-name header of a single send, as the Go client sends it.
func sendExt(topic string, queueID int, props map[string]string) map[string]string {
	return map[string]string{
		"producerGroup":         "pg",
		"topic":                 topic,
		"queueId":               strconv.Itoa(queueID),
		"sysFlag":               "0",
		"bornTimestamp":         strconv.FormatInt(time.Now().UnixMilli(), 10),
		"flag":                  "0",
		"reconsumeTimes":        "0",
		"unitMode":              "false",
		"maxReconsumeTimes":     "0",
		"defaultTopic":          "TBW102",
		"defaultTopicQueueNums": "4",
		"batch":                 "false",
		"properties":            message.EncodeProperties(props),
	}
}

// sendV2Ext is the short-name header (SEND_MESSAGE_V2 / batch).
func sendV2Ext(topic string, queueID int, props map[string]string, batch bool) map[string]string {
	return map[string]string{
		"a": "pg", "b": topic, "c": "TBW102", "d": "4", "e": strconv.Itoa(queueID), "f": "0",
		"g": strconv.FormatInt(time.Now().UnixMilli(), 10), "h": "0", "i": message.EncodeProperties(props),
		"j": "0", "k": "false", "l": "0", "m": strconv.FormatBool(batch),
	}
}

// send sends one message with SEND_MESSAGE, requires success and waits
// until the message is visible to pulls (the store dispatches to consume
// queues asynchronously, as upstream's reput service does).
func (tb *testBroker) send(topic string, queueID int, body string, props map[string]string) *remoting.Command {
	tb.t.Helper()
	resp := tb.call(remoting.RequestSendMessage, sendExt(topic, queueID, props), []byte(body))
	if resp.Code != remoting.ResponseSuccess {
		tb.t.Fatalf("send to %s: code %d %q", topic, resp.Code, resp.Remark)
	}
	tb.waitVisible(resp)
	return resp
}

// waitVisible waits until the message(s) a send response reports can be
// pulled.
func (tb *testBroker) waitVisible(resp *remoting.Command) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := tb.b.store.WaitDispatched(ctx, tb.b.store.MaxPhysicalOffset()); err != nil {
		tb.t.Fatalf("message not dispatched: %v", err)
	}
}

// pullExt is a pull header as the Go push consumer sends it.
func pullExt(group, topic string, queueID int, offset int64, sysFlag int, sub string, suspendMs int) map[string]string {
	return map[string]string{
		"consumerGroup":        group,
		"topic":                topic,
		"queueId":              strconv.Itoa(queueID),
		"queueOffset":          strconv.FormatInt(offset, 10),
		"maxMsgNums":           "32",
		"sysFlag":              strconv.Itoa(sysFlag),
		"commitOffset":         "0",
		"suspendTimeoutMillis": strconv.Itoa(suspendMs),
		"subscription":         sub,
		"subVersion":           "0",
		"expressionType":       "TAG",
	}
}

// pull pulls without suspension, with the subscription in the request.
func (tb *testBroker) pull(group, topic string, queueID int, offset int64, sub string) *remoting.Command {
	tb.t.Helper()
	return tb.call(remoting.RequestPullMessage, pullExt(group, topic, queueID, offset, pullSubscription, sub, 0), nil)
}

// decode decodes a pull response body.
func decode(t testing.TB, body []byte) []*message.Ext {
	t.Helper()
	msgs, err := message.DecodeAll(body)
	if err != nil {
		t.Fatalf("decode pulled records: %v", err)
	}
	return msgs
}

// waitFor polls cond until it holds or waitTimeout passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeNamesrv is a name server that records what brokers send it.
type fakeNamesrv struct {
	srv *remoting.Server

	mu      sync.Mutex
	reqs    []*remoting.Command
	changed chan struct{}
}

func startFakeNamesrv(t *testing.T) *fakeNamesrv {
	t.Helper()
	ns := &fakeNamesrv{
		srv:     remoting.NewServer(remoting.ServerConfig{Addr: "127.0.0.1:0", Logger: testLogger()}),
		changed: make(chan struct{}, 1),
	}
	record := remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		ns.mu.Lock()
		ns.reqs = append(ns.reqs, req)
		ns.mu.Unlock()
		return remoting.NewResponse(req, remoting.ResponseSuccess, "")
	})
	ns.srv.Register(remoting.RequestRegisterBroker, "ns", record)
	ns.srv.Register(remoting.RequestUnregisterBroker, "ns", record)
	if err := ns.srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ns.srv.Shutdown(context.Background()) })
	return ns
}

func (ns *fakeNamesrv) addr() string { return ns.srv.Addr().String() }

// requests returns the recorded requests with the given code.
func (ns *fakeNamesrv) requests(code int32) []*remoting.Command {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	var out []*remoting.Command
	for _, r := range ns.reqs {
		if r.Code == code {
			out = append(out, r)
		}
	}
	return out
}

// createTopic creates a topic with UPDATE_AND_CREATE_TOPIC.
func (tb *testBroker) createTopic(topic string, queues int, perm int32) {
	tb.t.Helper()
	resp := tb.call(remoting.RequestUpdateAndCreateTopic, map[string]string{
		"topic": topic, "defaultTopic": "TBW102", "readQueueNums": strconv.Itoa(queues),
		"writeQueueNums": strconv.Itoa(queues), "perm": strconv.Itoa(int(perm)),
		"topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false",
	}, nil)
	if resp.Code != remoting.ResponseSuccess {
		tb.t.Fatalf("create topic %s: code %d %q", topic, resp.Code, resp.Remark)
	}
}
