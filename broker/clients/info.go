package clients

import (
	"encoding/json"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// ConnectionInfo describes one client connection in a group.
type ConnectionInfo struct {
	ClientID   string
	ClientAddr string
	Language   remoting.LanguageCode
	Version    int32
	// LastUpdate is when the connection's latest heartbeat for the group arrived.
	LastUpdate time.Time
}

// ConsumerGroupInfo is a snapshot of a consumer group: everything
// GET_CONSUMER_CONNECTION_LIST reports.
type ConsumerGroupInfo struct {
	Group string
	// Connections are sorted by client id, then address.
	Connections []ConnectionInfo
	// Subscriptions are sorted by topic; shared, must not be modified.
	Subscriptions    []*SubscriptionData
	ConsumeType      string
	MessageModel     string
	ConsumeFromWhere string
	// LastUpdate is when the latest heartbeat of any member arrived.
	LastUpdate time.Time
}

// connectionJSON is upstream's Connection (members sorted as fastjson
// writes them).
type connectionJSON struct {
	ClientAddr string `json:"clientAddr"`
	ClientID   string `json:"clientId"`
	Language   string `json:"language"`
	Version    int32  `json:"version"`
}

func connectionsJSON(conns []ConnectionInfo) []connectionJSON {
	out := make([]connectionJSON, 0, len(conns))
	for _, c := range conns {
		out = append(out, connectionJSON{c.ClientAddr, c.ClientID, c.Language.String(), c.Version})
	}
	return out
}

// ConnectionJSON returns the GET_CONSUMER_CONNECTION_LIST body
// (ConsumerConnection): {"connectionSet":[…],"consumeFromWhere":…,
// "consumeType":…,"messageModel":…,"subscriptionTable":{topic:…}}.
func (i *ConsumerGroupInfo) ConnectionJSON() []byte {
	subs := make(map[string]*SubscriptionData, len(i.Subscriptions))
	for _, s := range i.Subscriptions {
		subs[s.Topic] = s
	}
	b, _ := json.Marshal(struct { // cannot fail: plain values only
		ConnectionSet     []connectionJSON             `json:"connectionSet"`
		ConsumeFromWhere  string                       `json:"consumeFromWhere"`
		ConsumeType       string                       `json:"consumeType"`
		MessageModel      string                       `json:"messageModel"`
		SubscriptionTable map[string]*SubscriptionData `json:"subscriptionTable"`
	}{connectionsJSON(i.Connections), i.ConsumeFromWhere, i.ConsumeType, i.MessageModel, subs})
	return b
}

// ProducerConnectionJSON returns the GET_PRODUCER_CONNECTION_LIST body
// (ProducerConnection): {"connectionSet":[…]}.
func ProducerConnectionJSON(conns []ConnectionInfo) []byte {
	b, _ := json.Marshal(struct { // cannot fail: plain values only
		ConnectionSet []connectionJSON `json:"connectionSet"`
	}{connectionsJSON(conns)})
	return b
}
