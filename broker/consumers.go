package broker

import (
	"context"
	"encoding/json"

	"github.com/saturnmq/saturn/broker/clients"
	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/remoting"
)

// handleHeartbeat serves HEART_BEAT. For every consumer group it finds or
// creates the subscription group and the group's retry topic — registering
// a new retry topic with the name servers before answering, because the
// push consumer subscribes to it and looks up its route right away — and
// then records the client's producers and consumers. The client manager
// notifies the group's consumers when its membership changed.
func (b *Broker) handleHeartbeat(_ context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	hb, err := clients.ParseHeartbeat(req.Body)
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	created := false
	notify := make(map[string]bool, len(hb.ConsumerDataSet))
	for _, cd := range hb.ConsumerDataSet {
		gc, ok := b.groups.GetOrCreate(cd.GroupName, b.cfg.AutoCreateSubscriptionGroup)
		if !ok {
			continue
		}
		notify[cd.GroupName] = gc.NotifyConsumerIdsChangedEnable
		if gc.RetryQueueNums <= 0 {
			continue
		}
		retry := meta.RetryTopic(cd.GroupName)
		if err := meta.ValidateTopicName(retry); err != nil {
			continue // the group name is too long for a retry topic
		}
		_, isNew, err := b.topics.EnsureRetryTopic(retry, gc.RetryQueueNums, meta.PermReadWrite)
		if err != nil {
			b.logger.Error("create retry topic", "topic", retry, "err", err)
			continue
		}
		if isNew {
			b.logger.Info("retry topic created", "topic", retry, "queues", gc.RetryQueueNums)
			created = true
		}
	}
	if created {
		b.topicsChanged()
	}
	changed := b.clients.Heartbeat(conn, clients.SDKOf(req), hb, func(group string) bool {
		enabled, ok := notify[group]
		return !ok || enabled
	})
	if len(changed) > 0 {
		b.logger.Debug("consumer group membership changed", "groups", changed, "client", hb.ClientID)
	}
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

// handleUnregisterClient serves UNREGISTER_CLIENT.
func (b *Broker) handleUnregisterClient(_ context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	b.clients.Unregister(conn, r.str("clientID"), r.str("producerGroup"), r.str("consumerGroup"))
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

// handleGetConsumerList serves GET_CONSUMER_LIST_BY_GROUP: the client ids
// consumers rebalance over.
func (b *Broker) handleGetConsumerList(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	group := r.required("consumerGroup")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	ids := b.clients.ConsumerIDs(group)
	if len(ids) == 0 {
		return remoting.NewResponse(req, remoting.ResponseSystemError, "no consumer for this group, "+group)
	}
	body, err := json.Marshal(struct {
		ConsumerIDList []string `json:"consumerIdList"`
	}{ids})
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.Body = body
	return resp
}

// handleGetConsumerConnections serves GET_CONSUMER_CONNECTION_LIST.
func (b *Broker) handleGetConsumerConnections(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	group := r.required("consumerGroup")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	info, ok := b.clients.ConsumerGroup(group)
	if !ok {
		return remoting.NewResponse(req, remoting.ResponseConsumerNotOnline, "the consumer group["+group+"] not online")
	}
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.Body = info.ConnectionJSON()
	return resp
}

// scanExpiredClients drops clients that stopped sending heartbeats and
// closes their connections, as upstream does.
func (b *Broker) scanExpiredClients() {
	for _, ch := range b.clients.ScanExpired() {
		if c, ok := ch.(*remoting.Conn); ok {
			b.logger.Info("closing connection of expired client", "conn", c.String())
			_ = c.Close()
		}
	}
}
