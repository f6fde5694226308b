package client

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/saturnmq/saturn/remoting"
)

// heartbeatBody is upstream's HeartbeatData.
type heartbeatBody struct {
	ClientID        string         `json:"clientID"`
	ProducerDataSet []producerData `json:"producerDataSet"`
	ConsumerDataSet []consumerData `json:"consumerDataSet"`
}

type producerData struct {
	GroupName string `json:"groupName"`
}

// consumerData is upstream's ConsumerData.
type consumerData struct {
	GroupName           string             `json:"groupName"`
	ConsumeType         string             `json:"consumeType"`
	MessageModel        string             `json:"messageModel"`
	ConsumeFromWhere    string             `json:"consumeFromWhere"`
	SubscriptionDataSet []subscriptionData `json:"subscriptionDataSet"`
	UnitMode            bool               `json:"unitMode"`
}

// subscriptionData is upstream's SubscriptionData, in the Java client's
// form: codeSet as numbers, subVersion in milliseconds.
type subscriptionData struct {
	ClassFilterMode bool     `json:"classFilterMode"`
	Topic           string   `json:"topic"`
	SubString       string   `json:"subString"`
	TagsSet         []string `json:"tagsSet"`
	CodeSet         []int32  `json:"codeSet"`
	SubVersion      int64    `json:"subVersion"`
	ExpressionType  string   `json:"expressionType"`
}

// Consume types of ConsumerData.
const (
	consumeActively  = "CONSUME_ACTIVELY"  // pull consumers
	consumePassively = "CONSUME_PASSIVELY" // push consumers
)

// heartbeat builds the heartbeat of all registered groups.
func (c *Client) heartbeat() (body []byte, hasConsumers, empty bool) {
	c.mu.Lock()
	hb := heartbeatBody{
		ClientID:        c.id,
		ProducerDataSet: make([]producerData, 0, len(c.producers)),
		ConsumerDataSet: make([]consumerData, 0, len(c.consumers)),
	}
	for g := range c.producers {
		hb.ProducerDataSet = append(hb.ProducerDataSet, producerData{GroupName: g})
	}
	members := make([]groupMember, 0, len(c.consumers))
	for _, m := range c.consumers {
		members = append(members, m)
	}
	c.mu.Unlock()
	for _, m := range members {
		hb.ConsumerDataSet = append(hb.ConsumerDataSet, m.heartbeatData())
	}
	if len(hb.ProducerDataSet) == 0 && len(hb.ConsumerDataSet) == 0 {
		return nil, false, true
	}
	body, _ = json.Marshal(&hb) // cannot fail: plain strings, numbers and slices
	return body, len(hb.ConsumerDataSet) > 0, false
}

// sendHeartbeats sends the heartbeat to every broker of the topics in use:
// to masters and slaves when consumers are registered (they may pull from
// slaves), to masters only otherwise, as upstream clients do.
func (c *Client) sendHeartbeats(ctx context.Context) {
	c.hbMu.Lock()
	defer c.hbMu.Unlock()
	body, hasConsumers, empty := c.heartbeat()
	if empty {
		return
	}
	var addrs []string
	for _, b := range c.routes.allBrokers() {
		for id, a := range b.Addrs {
			if a != "" && (hasConsumers || id == MasterID) {
				addrs = append(addrs, a)
			}
		}
	}
	c.postHeartbeat(ctx, body, addrs)
}

// heartbeatTo sends the heartbeat to the given addresses now and waits;
// consumers call it before their first rebalance so the brokers know the
// group (and create its retry topic) before it asks for the group's members.
func (c *Client) heartbeatTo(ctx context.Context, addrs []string) {
	c.hbMu.Lock()
	defer c.hbMu.Unlock()
	body, _, empty := c.heartbeat()
	if empty {
		return
	}
	c.postHeartbeat(ctx, body, addrs)
}

// postHeartbeat sends body to addrs in parallel and waits for the answers.
// Called with hbMu held.
func (c *Client) postHeartbeat(ctx context.Context, body []byte, addrs []string) {
	var wg sync.WaitGroup
	for _, addr := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := remoting.NewRequest(remoting.RequestHeartBeat, nil, body)
			if _, err := c.invokeOK(ctx, addr, req); err != nil && ctx.Err() == nil {
				c.log.Warn("client: heartbeat failed", "broker", addr, "err", err)
			}
		}()
	}
	wg.Wait()
}
