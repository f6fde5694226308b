package broker

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
	"github.com/saturnmq/saturn/store"
)

// handleSendMsgBack serves CONSUMER_SEND_MSG_BACK: a consumer failed to
// consume a message and hands it back for redelivery. The message is stored
// again in the group's retry topic with its reconsume count raised, or in the
// group's dead-letter topic once the count reaches the group's maximum (or
// the client gives up with a negative delay level).
//
// Saturn has no delayed delivery yet, so the retry is visible at once
// instead of after upstream's growing delay (10 s, 30 s, 1 min, ...). Clients
// treat any answer as success and forget the message, so answering
// "not supported" would lose it.
func (b *Broker) handleSendMsgBack(ctx context.Context, conn *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	group := r.required("group")
	offset := r.int64(true, "offset")
	delayLevel := r.int32(false, "delayLevel")
	originMsgID := r.str("originMsgId")
	maxTimes := r.int32(false, "maxReconsumeTimes")
	hasMaxTimes := r.has("maxReconsumeTimes")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, r.err.Error())
	}
	gc, ok := b.groups.GetOrCreate(group, b.cfg.AutoCreateSubscriptionGroup)
	if !ok {
		return remoting.NewResponse(req, remoting.ResponseSubscriptionGroupNotExist, "subscription group not exist, "+group)
	}
	if !meta.Writable(int32(b.cfg.BrokerPermission)) {
		return remoting.NewResponse(req, remoting.ResponseNoPermission,
			fmt.Sprintf("the broker[%s] sending message is forbidden", b.brokerAddr))
	}
	if gc.RetryQueueNums <= 0 {
		return remoting.NewResponse(req, remoting.ResponseSuccess, "") // the group drops failed messages
	}
	rec, err := b.store.MessageAt(offset)
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, fmt.Sprintf("look message by offset failed, %d: %v", offset, err))
	}
	orig, _, err := message.DecodeStored(rec)
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, fmt.Sprintf("decode message at offset %d: %v", offset, err))
	}
	if !hasMaxTimes {
		maxTimes = gc.RetryMaxTimes
	}
	topic, queueNums := meta.RetryTopic(group), gc.RetryQueueNums
	if orig.ReconsumeTimes >= maxTimes || delayLevel < 0 {
		topic, queueNums = meta.DLQTopic(group), 1
	}
	if err := meta.ValidateTopicName(topic); err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, fmt.Sprintf("topic[%s]: %v", topic, err))
	}
	tc, created, err := b.topics.EnsureRetryTopic(topic, queueNums, meta.PermReadWrite)
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, fmt.Sprintf("topic[%s] not exist: %v", topic, err))
	}
	if created {
		b.logger.Info("topic created for a message sent back", "topic", topic, "group", group)
		b.topicsChanged()
	}
	if !meta.Writable(tc.Perm) || tc.WriteQueueNums <= 0 {
		return remoting.NewResponse(req, remoting.ResponseNoPermission, fmt.Sprintf("the topic[%s] sending message is forbidden", topic))
	}
	if originMsgID == "" {
		originMsgID = orig.OffsetMsgID()
	}
	raw := orig.RawProperties
	if raw == "" && len(orig.Properties) > 0 {
		raw = message.EncodeProperties(orig.Properties)
	}
	// The first send-back records where the message came from; later ones
	// keep what the first recorded.
	props := mergeProperties(raw, [][2]string{
		{message.PropertyRetryTopic, orig.Topic},
		{message.PropertyOriginMessageID, originMsgID},
	}, false)
	msg := &message.Ext{
		Topic:          topic,
		QueueID:        rand.Int32N(tc.WriteQueueNums),
		Flag:           orig.Flag,
		SysFlag:        orig.SysFlag &^ (message.SysFlagBornHostV6 | message.SysFlagStoreHostV6),
		BornTimestamp:  orig.BornTimestamp,
		BornHost:       orig.BornHost,
		StoreHost:      b.storeHost,
		ReconsumeTimes: orig.ReconsumeTimes + 1,
		Body:           orig.Body,
		RawProperties:  props,
	}
	// A FLUSH_DISK_TIMEOUT message is stored: that is a success here.
	if res, err := b.store.Put(ctx, msg); err != nil && res.Status != store.FlushDiskTimeout {
		return remoting.NewResponse(req, remoting.ResponseSystemError, res.Status.String()+": "+err.Error())
	}
	b.stats.put.Add(1)
	b.logger.Debug("message sent back", "group", group, "topic", topic, "reconsumeTimes", msg.ReconsumeTimes,
		"origin", originMsgID, "from", conn.RemoteAddr().String(), "offset", strconv.FormatInt(offset, 10))
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}
