package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/saturnmq/saturn/loadgen"
)

var rabbitReady = regexp.MustCompile(`started TCP listener on (\S+)`)

// freePort asks the kernel for a free loopback port. RabbitMQ cannot be
// told to pick one and report it, so there is a small window in which
// another process could take it.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startRabbit runs a RabbitMQ node of its own (own node name, ports, data
// and log directories, no plugins) and returns it with a quorum-queue
// target. bin is Debian's /usr/lib/rabbitmq/bin/rabbitmq-server or the
// rabbitmq-server wrapper.
func startRabbit(ctx context.Context, bin, dir string, c cell) (*server, loadgen.Target, error) {
	amqpPort, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	distPort, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	plugins := filepath.Join(dir, "enabled_plugins")
	if err := os.WriteFile(plugins, []byte("[].\n"), 0o644); err != nil {
		return nil, nil, err
	}
	data := filepath.Join(dir, "mnesia")
	env := []string{
		"RABBITMQ_NODENAME=saturnbench" + strconv.Itoa(amqpPort) + "@localhost",
		"RABBITMQ_NODE_IP_ADDRESS=127.0.0.1",
		"RABBITMQ_NODE_PORT=" + strconv.Itoa(amqpPort),
		"RABBITMQ_DIST_PORT=" + strconv.Itoa(distPort),
		"RABBITMQ_MNESIA_BASE=" + data,
		"RABBITMQ_LOG_BASE=" + filepath.Join(dir, "log"),
		"RABBITMQ_LOGS=-",
		"RABBITMQ_ENABLED_PLUGINS_FILE=" + plugins,
		"HOME=" + dir, // the Erlang cookie goes here
	}
	srv, err := startProcess(ctx, "rabbitmq", dir, data, bin, nil, env, rabbitReady)
	if err != nil {
		return nil, nil, err
	}
	t := &rabbitTarget{url: "amqp://guest:guest@" + srv.addr + "/", inFlight: c.InFlight}
	return srv, t, nil
}

// rabbitTarget drives a RabbitMQ quorum queue: publisher confirms with a
// bounded window per publisher (a quorum queue confirms after its log is
// fsynced, in batches), consumers with automatic acknowledgement.
type rabbitTarget struct {
	url      string
	inFlight int
}

func (t *rabbitTarget) Name() string                { return "rabbitmq" }
func (t *rabbitTarget) Close(context.Context) error { return nil }

func (t *rabbitTarget) dial(ctx context.Context) (*amqp.Connection, error) {
	// The listener is up a moment before the node accepts logins.
	var err error
	for {
		var conn *amqp.Connection
		if conn, err = amqp.Dial(t.url); err == nil {
			return conn, nil
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(err, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func (t *rabbitTarget) Prepare(ctx context.Context, topic string, _ int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := t.dial(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	_, err = ch.QueueDeclare(topic, true, false, false, false, amqp.Table{"x-queue-type": "quorum"})
	return err
}

type rabbitSender struct {
	conn    *amqp.Connection
	ch      *amqp.Channel
	queue   string
	pending chan func(error) // callbacks in publish order
	done    chan struct{}
}

var errNack = errors.New("rabbitmq: nack")

func (t *rabbitTarget) NewSender(ctx context.Context, topic string, _ int) (loadgen.Sender, error) {
	conn, err := t.dial(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Confirm(false)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	s := &rabbitSender{conn: conn, ch: ch, queue: topic,
		pending: make(chan func(error), t.inFlight+1), done: make(chan struct{})}
	confirms := ch.NotifyPublish(make(chan amqp.Confirmation, t.inFlight+1))
	go func() {
		defer close(s.done)
		for c := range confirms {
			cb := <-s.pending
			if c.Ack {
				cb(nil)
			} else {
				cb(errNack)
			}
		}
		// The channel closed: whatever is still pending failed.
		for {
			select {
			case cb := <-s.pending:
				cb(amqp.ErrClosed)
			default:
				return
			}
		}
	}()
	return s, nil
}

func (s *rabbitSender) Send(ctx context.Context, bodies [][]byte, done func(error)) error {
	if len(bodies) != 1 {
		return errors.New("rabbitmq: batch publishing is not measured")
	}
	s.pending <- done
	err := s.ch.PublishWithContext(ctx, "", s.queue, false, false, amqp.Publishing{
		DeliveryMode: amqp.Persistent, Body: bodies[0],
	})
	if err != nil {
		// Not published, so no confirm will come: take the callback back
		// (it is the newest, and this goroutine is the only publisher).
		<-s.pending
		return err
	}
	return nil
}

func (s *rabbitSender) Close(ctx context.Context) error {
	for len(s.pending) > 0 && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
	}
	err := s.conn.Close()
	<-s.done
	return err
}

type rabbitReceiver struct {
	conn *amqp.Connection
	done chan struct{}
}

func (t *rabbitTarget) NewReceiver(ctx context.Context, topic, group string, i int, _ bool, deliver func([]byte)) (loadgen.Receiver, error) {
	conn, err := t.dial(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = ch.Qos(2000, 0, false)
	}
	var deliveries <-chan amqp.Delivery
	if err == nil {
		deliveries, err = ch.Consume(topic, fmt.Sprintf("%s-%d", group, i), true, false, false, false, nil)
	}
	if err != nil {
		conn.Close()
		return nil, err
	}
	r := &rabbitReceiver{conn: conn, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for d := range deliveries {
			deliver(d.Body)
		}
	}()
	return r, nil
}

func (r *rabbitReceiver) Close(context.Context) error {
	err := r.conn.Close()
	<-r.done
	return err
}

func (t *rabbitTarget) ErrorKind(err error) string {
	var ae *amqp.Error
	switch {
	case errors.Is(err, errNack):
		return "nack"
	case errors.Is(err, amqp.ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &ae):
		return fmt.Sprintf("amqp %d", ae.Code)
	}
	return "other: " + err.Error()
}
