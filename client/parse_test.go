package client

import (
	"testing"

	"github.com/saturnmq/saturn/message"
)

func TestParseTopicRouteForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		body string
	}{
		{"standard", `{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"b1","cluster":"c","enableActingMaster":false}],"filterServerTable":{},"queueDatas":[{"brokerName":"b1","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":2}]}`},
		{"legacy unquoted ids", `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"b1","cluster":"c"}],"filterServerTable":{},"queueDatas":[{"brokerName":"b1","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":2}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseTopicRoute([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			b := r.Broker("b1")
			if b == nil || b.MasterAddr() != "10.0.0.1:10911" || b.Addrs[1] != "10.0.0.2:10911" || b.Cluster != "c" {
				t.Fatalf("broker = %+v", b)
			}
			if w, rd := r.WriteQueues("T"), r.ReadQueues("T"); len(w) != 2 || len(rd) != 4 || w[1] != (MessageQueue{"T", "b1", 1}) {
				t.Fatalf("write %v read %v", w, rd)
			}
		})
	}
	// Permissions and missing masters decide the queue lists.
	r, _ := parseTopicRoute([]byte(`{"brokerDatas":[{"brokerAddrs":{1:"s:1"},"brokerName":"noMaster"},{"brokerAddrs":{0:"m:1"},"brokerName":"readOnly"}],"queueDatas":[{"brokerName":"noMaster","perm":6,"readQueueNums":1,"writeQueueNums":1},{"brokerName":"readOnly","perm":4,"readQueueNums":1,"writeQueueNums":1}]}`))
	if w := r.WriteQueues("T"); len(w) != 0 {
		t.Fatalf("write queues = %v", w)
	}
	if rd := r.ReadQueues("T"); len(rd) != 2 {
		t.Fatalf("read queues = %v", rd)
	}
	if _, err := parseTopicRoute([]byte(`{"queueDatas":[{"perm":"x"}]}`)); err == nil {
		t.Fatal("bad perm accepted")
	}
}

func TestParseResetOffsetBody(t *testing.T) {
	want := map[MessageQueue]int64{{"T", "b", 0}: 5, {"T", "b", 1}: 7}
	for _, body := range []string{
		`{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:5,{"brokerName":"b","queueId":1,"topic":"T"}:7}}`,
		`{"offsetTable":[[{"brokerName":"b","queueId":0,"topic":"T"},5],[{"brokerName":"b","queueId":1,"topic":"T"},7]]}`,
	} {
		got, err := parseResetOffsetBody([]byte(body))
		if err != nil || len(got) != 2 || got[MessageQueue{"T", "b", 0}] != 5 || got[MessageQueue{"T", "b", 1}] != 7 {
			t.Fatalf("%s: %v %v (want %v)", body, got, err, want)
		}
	}
}

func TestSubscriptionExpressions(t *testing.T) {
	tests := []struct {
		expr  string
		norm  string
		tags  []string
		match map[string]bool
	}{
		{"*", "*", nil, map[string]bool{"": true, "A": true}},
		{"", "*", nil, map[string]bool{"x": true}},
		{" A || B ", "A || B", []string{"A", "B"}, map[string]bool{"A": true, "B": true, "C": false, "": false}},
		{"A||A|| ||", "A||A|| ||", []string{"A"}, map[string]bool{"A": true, "B": false}},
		{" || ", "*", nil, map[string]bool{"Z": true}},
	}
	for _, tc := range tests {
		s := newSubscription("T", tc.expr)
		if s.expr != tc.norm || len(s.tags) != len(tc.tags) {
			t.Errorf("%q: expr %q tags %v", tc.expr, s.expr, s.tags)
		}
		for i, tag := range tc.tags {
			if s.tags[i] != tag || s.codes[i] != message.JavaHashCode(tag) {
				t.Errorf("%q: tag %d = %q/%d", tc.expr, i, s.tags[i], s.codes[i])
			}
		}
		for tag, want := range tc.match {
			if s.matches(tag) != want {
				t.Errorf("%q matches %q = %v", tc.expr, tag, !want)
			}
		}
		d := s.data()
		if d.TagsSet == nil || d.CodeSet == nil || d.ExpressionType != "TAG" {
			t.Errorf("%q: data %+v", tc.expr, d)
		}
	}
}

func TestParseConsumeStats(t *testing.T) {
	g := &GroupOffsets{}
	body := `{"consumeTps":2.5,"offsetTable":{{"brokerName":"b","queueId":1,"topic":"T"}:{"brokerOffset":10,"consumerOffset":4,"lastTimestamp":1700000000000,"pullOffset":9}}}`
	if err := parseConsumeStats([]byte(body), g); err != nil {
		t.Fatal(err)
	}
	if g.ConsumeTPS != 2.5 || len(g.Queues) != 1 || g.Queues[0].Lag() != 6 || g.Lag() != 6 || g.Queues[0].LastTimestamp != 1700000000000 {
		t.Fatalf("%+v", g)
	}
	if (QueueOffsets{BrokerOffset: 5, ConsumerOffset: -1}).Lag() != 5 {
		t.Fatal("lag without committed offset")
	}
}
