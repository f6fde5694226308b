package namesrv

import (
	"context"

	"github.com/saturnmq/saturn/remoting"
)

// handlerFunc serves one request. connID identifies the connection (0 when
// there is none, as in tests); only broker registration uses it.
type handlerFunc func(ctx context.Context, connID uint64, req *remoting.Command) *remoting.Command

// handlers maps every request code the name server answers to its handler.
// Codes not listed are answered REQUEST_CODE_NOT_SUPPORTED by the remoting
// server.
func (n *Server) handlers() map[int32]handlerFunc {
	return map[int32]handlerFunc{
		// Brokers.
		remoting.RequestRegisterBroker:         n.handleRegisterBroker,
		remoting.RequestUnregisterBroker:       n.handleUnregisterBroker,
		remoting.RequestQueryDataVersion:       n.handleQueryDataVersion,
		remoting.RequestBrokerHeartbeat:        n.handleBrokerHeartbeat,
		remoting.RequestGetBrokerMemberGroup:   n.handleGetBrokerMemberGroup,
		remoting.RequestRegisterTopicInNamesrv: n.handleRegisterTopic,

		// Clients and admin tools.
		remoting.RequestGetRouteInfoByTopic:           n.handleGetRouteInfo,
		remoting.RequestGetBrokerClusterInfo:          n.handleGetBrokerClusterInfo,
		remoting.RequestGetAllTopicListFromNameServer: n.handleGetAllTopicList,
		remoting.RequestGetTopicsByCluster:            n.handleGetTopicsByCluster,
		remoting.RequestGetSystemTopicListFromNS:      n.handleGetSystemTopicList,
		remoting.RequestGetUnitTopicList:              n.topicsBySysFlag(func(f int32) bool { return f&TopicSysFlagUnit != 0 }),
		remoting.RequestGetHasUnitSubTopicList:        n.topicsBySysFlag(func(f int32) bool { return f&TopicSysFlagUnitSub != 0 }),
		remoting.RequestGetHasUnitSubUnunitTopicList: n.topicsBySysFlag(func(f int32) bool {
			return f&TopicSysFlagUnit == 0 && f&TopicSysFlagUnitSub != 0
		}),
		remoting.RequestDeleteTopicInNamesrv:  n.handleDeleteTopic,
		remoting.RequestWipeWritePermOfBroker: n.writePermHandler(n.routes.WipeWritePerm, "wiped", "wipeTopicCount"),
		remoting.RequestAddWritePermOfBroker:  n.writePermHandler(n.routes.AddWritePerm, "added", "addTopicCount"),
		remoting.RequestGetNamesrvConfig:      n.handleGetNamesrvConfig,

		// KV config.
		remoting.RequestPutKVConfig:          n.handlePutKVConfig,
		remoting.RequestGetKVConfig:          n.handleGetKVConfig,
		remoting.RequestDeleteKVConfig:       n.handleDeleteKVConfig,
		remoting.RequestGetKVListByNamespace: n.handleGetKVList,
	}
}
