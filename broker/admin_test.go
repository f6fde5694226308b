package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/saturnmq/saturn/remoting"
)

func TestTopicAdmin(t *testing.T) {
	ns := startFakeNamesrv(t)
	tb := startBroker(t, t.TempDir(), func(c *Config) { c.NamesrvAddrs = []string{ns.addr()} })
	base := func(topic string) map[string]string {
		return map[string]string{"topic": topic, "defaultTopic": "TBW102", "readQueueNums": "4", "writeQueueNums": "4",
			"perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}
	}
	with := func(topic, k, v string) map[string]string { m := base(topic); m[k] = v; return m }
	tests := []struct {
		name string
		ext  map[string]string
		code int32
	}{
		{"create", base("Admin1"), remoting.ResponseSuccess},
		{"update queues", with("Admin1", "writeQueueNums", "8"), remoting.ResponseSuccess},
		{"bad name", base("a/b"), remoting.ResponseInvalidParameter},
		{"bad perm", with("Admin2", "perm", "9"), remoting.ResponseInvalidParameter},
		{"cluster name", base("DefaultCluster"), remoting.ResponseInvalidParameter},
		{"system topic", base("SCHEDULE_TOPIC_XXXX"), remoting.ResponseInvalidParameter},
		{"bad filter type", with("Admin3", "topicFilterType", "SQL"), remoting.ResponseInvalidParameter},
		{"missing queues", map[string]string{"topic": "Admin4", "perm": "6"}, remoting.ResponseInvalidParameter},
	}
	for _, tt := range tests {
		resp := tb.call(remoting.RequestUpdateAndCreateTopic, tt.ext, nil)
		if resp.Code != tt.code {
			t.Errorf("%s: code %d %q, want %d", tt.name, resp.Code, resp.Remark, tt.code)
		}
	}
	tc, _ := tb.b.topics.Get("Admin1")
	if tc.ReadQueueNums != 4 || tc.WriteQueueNums != 8 {
		t.Errorf("Admin1 = %+v", tc)
	}
	regs := ns.requests(remoting.RequestRegisterBroker)
	if len(regs) == 0 || !bytes.Contains(regs[len(regs)-1].Body, []byte(`"writeQueueNums":8`)) {
		t.Error("topic update not registered with the name server")
	}

	all := tb.call(remoting.RequestGetAllTopicConfig, nil, nil)
	if all.Code != 0 || !bytes.Contains(all.Body, []byte(`"Admin1"`)) {
		t.Errorf("GET_ALL_TOPIC_CONFIG: %d %s", all.Code, all.Body)
	}

	tb.send("Admin1", 1, "m", nil)
	stats := tb.call(remoting.RequestGetTopicStatsInfo, map[string]string{"topic": "Admin1"}, nil)
	if stats.Code != 0 || !bytes.Contains(stats.Body, []byte(`{"brokerName":"broker-a","queueId":1,"topic":"Admin1"}:{"lastUpdateTimestamp":`)) ||
		!bytes.Contains(stats.Body, []byte(`"maxOffset":1,"minOffset":0}`)) {
		t.Errorf("GET_TOPIC_STATS_INFO: %d %s", stats.Code, stats.Body)
	}
	if resp := tb.call(remoting.RequestGetTopicStatsInfo, map[string]string{"topic": "Nope"}, nil); resp.Code != remoting.ResponseTopicNotExist {
		t.Errorf("stats of unknown topic: %d", resp.Code)
	}

	del := tb.call(remoting.RequestDeleteTopicInBroker, map[string]string{"topic": "Admin1"}, nil)
	if del.Code != 0 {
		t.Fatalf("delete: %d %q", del.Code, del.Remark)
	}
	if _, ok := tb.b.topics.Get("Admin1"); ok {
		t.Error("topic still there after DELETE_TOPIC_IN_BROKER")
	}
	if resp := tb.call(remoting.RequestDeleteTopicInBroker, map[string]string{"topic": "TBW102"}, nil); resp.Code == 0 {
		t.Error("deleting a system topic succeeded")
	}
}

func TestRuntimeInfoAndConfig(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.send("RT", 0, "m", nil)
	resp := tb.call(remoting.RequestGetBrokerRuntimeInfo, nil, nil)
	var kv struct {
		Table map[string]string `json:"table"`
	}
	if err := json.Unmarshal(resp.Body, &kv); err != nil || resp.Code != 0 {
		t.Fatalf("runtime info: %d %v %s", resp.Code, err, resp.Body)
	}
	for _, k := range []string{"brokerVersionDesc", "putTps", "getTransferedTps", "msgPutTotalTodayNow",
		"commitLogDiskRatio", "earliestMessageTimeStamp", "sendThreadPoolQueueSize", "pullThreadPoolQueueHeadWaitTimeMills"} {
		if _, ok := kv.Table[k]; !ok {
			t.Errorf("runtime info lacks %s", k)
		}
	}
	if kv.Table["msgPutTotalTodayNow"] != "1" || len(strings.Fields(kv.Table["putTps"])) != 3 {
		t.Errorf("runtime info counters: %v", kv.Table)
	}

	cfg := tb.call(remoting.RequestGetBrokerConfig, nil, nil)
	if cfg.Code != 0 || !bytes.Contains(cfg.Body, []byte("brokerName=broker-a\n")) || cfg.ExtFields["version"] == "" {
		t.Errorf("GET_BROKER_CONFIG: %d %v %s", cfg.Code, cfg.ExtFields, cfg.Body)
	}

	groups := tb.call(remoting.RequestGetAllSubscriptionGroupConfig, nil, nil)
	if groups.Code != 0 || !json.Valid(groups.Body) {
		t.Errorf("GET_ALL_SUBSCRIPTIONGROUP_CONFIG: %d %s", groups.Code, groups.Body)
	}
	if resp := tb.call(9999, nil, nil); resp.Code != remoting.ResponseRequestCodeNotSupported {
		t.Errorf("unknown code answered %d", resp.Code)
	}
}

func TestConsumeStats(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.createTopic("CS", 1, 6)
	tb.send("CS", 0, "m", nil)
	tb.send("CS", 0, "m", nil)
	tb.call(remoting.RequestUpdateConsumerOffset, map[string]string{
		"consumerGroup": "csg", "topic": "CS", "queueId": "0", "commitOffset": "1"}, nil)
	resp := tb.call(remoting.RequestGetConsumeStats, map[string]string{"consumerGroup": "csg"}, nil)
	if resp.Code != 0 || !bytes.Contains(resp.Body, []byte(`{"brokerName":"broker-a","queueId":0,"topic":"CS"}:{"brokerOffset":2,"consumerOffset":1,`)) {
		t.Errorf("GET_CONSUME_STATS: %d %s", resp.Code, resp.Body)
	}
}

func TestStartFailsOnBusyPortAndShutsDownCleanly(t *testing.T) {
	first := startBroker(t, t.TempDir(), nil)
	cfg := testConfig(t.TempDir())
	cfg.ListenPort = int(first.b.storeHost.Port())
	b, err := New(cfg, testLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err == nil {
		t.Fatal("Start on a busy port succeeded")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown after a failed Start: %v", err)
	}
	// The data directory is released: a new broker can open it.
	b2, err := New(cfg, testLogger())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	if err := b2.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown of a broker never started: %v", err)
	}
}
