package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/saturnmq/saturn/broker/meta"
	"github.com/saturnmq/saturn/fastjson"
	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
)

// versionDesc is the upstream version name matching remoting.CurrentVersion,
// reported as brokerVersionDesc.
const versionDesc = "V4_9_7"

// handleGetRuntimeInfo serves GET_BROKER_RUNTIME_INFO with the keys
// `mqadmin clusterList` and `brokerStatus` read.
func (b *Broker) handleGetRuntimeInfo(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	putTps, getTps := b.stats.tpsTriple()
	putToday, getToday, putYesterday, getYesterday := b.stats.dayTotals()
	now := b.now()
	up := now.Sub(b.bootTime)
	table := map[string]string{
		"brokerVersionDesc":                    versionDesc,
		"brokerVersion":                        strconv.Itoa(int(remoting.CurrentVersion)),
		"brokerActive":                         "true",
		"bootTimestamp":                        strconv.FormatInt(b.bootTime.UnixMilli(), 10),
		"runtime":                              fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]", int(up.Hours())/24, int(up.Hours())%24, int(up.Minutes())%60, int(up.Seconds())%60),
		"msgPutTotalTodayNow":                  strconv.FormatInt(b.stats.put.Load(), 10),
		"msgGetTotalTodayNow":                  strconv.FormatInt(b.stats.get.Load(), 10),
		"msgPutTotalTodayMorning":              strconv.FormatInt(putToday, 10),
		"msgGetTotalTodayMorning":              strconv.FormatInt(getToday, 10),
		"msgPutTotalYesterdayMorning":          strconv.FormatInt(putYesterday, 10),
		"msgGetTotalYesterdayMorning":          strconv.FormatInt(getYesterday, 10),
		"putTps":                               putTps,
		"getTransferedTps":                     getTps, // 4.9.x spelling
		"getTransferredTps":                    getTps, // 5.x spelling
		"getTotalTps":                          getTps,
		"getFoundTps":                          getTps,
		"getMissTps":                           "0.00 0.00 0.00",
		"sendThreadPoolQueueSize":              "0",
		"sendThreadPoolQueueCapacity":          strconv.Itoa(b.cfg.SendQueueCapacity),
		"pullThreadPoolQueueSize":              strconv.Itoa(b.holds.len()),
		"pullThreadPoolQueueCapacity":          strconv.Itoa(b.cfg.PullQueueCapacity),
		"sendThreadPoolQueueHeadWaitTimeMills": "0",
		"pullThreadPoolQueueHeadWaitTimeMills": "0",
		"pageCacheLockTimeMills":               "0",
		"dispatchBehindBytes":                  "0",
		"commitLogMaxOffset":                   strconv.FormatInt(b.store.MaxPhysicalOffset(), 10),
		"commitLogMinOffset":                   strconv.FormatInt(b.store.MinPhysicalOffset(), 10),
		"earliestMessageTimeStamp":             strconv.FormatInt(b.earliestMessageTime(), 10),
		"commitLogDiskRatio":                   strconv.FormatFloat(diskUsedRatio(b.cfg.StorePathRootDir), 'f', -1, 64),
		"consumeQueueDiskRatio":                strconv.FormatFloat(diskUsedRatio(b.cfg.StorePathRootDir), 'f', -1, 64),
		"startAcceptSendRequestTimeStamp":      "0",
		"timerCongestNum":                      "0",
		"timerDequeueTps":                      "0.0",
		"timerEnqueueTps":                      "0.0",
		"timerOffsetBehind":                    "0",
		"timerReadBehind":                      "0",
	}
	body, _ := json.Marshal(struct {
		Table map[string]string `json:"table"`
	}{table})
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.Body = body
	return resp
}

// earliestMessageTime is the store time of the oldest message kept, or 0.
func (b *Broker) earliestMessageTime() int64 {
	rec, err := b.store.MessageAt(b.store.MinPhysicalOffset())
	if err != nil {
		return 0
	}
	var v message.View
	if _, err := v.Parse(rec); err != nil {
		return 0
	}
	return v.StoreTimestamp
}

// handleGetTopicStats serves GET_TOPIC_STATS_INFO: per queue the min and
// max offset and the store time of the newest message.
func (b *Broker) handleGetTopicStats(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	topic := r.required("topic")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter, r.err.Error())
	}
	tc, ok := b.topics.Get(topic)
	if !ok {
		return remoting.NewResponse(req, remoting.ResponseTopicNotExist, "topic["+topic+"] not exist")
	}
	body := []byte(`{"offsetTable":{`)
	for q := range tc.WriteQueueNums {
		if q > 0 {
			body = append(body, ',')
		}
		minOff, maxOff := b.store.MinOffset(topic, q), b.store.MaxOffset(topic, q)
		var last int64
		if maxOff > 0 {
			last, _ = b.store.StoreTimeAt(topic, q, maxOff-1)
		}
		body = b.appendQueueKey(body, topic, q)
		body = fmt.Appendf(body, `:{"lastUpdateTimestamp":%d,"maxOffset":%d,"minOffset":%d}`, last, maxOff, minOff)
	}
	body = append(body, "}}"...)
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.Body = body
	return resp
}

// handleGetConsumeStats serves GET_CONSUME_STATS (mqadmin consumerProgress):
// per queue of the group's topics the broker's max offset, the group's
// committed offset and the store time of the last consumed message.
func (b *Broker) handleGetConsumeStats(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	group := r.required("consumerGroup")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter, r.err.Error())
	}
	var topics []string
	if t := r.str("topic"); t != "" {
		if _, ok := b.topics.Get(t); !ok {
			return remoting.NewResponse(req, remoting.ResponseTopicNotExist, "topic["+t+"] not exist")
		}
		topics = []string{t}
	} else {
		topics = b.offsets.TopicsOfGroup(group)
	}
	body := []byte(`{"consumeTps":0.0,"offsetTable":{`)
	first := true
	for _, topic := range topics {
		tc, ok := b.topics.Get(topic)
		if !ok {
			continue
		}
		committed := b.offsets.Offsets(group, topic)
		for q := range tc.WriteQueueNums {
			if !first {
				body = append(body, ',')
			}
			first = false
			consumer := max(committed[q], 0)
			var last int64
			if consumer > 0 {
				last, _ = b.store.StoreTimeAt(topic, q, consumer-1)
			}
			body = b.appendQueueKey(body, topic, q)
			body = fmt.Appendf(body, `:{"brokerOffset":%d,"consumerOffset":%d,"lastTimestamp":%d,"pullOffset":%d}`,
				b.store.MaxOffset(topic, q), consumer, last, consumer)
		}
	}
	body = append(body, "}}"...)
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.Body = body
	return resp
}

// appendQueueKey appends a MessageQueue as fastjson writes a map key of that
// type: the object itself, members sorted.
func (b *Broker) appendQueueKey(dst []byte, topic string, queueID int32) []byte {
	dst = append(dst, `{"brokerName":`...)
	dst = fastjson.AppendString(dst, b.cfg.BrokerName)
	dst = append(dst, `,"queueId":`...)
	dst = strconv.AppendInt(dst, int64(queueID), 10)
	dst = append(dst, `,"topic":`...)
	dst = fastjson.AppendString(dst, topic)
	return append(dst, '}')
}

// handleGetAllGroups serves GET_ALL_SUBSCRIPTIONGROUP_CONFIG.
func (b *Broker) handleGetAllGroups(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	resp := remoting.NewResponse(req, remoting.ResponseSuccess, "")
	resp.Body = b.groups.JSON()
	return resp
}

// handleUpdateGroup serves UPDATE_AND_CREATE_SUBSCRIPTIONGROUP.
func (b *Broker) handleUpdateGroup(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	gc, err := meta.ParseSubscriptionGroupConfig(req.Body)
	if err != nil {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter, err.Error())
	}
	if err := b.groups.Put(gc); err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, "persist subscription groups: "+err.Error())
	}
	b.logger.Info("subscription group created or updated", "group", gc.GroupName)
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}

// handleDeleteGroup serves DELETE_SUBSCRIPTIONGROUP; cleanOffset=true also
// forgets the group's committed offsets.
func (b *Broker) handleDeleteGroup(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
	r := extReader{ext: req.ExtFields}
	group := r.required("groupName")
	if r.err != nil {
		return remoting.NewResponse(req, remoting.ResponseInvalidParameter, r.err.Error())
	}
	if _, err := b.groups.Delete(group); err != nil {
		return remoting.NewResponse(req, remoting.ResponseSystemError, "persist subscription groups: "+err.Error())
	}
	if r.bool("cleanOffset") {
		b.offsets.DeleteGroup(group)
	}
	return remoting.NewResponse(req, remoting.ResponseSuccess, "")
}
