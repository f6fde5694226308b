package namesrv

import (
	"maps"
	"slices"
)

// Permission bits of a topic or queue (upstream PermName).
const (
	PermPriority = 1 << 3
	PermRead     = 1 << 2
	PermWrite    = 1 << 1
	PermInherit  = 1 << 0
)

// Topic sysFlag bits (upstream TopicSysFlag).
const (
	TopicSysFlagUnit    = 1 << 0
	TopicSysFlagUnitSub = 1 << 1
)

// MasterID is the broker id of a master; slaves have ids ≥ 1.
const MasterID int64 = 0

// NamespaceOrderTopicConfig is the KV namespace whose entries (topic →
// "brokerName:queueNum;...") are handed to clients as a route's
// orderTopicConf and to brokers in the REGISTER_BROKER answer.
const NamespaceOrderTopicConfig = "ORDER_TOPIC_CONFIG"

// QueueData is what one broker name offers for one topic.
type QueueData struct {
	BrokerName     string
	ReadQueueNums  int32
	WriteQueueNums int32
	Perm           int32
	TopicSysFlag   int32
}

// BrokerData is one broker name: a master (id 0) and its slaves.
type BrokerData struct {
	Cluster    string
	BrokerName string
	// Addrs maps broker id to "ip:port". Invariant: an address appears under
	// at most one id.
	Addrs map[int64]string
	// EnableActingMaster is the 5.x flag a broker registers with; it is
	// echoed to clients.
	EnableActingMaster bool
	// ZoneName is the 5.x zone of the broker, "" if none.
	ZoneName string
}

func (b BrokerData) clone() BrokerData {
	b.Addrs = maps.Clone(b.Addrs)
	if b.Addrs == nil {
		b.Addrs = map[int64]string{}
	}
	return b
}

// minID returns the smallest broker id present, and false if there is none.
func (b BrokerData) minID() (int64, bool) {
	if len(b.Addrs) == 0 {
		return 0, false
	}
	return slices.Min(slices.Collect(maps.Keys(b.Addrs))), true
}

// TopicRouteData is the answer to GET_ROUTEINFO_BY_TOPIC.
type TopicRouteData struct {
	// OrderTopicConf is the ORDER_TOPIC_CONFIG entry of the topic, "" if none.
	OrderTopicConf string
	// QueueDatas and BrokerDatas are sorted by broker name.
	QueueDatas  []QueueData
	BrokerDatas []BrokerData
	// FilterServerTable maps a broker address to its (legacy) filter servers.
	FilterServerTable map[string][]string
}

// ClusterInfo is the answer to GET_BROKER_CLUSTER_INFO.
type ClusterInfo struct {
	// Brokers maps broker name to its data.
	Brokers map[string]BrokerData
	// Clusters maps cluster name to the sorted names of its brokers.
	Clusters map[string][]string
}

// TopicConfig is the part of a broker's topic config the name server uses.
type TopicConfig struct {
	Name           string
	ReadQueueNums  int32
	WriteQueueNums int32
	Perm           int32
	TopicSysFlag   int32
}

func (tc TopicConfig) queueData(brokerName string) QueueData {
	return QueueData{
		BrokerName:     brokerName,
		ReadQueueNums:  tc.ReadQueueNums,
		WriteQueueNums: tc.WriteQueueNums,
		Perm:           tc.Perm,
		TopicSysFlag:   tc.TopicSysFlag,
	}
}

// DataVersion is the version stamp of a broker's topic table. A broker bumps
// it whenever its topics change, so an unchanged version lets the name server
// skip the topic table of a periodic registration.
type DataVersion struct {
	StateVersion int64 // 5.x only; 0 from 4.x brokers
	Timestamp    int64
	Counter      int64
}
