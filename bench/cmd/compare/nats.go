package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/saturnmq/saturn/loadgen"
)

// natsTarget drives NATS JetStream: a file-backed stream with one replica
// per topic, asynchronous publishes with a bounded window per publisher,
// pull consumers with no acknowledgements (RocketMQ consumers commit
// offsets in the background, which costs the broker about as little).
type natsTarget struct {
	url      string
	inFlight int // per sender, messages
}

func (t *natsTarget) Name() string { return "nats" }

func (t *natsTarget) Close(context.Context) error { return nil }

func (t *natsTarget) connect(name string) (*nats.Conn, error) {
	return nats.Connect(t.url, nats.Name(name), nats.MaxReconnects(0))
}

func streamName(topic string) string { return "S_" + topic }

// Prepare creates the stream of topic. JetStream has no queues: one stream
// is one ordered log, so queues is ignored (it is the analogue of one
// RocketMQ queue per stream, and a single stream is how JetStream is
// benchmarked by its own tool).
func (t *natsTarget) Prepare(ctx context.Context, topic string, _ int) error {
	nc, err := t.connect("bench-admin")
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:     streamName(topic),
		Subjects: []string{topic},
		Storage:  jetstream.FileStorage,
		Replicas: 1,
	})
	return err
}

type natsSender struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	subject string

	mu      sync.Mutex
	pending map[*nats.Msg]func(error)
}

func (t *natsTarget) NewSender(_ context.Context, topic string, i int) (loadgen.Sender, error) {
	nc, err := t.connect(fmt.Sprintf("bench-pub-%d", i))
	if err != nil {
		return nil, err
	}
	s := &natsSender{nc: nc, subject: topic, pending: make(map[*nats.Msg]func(error), t.inFlight)}
	s.js, err = jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(t.inFlight+1),
		jetstream.WithPublishAsyncTimeout(sendTimeout),
		jetstream.WithPublishAsyncAckHandler(func(_ jetstream.JetStream, m *nats.Msg, _ *jetstream.PubAck) { s.complete(m, nil) }),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) { s.complete(m, err) }),
	)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

func (s *natsSender) complete(m *nats.Msg, err error) {
	s.mu.Lock()
	done := s.pending[m]
	delete(s.pending, m)
	s.mu.Unlock()
	if done != nil {
		done(err)
	}
}

func (s *natsSender) Send(ctx context.Context, bodies [][]byte, done func(error)) error {
	if len(bodies) != 1 {
		return errors.New("nats: batch publishing is not measured")
	}
	m := &nats.Msg{Subject: s.subject, Data: bodies[0]}
	s.mu.Lock()
	s.pending[m] = done
	s.mu.Unlock()
	if _, err := s.js.PublishMsgAsync(m); err != nil {
		s.mu.Lock()
		delete(s.pending, m)
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *natsSender) Close(ctx context.Context) error {
	select {
	case <-s.js.PublishAsyncComplete():
	case <-ctx.Done():
	}
	s.nc.Close()
	return nil
}

type natsReceiver struct {
	nc *nats.Conn
	cc jetstream.ConsumeContext
}

func (t *natsTarget) NewReceiver(ctx context.Context, topic, group string, i int, fromStart bool, deliver func([]byte)) (loadgen.Receiver, error) {
	nc, err := t.connect(fmt.Sprintf("bench-sub-%d", i))
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	policy := jetstream.DeliverNewPolicy
	if fromStart {
		policy = jetstream.DeliverAllPolicy
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, streamName(topic), jetstream.ConsumerConfig{
		Durable:       group,
		DeliverPolicy: policy,
		AckPolicy:     jetstream.AckNonePolicy,
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	cc, err := cons.Consume(func(m jetstream.Msg) { deliver(m.Data()) })
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &natsReceiver{nc: nc, cc: cc}, nil
}

func (r *natsReceiver) Close(context.Context) error {
	r.cc.Stop()
	r.nc.Close()
	return nil
}

func (t *natsTarget) ErrorKind(err error) string {
	switch {
	case errors.Is(err, nats.ErrTimeout), errors.Is(err, context.DeadlineExceeded), errors.Is(err, jetstream.ErrAsyncPublishTimeout):
		return "timeout"
	case errors.Is(err, jetstream.ErrTooManyStalledMsgs):
		return "stalled"
	case errors.Is(err, nats.ErrConnectionClosed):
		return "closed"
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return fmt.Sprintf("api error %d", apiErr.ErrorCode)
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return "other: " + msg
}
