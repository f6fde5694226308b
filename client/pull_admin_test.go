package client

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

func TestPullConsumer(t *testing.T) {
	env := newTestEnv(t, 1)
	a := env.brokers[0]
	env.ns.setRoute("T", 2, PermRead|PermWrite, a)
	for i := range 5 {
		tag := "A"
		if i%2 == 1 {
			tag = "B"
		}
		a.put("T", 0, "m"+strconv.Itoa(i), map[string]string{message.PropertyTags: tag})
	}
	pc, err := NewPullConsumer(env.c, PullConsumerConfig{Group: "pullg"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Shutdown(context.Background()) })
	ctx := testCtx(t)
	qs, err := pc.Queues(ctx, "T")
	if err != nil || len(qs) != 2 || qs[0] != (MessageQueue{"T", "broker-a", 0}) {
		t.Fatalf("queues %v %v", qs, err)
	}
	mq := qs[0]

	res, err := pc.Pull(ctx, mq, 0, PullOptions{MaxMessages: 3})
	if err != nil || res.Status != PullFound || len(res.Messages) != 3 || res.NextBeginOffset != 3 || res.MaxOffset != 5 {
		t.Fatalf("pull: %+v %v", res, err)
	}
	if string(res.Messages[2].Body) != "m2" || res.Messages[2].QueueOffset != 2 {
		t.Fatalf("third message %+v", res.Messages[2])
	}
	res, err = pc.Pull(ctx, mq, 0, PullOptions{Expr: "B"})
	if err != nil || len(res.Messages) != 2 || res.NextBeginOffset != 5 || res.Messages[1].Tags() != "B" {
		t.Fatalf("filtered pull: %+v %v", res, err)
	}
	res, err = pc.Pull(ctx, mq, 5, PullOptions{})
	if err != nil || res.Status != PullNoNewMessage || res.NextBeginOffset != 5 {
		t.Fatalf("pull at end: %+v %v", res, err)
	}
	res, err = pc.Pull(ctx, mq, 50, PullOptions{})
	if err != nil || res.Status != PullOffsetIllegal || res.NextBeginOffset != 5 {
		t.Fatalf("pull past end: %+v %v", res, err)
	}
	// Long polling: the pull waits until a message arrives.
	done := make(chan *PullResult, 1)
	go func() {
		r, err := pc.Pull(ctx, mq, 5, PullOptions{Suspend: 10 * time.Second})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	waitFor(t, "held pull", func() bool {
		for _, r := range a.requests(remoting.RequestPullMessage) {
			if r.ExtFields["suspendTimeoutMillis"] == "10000" {
				return true
			}
		}
		return false
	})
	a.put("T", 0, "late", nil)
	if r := <-done; r == nil || r.Status != PullFound || string(r.Messages[0].Body) != "late" {
		t.Fatalf("long poll: %+v", r)
	}

	// Offsets.
	if off, err := pc.CommittedOffset(ctx, mq); err != nil || off != -1 {
		t.Fatalf("committed before commit: %d %v", off, err)
	}
	if err := pc.CommitOffset(ctx, mq, 4); err != nil {
		t.Fatal(err)
	}
	if off, err := pc.CommittedOffset(ctx, mq); err != nil || off != 4 {
		t.Fatalf("committed: %d %v", off, err)
	}
	if off, err := pc.MaxOffset(ctx, mq); err != nil || off != 6 {
		t.Fatalf("max offset: %d %v", off, err)
	}
	if off, err := pc.MinOffset(ctx, mq); err != nil || off != 0 {
		t.Fatalf("min offset: %d %v", off, err)
	}
	// The heartbeat announces the group as a pull group.
	env.c.sendHeartbeats(ctx)
	hbs := a.requests(remoting.RequestHeartBeat)
	if len(hbs) == 0 || !containsAll(string(hbs[len(hbs)-1].Body), `"groupName":"pullg"`, `"consumeType":"CONSUME_ACTIVELY"`, `"topic":"T"`) {
		t.Fatalf("heartbeats: %d", len(hbs))
	}
	if _, err := pc.Pull(ctx, mq, -1, PullOptions{}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("negative offset: %v", err)
	}
	if _, err := pc.Pull(ctx, MessageQueue{"Nope", "broker-z", 0}, 0, PullOptions{}); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("unknown topic: %v", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestAdmin(t *testing.T) {
	env := newTestEnv(t, 2)
	a, b := env.brokers[0], env.brokers[1]
	env.ns.setClusters("c1", a, b)
	adm := NewAdmin(env.c)
	ctx := testCtx(t)

	ci, err := adm.ClusterInfo(ctx)
	if err != nil || len(ci.Brokers) != 2 || ci.Brokers["broker-b"].MasterAddr() != b.addr() ||
		!slices.Equal(ci.Clusters["c1"], []string{"broker-a", "broker-b"}) {
		t.Fatalf("cluster info %+v %v", ci, err)
	}

	if err := adm.CreateTopic(ctx, TopicConfig{Topic: "NewT", ReadQueues: 3, WriteQueues: 2, Cluster: "c1"}); err != nil {
		t.Fatal(err)
	}
	for _, br := range env.brokers {
		reqs := br.requests(remoting.RequestUpdateAndCreateTopic)
		if len(reqs) != 1 {
			t.Fatalf("%s got %d create requests", br.name, len(reqs))
		}
		e := reqs[0].ExtFields
		if e["topic"] != "NewT" || e["readQueueNums"] != "3" || e["writeQueueNums"] != "2" || e["perm"] != "6" ||
			e["topicFilterType"] != "SINGLE_TAG" || e["order"] != "false" || e["defaultTopic"] != "TBW102" {
			t.Fatalf("create header %v", e)
		}
	}
	if err := adm.CreateTopic(ctx, TopicConfig{Topic: "Only", BrokerAddrs: []string{b.addr()}}); err != nil {
		t.Fatal(err)
	}
	if len(a.requests(remoting.RequestUpdateAndCreateTopic)) != 1 || len(b.requests(remoting.RequestUpdateAndCreateTopic)) != 2 {
		t.Fatal("explicit broker list not honoured")
	}
	if err := adm.CreateTopic(ctx, TopicConfig{Topic: "bad topic"}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("bad topic: %v", err)
	}
	if err := adm.CreateTopic(ctx, TopicConfig{Topic: "X", Cluster: "nope"}); !errors.Is(err, ErrInvalidConfig) {
		t.Fatalf("unknown cluster: %v", err)
	}

	env.ns.setRoute("T", 2, PermRead|PermWrite, a, b)
	topics, err := adm.Topics(ctx)
	if err != nil || !slices.Equal(topics, []string{"T"}) {
		t.Fatalf("topics %v %v", topics, err)
	}
	r, err := adm.Route(ctx, "T")
	if err != nil || len(r.Brokers) != 2 || len(r.Queues) != 2 {
		t.Fatalf("route %+v %v", r, err)
	}
	if _, err := adm.Route(ctx, "Missing"); !errors.Is(err, ErrNoRoute) {
		t.Fatalf("missing route: %v", err)
	}

	// Offsets and lag.
	for i := range 5 {
		a.put("T", 0, "m"+strconv.Itoa(i), nil)
	}
	b.put("T", 1, "x", nil)
	a.setCommitted("cg", "T", 0, 2)
	g, err := adm.ConsumerOffsets(ctx, "cg", "T")
	if err != nil || len(g.Queues) != 4 || g.Lag() != 4 {
		t.Fatalf("consumer offsets %+v %v", g, err)
	}
	if q := g.Queues[0]; q.Queue != (MessageQueue{"T", "broker-a", 0}) || q.BrokerOffset != 5 || q.ConsumerOffset != 2 || q.Lag() != 3 {
		t.Fatalf("queue 0: %+v", q)
	}
	cs, err := adm.ConsumeStats(ctx, "cg", "T")
	if err != nil || len(cs.Queues) != 2 || cs.Lag() != 4 || cs.ConsumeTPS != 3 {
		t.Fatalf("consume stats %+v %v", cs, err)
	}
	mq := MessageQueue{"T", "broker-a", 0}
	if off, err := adm.MaxOffset(ctx, mq); err != nil || off != 5 {
		t.Fatalf("max %d %v", off, err)
	}
	if off, err := adm.SearchOffset(ctx, mq, time.Now().UnixMilli()); err != nil || off != 0 {
		t.Fatalf("search %d %v", off, err)
	}
	if err := adm.CreateGroup(ctx, GroupConfig{Group: "cg", BrokerAddrs: []string{a.addr()}}); err != nil {
		t.Fatal(err)
	}
	if reqs := a.requests(remoting.RequestUpdateAndCreateSubscriptionGroup); len(reqs) != 1 ||
		!containsAll(string(reqs[0].Body), `"groupName":"cg"`, `"retryMaxTimes":16`, `"retryQueueNums":1`) {
		t.Fatalf("create group %v", reqs)
	}

	if err := adm.DeleteTopic(ctx, "T", ""); err != nil {
		t.Fatal(err)
	}
	if len(a.requests(remoting.RequestDeleteTopicInBroker)) != 1 || len(b.requests(remoting.RequestDeleteTopicInBroker)) != 1 ||
		env.ns.count(remoting.RequestDeleteTopicInNamesrv) != 1 {
		t.Fatal("delete did not reach every broker and the name server")
	}
	if env.c.routes.get("T") != nil {
		t.Fatal("deleted topic still cached")
	}
}

func TestNameServerFailover(t *testing.T) {
	env := newTestEnv(t, 1)
	env.ns.setRoute("T", 1, PermRead|PermWrite, env.brokers[0])
	// The first name server in the list does not answer at all.
	dead := newFakeNameServer(t)
	deadAddr := dead.addr()
	shutdownServer(dead.srv)
	c := env.newClient(t, func(cfg *Config) { cfg.NameServers = []string{deadAddr, env.ns.addr()} })
	adm := NewAdmin(c)
	for range 4 {
		if _, err := adm.Route(testCtx(t), "T"); err != nil {
			t.Fatal(err)
		}
	}
	if n := env.ns.count(remoting.RequestGetRouteInfoByTopic); n != 4 {
		t.Fatalf("live name server answered %d of 4", n)
	}
}

func TestClientConfigAndClose(t *testing.T) {
	for _, cfg := range []Config{{}, {NameServers: []string{"nohostport"}}, {NameServers: []string{"a:1"}, ClientIP: "x"}} {
		if _, err := New(cfg); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	env := newTestEnv(t, 1)
	c := env.newClient(t, func(cfg *Config) { cfg.InstanceName = "inst"; cfg.ClientIP = "10.1.2.3"; cfg.UnitName = "u" })
	if c.ID() != "10.1.2.3@inst@u" {
		t.Fatalf("id %q", c.ID())
	}
	env.ns.setRoute("T", 1, PermRead|PermWrite, env.brokers[0])
	p, err := NewProducer(c, ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Close(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.SendSync(testCtx(t), msg("T", "x", nil)); !errors.Is(err, ErrClosed) {
		t.Fatalf("send after close: %v", err)
	}
	if _, err := NewProducer(c, ProducerConfig{Group: "other"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("producer after close: %v", err)
	}
}
