package interop

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/saturnmq/saturn/interop/harness"
	"github.com/saturnmq/saturn/remoting"
)

// fakeBrokerTopic is one topic a test broker registers.
type fakeBrokerTopic struct {
	name        string
	read, write int
	perm        int
}

// registerBroker registers a broker with the name server at nsAddr through
// Saturn's own remoting client, with the body a Java broker sends.
func registerBroker(t *testing.T, cli *remoting.Client, nsAddr, cluster, name, addr string, id int, topics []fakeBrokerTopic) {
	t.Helper()
	table := map[string]any{}
	for _, tp := range topics {
		table[tp.name] = map[string]any{
			"topicName": tp.name, "readQueueNums": tp.read, "writeQueueNums": tp.write,
			"perm": tp.perm, "topicFilterType": "SINGLE_TAG", "topicSysFlag": 0, "order": false,
		}
	}
	body, err := json.Marshal(map[string]any{
		"topicConfigSerializeWrapper": map[string]any{
			"topicConfigTable": table,
			"dataVersion":      map[string]any{"counter": 1, "timestamp": time.Now().UnixMilli()},
		},
		"filterServerList": []string{},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := remoting.NewRequest(remoting.RequestRegisterBroker, map[string]string{
		"brokerName":   name,
		"brokerAddr":   addr,
		"clusterName":  cluster,
		"haServerAddr": addr,
		"brokerId":     fmt.Sprint(id),
		"compressed":   "false",
	}, body)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := cli.InvokeSync(ctx, nsAddr, req)
	if err != nil {
		t.Fatalf("register broker %s: %v", name, err)
	}
	if resp.Code != remoting.ResponseSuccess {
		t.Fatalf("register broker %s: code %d %q", name, resp.Code, resp.Remark)
	}
}

// TestNamesrvRoutesWithOfficialAdmin registers two brokers with a saturn name
// server and checks that the official Go client's admin API reads the same
// publish queues and topic list back.
func TestNamesrvRoutesWithOfficialAdmin(t *testing.T) {
	nsAddr := harness.FreeAddr(t)
	harness.Start(t, binary(t), []string{nsAddr}, "namesrv", "--listen", nsAddr)

	cli := remoting.NewClient(remoting.ClientConfig{})
	defer cli.Close()
	registerBroker(t, cli, nsAddr, "DefaultCluster", "broker-a", "127.0.0.1:10911", 0, []fakeBrokerTopic{
		{name: "OrderTopic", read: 4, write: 4, perm: 6},
		{name: "SharedTopic", read: 8, write: 8, perm: 6},
	})
	registerBroker(t, cli, nsAddr, "DefaultCluster", "broker-b", "127.0.0.1:20911", 0, []fakeBrokerTopic{
		{name: "SharedTopic", read: 2, write: 2, perm: 6},
		{name: "ReadOnlyTopic", read: 3, write: 3, perm: 4},
	})

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{nsAddr})))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	tests := []struct {
		topic string
		want  []string // brokerName/queueId, sorted
	}{
		{"OrderTopic", []string{"broker-a/0", "broker-a/1", "broker-a/2", "broker-a/3"}},
		{"SharedTopic", []string{
			"broker-a/0", "broker-a/1", "broker-a/2", "broker-a/3", "broker-a/4", "broker-a/5", "broker-a/6", "broker-a/7",
			"broker-b/0", "broker-b/1",
		}},
	}
	for _, tc := range tests {
		mqs, err := adm.FetchPublishMessageQueues(ctx, tc.topic)
		if err != nil {
			t.Fatalf("FetchPublishMessageQueues(%s): %v", tc.topic, err)
		}
		var got []string
		for _, mq := range mqs {
			if mq.Topic != tc.topic {
				t.Errorf("%s: queue of topic %q", tc.topic, mq.Topic)
			}
			got = append(got, fmt.Sprintf("%s/%d", mq.BrokerName, mq.QueueId))
		}
		sort.Strings(got)
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s publish queues:\n got %v\nwant %v", tc.topic, got, tc.want)
		}
	}

	// A read-only topic has no publish queues: the client must see none.
	if mqs, err := adm.FetchPublishMessageQueues(ctx, "ReadOnlyTopic"); err == nil && len(mqs) != 0 {
		t.Errorf("ReadOnlyTopic: got %d publish queues, want none", len(mqs))
	}
	// An unknown topic is an error, as from an Apache name server.
	if _, err := adm.FetchPublishMessageQueues(ctx, "NoSuchTopic"); err == nil {
		t.Error("NoSuchTopic: want an error")
	}

	list, err := adm.FetchAllTopicList(ctx)
	if err != nil {
		t.Fatalf("FetchAllTopicList: %v", err)
	}
	topics := append([]string(nil), list.TopicList...)
	sort.Strings(topics)
	for _, want := range []string{"OrderTopic", "ReadOnlyTopic", "SharedTopic"} {
		if i := sort.SearchStrings(topics, want); i >= len(topics) || topics[i] != want {
			t.Errorf("topic list %v lacks %s", topics, want)
		}
	}
}
