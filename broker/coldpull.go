package broker

import (
	"github.com/saturnmq/saturn/remoting"
)

// coldRead reports whether the message at a queue offset is no longer
// counted as in memory: it lies more than memWindow bytes behind the end
// of the commit log (upstream's checkInDiskByCommitOffset). A queue
// without a message there counts as in memory. Only the consume queue is
// read.
func (b *Broker) coldRead(topic string, queueID int32, offset int64) bool {
	phys, ok := b.store.PhysicalOffsetAt(topic, queueID, offset)
	return ok && b.store.MaxPhysicalOffset()-phys > b.memWindow.Load()
}

// offloadColdPull runs read, a pull that reads from the disk, on the
// cold-read workers and answers the pull with its result (none if read
// held the pull; the hold answers it). It reports false, and the caller
// reads in place, when as many cold pulls as the pull queue holds
// (pullThreadPoolQueueCapacity) are already waiting: the reader then
// stops taking requests until the disk catches up.
func (b *Broker) offloadColdPull(conn *remoting.Conn, read func() *remoting.Command) bool {
	if b.coldPulls == nil {
		return false
	}
	if b.coldPending.Add(1) > int64(b.cfg.PullQueueCapacity) {
		b.coldPending.Add(-1)
		return false
	}
	conn.AnswerLater()
	b.coldPulls.push(func() {
		defer b.coldPending.Add(-1)
		if err := conn.FinishLater(read()); err != nil {
			b.logger.Debug("cold pull answer not sent", "conn", conn.String(), "err", err)
		}
	})
	return true
}
