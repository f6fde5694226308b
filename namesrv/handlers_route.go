package namesrv

import (
	"context"
	"strconv"

	"github.com/saturnmq/saturn/remoting"
)

// handleGetRouteInfo serves GET_ROUTEINFO_BY_TOPIC (105), the request every
// client sends every 30 s for every topic it uses.
func (n *Server) handleGetRouteInfo(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	topic := h.str("topic")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	rd, ok := n.routes.RouteData(topic)
	if !ok {
		// Producers react to this code by falling back to TBW102.
		return remoting.NewResponse(req, remoting.ResponseTopicNotExist,
			"No topic route info in name server for the topic: "+topic)
	}
	if n.cfg.OrderMessageEnable {
		rd.OrderTopicConf, _ = n.kv.Get(NamespaceOrderTopicConfig, topic)
	}
	resp := success(req)
	resp.Body = encodeRouteData(rd, responseForm(req))
	return resp
}

// handleGetBrokerClusterInfo serves GET_BROKER_CLUSTER_INFO (106).
func (n *Server) handleGetBrokerClusterInfo(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	resp := success(req)
	resp.Body = encodeClusterInfo(n.routes.ClusterInfo(), responseForm(req))
	return resp
}

// handleGetAllTopicList serves GET_ALL_TOPIC_LIST_FROM_NAMESERVER (206).
func (n *Server) handleGetAllTopicList(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	resp := success(req)
	resp.Body = encodeTopicList(n.routes.AllTopics(), "")
	return resp
}

// handleGetTopicsByCluster serves GET_TOPICS_BY_CLUSTER (224).
func (n *Server) handleGetTopicsByCluster(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	cluster := h.str("cluster")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	resp := success(req)
	resp.Body = encodeTopicList(n.routes.TopicsByCluster(cluster), "")
	return resp
}

// handleGetSystemTopicList serves GET_SYSTEM_TOPIC_LIST_FROM_NS (304).
func (n *Server) handleGetSystemTopicList(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	topics, addr := n.routes.SystemTopics()
	resp := success(req)
	resp.Body = encodeTopicList(topics, addr)
	return resp
}

// topicsBySysFlag returns the handler of one of the unit-topic listings
// (311, 312, 313).
func (n *Server) topicsBySysFlag(match func(int32) bool) handlerFunc {
	return func(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
		resp := success(req)
		resp.Body = encodeTopicList(n.routes.TopicsBySysFlag(match), "")
		return resp
	}
}

// handleDeleteTopic serves DELETE_TOPIC_IN_NAMESRV (216); the optional
// clusterName (5.x) limits the deletion to that cluster's brokers.
func (n *Server) handleDeleteTopic(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	topic := h.str("topic")
	cluster := h.opt("clusterName")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	n.routes.DeleteTopic(topic, cluster)
	n.log.Info("namesrv: topic deleted", "topic", topic, "cluster", cluster)
	return success(req)
}

// writePermHandler returns the handler of WIPE_WRITE_PERM_OF_BROKER (205),
// used to drain a broker before maintenance, or of its reverse
// ADD_WRITE_PERM_OF_BROKER (327). change applies the change to the topics
// of the named broker and returns how many it changed; the response carries
// that count in countField.
func (n *Server) writePermHandler(change func(brokerName string) int, done, countField string) handlerFunc {
	return func(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
		h := readExt(req)
		name := h.str("brokerName")
		if resp := h.failed(req); resp != nil {
			return resp
		}
		count := change(name)
		n.log.Info("namesrv: write permission "+done, "brokerName", name, "topics", count)
		resp := success(req)
		resp.ExtFields[countField] = strconv.Itoa(count)
		return resp
	}
}

// handleGetNamesrvConfig serves GET_NAMESRV_CONFIG (319): the effective
// configuration as properties text.
func (n *Server) handleGetNamesrvConfig(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	resp := success(req)
	resp.Body = []byte(n.cfg.Properties())
	return resp
}
