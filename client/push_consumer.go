package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/saturnmq/saturn/message"
)

// MessageModel says how a group's consumers share messages.
type MessageModel int

const (
	// Clustering: each message goes to one consumer of the group; queues
	// are shared out among the consumers; offsets are kept by the brokers.
	Clustering MessageModel = iota
	// Broadcasting: every consumer gets every message; offsets are kept in
	// a local file.
	Broadcasting
)

// String returns upstream's name of the model.
func (m MessageModel) String() string {
	if m == Broadcasting {
		return "BROADCASTING"
	}
	return "CLUSTERING"
}

// ConsumeFrom says where a group starts in a queue it has no committed
// offset for. (A queue young enough that the broker still holds its first
// message in memory is started from its beginning by the broker whatever
// this says, as upstream.)
type ConsumeFrom int

const (
	// ConsumeFromLastOffset starts after the last message stored (new
	// messages only). Retry topics start from their beginning.
	ConsumeFromLastOffset ConsumeFrom = iota
	// ConsumeFromFirstOffset starts from the oldest message stored.
	ConsumeFromFirstOffset
	// ConsumeFromTimestamp starts from the first message stored at or
	// after PushConsumerConfig.ConsumeTimestamp.
	ConsumeFromTimestamp
)

// String returns upstream's name.
func (f ConsumeFrom) String() string {
	switch f {
	case ConsumeFromFirstOffset:
		return "CONSUME_FROM_FIRST_OFFSET"
	case ConsumeFromTimestamp:
		return "CONSUME_FROM_TIMESTAMP"
	}
	return "CONSUME_FROM_LAST_OFFSET"
}

// ConsumeResult is what a MessageHandler says about the messages it got.
type ConsumeResult int

const (
	// ConsumeSuccess: the messages are consumed; their offsets may be
	// committed.
	ConsumeSuccess ConsumeResult = iota
	// ConsumeRetryLater: redeliver the messages later (clustering: through
	// the group's retry topic, with growing delays, until
	// MaxReconsumeTimes, then to the dead-letter topic; broadcasting: the
	// messages are dropped, as upstream).
	ConsumeRetryLater
)

// MessageHandler consumes messages. It is called by up to
// PushConsumerConfig.Workers goroutines at once, with at most
// ConsumeBatchSize messages of one queue per call. ctx is cancelled when
// Shutdown gives up waiting for handlers. A panic counts as
// ConsumeRetryLater.
type MessageHandler func(ctx context.Context, msgs []*message.Ext) ConsumeResult

// Defaults of PushConsumerConfig.
const (
	DefaultConsumeWorkers         = 20
	DefaultPullBatchSize          = 32
	DefaultPullThresholdForQueue  = 1000
	DefaultPullThresholdSizeQueue = 100 << 20
	DefaultSuspendTimeout         = 20 * time.Second
	DefaultPullTimeout            = 30 * time.Second
	DefaultPullBackoff            = 3 * time.Second
	DefaultMaxReconsumeTimes      = 16
	DefaultRebalanceInterval      = 20 * time.Second
	DefaultOffsetPersistInterval  = 5 * time.Second
	// DefaultConsumeTimestampAge is how far back ConsumeFromTimestamp starts
	// when no ConsumeTimestamp is given (upstream: half an hour).
	DefaultConsumeTimestampAge = 30 * time.Minute
)

// PushConsumerConfig configures a PushConsumer. Zero values mean the
// documented defaults.
type PushConsumerConfig struct {
	// Group is the consumer group. Required.
	Group string
	// Model is Clustering (default) or Broadcasting.
	Model MessageModel
	// ConsumeFrom applies to queues the group has no offset for. Default
	// ConsumeFromLastOffset.
	ConsumeFrom ConsumeFrom
	// ConsumeTimestamp is where ConsumeFromTimestamp starts. Default
	// DefaultConsumeTimestampAge before Start.
	ConsumeTimestamp time.Time
	// Allocate shares the queues among the group's consumers (clustering).
	// Default AllocateAveragely.
	Allocate AllocateStrategy
	// Workers bounds the handler calls running at once. Default
	// DefaultConsumeWorkers (20).
	Workers int
	// ConsumeBatchSize is the most messages per handler call. Default 1.
	ConsumeBatchSize int
	// PullBatchSize is the most messages per pull. Default
	// DefaultPullBatchSize (32).
	PullBatchSize int
	// PullThresholdForQueue pauses pulling a queue while it holds this many
	// unconsumed messages. Default DefaultPullThresholdForQueue (1000).
	PullThresholdForQueue int
	// PullThresholdSizeForQueue pauses pulling a queue while its unconsumed
	// bodies take this many bytes. Default DefaultPullThresholdSizeQueue
	// (100 MiB).
	PullThresholdSizeForQueue int64
	// PullInterval is a pause after every pull. Default 0.
	PullInterval time.Duration
	// SuspendTimeout is how long a broker may hold a pull that finds
	// nothing (long polling). Default DefaultSuspendTimeout (20 s).
	SuspendTimeout time.Duration
	// PullTimeout bounds one pull request; it must exceed SuspendTimeout.
	// Default DefaultPullTimeout (30 s).
	PullTimeout time.Duration
	// PullBackoff is the pause after a pull failed. Default
	// DefaultPullBackoff (3 s).
	PullBackoff time.Duration
	// MaxReconsumeTimes is how often a message is redelivered before it
	// goes to the dead-letter topic. Default DefaultMaxReconsumeTimes (16).
	MaxReconsumeTimes int
	// RetryDelayLevel is the delay level of redeliveries; 0 (default) lets
	// the broker choose 3 + the number of redeliveries so far (10 s, 30 s,
	// 1 min, 2 min, ...).
	RetryDelayLevel int
	// RebalanceInterval is how often queues are shared out again (also
	// whenever a broker says the group's members changed). Default
	// DefaultRebalanceInterval (20 s).
	RebalanceInterval time.Duration
	// OffsetPersistInterval is how often offsets are committed. Default
	// DefaultOffsetPersistInterval (5 s). Offsets are also committed when
	// queues are given up and on Shutdown; unlike upstream clients, pulls
	// carry none (see pullLoop), so after a crash (not a clean shutdown)
	// up to this interval of messages may be delivered again.
	OffsetPersistInterval time.Duration
	// LazyProperties leaves Properties nil in the messages handed to the
	// handler: their properties stay encoded in RawProperties, where
	// Ext.Property, Tags, Keys and MsgID find them (message.DecodeProperties
	// gives the map). Decoding a map per message is a large part of what
	// consuming costs the client; handlers that use those methods, or no
	// properties at all, lose nothing by skipping it. Default false: every
	// message has its map, as upstream clients give it.
	LazyProperties bool
	// OffsetDir is where broadcasting consumers keep offsets, in
	// <OffsetDir>/<group>/offsets.json. Default <user home>/.saturn_offsets.
	OffsetDir string

	// localRetryDelay overrides localRetryDelay (tests).
	localRetryDelay time.Duration
}

func (cfg *PushConsumerConfig) setDefaults() error {
	if err := checkName("consumer group", cfg.Group, 255); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	if cfg.Allocate == nil {
		cfg.Allocate = AllocateAveragely
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.Workers, DefaultConsumeWorkers)
	def(&cfg.ConsumeBatchSize, 1)
	def(&cfg.PullBatchSize, DefaultPullBatchSize)
	def(&cfg.PullThresholdForQueue, DefaultPullThresholdForQueue)
	def(&cfg.MaxReconsumeTimes, DefaultMaxReconsumeTimes)
	if cfg.PullThresholdSizeForQueue <= 0 {
		cfg.PullThresholdSizeForQueue = DefaultPullThresholdSizeQueue
	}
	defD(&cfg.SuspendTimeout, DefaultSuspendTimeout)
	defD(&cfg.PullTimeout, DefaultPullTimeout)
	defD(&cfg.PullBackoff, DefaultPullBackoff)
	defD(&cfg.RebalanceInterval, DefaultRebalanceInterval)
	defD(&cfg.OffsetPersistInterval, DefaultOffsetPersistInterval)
	defD(&cfg.localRetryDelay, localRetryDelay)
	if cfg.PullTimeout <= cfg.SuspendTimeout {
		return fmt.Errorf("%w: pull timeout %v must exceed the suspend timeout %v", ErrInvalidConfig, cfg.PullTimeout, cfg.SuspendTimeout)
	}
	if cfg.RetryDelayLevel < 0 {
		return fmt.Errorf("%w: negative retry delay level", ErrInvalidConfig)
	}
	if cfg.Model == Broadcasting && cfg.OffsetDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("%w: no OffsetDir and no home directory: %v", ErrInvalidConfig, err)
		}
		cfg.OffsetDir = filepath.Join(home, ".saturn_offsets")
	}
	return nil
}

// PushConsumer consumes the topics it subscribes to: it takes its share of
// their queues, pulls them with long polling, hands the messages to its
// handler on a bounded pool of workers and commits offsets.
type PushConsumer struct {
	c       *Client
	cfg     PushConsumerConfig
	group   string
	handler MessageHandler
	log     *slog.Logger
	store   offsetStore
	retry   *Producer // resends to the retry topic when send-back fails

	mu      sync.Mutex
	subs    map[string]*subscription // by topic, retry topic included
	state   int                      // stateNew, stateRunning, stateClosed
	started time.Time
	queues  map[MessageQueue]*queueRunner

	rbMu sync.Mutex // serialises rebalances and offset resets
	// retryMissingSince is when rebalancing first found the retry topic
	// without a route (zero: it has one); retryWarned says that was
	// warned about. Both guarded by rbMu.
	retryMissingSince time.Time
	retryWarned       bool
	rbKick            chan struct{}
	tasks             chan consumeTask
	runCtx            context.Context // pulls, rebalances; cancelled first on Shutdown
	stopRun           context.CancelFunc
	conCtx            context.Context // handlers; cancelled when Shutdown gives up
	stopCon           context.CancelFunc
	loops             sync.WaitGroup // rebalance and persist loops, pull loops
	workers           sync.WaitGroup
	delayed           sync.WaitGroup // local re-consumption timers
}

// queueRunner is one owned queue: its process queue and pull loop.
type queueRunner struct {
	pq     *processQueue
	cancel context.CancelFunc
	done   chan struct{}
}

type consumeTask struct {
	pq   *processQueue
	msgs []*message.Ext
}

const (
	stateNew = iota
	stateRunning
	stateClosed
)

// NewPushConsumer returns a consumer of cfg.Group on c that passes messages
// to handler. Subscribe, then Start it.
func NewPushConsumer(c *Client, cfg PushConsumerConfig, handler MessageHandler) (*PushConsumer, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: nil message handler", ErrInvalidConfig)
	}
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	pc := &PushConsumer{
		c:       c,
		cfg:     cfg,
		group:   cfg.Group,
		handler: handler,
		log:     c.log.With("group", cfg.Group),
		subs:    make(map[string]*subscription),
		queues:  make(map[MessageQueue]*queueRunner),
		rbKick:  make(chan struct{}, 1),
		tasks:   make(chan consumeTask, cfg.Workers),
	}
	if cfg.Model == Broadcasting {
		pc.store = &localOffsets{path: filepath.Join(cfg.OffsetDir, cfg.Group, "offsets.json")}
	} else {
		pc.store = &remoteOffsets{c: c, group: cfg.Group}
		var err error
		if pc.retry, err = newProducer(c, ProducerConfig{Group: "CLIENT_INNER_PRODUCER"}); err != nil {
			return nil, err
		}
	}
	pc.runCtx, pc.stopRun = context.WithCancel(context.Background())
	pc.conCtx, pc.stopCon = context.WithCancel(context.Background())
	return pc, nil
}

// Group returns the consumer group.
func (pc *PushConsumer) Group() string { return pc.group }

// Subscribe consumes topic's messages whose tag matches expr: "*" (or "")
// for all, or tags joined by "||" ("TagA || TagB"). Subscribing a topic
// again replaces its expression. It may be called before and after Start;
// after Start the brokers learn of the change at once.
func (pc *PushConsumer) Subscribe(topic, expr string) error {
	if err := checkName("topic", topic, maxTopicLength); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidConfig, err)
	}
	pc.mu.Lock()
	if pc.state == stateClosed {
		pc.mu.Unlock()
		return ErrClosed
	}
	pc.subs[topic] = newSubscription(topic, expr)
	running := pc.state == stateRunning
	pc.mu.Unlock()
	if running {
		pc.c.kickHeartbeat()
		pc.kickRebalance()
	}
	return nil
}

// Unsubscribe stops consuming topic.
func (pc *PushConsumer) Unsubscribe(topic string) {
	pc.mu.Lock()
	delete(pc.subs, topic)
	running := pc.state == stateRunning
	pc.mu.Unlock()
	if running {
		pc.c.kickHeartbeat()
		pc.kickRebalance()
	}
}

func (pc *PushConsumer) subscriptions() map[string]*subscription {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return maps.Clone(pc.subs)
}

// Start registers the group on the Client, tells the brokers about it,
// takes the consumer's share of queues and starts consuming. ctx bounds the
// first heartbeat and rebalance; queues that could not be set up then are
// retried at every rebalance.
func (pc *PushConsumer) Start(ctx context.Context) error {
	pc.mu.Lock()
	switch {
	case pc.state == stateClosed:
		pc.mu.Unlock()
		return ErrClosed
	case pc.state == stateRunning:
		pc.mu.Unlock()
		return nil
	case len(pc.subs) == 0:
		pc.mu.Unlock()
		return fmt.Errorf("%w: consumer %s subscribes to no topic", ErrInvalidConfig, pc.group)
	}
	if pc.cfg.Model == Clustering {
		rt := RetryTopic(pc.group)
		if _, ok := pc.subs[rt]; !ok {
			pc.subs[rt] = newSubscription(rt, SubscribeAll)
		}
	}
	if pc.cfg.ConsumeFrom == ConsumeFromTimestamp && pc.cfg.ConsumeTimestamp.IsZero() {
		pc.cfg.ConsumeTimestamp = time.Now().Add(-DefaultConsumeTimestampAge)
	}
	pc.started = time.Now()
	pc.state = stateRunning
	pc.mu.Unlock()

	if err := pc.c.addConsumer(pc.group, pc); err != nil {
		pc.mu.Lock()
		pc.state = stateClosed
		pc.mu.Unlock()
		return err
	}
	// Routes first, so the heartbeat reaches the brokers of these topics
	// (which create the retry topic on it), then the first rebalance.
	var addrs []string
	for topic := range pc.subscriptions() {
		e, err := pc.c.topicRoute(ctx, topic)
		if err != nil {
			if strings.HasPrefix(topic, retryTopicPrefix) {
				// Normal: brokers create it on the heartbeat below.
				pc.log.Debug("client: no route for the retry topic yet", "topic", topic)
			} else {
				pc.log.Warn("client: no route for subscribed topic yet", "topic", topic, "err", err)
			}
			continue
		}
		for _, b := range e.route.Brokers {
			for _, a := range b.Addrs {
				if !slices.Contains(addrs, a) {
					addrs = append(addrs, a)
				}
			}
		}
	}
	pc.c.heartbeatTo(ctx, addrs)
	for range pc.cfg.Workers {
		pc.workers.Add(1)
		go pc.worker()
	}
	pc.rebalance(ctx)
	pc.loops.Add(2)
	go pc.rebalanceLoop()
	go pc.persistLoop()
	return nil
}

// Shutdown stops pulling, waits (within ctx) for running handler calls,
// commits the offsets, and leaves the group; the remaining consumers take
// over its queues. Messages pulled but not handed to the handler yet are
// delivered again to whoever owns their queue next.
func (pc *PushConsumer) Shutdown(ctx context.Context) error {
	pc.mu.Lock()
	if pc.state == stateClosed {
		pc.mu.Unlock()
		return nil
	}
	wasRunning := pc.state == stateRunning
	pc.state = stateClosed
	pc.mu.Unlock()
	pc.stopRun()
	if !wasRunning {
		pc.stopCon()
		return nil
	}
	var errs []error
	done := make(chan struct{})
	go func() {
		pc.loops.Wait()
		pc.workers.Wait()
		pc.delayed.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		pc.stopCon() // tell handlers to give up
		errs = append(errs, fmt.Errorf("client: consumer %s: handlers still running: %w", pc.group, context.Cause(ctx)))
		<-done
	}
	pc.stopCon()
	pc.mu.Lock()
	held := slices.Collect(maps.Keys(pc.queues))
	pc.mu.Unlock()
	pctx, cancel := pc.c.withTimeout(context.WithoutCancel(ctx), 0)
	if err := pc.store.persist(pctx, held); err != nil {
		errs = append(errs, err)
	}
	cancel()
	pc.c.removeConsumer(pc.group, pc)
	pctx, cancel = pc.c.withTimeout(context.WithoutCancel(ctx), 0)
	pc.c.unregisterClient(pctx, "", pc.group)
	cancel()
	return errors.Join(errs...)
}

func (pc *PushConsumer) shutdown(ctx context.Context) error { return pc.Shutdown(ctx) }

// Assigned returns the queues the consumer owns now, sorted.
func (pc *PushConsumer) Assigned() []MessageQueue {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return slices.SortedFunc(maps.Keys(pc.queues), compareQueues)
}

// CommittedOffset returns the offset of mq the consumer will commit (or has
// committed), if it knows one.
func (pc *PushConsumer) CommittedOffset(mq MessageQueue) (int64, bool) {
	return pc.store.get(mq)
}

// heartbeatData describes the consumer in heartbeats.
func (pc *PushConsumer) heartbeatData() consumerData {
	d := consumerData{
		GroupName:        pc.group,
		ConsumeType:      consumePassively,
		MessageModel:     pc.cfg.Model.String(),
		ConsumeFromWhere: pc.cfg.ConsumeFrom.String(),
	}
	subs := pc.subscriptions()
	for _, t := range slices.Sorted(maps.Keys(subs)) {
		d.SubscriptionDataSet = append(d.SubscriptionDataSet, subs[t].data())
	}
	if d.SubscriptionDataSet == nil {
		d.SubscriptionDataSet = []subscriptionData{}
	}
	return d
}

func (pc *PushConsumer) idsChanged() { pc.kickRebalance() }

func (pc *PushConsumer) kickRebalance() {
	select {
	case pc.rbKick <- struct{}{}:
	default:
	}
}

// runningInfo is a minimal ConsumerRunningInfo: properties and
// subscriptions (no per-queue tables).
func (pc *PushConsumer) runningInfo() []byte {
	var info struct {
		Properties      map[string]string  `json:"properties"`
		SubscriptionSet []subscriptionData `json:"subscriptionSet"`
		MQTable         map[string]any     `json:"mqTable"`
		StatusTable     map[string]any     `json:"statusTable"`
		Jstack          string             `json:"jstack"`
	}
	pc.mu.Lock()
	start := pc.started
	pc.mu.Unlock()
	info.Properties = runningInfoProps(pc.c, consumePassively, pc.cfg.Workers, start.UnixMilli())
	info.Properties["PROP_CONSUMER_MODEL"] = pc.cfg.Model.String()
	info.SubscriptionSet = pc.heartbeatData().SubscriptionDataSet
	info.MQTable, info.StatusTable = map[string]any{}, map[string]any{}
	b, _ := json.Marshal(&info)
	return b
}

// persistLoop commits offsets periodically.
func (pc *PushConsumer) persistLoop() {
	defer pc.loops.Done()
	t := time.NewTicker(pc.cfg.OffsetPersistInterval)
	defer t.Stop()
	for {
		select {
		case <-pc.runCtx.Done():
			return
		case <-t.C:
		}
		pc.mu.Lock()
		held := slices.Collect(maps.Keys(pc.queues))
		pc.mu.Unlock()
		// Not cancelled by Shutdown: a commit abandoned half way may
		// still reach the broker after Shutdown's final commit of the
		// same queue and move its offset back. persist returning means
		// the broker has stored (or refused) everything sent.
		ctx, cancel := pc.c.withTimeout(context.WithoutCancel(pc.runCtx), 0)
		if err := pc.store.persist(ctx, held); err != nil && pc.runCtx.Err() == nil {
			pc.log.Warn("client: committing offsets failed", "err", err)
		}
		cancel()
	}
}
