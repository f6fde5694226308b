package interop

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	rocketmq "github.com/apache/rocketmq-client-go/v2"
	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/consumer"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"

	"github.com/saturnmq/saturn/interop/harness"
)

// saturn is one `saturn serve` process under test.
type saturn struct {
	t          testing.TB
	proc       *harness.Process
	dataDir    string
	nsAddr     string
	brokerAddr string
	extra      []string
}

// instanceSeq makes client instance names unique: the official client caches
// its network client per instance name, process-wide, so two tests must never
// share one.
var instanceSeq atomic.Int64

func instanceName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, instanceSeq.Add(1))
}

// startSaturn runs `saturn serve` on fresh loopback ports with a data dir of
// its own; extra flags are passed through (e.g. --broker-set flushDiskType=SYNC_FLUSH).
func startSaturn(t testing.TB, extra ...string) *saturn {
	t.Helper()
	addrs := harness.FreeAddrs(t, 2)
	s := &saturn{t: t, dataDir: t.TempDir(), nsAddr: addrs[0], brokerAddr: addrs[1], extra: extra}
	s.start()
	return s
}

func (s *saturn) start() {
	s.t.Helper()
	args := append([]string{"serve", "--data-dir", s.dataDir,
		"--namesrv-listen", s.nsAddr, "--broker-listen", s.brokerAddr}, s.extra...)
	s.proc = harness.Start(s.t, binary(s.t), []string{s.nsAddr, s.brokerAddr}, args...)
}

// restart stops the process (gracefully, or with SIGKILL when kill is set)
// and starts it again on the same ports and data.
func (s *saturn) restart(kill bool) {
	s.t.Helper()
	if kill {
		s.proc.Kill()
	} else if err := s.proc.Stop(30 * time.Second); err != nil {
		s.t.Fatalf("graceful stop: %v\n%s", err, s.proc.Logs())
	}
	s.start()
}

func (s *saturn) resolver() primitive.NsResolver {
	return primitive.NewPassthroughResolver([]string{s.nsAddr})
}

// createTopic creates topic with the given queue count through the official
// admin client and waits until the name server routes it.
func (s *saturn) createTopic(topic string, queues int) {
	s.t.Helper()
	adm, err := admin.NewAdmin(admin.WithResolver(s.resolver()))
	if err != nil {
		s.t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := adm.CreateTopic(ctx, admin.WithTopicCreate(topic), admin.WithBrokerAddrCreate(s.brokerAddr),
		admin.WithReadQueueNums(queues), admin.WithWriteQueueNums(queues)); err != nil {
		s.t.Fatalf("create topic %s: %v", topic, err)
	}
	s.waitRoute(adm, topic, queues)
}

// waitRoute waits until the name server routes topic with the given queue
// count: after a start the broker registers in the background, and the
// official consumer's Start fails for a topic without a route.
func (s *saturn) waitRoute(adm admin.Admin, topic string, queues int) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	eventually(s.t, 20*time.Second, fmt.Sprintf("route of %s with %d queues", topic, queues), func() bool {
		mqs, err := adm.FetchPublishMessageQueues(ctx, topic)
		return err == nil && len(mqs) == queues
	})
}

// restartRouted is restart, then waits until topic is routed again with
// the given queue count.
func (s *saturn) restartRouted(kill bool, topic string, queues int) {
	s.t.Helper()
	s.restart(kill)
	adm, err := admin.NewAdmin(admin.WithResolver(s.resolver()))
	if err != nil {
		s.t.Fatal(err)
	}
	defer adm.Close()
	s.waitRoute(adm, topic, queues)
}

// newProducer starts an official producer against s.
func (s *saturn) newProducer(opts ...producer.Option) rocketmq.Producer {
	s.t.Helper()
	return s.newProducerWith([]string{s.nsAddr}, opts...)
}

// newProducerWith starts an official producer that knows the name servers
// nameServers.
func (s *saturn) newProducerWith(nameServers []string, opts ...producer.Option) rocketmq.Producer {
	s.t.Helper()
	opts = append([]producer.Option{
		producer.WithNsResolver(primitive.NewPassthroughResolver(nameServers)),
		producer.WithGroupName("interop-producer"),
		producer.WithInstanceName(instanceName("producer")),
		producer.WithRetry(2),
		producer.WithSendMsgTimeout(10 * time.Second),
	}, opts...)
	p, err := rocketmq.NewProducer(opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = p.Shutdown() })
	return p
}

// received collects what a push consumer was handed.
type received struct {
	mu   sync.Mutex
	msgs map[string]*primitive.MessageExt // by the key the test gave the message
	dups int
}

func newReceived() *received { return &received{msgs: map[string]*primitive.MessageExt{}} }

func (r *received) add(m *primitive.MessageExt) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := m.GetKeys()
	if _, ok := r.msgs[k]; ok {
		r.dups++
	}
	r.msgs[k] = m
}

func (r *received) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

func (r *received) get(k string) (*primitive.MessageExt, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.msgs[k]
	return m, ok
}

func (r *received) keys() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]bool, len(r.msgs))
	for k := range r.msgs {
		out[k] = true
	}
	return out
}

// consume starts an official clustering push consumer of group on topic with
// the tag expression, recording what arrives into into.
func (s *saturn) consume(group, topic, expr string, into *received, opts ...consumer.Option) rocketmq.PushConsumer {
	s.t.Helper()
	opts = append([]consumer.Option{
		consumer.WithNsResolver(s.resolver()),
		consumer.WithGroupName(group),
		consumer.WithInstance(instanceName("consumer")),
		consumer.WithConsumeFromWhere(consumer.ConsumeFromFirstOffset),
	}, opts...)
	c, err := rocketmq.NewPushConsumer(opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	sel := consumer.MessageSelector{Type: consumer.TAG, Expression: expr}
	err = c.Subscribe(topic, sel, func(_ context.Context, msgs ...*primitive.MessageExt) (consumer.ConsumeResult, error) {
		for _, m := range msgs {
			into.add(m)
		}
		return consumer.ConsumeSuccess, nil
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = c.Shutdown() })
	return c
}

// eventually polls cond until it holds or limit passes. Limits are generous:
// the machine is small and shared, and only correctness is asserted here.
func eventually(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
