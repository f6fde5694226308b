package loadgen

import (
	"context"
	"time"
)

// Target is a broker under test, as the engine sees it.
type Target interface {
	// Name is what reports call the target ("saturn", "nats", ...).
	Name() string
	// Prepare makes sure topic exists with the given number of queues
	// (partitions, streams: whatever the broker calls them) before any
	// sender or receiver starts.
	Prepare(ctx context.Context, topic string, queues int) error
	// NewSender returns the i-th sender of a run (0-based). Each sender is
	// used by one goroutine of the engine; implementations usually give
	// each its own connection, as separate producer processes would have.
	NewSender(ctx context.Context, topic string, i int) (Sender, error)
	// NewReceiver starts the i-th consumer of topic in consumer group
	// group. It calls deliver for every message body it receives, from any
	// number of goroutines at once; deliver must not retain the body.
	// fromStart asks for every message stored (consume mode) rather than
	// only new ones.
	NewReceiver(ctx context.Context, topic, group string, i int, fromStart bool, deliver func(body []byte)) (Receiver, error)
	// ErrorKind classifies a send error for the report ("timeout",
	// "SYSTEM_BUSY", ...). It is called with errors returned by Sender.Send
	// or passed to its callback.
	ErrorKind(err error) string
	// Close releases what the target holds.
	Close(ctx context.Context) error
}

// TopicChecker is a Target that can tell, before consuming, whether a
// topic exists: consume mode then fails at once with the reason (no such
// topic, name servers unreachable) instead of reporting no messages after
// its timeouts.
type TopicChecker interface {
	Target
	// CheckTopic returns an error when topic cannot be consumed.
	CheckTopic(ctx context.Context, topic string) error
}

// StoreTimeTarget is a Target whose receivers also know when the broker
// stored each message. The engine then splits end-to-end latency into the
// part up to storage and the part from storage to receipt, which tells a
// slow publish path from a slow delivery path (long polling, dispatch).
type StoreTimeTarget interface {
	Target
	// NewStoreTimeReceiver is NewReceiver with the broker's store time of
	// each message passed to deliver.
	NewStoreTimeReceiver(ctx context.Context, topic, group string, i int, fromStart bool, deliver func(body []byte, stored time.Time)) (Receiver, error)
}

// Sender sends messages and reports their acknowledgement.
type Sender interface {
	// Send sends bodies to the sender's topic: one body is a single
	// message, several are one batch (one request, acknowledged as a
	// whole). It calls done exactly once, from any goroutine, when the
	// broker acknowledged or refused the send, unless Send itself returns
	// an error, in which case done is never called. bodies and their
	// contents stay untouched by the engine until done runs.
	Send(ctx context.Context, bodies [][]byte, done func(error)) error
	// Close waits, within ctx, for outstanding sends and releases the
	// sender.
	Close(ctx context.Context) error
}

// Receiver is a running consumer.
type Receiver interface {
	// Close stops the consumer.
	Close(ctx context.Context) error
}
