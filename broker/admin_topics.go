package broker

import (
	"context"
	"time"

	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/remoting"
)

// topicRegisterWait bounds how long a request that created or changed a
// topic waits for the name servers to learn about it before it is
// answered.
const topicRegisterWait = 3 * time.Second

// topicsChanged registers the topic table with the name servers at once and
// waits (bounded) for it, as upstream does on topic creation, so that a
// client asking for the route right after the answer finds it.
func (b *Broker) topicsChanged() {
	if b.registrar == nil {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, topicRegisterWait)
	defer cancel()
	if err := b.registrar.registerNow(ctx); err != nil {
		b.logger.Warn("topic change not yet registered with the name servers", "err", err)
	}
}

// handleUpdateAndCreateTopic serves UPDATE_AND_CREATE_TOPIC.
func (b *Broker) handleUpdateAndCreateTopic(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	tc := meta.NewTopicConfig(r.required("topic"))
	tc.ReadQueueNums = r.int32(true, "readQueueNums")
	tc.WriteQueueNums = r.int32(true, "writeQueueNums")
	tc.Perm = r.int32(true, "perm")
	if v := r.str("topicFilterType"); v != "" {
		tc.TopicFilterType = v
	}
	tc.TopicSysFlag = r.int32(false, "topicSysFlag")
	tc.Order = r.bool("order")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter, r.err.Error())
	}
	if tc.TopicName == b.cfg.BrokerClusterName {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter,
			"the topic["+tc.TopicName+"] is conflict with system reserved words")
	}
	if err := meta.ValidateTopicName(tc.TopicName); err != nil {
		e := topicNameError(tc.TopicName, err)
		return remoting.NewResponse(req, e.code, e.remark)
	}
	if b.topics.IsSystemTopic(tc.TopicName) {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter,
			"the topic["+tc.TopicName+"] is conflict with system topic")
	}
	if tc.TopicFilterType != meta.FilterSingleTag && tc.TopicFilterType != meta.FilterMultiTag {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter,
			"topicFilterType "+tc.TopicFilterType+": want SINGLE_TAG or MULTI_TAG")
	}
	if tc.ReadQueueNums < 0 || tc.WriteQueueNums < 0 || tc.ReadQueueNums > maxQueueNums || tc.WriteQueueNums > maxQueueNums {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter, "queue numbers must be within [0, 1024]")
	}
	if err := tc.Validate(); err != nil {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter, err.Error())
	}
	if err := b.topics.Put(tc); err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, "persist topic: "+err.Error())
	}
	b.logger.Info("topic created or updated", "topic", tc.TopicName, "read", tc.ReadQueueNums,
		"write", tc.WriteQueueNums, "perm", meta.PermString(tc.Perm))
	b.topicsChanged()
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

// handleDeleteTopic serves DELETE_TOPIC_IN_BROKER: the topic, its consumer
// offsets and its stored queues go away. (Name servers drop the route on
// DELETE_TOPIC_IN_NAMESRV, which admin tools send separately.)
func (b *Broker) handleDeleteTopic(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	topic := r.required("topic")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter, r.err.Error())
	}
	if b.topics.IsSystemTopic(topic) {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter,
			"the topic["+topic+"] is a system topic and cannot be deleted")
	}
	existed, err := b.topics.Delete(topic)
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, "persist topics: "+err.Error())
	}
	b.offsets.DeleteTopic(topic)
	if err := b.store.DeleteTopic(topic); err != nil {
		b.logger.Warn("delete stored queues of topic", "topic", topic, "err", err)
	}
	if existed {
		b.logger.Info("topic deleted", "topic", topic)
		b.topicsChanged()
	}
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

// handleGetAllTopicConfig serves GET_ALL_TOPIC_CONFIG.
func (b *Broker) handleGetAllTopicConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.Body = b.topics.SerializeWrapperJSON()
	return resp
}

// handleGetBrokerConfig serves GET_BROKER_CONFIG: the configuration as
// broker.conf text, and the topic table's data version.
func (b *Broker) handleGetBrokerConfig(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.ExtFields["version"] = string(b.topics.DataVersion().AppendJSON(nil))
	cfg := b.cfg
	cfg.ListenPort = int(b.storeHost.Port()) // the port actually served
	resp.Body = []byte(cfg.properties())
	return resp
}
