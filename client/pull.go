package client

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// PullSysFlag bits of PULL_MESSAGE.
const (
	pullFlagCommitOffset = 0x1
	pullFlagSuspend      = 0x2
	pullFlagSubscription = 0x4
)

// PullStatus is the outcome of a pull.
type PullStatus int

// Pull outcomes, from response codes 0, 19, 20 and 21.
const (
	// PullFound: messages were found (after client-side tag filtering the
	// list may still be empty).
	PullFound PullStatus = iota
	// PullNoNewMessage: nothing at or after the offset yet.
	PullNoNewMessage
	// PullNoMatchedMessage: messages were scanned but none matched the
	// subscription; pull again from NextBeginOffset.
	PullNoMatchedMessage
	// PullOffsetIllegal: the offset is outside the queue; NextBeginOffset is
	// the broker's correction.
	PullOffsetIllegal
)

// String returns upstream's name of the status.
func (s PullStatus) String() string {
	switch s {
	case PullFound:
		return "FOUND"
	case PullNoNewMessage:
		return "NO_NEW_MSG"
	case PullNoMatchedMessage:
		return "NO_MATCHED_MSG"
	case PullOffsetIllegal:
		return "OFFSET_ILLEGAL"
	}
	return "PullStatus(" + strconv.Itoa(int(s)) + ")"
}

// PullResult is what a pull returned.
type PullResult struct {
	Status          PullStatus
	NextBeginOffset int64
	MinOffset       int64
	MaxOffset       int64
	// SuggestBrokerID is the broker id (0 = master) the broker suggests
	// pulling this queue from next time.
	SuggestBrokerID int64
	// Messages are the messages found that match the subscription's tags,
	// bodies decompressed.
	Messages []*message.Ext
}

// pullArgs are the fields of one PULL_MESSAGE.
type pullArgs struct {
	group     string
	mq        MessageQueue
	offset    int64
	max       int
	suspend   time.Duration
	sub       *subscription
	lazyProps bool // leave Ext.Properties nil (see PushConsumerConfig.LazyProperties)
}

// pull sends one PULL_MESSAGE to addr and decodes the answer; ctx bounds
// the call (a long poll needs more than the suspension).
func (c *Client) pull(ctx context.Context, addr string, a *pullArgs) (*PullResult, error) {
	sysFlag := pullFlagSubscription
	if a.suspend > 0 {
		sysFlag |= pullFlagSuspend
	}
	// Never pullFlagCommitOffset: offsets are committed only by the
	// offset store's answered commits (see pullLoop in consume.go).
	ext := map[string]string{
		"consumerGroup":        a.group,
		"topic":                a.mq.Topic,
		"queueId":              strconv.Itoa(int(a.mq.QueueID)),
		"queueOffset":          strconv.FormatInt(a.offset, 10),
		"maxMsgNums":           strconv.Itoa(a.max),
		"sysFlag":              strconv.Itoa(sysFlag),
		"commitOffset":         "0",
		"suspendTimeoutMillis": strconv.FormatInt(a.suspend.Milliseconds(), 10),
		"subscription":         a.sub.expr,
		"subVersion":           strconv.FormatInt(a.sub.version, 10),
		"expressionType":       "TAG",
	}
	req := remoting.NewRequest(remoting.RequestPullMessage, ext, nil)
	resp, err := c.invoke(ctx, addr, req)
	if err != nil {
		return nil, err
	}
	r := &PullResult{}
	switch resp.Code {
	case remoting.ResponseSuccess:
		r.Status = PullFound
	case remoting.ResponsePullNotFound:
		r.Status = PullNoNewMessage
	case remoting.ResponsePullRetryImmediately:
		r.Status = PullNoMatchedMessage
	case remoting.ResponsePullOffsetMoved:
		r.Status = PullOffsetIllegal
	default:
		return nil, &BrokerError{Addr: addr, Request: req.Code, Code: resp.Code, Remark: resp.Remark}
	}
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"nextBeginOffset", &r.NextBeginOffset}, {"minOffset", &r.MinOffset}, {"maxOffset", &r.MaxOffset}, {"suggestWhichBrokerId", &r.SuggestBrokerID}} {
		s, ok := resp.ExtFields[f.name]
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("client: %s answered a bad %s %q to a pull", addr, f.name, s)
		}
		*f.dst = n
	}
	if r.Status != PullFound {
		return r, nil
	}
	msgs, err := decodePulled(resp.Body, a.mq.Topic, a.lazyProps)
	if err != nil {
		return nil, fmt.Errorf("client: pull from %s: %s: %w", addr, a.mq, err)
	}
	r.Messages = msgs[:0]
	for _, m := range msgs {
		if err := decompressBody(m); err != nil {
			c.log.Warn("client: delivering message with its body as stored", "queue", a.mq.String(), "err", err)
		}
		// (No TAGS lookup when everything matches: with LazyProperties
		// it is a scan of the properties string per message.)
		if len(a.sub.tags) > 0 && !a.sub.matches(m.Tags()) {
			continue
		}
		r.Messages = append(r.Messages, m)
	}
	return r, nil
}
