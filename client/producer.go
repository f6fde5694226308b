package client

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// Defaults of ProducerConfig.
const (
	// DefaultProducerGroup is upstream's default producer group.
	DefaultProducerGroup = "DEFAULT_PRODUCER"
	// DefaultSendAttempts is upstream's 1 + retryTimesWhenSendFailed (2).
	DefaultSendAttempts = 3
	// DefaultSendTimeout is upstream's sendMsgTimeout.
	DefaultSendTimeout = 3 * time.Second
	// DefaultCompressThreshold is upstream's compressMsgBodyOverHowmuch.
	DefaultCompressThreshold = 4096
	// DefaultCompressLevel is upstream's zlib level.
	DefaultCompressLevel = 5
	// DefaultMaxMessageSize is upstream's maxMessageSize (4 MiB).
	DefaultMaxMessageSize = 4 << 20
	// DefaultCreateTopicKey is the template topic of auto-creation.
	DefaultCreateTopicKey = "TBW102"
	// DefaultTopicQueueNums is the queue count asked for on auto-creation.
	DefaultTopicQueueNums = 4
)

// ProducerConfig configures a Producer. Zero values mean the documented
// defaults.
type ProducerConfig struct {
	// Group is the producer group. Default DefaultProducerGroup.
	Group string

	// Selector picks the queue of each message. Default
	// RoundRobinSelector(). See QueueSelector for how candidates are
	// narrowed on retries and by fault avoidance.
	Selector QueueSelector

	// MaxAttempts is how many times a synchronous, asynchronous or batch
	// send is tried, each time on another broker when there is one, while
	// the context allows. Default DefaultSendAttempts (3); 1 disables
	// retries. Oneway sends are retried only when they could not be
	// written at all. Retries can store a message twice (the first attempt
	// may have succeeded without its answer arriving); consumers of
	// at-least-once systems must tolerate duplicates anyway.
	MaxAttempts int

	// SendTimeout bounds a send (all its attempts) when the context has no
	// deadline. Default DefaultSendTimeout (3 s). Sends starting at about
	// the same time share one deadline, so a send may time out up to 1% of
	// SendTimeout (at most 50 ms) later than this.
	SendTimeout time.Duration

	// CompressThreshold is the body size from which single messages are
	// zlib-compressed (when that makes them smaller). Default
	// DefaultCompressThreshold (4 KiB); negative disables compression.
	// Batches are never compressed, as upstream.
	CompressThreshold int

	// CompressLevel is the zlib level. Default DefaultCompressLevel (5).
	CompressLevel int

	// MaxMessageSize is the largest body (before compression) or batch
	// body accepted. Default DefaultMaxMessageSize (4 MiB), the brokers'
	// default limit.
	MaxMessageSize int

	// CreateTopicKey is the template topic whose route stands in for topics
	// the name servers do not know yet, so that the first send makes the
	// broker create the topic (if the broker allows auto-creation). Default
	// DefaultCreateTopicKey ("TBW102").
	CreateTopicKey string

	// DefaultTopicQueueNums is the queue count per broker asked for when a
	// send creates a topic. Default DefaultTopicQueueNums (4).
	DefaultTopicQueueNums int

	// DisableFaultAvoidance turns off upstream's latency-fault avoidance:
	// by default a broker that answered slowly (≥ 550 ms) or not at all is
	// avoided for a while (30 s up to 10 min) when other brokers host the
	// topic. Producers with it set also report no latencies to the
	// avoidance other producers of their Client may use, as upstream's.
	DisableFaultAvoidance bool

	// LegacyHeader sends single messages with SEND_MESSAGE (code 10, long
	// header names, as rocketmq-client-go does) instead of SEND_MESSAGE_V2
	// (code 310, one-letter names, the Java client's default and cheaper).
	LegacyHeader bool
}

func (cfg *ProducerConfig) setDefaults() error {
	if cfg.Group == "" {
		cfg.Group = DefaultProducerGroup
	}
	if err := checkName("producer group", cfg.Group, 255); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if cfg.Selector == nil {
		cfg.Selector = RoundRobinSelector()
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultSendAttempts
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	if cfg.CompressThreshold == 0 {
		cfg.CompressThreshold = DefaultCompressThreshold
	}
	if cfg.CompressLevel == 0 {
		cfg.CompressLevel = DefaultCompressLevel
	}
	if cfg.CompressLevel < -2 || cfg.CompressLevel > 9 {
		return fmt.Errorf("%w: zlib level %d", ErrInvalidConfig, cfg.CompressLevel)
	}
	if cfg.MaxMessageSize <= 0 {
		cfg.MaxMessageSize = DefaultMaxMessageSize
	}
	if cfg.CreateTopicKey == "" {
		cfg.CreateTopicKey = DefaultCreateTopicKey
	}
	if cfg.DefaultTopicQueueNums <= 0 {
		cfg.DefaultTopicQueueNums = DefaultTopicQueueNums
	}
	return nil
}

// Producer sends messages. It is safe for concurrent use; one Producer per
// group and Client.
type Producer struct {
	c      *Client
	cfg    ProducerConfig
	group  string
	stable bool // the selector wants every queue, always
	keys   *sendKeys
	// binary says requests go in the ROCKETMQ binary serialization: their
	// headers are then encoded straight from sendReq.hdr, without a map.
	binary bool
	// fixed caches fixedHeader for v2Keys (0) and v1Keys (1).
	fixed [2]atomic.Pointer[remoting.BinaryExt]
	// lead and tail cache leadHeader and tailHeader, indexed like fixed
	// (tail then by batch: false 0, true 1).
	lead [2]atomic.Pointer[leadExt]
	tail [2][2]atomic.Pointer[remoting.BinaryExt]

	closed   atomic.Bool
	smu      sync.RWMutex   // orders inflight.Add before Shutdown's Wait
	inflight sync.WaitGroup // asynchronous sends not yet called back
	reqs     sync.Pool      // *sendReq
	zlib     zlibPools

	deadline   *sharedDeadline         // of sends whose context has none
	defQueues  string                  // cfg.DefaultTopicQueueNums, formatted
	born       atomic.Pointer[msStamp] // bornTimestamp of the current millisecond
	validTopic atomic.Pointer[string]  // the last topic that passed checkTopic
}

// NewProducer returns a producer of cfg.Group on c and announces the group
// to the brokers with the next heartbeat.
func NewProducer(c *Client, cfg ProducerConfig) (*Producer, error) {
	p, err := newProducer(c, cfg)
	if err != nil {
		return nil, err
	}
	if err := c.addProducer(p); err != nil {
		return nil, err
	}
	c.kickHeartbeat()
	return p, nil
}

// newProducer builds a producer without registering its group (consumers
// use one to resend messages to retry topics).
func newProducer(c *Client, cfg ProducerConfig) (*Producer, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	p := &Producer{c: c, cfg: cfg, group: cfg.Group, keys: &v2Keys,
		deadline:  newSharedDeadline(cfg.SendTimeout),
		defQueues: strconv.Itoa(cfg.DefaultTopicQueueNums)}
	if cfg.LegacyHeader {
		p.keys = &v1Keys
	}
	p.binary = c.cfg.Serialize == remoting.SerializeRocketMQ
	if s, ok := cfg.Selector.(StableSelector); ok && s.Stable() {
		p.stable = true
	}
	return p, nil
}

// Group returns the producer group.
func (p *Producer) Group() string { return p.group }

// Shutdown stops the producer: later sends fail with ErrClosed. It waits,
// within ctx, for the callbacks of asynchronous sends in flight, and tells
// the brokers the group left.
func (p *Producer) Shutdown(ctx context.Context) error {
	p.smu.Lock()
	already := p.closed.Swap(true)
	p.smu.Unlock()
	if already {
		return nil
	}
	done := make(chan struct{})
	go func() { p.inflight.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("client: producer %s: asynchronous sends still in flight: %w", p.group, context.Cause(ctx))
	}
	p.c.removeProducer(p.group)
	p.c.unregisterClient(ctx, p.group, "")
	return err
}

// unregisterClient tells the masters of the brokers in use that a group of
// this client is gone, so they do not wait for the heartbeat to expire.
// Failures are only logged: expiry cleans up anyway.
func (c *Client) unregisterClient(ctx context.Context, producerGroup, consumerGroup string) {
	if c.isClosed() {
		return
	}
	ext := map[string]string{"clientID": c.id}
	if producerGroup != "" {
		ext["producerGroup"] = producerGroup
	}
	if consumerGroup != "" {
		ext["consumerGroup"] = consumerGroup
	}
	c.hbMu.Lock() // see hbMu
	defer c.hbMu.Unlock()
	var wg sync.WaitGroup
	for _, b := range c.routes.allBrokers() {
		addr := b.MasterAddr()
		if addr == "" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := remoting.NewRequest(remoting.RequestUnregisterClient, ext, nil)
			if _, err := c.invokeOK(ctx, addr, req); err != nil {
				c.log.Debug("client: unregister failed", "broker", addr, "err", err)
			}
		}()
	}
	wg.Wait()
}
