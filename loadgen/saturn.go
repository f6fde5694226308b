package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/saturnmq/saturn/client"
	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// SaturnConfig configures a SaturnTarget.
type SaturnConfig struct {
	// NameServers lists the name servers ("host:port"). Required.
	NameServers []string
	// JSONHeaders sends request headers as JSON (the default of RocketMQ
	// clients) instead of the cheaper binary ROCKETMQ form.
	JSONHeaders bool
	// SendTimeout bounds one send, retries included. Default
	// client.DefaultSendTimeout.
	SendTimeout time.Duration
	// PullBatchSize is the most messages per pull. Default 64.
	PullBatchSize int
	// ConsumeWorkers is the handler pool size of each receiver. Default 4.
	ConsumeWorkers int
	// Logger receives the clients' logs. Default: warnings and errors of
	// slog.Default().
	Logger *slog.Logger
}

// SaturnTarget drives Saturn (or any RocketMQ broker) through the client
// package. Every sender and receiver has its own client.Client, hence its
// own connections, like separate processes would.
type SaturnTarget struct {
	cfg       SaturnConfig
	serialize remoting.SerializeType
}

// NewSaturnTarget returns a target for the name servers in cfg.
func NewSaturnTarget(cfg SaturnConfig) (*SaturnTarget, error) {
	if len(cfg.NameServers) == 0 {
		return nil, fmt.Errorf("%w: no name server", ErrInvalidConfig)
	}
	if cfg.PullBatchSize == 0 {
		cfg.PullBatchSize = 64
	}
	if cfg.ConsumeWorkers == 0 {
		cfg.ConsumeWorkers = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	t := &SaturnTarget{cfg: cfg, serialize: remoting.SerializeRocketMQ}
	if cfg.JSONHeaders {
		t.serialize = remoting.SerializeJSON
	}
	return t, nil
}

// Name implements Target.
func (t *SaturnTarget) Name() string { return "saturn" }

// Close implements Target.
func (t *SaturnTarget) Close(context.Context) error { return nil }

func (t *SaturnTarget) newClient() (*client.Client, error) {
	return client.New(client.Config{
		NameServers: t.cfg.NameServers,
		Serialize:   t.serialize,
		Logger:      t.cfg.Logger,
	})
}

// Prepare implements Target: it creates (or updates) topic with queues read
// and write queues on every master broker the name servers know. (Letting
// the first send create it would cap the queue count at the template
// topic's.)
func (t *SaturnTarget) Prepare(ctx context.Context, topic string, queues int) error {
	c, err := t.newClient()
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return client.NewAdmin(c).CreateTopic(ctx, client.TopicConfig{Topic: topic, ReadQueues: queues, WriteQueues: queues})
}

// CheckTopic implements TopicChecker: the topic must have a route on the
// name servers.
func (t *SaturnTarget) CheckTopic(ctx context.Context, topic string) error {
	c, err := t.newClient()
	if err != nil {
		return err
	}
	defer c.Close(context.WithoutCancel(ctx))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := client.NewAdmin(c).Route(ctx, topic); err != nil {
		if code, ok := client.CodeOf(err); ok && code == remoting.ResponseTopicNotExist {
			return fmt.Errorf("nothing to consume: the name servers know no such topic (%w)", err)
		}
		return err
	}
	return nil
}

// NewSender implements Target.
func (t *SaturnTarget) NewSender(_ context.Context, topic string, i int) (Sender, error) {
	c, err := t.newClient()
	if err != nil {
		return nil, err
	}
	p, err := client.NewProducer(c, client.ProducerConfig{
		Group:             fmt.Sprintf("bench_producer_%d", i),
		SendTimeout:       t.cfg.SendTimeout,
		CompressThreshold: -1, // measure the broker, not zlib
		// Fault avoidance would steer away from the only broker after
		// one slow answer under overload; a benchmark wants to see it.
		DisableFaultAvoidance: true,
	})
	if err != nil {
		_ = c.Close(context.Background())
		return nil, err
	}
	return &saturnSender{c: c, p: p, topic: topic}, nil
}

// statusError is a send that was stored without meeting its flush or
// replication guarantee (FLUSH_DISK_TIMEOUT and the like).
type statusError struct{ status client.SendStatus }

func (e *statusError) Error() string { return "send status " + e.status.String() }

type saturnSender struct {
	c     *client.Client
	p     *client.Producer
	topic string
	sends sync.Pool // *saturnSend
}

// saturnSend is the per-send state of a saturnSender: the messages wrapping
// the engine's bodies and the client callback, bound once. They are reused
// once the client called back, when it no longer refers to them.
type saturnSend struct {
	s    *saturnSender
	msgs []*message.Message
	done func(error)
	cb   func(*client.SendResult, error)
}

func (s *saturnSender) get(n int) *saturnSend {
	st, ok := s.sends.Get().(*saturnSend)
	if !ok {
		st = &saturnSend{s: s}
		st.cb = st.callback
	}
	for len(st.msgs) < n {
		st.msgs = append(st.msgs, &message.Message{Topic: s.topic})
	}
	return st
}

func (st *saturnSend) callback(r *client.SendResult, err error) {
	done := st.done
	st.done = nil
	st.s.sends.Put(st)
	done(resultErr(r, err))
}

func (s *saturnSender) Send(ctx context.Context, bodies [][]byte, done func(error)) error {
	st := s.get(len(bodies))
	msgs := st.msgs[:len(bodies)]
	for i, b := range bodies {
		msgs[i].Body = b
	}
	st.done = done
	var err error
	if len(msgs) == 1 {
		err = s.p.SendAsync(ctx, msgs[0], st.cb)
	} else {
		err = s.p.SendBatchAsync(ctx, msgs, st.cb)
	}
	if err != nil {
		st.done = nil
		s.sends.Put(st)
	}
	return err
}

func resultErr(r *client.SendResult, err error) error {
	if err == nil && r != nil && r.Status != client.SendOK {
		return &statusError{r.Status}
	}
	return err
}

func (s *saturnSender) Close(ctx context.Context) error {
	return errors.Join(s.p.Shutdown(ctx), s.c.Close(ctx))
}

// NewReceiver implements Target.
func (t *SaturnTarget) NewReceiver(ctx context.Context, topic, group string, _ int, fromStart bool, deliver func([]byte)) (Receiver, error) {
	return t.newReceiver(ctx, topic, group, fromStart, func(_ context.Context, msgs []*message.Ext) client.ConsumeResult {
		for _, m := range msgs {
			deliver(m.Body)
		}
		return client.ConsumeSuccess
	})
}

// NewStoreTimeReceiver implements StoreTimeTarget with the messages' store
// timestamps (milliseconds, the broker's clock).
func (t *SaturnTarget) NewStoreTimeReceiver(ctx context.Context, topic, group string, _ int, fromStart bool, deliver func([]byte, time.Time)) (Receiver, error) {
	return t.newReceiver(ctx, topic, group, fromStart, func(_ context.Context, msgs []*message.Ext) client.ConsumeResult {
		for _, m := range msgs {
			deliver(m.Body, time.UnixMilli(m.StoreTimestamp))
		}
		return client.ConsumeSuccess
	})
}

func (t *SaturnTarget) newReceiver(ctx context.Context, topic, group string, fromStart bool, handler client.MessageHandler) (Receiver, error) {
	c, err := t.newClient()
	if err != nil {
		return nil, err
	}
	from := client.ConsumeFromLastOffset
	if fromStart {
		from = client.ConsumeFromFirstOffset
	}
	pc, err := client.NewPushConsumer(c, client.PushConsumerConfig{
		Group:            group,
		ConsumeFrom:      from,
		Workers:          t.cfg.ConsumeWorkers,
		ConsumeBatchSize: t.cfg.PullBatchSize,
		PullBatchSize:    t.cfg.PullBatchSize,
		// Enough buffered per queue that pulling is never what waits.
		PullThresholdForQueue: 4 * t.cfg.PullBatchSize * 8,
		// The handlers read bodies and store times only.
		LazyProperties: true,
	}, handler)
	if err == nil {
		err = pc.Subscribe(topic, client.SubscribeAll)
	}
	if err == nil {
		err = pc.Start(ctx)
	}
	if err != nil {
		_ = c.Close(context.Background())
		return nil, err
	}
	return &saturnReceiver{c: c, pc: pc}, nil
}

type saturnReceiver struct {
	c  *client.Client
	pc *client.PushConsumer
}

func (r *saturnReceiver) Close(ctx context.Context) error {
	return errors.Join(r.pc.Shutdown(ctx), r.c.Close(ctx))
}

// ErrorKind implements Target: broker refusals by response code name,
// transport failures by cause.
func (t *SaturnTarget) ErrorKind(err error) string {
	var se *statusError
	var be *client.BrokerError
	switch {
	case errors.As(err, &se):
		return se.status.String()
	case errors.As(err, &be):
		if name := remoting.ResponseName(be.Code); name != "" {
			return name
		}
		return fmt.Sprintf("broker code %d", be.Code)
	case errors.Is(err, client.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, client.ErrNoRoute):
		return "no route"
	case errors.Is(err, client.ErrClosed):
		return "closed"
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, client.ErrInvalidMessage):
		return "invalid message"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "other: " + msg
}
