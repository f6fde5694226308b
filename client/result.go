package client

import (
	"fmt"
	"strconv"

	"github.com/saturnmq/saturn/remoting"
)

// SendStatus says how a broker stored a message. Every status means the
// message is stored; the non-OK ones say a replication or flush guarantee
// was not met in time.
type SendStatus int

// Send statuses, from response codes 0, 10, 12 and 11.
const (
	SendOK SendStatus = iota
	SendFlushDiskTimeout
	SendFlushSlaveTimeout
	SendSlaveNotAvailable
)

// String returns upstream's name of the status.
func (s SendStatus) String() string {
	switch s {
	case SendOK:
		return "SEND_OK"
	case SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return "SendStatus(" + strconv.Itoa(int(s)) + ")"
}

// sendStatus maps a send response code to a status; ok is false for codes
// that mean failure.
func sendStatus(code int32) (SendStatus, bool) {
	switch code {
	case remoting.ResponseSuccess:
		return SendOK, true
	case remoting.ResponseFlushDiskTimeout:
		return SendFlushDiskTimeout, true
	case remoting.ResponseFlushSlaveTimeout:
		return SendFlushSlaveTimeout, true
	case remoting.ResponseSlaveNotAvailable:
		return SendSlaveNotAvailable, true
	}
	return 0, false
}

// SendResult describes a stored message (or batch).
type SendResult struct {
	Status SendStatus
	// MsgID is the client-generated unique id (UNIQ_KEY) consumers see as
	// the message id; for a batch, the ids of all messages joined by ",".
	MsgID string
	// OffsetMsgID is the broker's id of the stored message (store address
	// and commit-log offset); for a batch, the ids joined by ",".
	OffsetMsgID string
	// Queue is the queue the message was stored in.
	Queue MessageQueue
	// QueueOffset is the message's offset in Queue (the first message's
	// for a batch).
	QueueOffset int64
	// TransactionID is what the broker returned as transactionId (the
	// UNIQ_KEY for Java brokers).
	TransactionID string
	// RegionID is the broker's region (MSG_REGION).
	RegionID string
	// TraceOn is the broker's TRACE_ON switch.
	TraceOn bool
}

// String summarises the result for logs.
func (r *SendResult) String() string {
	return fmt.Sprintf("SendResult[status=%s msgId=%s offsetMsgId=%s queue=%s queueOffset=%d]",
		r.Status, r.MsgID, r.OffsetMsgID, r.Queue, r.QueueOffset)
}

// parseSendResponse builds the result of a successful send response, whose
// header is in resp.ExtFields or, for inline calls, resp.Fields. Missing or
// malformed numbers are an error: a result with a wrong queue or offset is
// worse than none.
func parseSendResponse(resp *remoting.Command, addr string, mq MessageQueue, msgID string) (*SendResult, error) {
	st, _ := sendStatus(resp.Code)
	var h sendRespHeader
	if resp.ExtFields != nil {
		ext := resp.ExtFields
		h.msgID, h.txID, h.region, h.trace = ext["msgId"], ext["transactionId"], ext["MSG_REGION"], ext["TRACE_ON"]
		h.queueID, h.hasQueueID = ext["queueId"]
		h.queueOffset, h.hasOffset = ext["queueOffset"]
	}
	for _, f := range resp.Fields {
		// Later fields win, as they do in a map.
		switch f.Key {
		case "msgId":
			h.msgID = f.Value
		case "transactionId":
			h.txID = f.Value
		case "MSG_REGION":
			h.region = f.Value
		case "TRACE_ON":
			h.trace = f.Value
		case "queueId":
			h.queueID, h.hasQueueID = f.Value, true
		case "queueOffset":
			h.queueOffset, h.hasOffset = f.Value, true
		}
	}
	r := &SendResult{
		Status:        st,
		MsgID:         msgID,
		OffsetMsgID:   h.msgID,
		Queue:         mq,
		TransactionID: h.txID,
		RegionID:      h.region,
		TraceOn:       h.trace != "false",
	}
	if h.hasQueueID {
		q, err := strconv.ParseInt(h.queueID, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("client: %s sent a bad queueId %q in a send response", addr, h.queueID)
		}
		r.Queue.QueueID = int32(q)
	}
	if !h.hasOffset {
		return nil, fmt.Errorf("client: %s sent a send response without queueOffset", addr)
	}
	off, err := strconv.ParseInt(h.queueOffset, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("client: %s sent a bad queueOffset %q in a send response", addr, h.queueOffset)
	}
	r.QueueOffset = off
	return r, nil
}

// sendRespHeader is the custom header of a send response.
type sendRespHeader struct {
	msgID, txID, region, trace string
	queueID, queueOffset       string
	hasQueueID, hasOffset      bool
}
