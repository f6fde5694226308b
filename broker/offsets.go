package broker

import (
	"context"
	"strconv"

	"github.com/saturnmq/saturn/remoting"
)

// queueRequest reads the topic and queueId every queue request carries.
func queueRequest(r *extReader) (string, int32) {
	return r.required("topic"), r.int32(true, "queueId")
}

// offsetResponse answers with ext "offset".
func offsetResponse(req *remoting.Command, offset int64) *remoting.Command {
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.ExtFields["offset"] = strconv.FormatInt(offset, 10)
	return resp
}

// handleQueryConsumerOffset serves QUERY_CONSUMER_OFFSET.
//
// When the group has committed nothing for the queue, upstream answers
// offset 0 for a "young" queue — one that never lost a message (min offset
// 0) and whose first message is still cached — so that a new group reads
// a new topic from its start; otherwise QUERY_NOT_FOUND, upon which the
// client applies its consumeFromWhere. An empty queue counts as young. A 5.x
// client sending setZeroIfNotFound=false always gets QUERY_NOT_FOUND.
func (b *Broker) handleQueryConsumerOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	group := r.required("consumerGroup")
	topic, queueID := queueRequest(&r)
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	if off, ok := b.offsets.Query(group, topic, queueID); ok && off >= 0 {
		return offsetResponse(req, off)
	}
	if r.has("setZeroIfNotFound") && !r.bool("setZeroIfNotFound") {
		return remoting.NewResponse(req, remoting.ResponseQueryNotFound, "Not found, do not set to zero, maybe this group boot first")
	}
	if b.store.MinOffset(topic, queueID) <= 0 && b.firstMessageCached(topic, queueID) {
		return offsetResponse(req, 0)
	}
	return remoting.NewResponse(req, remoting.ResponseQueryNotFound, "Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")
}

// firstMessageCached reports whether the message at queue offset 0 is
// absent (an empty queue) or still counts as in memory (see coldRead),
// upstream's approximation of "still in the page cache".
func (b *Broker) firstMessageCached(topic string, queueID int32) bool {
	return !b.coldRead(topic, queueID, 0)
}

// handleUpdateConsumerOffset serves UPDATE_CONSUMER_OFFSET. Clients usually
// send it oneway; the Go client does not set the oneway bit and gets an
// answer.
func (b *Broker) handleUpdateConsumerOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	group := r.required("consumerGroup")
	topic, queueID := queueRequest(&r)
	offset := r.int64(true, "commitOffset")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	b.offsets.Commit(group, topic, queueID, offset)
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

// handleGetMaxOffset serves GET_MAX_OFFSET: the next offset to be written.
func (b *Broker) handleGetMaxOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	topic, queueID := queueRequest(&r)
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	return offsetResponse(req, b.store.MaxOffset(topic, queueID))
}

// handleGetMinOffset serves GET_MIN_OFFSET.
func (b *Broker) handleGetMinOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	topic, queueID := queueRequest(&r)
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	return offsetResponse(req, b.store.MinOffset(topic, queueID))
}

// handleSearchOffset serves SEARCH_OFFSET_BY_TIMESTAMP.
func (b *Broker) handleSearchOffset(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	topic, queueID := queueRequest(&r)
	ts := r.int64(true, "timestamp")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	return offsetResponse(req, b.store.OffsetByTime(topic, queueID, ts))
}

// handleEarliestStoreTime serves GET_EARLIEST_MSG_STORETIME: -1 when the
// queue holds no message.
func (b *Broker) handleEarliestStoreTime(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	topic, queueID := queueRequest(&r)
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	ts, err := b.store.EarliestStoreTime(topic, queueID)
	if err != nil {
		ts = -1
	}
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.ExtFields["timestamp"] = strconv.FormatInt(ts, 10)
	return resp
}
