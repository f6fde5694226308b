package meta

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func groupsPath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "config", "subscriptionGroup.json")
}

func openGroups(t *testing.T, path string) *GroupTable {
	t.Helper()
	g, err := OpenGroupTable(path)
	if err != nil {
		t.Fatalf("OpenGroupTable: %v", err)
	}
	return g
}

func TestGroupTableSystemGroupsAndDefaults(t *testing.T) {
	path := groupsPath(t)
	g := openGroups(t, path)
	for _, name := range []string{"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
		"CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER", "CID_RMQ_SYS_TRANS"} {
		if _, ok := g.Get(name); !ok {
			t.Errorf("system group %s missing", name)
		}
	}
	if _, ok := openGroups(t, path).Get("TOOLS_CONSUMER"); !ok {
		t.Error("system groups not persisted at open")
	}

	if _, ok := g.GetOrCreate("cg", false); ok {
		t.Error("GetOrCreate without autoCreate created a group")
	}
	if _, ok := g.GetOrCreate("bad name", true); ok {
		t.Error("GetOrCreate created an invalid name")
	}
	c, ok := g.GetOrCreate("cg", true)
	want := SubscriptionGroupConfig{GroupName: "cg", ConsumeEnable: true, ConsumeFromMinEnable: true,
		ConsumeBroadcastEnable: true, RetryQueueNums: 1, RetryMaxTimes: 16, BrokerID: 0,
		WhichBrokerWhenConsumeSlowly: 1, NotifyConsumerIdsChangedEnable: true, ConsumeTimeoutMinute: 15}
	if !ok || !reflect.DeepEqual(c, want) {
		t.Errorf("GetOrCreate = %+v %v\nwant %+v", c, ok, want)
	}
	if again, ok := g.GetOrCreate("cg", false); !ok || !reflect.DeepEqual(again, c) {
		t.Error("created group not found")
	}
	if got, ok := openGroups(t, path).Get("cg"); !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("reloaded %+v %v", got, ok)
	}
}

func TestGroupTablePutDeleteRoundTrip(t *testing.T) {
	path := groupsPath(t)
	g := openGroups(t, path)
	c := NewSubscriptionGroupConfig("orders")
	c.RetryMaxTimes = 3
	c.ConsumeEnable = false
	c.ConsumeMessageOrderly = true
	c.Attributes = map[string]string{"k": "v"}
	c.GroupRetryPolicy = json.RawMessage(`{"type":"EXPONENTIAL","exponentialRetryPolicy":{"initial":1000}}`)
	if err := g.Put(c); err != nil {
		t.Fatal(err)
	}
	if err := g.Put(SubscriptionGroupConfig{GroupName: ""}); err == nil {
		t.Error("Put accepted a blank name")
	}
	re := openGroups(t, path)
	got, ok := re.Get("orders")
	if !ok || !reflect.DeepEqual(got, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, c)
	}
	if !reflect.DeepEqual(re.All(), g.All()) || re.DataVersion() != g.DataVersion() {
		t.Error("reloaded table differs")
	}
	if ok, err := g.Delete("orders"); !ok || err != nil {
		t.Errorf("Delete = %v %v", ok, err)
	}
	if _, ok := openGroups(t, path).Get("orders"); ok {
		t.Error("deletion not persisted")
	}
}

func TestGroupTableLoadsUpstreamFile(t *testing.T) {
	path := groupsPath(t)
	// 4.9-style file (no 5.x members, fastjson pretty-print) plus a 5.x group.
	writeFile(t, path, "{\n\t\"dataVersion\":{\n\t\t\"counter\":4,\n\t\t\"timestamp\":1700000000000\n\t},\n"+
		"\t\"subscriptionGroupTable\":{\n"+
		"\t\t\"g49\":{\n\t\t\t\"brokerId\":0,\n\t\t\t\"consumeBroadcastEnable\":true,\n\t\t\t\"consumeEnable\":true,\n\t\t\t\"consumeFromMinEnable\":true,\n\t\t\t\"groupName\":\"g49\",\n\t\t\t\"notifyConsumerIdsChangedEnable\":false,\n\t\t\t\"retryMaxTimes\":5,\n\t\t\t\"retryQueueNums\":2,\n\t\t\t\"whichBrokerWhenConsumeSlowly\":1\n\t\t},\n"+
		"\t\t\"g5\":{\"attributes\":{},\"brokerId\":0,\"consumeBroadcastEnable\":true,\"consumeEnable\":true,\"consumeFromMinEnable\":true,\"consumeMessageOrderly\":false,\"consumeTimeoutMinute\":15,\"groupName\":\"g5\",\"groupRetryPolicy\":{\"type\":\"CUSTOMIZED\"},\"groupSysFlag\":0,\"notifyConsumerIdsChangedEnable\":true,\"retryMaxTimes\":16,\"retryQueueNums\":1,\"subscriptionDataSet\":[{\"topic\":\"T\",\"expressionType\":\"TAG\",\"expression\":\"*\"}],\"whichBrokerWhenConsumeSlowly\":1}\n"+
		"\t},\n\t\"forbiddenTable\":{\"g5\":{\"T\":4}}\n}")
	g := openGroups(t, path)
	g49, _ := g.Get("g49")
	if g49.RetryMaxTimes != 5 || g49.RetryQueueNums != 2 || g49.NotifyConsumerIdsChangedEnable || g49.ConsumeTimeoutMinute != 15 {
		t.Errorf("g49 = %+v", g49)
	}
	if err := g.Put(NewSubscriptionGroupConfig("other")); err != nil { // forces a rewrite
		t.Fatal(err)
	}
	body := string(openGroups(t, path).JSON())
	for _, want := range []string{`"forbiddenTable":{"g5":{"T":4}}`, `"groupRetryPolicy":{"type":"CUSTOMIZED"}`, `"subscriptionDataSet":[{"topic":"T"`} {
		if !strings.Contains(body, want) {
			t.Errorf("rewritten table lost %s:\n%s", want, body)
		}
	}
}

// TestGroupJSONForGoAdmin decodes the GET_ALL_SUBSCRIPTIONGROUP_CONFIG body
// the way rocketmq-client-go's admin does: encoding/json into its structs.
func TestGroupJSONForGoAdmin(t *testing.T) {
	g := openGroups(t, groupsPath(t))
	c := NewSubscriptionGroupConfig("cg")
	c.RetryMaxTimes = 7
	c.Attributes = map[string]string{"<tag>": "a&b"}
	if err := g.Put(c); err != nil {
		t.Fatal(err)
	}
	body := g.JSON()
	if !json.Valid(body) {
		t.Fatalf("invalid JSON: %s", body)
	}
	var admin struct {
		SubscriptionGroupTable map[string]struct {
			GroupName                      string
			ConsumeEnable                  bool
			ConsumeFromMinEnable           bool
			ConsumeBroadcastEnable         bool
			RetryMaxTimes                  int
			RetryQueueNums                 int
			BrokerId                       int
			WhichBrokerWhenConsumeSlowly   int
			NotifyConsumerIdsChangedEnable bool
		}
		DataVersion struct {
			Timestamp int64
			Counter   int32
		}
	}
	if err := json.Unmarshal(body, &admin); err != nil {
		t.Fatal(err)
	}
	got := admin.SubscriptionGroupTable["cg"]
	if got.GroupName != "cg" || got.RetryMaxTimes != 7 || got.RetryQueueNums != 1 || !got.ConsumeEnable ||
		got.WhichBrokerWhenConsumeSlowly != 1 || !got.NotifyConsumerIdsChangedEnable {
		t.Errorf("admin view %+v", got)
	}
	if admin.DataVersion.Counter == 0 || admin.DataVersion.Timestamp == 0 {
		t.Errorf("data version %+v", admin.DataVersion)
	}
	if !strings.HasPrefix(string(body), `{"dataVersion":{"counter":`) || !strings.Contains(string(body), `,"forbiddenTable":{},"subscriptionGroupTable":{`) {
		t.Errorf("unexpected shape: %s", body)
	}
}

func TestParseSubscriptionGroupConfig(t *testing.T) {
	c, err := ParseSubscriptionGroupConfig([]byte(`{"groupName":"g","retryMaxTimes":"3","consumeEnable":false,"unknown":{"x":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := NewSubscriptionGroupConfig("g")
	want.RetryMaxTimes, want.ConsumeEnable = 3, false
	if !reflect.DeepEqual(c, want) {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	for _, body := range []string{`{"groupName":""}`, `{"groupName":"a b"}`, `not json`} {
		if _, err := ParseSubscriptionGroupConfig([]byte(body)); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

func TestGroupTableBackupFallback(t *testing.T) {
	path := groupsPath(t)
	g := openGroups(t, path)
	if err := g.Put(NewSubscriptionGroupConfig("first")); err != nil {
		t.Fatal(err)
	}
	if err := g.Put(NewSubscriptionGroupConfig("second")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, `{"subscriptionGroupTable":{"x":tru`)
	re := openGroups(t, path)
	if re.LoadedFrom() != path+".bak" {
		t.Errorf("LoadedFrom = %q", re.LoadedFrom())
	}
	if _, ok := re.Get("first"); !ok {
		t.Error("backup lacks the group written before the last change")
	}
}
