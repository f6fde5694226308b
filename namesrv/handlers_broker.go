package namesrv

import (
	"context"
	"errors"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/saturnmq/saturn/fastjson"
	"github.com/saturnmq/saturn/remoting"
)

// versionRegisterBrokerBody is the first broker version (3.0.11) whose
// REGISTER_BROKER body is a RegisterBrokerBody; older ones send the bare
// topic config wrapper.
const versionRegisterBrokerBody = 37

// bodyCRC32 is upstream's UtilAll.crc32: IEEE CRC-32 with the sign bit
// cleared, so that it fits a Java int as a non-negative value.
func bodyCRC32(b []byte) int64 {
	return int64(crc32.ChecksumIEEE(b) & 0x7FFFFFFF)
}

// handleRegisterBroker serves REGISTER_BROKER (103): brokers send it every
// 30 s and whenever their topics change.
func (n *Server) handleRegisterBroker(_ context.Context, connID uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	r := BrokerRegistration{
		Cluster:            h.str("clusterName"),
		BrokerName:         h.str("brokerName"),
		BrokerAddr:         h.str("brokerAddr"),
		HAServerAddr:       h.str("haServerAddr"),
		BrokerID:           h.int64("brokerId"),
		ZoneName:           h.opt("zoneName"),
		EnableActingMaster: h.optBool("enableActingMaster"),
		HeartbeatTimeout:   time.Duration(h.optInt64("heartbeatTimeoutMillis")) * time.Millisecond,
		ConnID:             connID,
	}
	compressed := h.optBool("compressed")
	crc := h.optInt64("bodyCrc32")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	// 0 means the broker did not compute one.
	if crc != 0 && crc != bodyCRC32(req.Body) {
		n.log.Warn("namesrv: register broker: body crc32 mismatch", "broker", r.BrokerAddr, "header", crc, "body", bodyCRC32(req.Body))
		return remoting.NewResponse(req, remoting.ResponseSystemError, "crc32 not match")
	}

	var (
		body *registerBody
		err  error
	)
	if req.Version >= versionRegisterBrokerBody {
		body, err = decodeRegisterBody(req.Body, compressed != nil && *compressed)
	} else {
		body, err = decodeTopicConfigWrapper(req.Body)
	}
	if err != nil {
		n.log.Warn("namesrv: register broker: bad body", "broker", r.BrokerAddr, "err", err)
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	r.DataVersion = body.DataVersion
	r.Topics = body.Topics
	r.FilterServers = body.FilterServers

	res, err := n.routes.RegisterBroker(r)
	if errors.Is(err, ErrRegisterRefused) {
		n.log.Warn("namesrv: single-topic registration of a broker not registered yet refused",
			"cluster", r.Cluster, "brokerName", r.BrokerName, "broker", r.BrokerAddr, "brokerId", r.BrokerID)
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, err.Error())
	}
	n.log.Debug("namesrv: broker registered", "cluster", r.Cluster, "brokerName", r.BrokerName,
		"broker", r.BrokerAddr, "brokerId", r.BrokerID, "topics", len(r.Topics), "dataVersion", r.DataVersion)

	resp := success(req)
	// Only a slave whose master is registered learns these; upstream leaves
	// them null (absent) otherwise.
	if res.HAServerAddr != "" {
		resp.ExtFields["haServerAddr"] = res.HAServerAddr
	}
	if res.MasterAddr != "" {
		resp.ExtFields["masterAddr"] = res.MasterAddr
	}
	if kv := n.kv.List(NamespaceOrderTopicConfig); len(kv) > 0 {
		resp.Body = encodeKVTable(kv)
	}
	return resp
}

// handleUnregisterBroker serves UNREGISTER_BROKER (104), sent by a broker
// shutting down.
func (n *Server) handleUnregisterBroker(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	cluster, addr, name := h.str("clusterName"), h.str("brokerAddr"), h.str("brokerName")
	h.int64("brokerId")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	n.routes.UnregisterBroker(cluster, addr, name)
	n.log.Info("namesrv: broker unregistered", "cluster", cluster, "brokerName", name, "broker", addr)
	return success(req)
}

// handleQueryDataVersion serves QUERY_DATA_VERSION (322): a broker asks
// whether its registration is still current before skipping one.
func (n *Server) handleQueryDataVersion(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	cluster, addr := h.str("clusterName"), h.str("brokerAddr")
	h.str("brokerName")
	h.int64("brokerId")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	var v DataVersion
	if len(req.Body) > 0 {
		var j dataVersionJSON
		if err := fastjson.Unmarshal(req.Body, &j); err != nil {
			return remoting.NewResponse(req, remoting.ResponseSystemError, "decode DataVersion: "+err.Error())
		}
		v = j.version()
	}
	changed, current, known := n.routes.QueryDataVersion(cluster, addr, v)
	resp := success(req)
	resp.ExtFields["changed"] = strconv.FormatBool(changed)
	if known {
		resp.Body = encodeDataVersion(current)
	}
	return resp
}

// handleBrokerHeartbeat serves BROKER_HEARTBEAT (904), the light 5.x
// heartbeat: it only proves the broker alive.
func (n *Server) handleBrokerHeartbeat(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	cluster, addr := h.str("clusterName"), h.str("brokerAddr")
	h.str("brokerName")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	n.routes.Heartbeat(cluster, addr)
	return success(req)
}

// handleGetBrokerMemberGroup serves GET_BROKER_MEMBER_GROUP (901): a 5.x
// broker asks for the addresses of its broker name.
func (n *Server) handleGetBrokerMemberGroup(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	cluster, name := h.str("clusterName"), h.str("brokerName")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	group := encodeBrokerMemberGroup(cluster, name, n.routes.BrokerMemberGroup(name), responseForm(req))
	resp := success(req)
	resp.Body = append(append([]byte(`{"brokerMemberGroup":`), group...), '}')
	return resp
}

// handleRegisterTopic serves REGISTER_TOPIC_IN_NAMESRV (217, 5.x): the body
// is a TopicRouteData whose queueDatas become the topic's queues.
func (n *Server) handleRegisterTopic(_ context.Context, _ uint64, req *remoting.Command) *remoting.Command {
	h := readExt(req)
	topic := h.str("topic")
	if resp := h.failed(req); resp != nil {
		return resp
	}
	if len(req.Body) == 0 {
		return success(req)
	}
	var body struct {
		QueueDatas []struct {
			BrokerName     string                `json:"brokerName"`
			ReadQueueNums  fastjson.LenientInt64 `json:"readQueueNums"`
			WriteQueueNums fastjson.LenientInt64 `json:"writeQueueNums"`
			Perm           fastjson.LenientInt64 `json:"perm"`
			TopicSysFlag   fastjson.LenientInt64 `json:"topicSysFlag"`
			TopicSynFlag   fastjson.LenientInt64 `json:"topicSynFlag"` // 4.x spelling
		} `json:"queueDatas"`
	}
	if err := fastjson.Unmarshal(req.Body, &body); err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, "decode TopicRouteData: "+err.Error())
	}
	var qds []QueueData
	for _, q := range body.QueueDatas {
		qds = append(qds, QueueData{
			BrokerName:     q.BrokerName,
			ReadQueueNums:  int32(q.ReadQueueNums),
			WriteQueueNums: int32(q.WriteQueueNums),
			Perm:           int32(q.Perm),
			TopicSysFlag:   int32(q.TopicSysFlag | q.TopicSynFlag),
		})
	}
	if !n.routes.RegisterTopic(topic, qds) {
		// Upstream answers success here too; the route simply is not added.
		n.log.Warn("namesrv: register topic ignored: no queues or unknown broker", "topic", topic)
	}
	return success(req)
}
