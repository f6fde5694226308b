package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"

	"github.com/saturnmq/saturn/fastjson"
)

// SubscriptionGroupConfig is one consumer group's settings, persisted in
// subscriptionGroup.json. NewSubscriptionGroupConfig gives upstream's
// defaults; JSON members that are absent also take them.
type SubscriptionGroupConfig struct {
	GroupName string
	// ConsumeEnable false makes pulls of the group fail (NO_PERMISSION).
	ConsumeEnable bool
	// ConsumeFromMinEnable lets a new group start from the queue's minimum
	// offset when the queue is still young.
	ConsumeFromMinEnable bool
	// ConsumeBroadcastEnable false forbids the BROADCASTING model.
	ConsumeBroadcastEnable bool
	// ConsumeMessageOrderly (5.x) marks an orderly group.
	ConsumeMessageOrderly bool
	// RetryQueueNums is the queue count of the group's retry topic; 0 or
	// less drops failed messages instead of retrying them.
	RetryQueueNums int32
	// RetryMaxTimes is the reconsume count after which a message goes to the
	// dead-letter topic.
	RetryMaxTimes int32
	// BrokerID is the broker id pulls are redirected to by default.
	BrokerID int64
	// WhichBrokerWhenConsumeSlowly is the broker id suggested when the
	// consumer lags far behind.
	WhichBrokerWhenConsumeSlowly int64
	// NotifyConsumerIdsChangedEnable sends NOTIFY_CONSUMER_IDS_CHANGED to the
	// group's consumers when its membership changes.
	NotifyConsumerIdsChangedEnable bool
	// GroupSysFlag (5.x) holds group flag bits.
	GroupSysFlag int32
	// ConsumeTimeoutMinute (5.x).
	ConsumeTimeoutMinute int32
	// Attributes (5.x). A config obtained from a table shares this map with
	// the table: treat it as read-only.
	Attributes map[string]string

	// GroupRetryPolicy and SubscriptionDataSet are 5.x members Saturn does
	// not interpret; they are kept verbatim so that an upstream file
	// survives a load and save. Empty means absent.
	GroupRetryPolicy    json.RawMessage
	SubscriptionDataSet json.RawMessage
}

// NewSubscriptionGroupConfig returns a group with upstream's defaults:
// consume, consume-from-min and broadcast enabled, 1 retry queue, 16 retries,
// broker id 0, slow-consumption broker 1, notification of id changes
// enabled, not orderly, sysFlag 0, consume timeout 15 minutes.
func NewSubscriptionGroupConfig(group string) SubscriptionGroupConfig {
	return SubscriptionGroupConfig{
		GroupName:                      group,
		ConsumeEnable:                  true,
		ConsumeFromMinEnable:           true,
		ConsumeBroadcastEnable:         true,
		RetryQueueNums:                 1,
		RetryMaxTimes:                  16,
		BrokerID:                       0,
		WhichBrokerWhenConsumeSlowly:   1,
		NotifyConsumerIdsChangedEnable: true,
		ConsumeTimeoutMinute:           15,
	}
}

// groupConfigJSON is the JSON form; members are declared in fastjson's
// (alphabetical) order so that encoding/json writes them sorted.
type groupConfigJSON struct {
	Attributes                     map[string]string     `json:"attributes"`
	BrokerID                       fastjson.LenientInt64 `json:"brokerId"`
	ConsumeBroadcastEnable         fastjson.LenientBool  `json:"consumeBroadcastEnable"`
	ConsumeEnable                  fastjson.LenientBool  `json:"consumeEnable"`
	ConsumeFromMinEnable           fastjson.LenientBool  `json:"consumeFromMinEnable"`
	ConsumeMessageOrderly          fastjson.LenientBool  `json:"consumeMessageOrderly"`
	ConsumeTimeoutMinute           fastjson.LenientInt32 `json:"consumeTimeoutMinute"`
	GroupName                      string                `json:"groupName"`
	GroupRetryPolicy               json.RawMessage       `json:"groupRetryPolicy,omitempty"`
	GroupSysFlag                   fastjson.LenientInt32 `json:"groupSysFlag"`
	NotifyConsumerIdsChangedEnable fastjson.LenientBool  `json:"notifyConsumerIdsChangedEnable"`
	RetryMaxTimes                  fastjson.LenientInt32 `json:"retryMaxTimes"`
	RetryQueueNums                 fastjson.LenientInt32 `json:"retryQueueNums"`
	SubscriptionDataSet            json.RawMessage       `json:"subscriptionDataSet,omitempty"`
	WhichBrokerWhenConsumeSlowly   fastjson.LenientInt64 `json:"whichBrokerWhenConsumeSlowly"`
}

// MarshalJSON implements json.Marshaler: strictly valid JSON, members
// sorted, attributes written as {} when empty.
func (c SubscriptionGroupConfig) MarshalJSON() ([]byte, error) {
	w := groupConfigJSON{
		Attributes:                     c.Attributes,
		BrokerID:                       fastjson.LenientInt64(c.BrokerID),
		ConsumeBroadcastEnable:         fastjson.LenientBool(c.ConsumeBroadcastEnable),
		ConsumeEnable:                  fastjson.LenientBool(c.ConsumeEnable),
		ConsumeFromMinEnable:           fastjson.LenientBool(c.ConsumeFromMinEnable),
		ConsumeMessageOrderly:          fastjson.LenientBool(c.ConsumeMessageOrderly),
		ConsumeTimeoutMinute:           fastjson.LenientInt32(c.ConsumeTimeoutMinute),
		GroupName:                      c.GroupName,
		GroupRetryPolicy:               validRaw(c.GroupRetryPolicy),
		GroupSysFlag:                   fastjson.LenientInt32(c.GroupSysFlag),
		NotifyConsumerIdsChangedEnable: fastjson.LenientBool(c.NotifyConsumerIdsChangedEnable),
		RetryMaxTimes:                  fastjson.LenientInt32(c.RetryMaxTimes),
		RetryQueueNums:                 fastjson.LenientInt32(c.RetryQueueNums),
		SubscriptionDataSet:            validRaw(c.SubscriptionDataSet),
		WhichBrokerWhenConsumeSlowly:   fastjson.LenientInt64(c.WhichBrokerWhenConsumeSlowly),
	}
	if w.Attributes == nil {
		w.Attributes = map[string]string{}
	}
	return json.Marshal(w)
}

// validRaw drops a preserved member that is not valid JSON (it could only
// come from a caller), so that marshalling never fails.
func validRaw(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || !json.Valid(m) {
		return nil
	}
	return m
}

// UnmarshalJSON implements json.Unmarshaler; absent members take the
// defaults of NewSubscriptionGroupConfig.
func (c *SubscriptionGroupConfig) UnmarshalJSON(b []byte) error {
	d := NewSubscriptionGroupConfig("")
	w := groupConfigJSON{
		BrokerID:                       fastjson.LenientInt64(d.BrokerID),
		ConsumeBroadcastEnable:         fastjson.LenientBool(d.ConsumeBroadcastEnable),
		ConsumeEnable:                  fastjson.LenientBool(d.ConsumeEnable),
		ConsumeFromMinEnable:           fastjson.LenientBool(d.ConsumeFromMinEnable),
		ConsumeMessageOrderly:          fastjson.LenientBool(d.ConsumeMessageOrderly),
		ConsumeTimeoutMinute:           fastjson.LenientInt32(d.ConsumeTimeoutMinute),
		GroupSysFlag:                   fastjson.LenientInt32(d.GroupSysFlag),
		NotifyConsumerIdsChangedEnable: fastjson.LenientBool(d.NotifyConsumerIdsChangedEnable),
		RetryMaxTimes:                  fastjson.LenientInt32(d.RetryMaxTimes),
		RetryQueueNums:                 fastjson.LenientInt32(d.RetryQueueNums),
		WhichBrokerWhenConsumeSlowly:   fastjson.LenientInt64(d.WhichBrokerWhenConsumeSlowly),
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = SubscriptionGroupConfig{
		GroupName:                      w.GroupName,
		ConsumeEnable:                  bool(w.ConsumeEnable),
		ConsumeFromMinEnable:           bool(w.ConsumeFromMinEnable),
		ConsumeBroadcastEnable:         bool(w.ConsumeBroadcastEnable),
		ConsumeMessageOrderly:          bool(w.ConsumeMessageOrderly),
		RetryQueueNums:                 int32(w.RetryQueueNums),
		RetryMaxTimes:                  int32(w.RetryMaxTimes),
		BrokerID:                       int64(w.BrokerID),
		WhichBrokerWhenConsumeSlowly:   int64(w.WhichBrokerWhenConsumeSlowly),
		NotifyConsumerIdsChangedEnable: bool(w.NotifyConsumerIdsChangedEnable),
		GroupSysFlag:                   int32(w.GroupSysFlag),
		ConsumeTimeoutMinute:           int32(w.ConsumeTimeoutMinute),
		Attributes:                     w.Attributes,
		GroupRetryPolicy:               nullToEmpty(w.GroupRetryPolicy),
		SubscriptionDataSet:            nullToEmpty(w.SubscriptionDataSet),
	}
	return nil
}

// nullToEmpty returns a preserved raw member in compact form, or nil when it
// is absent or null. Compacting keeps a value stable across save and load
// (the file is pretty-printed).
func nullToEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, m); err != nil {
		return m
	}
	return b.Bytes()
}

// ParseSubscriptionGroupConfig decodes the body of
// UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (fastjson output accepted) and
// validates the group name.
func ParseSubscriptionGroupConfig(body []byte) (SubscriptionGroupConfig, error) {
	var c SubscriptionGroupConfig
	if err := fastjson.Unmarshal(body, &c); err != nil {
		return SubscriptionGroupConfig{}, fmt.Errorf("subscription group config: %w", err)
	}
	if err := ValidateGroupName(c.GroupName); err != nil {
		return SubscriptionGroupConfig{}, err
	}
	return c, nil
}

// clone returns c with its own maps and raw members.
func (c SubscriptionGroupConfig) clone() SubscriptionGroupConfig {
	if len(c.Attributes) == 0 {
		c.Attributes = nil
	} else {
		c.Attributes = maps.Clone(c.Attributes)
	}
	c.GroupRetryPolicy = cloneRaw(c.GroupRetryPolicy)
	c.SubscriptionDataSet = cloneRaw(c.SubscriptionDataSet)
	return c
}

func cloneRaw(m json.RawMessage) json.RawMessage {
	if len(m) == 0 {
		return nil
	}
	return append(json.RawMessage(nil), m...)
}
