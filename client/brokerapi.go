package client

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/saturnmq/saturn/fastjson"
	"github.com/saturnmq/saturn/remoting"
)

// queueExt returns the topic/queueId header of requests about one queue.
func queueExt(mq MessageQueue) map[string]string {
	return map[string]string{"topic": mq.Topic, "queueId": strconv.Itoa(int(mq.QueueID))}
}

// offsetFromResponse reads the "offset" ext field of a response.
func offsetFromResponse(resp *remoting.Command, addr string) (int64, error) {
	s, ok := resp.ExtFields["offset"]
	if !ok {
		return 0, fmt.Errorf("client: %s answered without an offset", addr)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("client: %s answered a bad offset %q", addr, s)
	}
	return n, nil
}

// queueRequest sends a request about one queue to its broker's master and
// returns the "offset" of the answer.
func (c *Client) queueOffsetRequest(ctx context.Context, code int32, mq MessageQueue, ext map[string]string) (int64, error) {
	addr, err := c.findMaster(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return 0, err
	}
	resp, err := c.invokeOK(ctx, addr, remoting.NewRequest(code, ext, nil))
	if err != nil {
		return 0, err
	}
	return offsetFromResponse(resp, addr)
}

// maxOffset returns the offset the next message of mq will get (GET_MAX_OFFSET).
func (c *Client) maxOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return c.queueOffsetRequest(ctx, remoting.RequestGetMaxOffset, mq, queueExt(mq))
}

// minOffset returns the smallest offset still stored in mq (GET_MIN_OFFSET).
func (c *Client) minOffset(ctx context.Context, mq MessageQueue) (int64, error) {
	return c.queueOffsetRequest(ctx, remoting.RequestGetMinOffset, mq, queueExt(mq))
}

// searchOffset returns the first offset of mq stored at or after ms
// (SEARCH_OFFSET_BY_TIMESTAMP).
func (c *Client) searchOffset(ctx context.Context, mq MessageQueue, ms int64) (int64, error) {
	ext := queueExt(mq)
	ext["timestamp"] = strconv.FormatInt(ms, 10)
	return c.queueOffsetRequest(ctx, remoting.RequestSearchOffsetByTimestamp, mq, ext)
}

// queryConsumerOffset returns group's committed offset of mq, or -1 when the
// broker has none (QUERY_NOT_FOUND).
func (c *Client) queryConsumerOffset(ctx context.Context, group string, mq MessageQueue) (int64, error) {
	addr, err := c.findMaster(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return 0, err
	}
	ext := queueExt(mq)
	ext["consumerGroup"] = group
	req := remoting.NewRequest(remoting.RequestQueryConsumerOffset, ext, nil)
	resp, err := c.invoke(ctx, addr, req)
	if err != nil {
		return 0, err
	}
	switch resp.Code {
	case remoting.ResponseSuccess:
		return offsetFromResponse(resp, addr)
	case remoting.ResponseQueryNotFound:
		return -1, nil
	}
	return 0, &BrokerError{Addr: addr, Request: req.Code, Code: resp.Code, Remark: resp.Remark}
}

// updateConsumerOffset commits group's offset of mq and waits for the
// broker's answer. (Upstream sends periodic commits oneway; an answered
// commit lets callers order commits of one queue: a broker handles
// requests concurrently, so an unanswered one may be applied after a later
// one.)
func (c *Client) updateConsumerOffset(ctx context.Context, group string, mq MessageQueue, off int64) error {
	addr, err := c.findMaster(ctx, mq.Topic, mq.BrokerName)
	if err != nil {
		return err
	}
	ext := queueExt(mq)
	ext["consumerGroup"] = group
	ext["commitOffset"] = strconv.FormatInt(off, 10)
	req := remoting.NewRequest(remoting.RequestUpdateConsumerOffset, ext, nil)
	_, err = c.invokeOK(ctx, addr, req)
	return err
}

// consumerIDs lists the client ids of group's live consumers, asking one
// broker that hosts topic (GET_CONSUMER_LIST_BY_GROUP).
func (c *Client) consumerIDs(ctx context.Context, group, topic string) ([]string, error) {
	e, err := c.topicRoute(ctx, topic)
	if err != nil {
		return nil, err
	}
	var addrs []string
	for _, b := range e.route.Brokers {
		if a := b.MasterAddr(); a != "" {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, &RouteError{Topic: topic, Err: fmt.Errorf("no broker master in the route")}
	}
	// Any broker knows the group's members; spread the questions.
	addr := addrs[rand.IntN(len(addrs))]
	req := remoting.NewRequest(remoting.RequestGetConsumerListByGroup, map[string]string{"consumerGroup": group}, nil)
	resp, err := c.invokeOK(ctx, addr, req)
	if err != nil {
		return nil, err
	}
	v, err := fastjson.Parse(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("client: consumer list from %s: %w", addr, err)
	}
	ids, _ := v.Get("consumerIdList")
	return ids.Strings(), nil
}
