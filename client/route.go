package client

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/saturnmq/saturn/fastjson"
)

// Permission bits of a topic or broker (upstream PermName).
const (
	PermPriority = 8
	PermRead     = 4
	PermWrite    = 2
	PermInherit  = 1
)

// MasterID is the broker id of a master in BrokerData.Addrs.
const MasterID = 0

// TopicRoute is a topic's route as the name servers give it
// (GET_ROUTEINFO_BY_TOPIC): which brokers host it with how many queues.
type TopicRoute struct {
	OrderTopicConf string
	Queues         []QueueData
	Brokers        []BrokerData
}

// QueueData describes a topic's queues on one broker.
type QueueData struct {
	BrokerName     string
	ReadQueueNums  int
	WriteQueueNums int
	Perm           int
	TopicSysFlag   int
}

// BrokerData describes one broker group: its cluster and the addresses by
// broker id (MasterID for the master, 1 and up for slaves).
type BrokerData struct {
	Cluster    string
	BrokerName string
	Addrs      map[int64]string
}

// MasterAddr returns the master's address, or "".
func (b BrokerData) MasterAddr() string { return b.Addrs[MasterID] }

// Broker returns the BrokerData of the broker named name, or nil.
func (r *TopicRoute) Broker(name string) *BrokerData {
	for i := range r.Brokers {
		if r.Brokers[i].BrokerName == name {
			return &r.Brokers[i]
		}
	}
	return nil
}

// WriteQueues returns the queues producers may send to: writeQueueNums
// queues of every broker whose queue data has write permission and whose
// master is known, ordered by broker name and queue id.
func (r *TopicRoute) WriteQueues(topic string) []MessageQueue {
	var out []MessageQueue
	for _, q := range r.sortedQueueData() {
		if q.Perm&PermWrite == 0 {
			continue
		}
		if b := r.Broker(q.BrokerName); b == nil || b.MasterAddr() == "" {
			continue
		}
		for i := 0; i < q.WriteQueueNums; i++ {
			out = append(out, MessageQueue{Topic: topic, BrokerName: q.BrokerName, QueueID: int32(i)})
		}
	}
	return out
}

// ReadQueues returns the queues consumers may pull from: readQueueNums
// queues of every broker whose queue data has read permission, ordered by
// broker name and queue id.
func (r *TopicRoute) ReadQueues(topic string) []MessageQueue {
	var out []MessageQueue
	for _, q := range r.sortedQueueData() {
		if q.Perm&PermRead == 0 {
			continue
		}
		for i := 0; i < q.ReadQueueNums; i++ {
			out = append(out, MessageQueue{Topic: topic, BrokerName: q.BrokerName, QueueID: int32(i)})
		}
	}
	return out
}

func (r *TopicRoute) sortedQueueData() []QueueData {
	qs := slices.Clone(r.Queues)
	slices.SortFunc(qs, func(a, b QueueData) int { return strings.Compare(a.BrokerName, b.BrokerName) })
	return qs
}

// parseTopicRoute decodes a TopicRouteData body, in the standard form and
// in fastjson's legacy form with unquoted broker-id keys.
func parseTopicRoute(body []byte) (*TopicRoute, error) {
	v, err := fastjson.Parse(body)
	if err != nil {
		return nil, fmt.Errorf("client: bad route data: %w", err)
	}
	r := &TopicRoute{}
	if s, ok := v.Get("orderTopicConf"); ok {
		r.OrderTopicConf = s.Str()
	}
	qds, _ := v.Get("queueDatas")
	for _, item := range qds.Items {
		var q QueueData
		var err error
		q.BrokerName = strField(item, "brokerName")
		if q.ReadQueueNums, err = intField(item, "readQueueNums"); err != nil {
			return nil, err
		}
		if q.WriteQueueNums, err = intField(item, "writeQueueNums"); err != nil {
			return nil, err
		}
		if q.Perm, err = intField(item, "perm"); err != nil {
			return nil, err
		}
		if q.TopicSysFlag, err = intField(item, "topicSysFlag"); err != nil {
			return nil, err
		}
		r.Queues = append(r.Queues, q)
	}
	bds, _ := v.Get("brokerDatas")
	for _, item := range bds.Items {
		b, err := parseBrokerData(item)
		if err != nil {
			return nil, err
		}
		r.Brokers = append(r.Brokers, b)
	}
	return r, nil
}

func parseBrokerData(v fastjson.Value) (BrokerData, error) {
	b := BrokerData{
		Cluster:    strField(v, "cluster"),
		BrokerName: strField(v, "brokerName"),
		Addrs:      make(map[int64]string),
	}
	addrs, _ := v.Get("brokerAddrs")
	for _, m := range addrs.Members {
		id, err := strconv.ParseInt(m.Key.Text, 10, 64)
		if err != nil {
			return b, fmt.Errorf("client: bad broker id %q in route data", m.Key.Text)
		}
		b.Addrs[id] = m.Val.Str()
	}
	return b, nil
}

func strField(v fastjson.Value, name string) string {
	f, _ := v.Get(name)
	return f.Str()
}

func intField(v fastjson.Value, name string) (int, error) {
	f, _ := v.Get(name)
	n, err := f.Int()
	if err != nil {
		return 0, fmt.Errorf("client: member %s: %w", name, err)
	}
	return int(n), nil
}

func int64Field(v fastjson.Value, name string) (int64, error) {
	f, _ := v.Get(name)
	n, err := f.Int()
	if err != nil {
		return 0, fmt.Errorf("client: member %s: %w", name, err)
	}
	return n, nil
}
