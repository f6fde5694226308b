package broker

import (
	"context"

	"github.com/saturnmq/saturn/remoting"
)

// Handler groups. Each is a bounded worker pool of the remoting server, so
// that, as with upstream's thread pools, slow sends (waiting for a sync
// flush) never hold up pulls or heartbeats, and a full queue answers
// SYSTEM_BUSY instead of growing without bound.
const (
	groupSend      = "send"
	groupPull      = "pull"
	groupHeartbeat = "heartbeat"
	groupConsumer  = "consumer" // offsets and consumer lists
	groupAdmin     = "admin"
)

// Sizes of the groups upstream does not let broker.conf size here.
const (
	heartbeatWorkers = 8
	heartbeatQueue   = 50000
	consumerWorkers  = 16
	consumerQueue    = 100000
	adminWorkers     = 2
	adminQueue       = 10000
)

// routes registers every request the broker serves. Codes not registered
// are answered REQUEST_CODE_NOT_SUPPORTED by the server.
func (b *Broker) routes() {
	s := b.server
	s.RegisterGroup(groupSend, b.cfg.SendWorkers, b.cfg.SendQueueCapacity)
	s.RegisterGroup(groupPull, b.cfg.PullWorkers, b.cfg.PullQueueCapacity)
	s.RegisterGroup(groupHeartbeat, heartbeatWorkers, heartbeatQueue)
	s.RegisterGroup(groupConsumer, consumerWorkers, consumerQueue)
	s.RegisterGroup(groupAdmin, adminWorkers, adminQueue)

	h := func(f func(context.Context, *remoting.Conn, *remoting.Command) *remoting.Command) remoting.Handler {
		return remoting.HandlerFunc(func(ctx context.Context, c *remoting.Conn, req *remoting.Command) *remoting.Command {
			<-b.ready // closed before Start returns; a no-op afterwards
			return f(ctx, c, req)
		})
	}
	// Sends and pulls, the hottest paths, read their header from
	// req.Fields in one pass: no map is built nor looked up. Offset
	// requests are registered transient: their handlers copy what they
	// need out of req.ExtFields (strings) and never keep the map once they
	// returned a response, so the server may reuse the map.
	//
	// Sends only borrow their bodies (ReuseBodies): the store copies the
	// messages into its own buffer before Put, PutBatch, PutAsync and
	// PutBatchAsync return, and nothing else keeps req.Body or a slice of
	// it (the completion of an asynchronous send uses only the store's
	// result and req's header). So read buffers are reused. Nor does it
	// keep req.Fields once it answered (ReuseHeaders): the header is
	// parsed into a sendHeader first.
	//
	// Sends are served inline (ServeInline): a send that arrives alone
	// is stored and answered by its connection's reader, without the
	// hand-off to a send worker, whose scheduling delay on busy cores was
	// a large part of the publish and end-to-end latency at moderate
	// rates. A send never waits for its own connection: the store's
	// append, or in SYNC_FLUSH the hand-off to the group commit (only
	// sends over maxPendingSyncSends wait for their sync, and then hold
	// back only their own connection's next requests).
	for _, code := range []int32{remoting.RequestSendMessage, remoting.RequestSendMessageV2, remoting.RequestSendBatchMessage} {
		s.RegisterFields(code, groupSend, h(b.handleSend))
		s.ReuseHeaders(code)
		s.ReuseBodies(code)
		s.ServeInline(code)
	}
	s.Register(remoting.RequestConsumerSendMsgBack, groupSend, h(b.handleSendMsgBack))
	for _, code := range []int32{remoting.RequestPullMessage, remoting.RequestLitePullMessage} {
		s.RegisterFields(code, groupPull, h(b.handlePull))
		s.ServeInline(code)
	}

	s.Register(remoting.RequestHeartBeat, groupHeartbeat, h(b.handleHeartbeat))
	s.Register(remoting.RequestUnregisterClient, groupHeartbeat, h(b.handleUnregisterClient))

	s.Register(remoting.RequestGetConsumerListByGroup, groupConsumer, h(b.handleGetConsumerList))
	s.RegisterTransient(remoting.RequestQueryConsumerOffset, groupConsumer, h(b.handleQueryConsumerOffset))
	s.RegisterTransient(remoting.RequestUpdateConsumerOffset, groupConsumer, h(b.handleUpdateConsumerOffset))
	s.Register(remoting.RequestGetMaxOffset, groupConsumer, h(b.handleGetMaxOffset))
	s.Register(remoting.RequestGetMinOffset, groupConsumer, h(b.handleGetMinOffset))
	s.Register(remoting.RequestSearchOffsetByTimestamp, groupConsumer, h(b.handleSearchOffset))
	s.Register(remoting.RequestGetEarliestMsgStoreTime, groupConsumer, h(b.handleEarliestStoreTime))

	s.Register(remoting.RequestUpdateAndCreateTopic, groupAdmin, h(b.handleUpdateAndCreateTopic))
	s.Register(remoting.RequestDeleteTopicInBroker, groupAdmin, h(b.handleDeleteTopic))
	s.Register(remoting.RequestGetAllTopicConfig, groupAdmin, h(b.handleGetAllTopicConfig))
	s.Register(remoting.RequestGetBrokerConfig, groupAdmin, h(b.handleGetBrokerConfig))
	s.Register(remoting.RequestGetBrokerRuntimeInfo, groupAdmin, h(b.handleGetRuntimeInfo))
	s.Register(remoting.RequestGetTopicStatsInfo, groupAdmin, h(b.handleGetTopicStats))
	s.Register(remoting.RequestGetConsumeStats, groupAdmin, h(b.handleGetConsumeStats))
	s.Register(remoting.RequestGetAllSubscriptionGroupConfig, groupAdmin, h(b.handleGetAllGroups))
	s.Register(remoting.RequestUpdateAndCreateSubscriptionGroup, groupAdmin, h(b.handleUpdateGroup))
	s.Register(remoting.RequestDeleteSubscriptionGroup, groupAdmin, h(b.handleDeleteGroup))
	s.Register(remoting.RequestGetConsumerConnectionList, groupAdmin, h(b.handleGetConsumerConnections))
}
