package client

import (
	"sync"
	"sync/atomic"

	"github.com/saturnmq/saturn/message"
)

// QueueSelector picks the queue a message is sent to.
//
// Select gets the candidate queues, never empty, ordered by broker name and
// queue id, and returns one of them (returning another queue of the topic is
// allowed, but then that queue is used as is). By default the producer
// narrows the candidates before each call: on a retry it leaves out the
// brokers that already failed for this message, and with fault avoidance it
// leaves out brokers that were slow or failing recently (unless nothing
// would remain). Selectors whose choice must depend on the message alone,
// such as hashing a sharding key for ordering, implement StableSelector and
// always get every writable queue.
//
// Implementations must be safe for concurrent use.
type QueueSelector interface {
	Select(msg *message.Message, queues []MessageQueue) MessageQueue
}

// StableSelector is implemented by selectors that must see every writable
// queue of the topic, in the same order, whatever the health of the brokers:
// their choice is then stable for equal messages, and retries go to the same
// queue.
type StableSelector interface {
	QueueSelector
	Stable() bool
}

// SelectorFunc adapts a function to QueueSelector.
type SelectorFunc func(msg *message.Message, queues []MessageQueue) MessageQueue

// Select calls f.
func (f SelectorFunc) Select(msg *message.Message, queues []MessageQueue) MessageQueue {
	return f(msg, queues)
}

// RoundRobinSelector returns the default selector: a counter per topic
// advanced on every send, as upstream clients do.
func RoundRobinSelector() QueueSelector { return &roundRobin{} }

type roundRobin struct {
	counters sync.Map // topic -> *atomic.Uint32
}

// Select returns the next queue of the topic's counter.
func (r *roundRobin) Select(msg *message.Message, queues []MessageQueue) MessageQueue {
	v, ok := r.counters.Load(msg.Topic)
	if !ok {
		v, _ = r.counters.LoadOrStore(msg.Topic, new(atomic.Uint32))
	}
	n := v.(*atomic.Uint32).Add(1) - 1
	return queues[n%uint32(len(queues))]
}

// HashSelector returns a stable selector that sends messages with equal
// sharding keys to the same queue, for ordering per key. The key is the
// __SHARDINGKEY property (message.PropertyShardingKey); the queue index is
// |JavaHashCode(key) % n|, which is what upstream's SelectMessageQueueByHash
// gives for a String argument, so Saturn and Java producers agree. Messages
// without a key go round robin.
func HashSelector() QueueSelector { return &hashSelector{} }

type hashSelector struct{ rr roundRobin }

// Select hashes the sharding key, or goes round robin without one.
func (h *hashSelector) Select(msg *message.Message, queues []MessageQueue) MessageQueue {
	key := msg.Property(message.PropertyShardingKey)
	if key == "" {
		return h.rr.Select(msg, queues)
	}
	return queues[hashIndex(key, len(queues))]
}

// Stable reports true: the choice depends on the key alone.
func (h *hashSelector) Stable() bool { return true }

// hashIndex is upstream's Math.abs(key.hashCode() % n). Go's % truncates as
// Java's does.
func hashIndex(key string, n int) int {
	v := int64(message.JavaHashCode(key)) % int64(n)
	if v < 0 {
		v = -v
	}
	return int(v)
}
