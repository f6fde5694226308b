package client

import (
	"context"
	"strconv"
	"strings"

	"github.com/saturnmq/saturn/fastjson"
	"github.com/saturnmq/saturn/remoting"
)

// registerHandlers installs the handlers of the requests brokers send to
// clients on their connections.
//
// Not handled yet: CHECK_TRANSACTION_STATE (there is no transactional
// producer yet; the request is logged and dropped, so the broker asks again
// later), CONSUME_MESSAGE_DIRECTLY and GET_CONSUMER_STATUS_FROM_CLIENT
// (answered REQUEST_CODE_NOT_SUPPORTED by the remoting layer).
func (c *Client) registerHandlers() {
	c.rc.Register(remoting.RequestNotifyConsumerIDsChanged, remoting.HandlerFunc(c.handleIDsChanged))
	c.rc.Register(remoting.RequestGetConsumerRunningInfo, remoting.HandlerFunc(c.handleRunningInfo))
	c.rc.Register(remoting.RequestResetConsumerClientOffset, remoting.HandlerFunc(c.handleResetOffset))
	c.rc.Register(remoting.RequestCheckTransactionState, remoting.HandlerFunc(c.handleCheckTransaction))
}

// ack answers a request that expects an answer with success.
func ack(req *remoting.Command) *remoting.Command {
	if req.IsOneway() {
		return nil
	}
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

func (c *Client) handleIDsChanged(_ context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	group := req.ExtFields["consumerGroup"]
	c.log.Debug("client: consumer ids changed", "group", group, "broker", conn.RemoteAddr().String())
	if m := c.consumer(group); m != nil {
		m.idsChanged()
	}
	return ack(req)
}

func (c *Client) handleRunningInfo(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	group := req.ExtFields["consumerGroup"]
	m := c.consumer(group)
	if m == nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError,
			"The Consumer Group <"+group+"> not exist in this consumer")
	}
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.Body = m.runningInfo()
	return resp
}

func (c *Client) handleResetOffset(_ context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	topic, group := req.ExtFields["topic"], req.ExtFields["group"]
	table, err := parseResetOffsetBody(req.Body)
	if err != nil {
		c.log.Warn("client: bad reset-offset request", "broker", conn.RemoteAddr().String(), "group", group, "err", err)
		if req.IsOneway() {
			return nil
		}
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	c.log.Info("client: broker resets consumer offsets", "broker", conn.RemoteAddr().String(),
		"group", group, "topic", topic, "queues", len(table))
	if m := c.consumer(group); m != nil {
		m.resetOffsets(topic, table)
	}
	return ack(req)
}

func (c *Client) handleCheckTransaction(_ context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	c.log.Warn("client: CHECK_TRANSACTION_STATE is not supported by this client; ignored",
		"broker", conn.RemoteAddr().String(), "msgId", req.ExtFields["msgId"])
	if req.IsOneway() {
		return nil
	}
	return remoting.NewResponse(req, remoting.ResponseRequestCodeNotSupported, "transactions are not supported by this client")
}

// parseResetOffsetBody decodes ResetOffsetBody in fastjson's form (queues as
// object keys) and in the gson form rocketmq-client-go also accepts (an
// array of [queue, offset] pairs).
func parseResetOffsetBody(body []byte) (map[MessageQueue]int64, error) {
	v, err := fastjson.Parse(body)
	if err != nil {
		return nil, err
	}
	out := make(map[MessageQueue]int64)
	ot, _ := v.Get("offsetTable")
	switch ot.Kind {
	case fastjson.Object:
		for _, m := range ot.Members {
			q, err := parseQueueValue(m.Key)
			if err != nil {
				return nil, err
			}
			off, err := m.Val.Int()
			if err != nil {
				return nil, err
			}
			out[q] = off
		}
	case fastjson.Array:
		for _, pair := range ot.Items {
			if len(pair.Items) != 2 {
				continue
			}
			q, err := parseQueueValue(pair.Items[0])
			if err != nil {
				return nil, err
			}
			off, err := pair.Items[1].Int()
			if err != nil {
				return nil, err
			}
			out[q] = off
		}
	}
	return out, nil
}

// parseQueueValue decodes a MessageQueue JSON object.
func parseQueueValue(v fastjson.Value) (MessageQueue, error) {
	id, err := intField(v, "queueId")
	if err != nil {
		return MessageQueue{}, err
	}
	return MessageQueue{Topic: strField(v, "topic"), BrokerName: strField(v, "brokerName"), QueueID: int32(id)}, nil
}

// runningInfoProps are the properties mqadmin's consumerStatus shows.
func runningInfoProps(c *Client, consumeType string, workers int, start int64) map[string]string {
	return map[string]string{
		"PROP_NAMESERVER_ADDR":          strings.Join(c.cfg.NameServers, ";"),
		"PROP_CONSUME_TYPE":             consumeType,
		"PROP_CONSUME_ORDERLY":          "false",
		"PROP_THREADPOOL_CORE_SIZE":     strconv.Itoa(workers),
		"PROP_CONSUMER_START_TIMESTAMP": strconv.FormatInt(start, 10),
		"PROP_CLIENT_VERSION":           "V4_9_7",
	}
}
