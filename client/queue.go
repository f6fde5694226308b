package client

import (
	"cmp"
	"strconv"
)

// MessageQueue identifies one queue of a topic on one broker. It is
// comparable and used as a map key.
type MessageQueue struct {
	Topic      string
	BrokerName string
	QueueID    int32
}

// String renders the queue as topic@broker#id, for logs.
func (q MessageQueue) String() string {
	return q.Topic + "@" + q.BrokerName + "#" + strconv.Itoa(int(q.QueueID))
}

// javaString renders the queue as Java's MessageQueue.toString does; the
// consistent-hash allocation hashes this text so that Saturn and Java
// consumers of one group agree on the assignment.
func (q MessageQueue) javaString() string {
	return "MessageQueue [topic=" + q.Topic + ", brokerName=" + q.BrokerName +
		", queueId=" + strconv.Itoa(int(q.QueueID)) + "]"
}

// compareQueues orders queues by topic, broker name and queue id, the order
// upstream clients sort them in before allocating.
func compareQueues(a, b MessageQueue) int {
	if c := cmp.Compare(a.Topic, b.Topic); c != 0 {
		return c
	}
	if c := cmp.Compare(a.BrokerName, b.BrokerName); c != 0 {
		return c
	}
	return cmp.Compare(a.QueueID, b.QueueID)
}
