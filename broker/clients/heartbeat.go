package clients

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/saturnmq/saturn/fastjson"
)

// Consume types, message models and consume-from-where values clients send.
const (
	ConsumeActively  = "CONSUME_ACTIVELY"  // pull consumer
	ConsumePassively = "CONSUME_PASSIVELY" // push consumer
	ConsumePop       = "CONSUME_POP"       // 5.x pop consumer

	Clustering   = "CLUSTERING"
	Broadcasting = "BROADCASTING"
)

// HeartbeatData is the body of HEART_BEAT: everything one client instance
// produces and consumes.
type HeartbeatData struct {
	ClientID        string
	ProducerDataSet []ProducerData
	ConsumerDataSet []ConsumerData
}

// ProducerData names one producer group of the client.
type ProducerData struct {
	GroupName string
}

// ConsumerData describes one consumer of the client.
type ConsumerData struct {
	GroupName string
	// ConsumeType is ConsumeActively, ConsumePassively or ConsumePop.
	ConsumeType string
	// MessageModel is Clustering or Broadcasting.
	MessageModel string
	// ConsumeFromWhere is the CONSUME_FROM_* value, or "UNKNOWN" (Go).
	ConsumeFromWhere    string
	SubscriptionDataSet []SubscriptionData
	UnitMode            bool
}

// ParseHeartbeat decodes a HEART_BEAT body from a Java (fastjson) or Go
// client. It tolerates what either sends: members in any order, unknown
// members (5.x heartbeatFingerprint, withoutSub), codeSet as numbers or as
// strings, subVersion in milliseconds or nanoseconds, numbers and booleans
// given as strings, null sets.
//
// Tag subscriptions are normalized: TagsSet and CodeSet are recomputed from
// subString with Java's String.hashCode semantics, because Go clients hash
// UTF-8 bytes and so send wrong codes for non-ASCII tags. The client's
// codeSet is ignored.
func ParseHeartbeat(body []byte) (*HeartbeatData, error) {
	var w struct {
		ClientID        string `json:"clientID"`
		ProducerDataSet []struct {
			GroupName string `json:"groupName"`
		} `json:"producerDataSet"`
		ConsumerDataSet []struct {
			GroupName           string               `json:"groupName"`
			ConsumeType         string               `json:"consumeType"`
			MessageModel        string               `json:"messageModel"`
			ConsumeFromWhere    string               `json:"consumeFromWhere"`
			SubscriptionDataSet []wireSubData        `json:"subscriptionDataSet"`
			UnitMode            fastjson.LenientBool `json:"unitMode"`
		} `json:"consumerDataSet"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("heartbeat body: %w", err)
	}
	if w.ClientID == "" {
		return nil, errors.New("heartbeat body: no clientID")
	}
	hb := &HeartbeatData{ClientID: w.ClientID}
	if len(w.ProducerDataSet) > 0 {
		hb.ProducerDataSet = make([]ProducerData, 0, len(w.ProducerDataSet))
		for _, p := range w.ProducerDataSet {
			hb.ProducerDataSet = append(hb.ProducerDataSet, ProducerData{GroupName: p.GroupName})
		}
	}
	if len(w.ConsumerDataSet) > 0 {
		hb.ConsumerDataSet = make([]ConsumerData, 0, len(w.ConsumerDataSet))
	}
	for _, c := range w.ConsumerDataSet {
		cd := ConsumerData{
			GroupName:        c.GroupName,
			ConsumeType:      c.ConsumeType,
			MessageModel:     c.MessageModel,
			ConsumeFromWhere: c.ConsumeFromWhere,
			UnitMode:         bool(c.UnitMode),
		}
		if len(c.SubscriptionDataSet) > 0 {
			cd.SubscriptionDataSet = make([]SubscriptionData, 0, len(c.SubscriptionDataSet))
		}
		for _, ws := range c.SubscriptionDataSet {
			s := SubscriptionData{
				ClassFilterMode: bool(ws.ClassFilterMode),
				Topic:           ws.Topic,
				SubString:       ws.SubString,
				TagsSet:         ws.TagsSet,
				SubVersion:      int64(ws.SubVersion),
				ExpressionType:  ws.ExpressionType,
			}
			// A subscription the broker cannot evaluate (unknown type, a tag
			// expression without tags) is kept as sent: it then matches
			// nothing, or fails the pull, as it would upstream. Rejecting the
			// whole heartbeat would also drop the client's other groups.
			_ = s.normalize()
			cd.SubscriptionDataSet = append(cd.SubscriptionDataSet, s)
		}
		hb.ConsumerDataSet = append(hb.ConsumerDataSet, cd)
	}
	return hb, nil
}

// wireSubData is SubscriptionData as clients send it. codeSet is not read:
// it is recomputed.
type wireSubData struct {
	ClassFilterMode fastjson.LenientBool  `json:"classFilterMode"`
	Topic           string                `json:"topic"`
	SubString       string                `json:"subString"`
	TagsSet         []string              `json:"tagsSet"`
	SubVersion      fastjson.LenientInt64 `json:"subVersion"`
	ExpressionType  string                `json:"expressionType"`
}
