package namesrv

import (
	"encoding/json"
	"testing"

	"github.com/saturnmq/saturn/fastjson"
)

func sampleRoute() *TopicRouteData {
	return &TopicRouteData{
		QueueDatas: []QueueData{
			{BrokerName: "broker-a", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
			{BrokerName: "broker-b", ReadQueueNums: 8, WriteQueueNums: 2, Perm: 4, TopicSysFlag: 1},
		},
		BrokerDatas: []BrokerData{
			{Cluster: "DefaultCluster", BrokerName: "broker-a", Addrs: map[int64]string{1: "10.0.0.2:10911", 0: "10.0.0.1:10911"}},
			{Cluster: "DefaultCluster", BrokerName: "broker-b", Addrs: map[int64]string{}, ZoneName: "z1", EnableActingMaster: true},
		},
		FilterServerTable: map[string][]string{},
	}
}

func TestEncodeRouteData(t *testing.T) {
	withOrder := sampleRoute()
	withOrder.OrderTopicConf = "broker-a:4;broker-b:8"
	withFilter := sampleRoute()
	withFilter.FilterServerTable = map[string][]string{"10.0.0.1:10911": {"f1:1", "f2:1"}}

	tests := []struct {
		name string
		rd   *TopicRouteData
		form jsonForm
		want string
	}{
		{
			name: "legacy form: unquoted numeric keys",
			rd:   sampleRoute(),
			form: legacyJSON,
			want: `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},` +
				`{"brokerAddrs":{},"brokerName":"broker-b","cluster":"DefaultCluster","enableActingMaster":true,"zoneName":"z1"}],` +
				`"filterServerTable":{},` +
				`"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},` +
				`{"brokerName":"broker-b","perm":4,"readQueueNums":8,"topicSysFlag":1,"writeQueueNums":2}]}`,
		},
		{
			name: "standard form: quoted numeric keys",
			rd:   sampleRoute(),
			form: standardJSON,
			want: `{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},` +
				`{"brokerAddrs":{},"brokerName":"broker-b","cluster":"DefaultCluster","enableActingMaster":true,"zoneName":"z1"}],` +
				`"filterServerTable":{},` +
				`"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},` +
				`{"brokerName":"broker-b","perm":4,"readQueueNums":8,"topicSysFlag":1,"writeQueueNums":2}]}`,
		},
		{
			name: "order topic conf sorts between filterServerTable and queueDatas",
			rd:   withOrder,
			form: standardJSON,
			want: `{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},` +
				`{"brokerAddrs":{},"brokerName":"broker-b","cluster":"DefaultCluster","enableActingMaster":true,"zoneName":"z1"}],` +
				`"filterServerTable":{},"orderTopicConf":"broker-a:4;broker-b:8",` +
				`"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},` +
				`{"brokerName":"broker-b","perm":4,"readQueueNums":8,"topicSysFlag":1,"writeQueueNums":2}]}`,
		},
		{
			name: "filter servers",
			rd:   withFilter,
			form: legacyJSON,
			want: `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},` +
				`{"brokerAddrs":{},"brokerName":"broker-b","cluster":"DefaultCluster","enableActingMaster":true,"zoneName":"z1"}],` +
				`"filterServerTable":{"10.0.0.1:10911":["f1:1","f2:1"]},` +
				`"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},` +
				`{"brokerName":"broker-b","perm":4,"readQueueNums":8,"topicSysFlag":1,"writeQueueNums":2}]}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := string(encodeRouteData(tc.rd, tc.form))
			if got != tc.want {
				t.Fatalf("encodeRouteData:\n have %s\n want %s", got, tc.want)
			}
			if tc.form == standardJSON && !json.Valid([]byte(got)) {
				t.Errorf("standard form is not valid JSON")
			}
			// Both forms must read back (the legacy one after quoting keys).
			var back struct {
				BrokerDatas []struct {
					BrokerAddrs map[string]string `json:"brokerAddrs"`
					BrokerName  string            `json:"brokerName"`
				} `json:"brokerDatas"`
				QueueDatas []map[string]any `json:"queueDatas"`
			}
			if err := fastjson.Unmarshal([]byte(got), &back); err != nil {
				t.Fatalf("output does not read back: %v", err)
			}
			if len(back.BrokerDatas) != 2 || back.BrokerDatas[0].BrokerAddrs["1"] != "10.0.0.2:10911" || len(back.QueueDatas) != 2 {
				t.Errorf("read back %+v", back)
			}
		})
	}
}

func TestEncodeOtherBodies(t *testing.T) {
	ci := &ClusterInfo{
		Brokers: map[string]BrokerData{
			"b-b": {Cluster: "c1", BrokerName: "b-b", Addrs: map[int64]string{0: "b:1"}},
			"b-a": {Cluster: "c1", BrokerName: "b-a", Addrs: map[int64]string{0: "a:1", 2: "a2:1"}},
		},
		Clusters: map[string][]string{"c1": {"b-a", "b-b"}},
	}
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"cluster info legacy", encodeClusterInfo(ci, legacyJSON),
			`{"brokerAddrTable":{"b-a":{"brokerAddrs":{0:"a:1",2:"a2:1"},"brokerName":"b-a","cluster":"c1","enableActingMaster":false},` +
				`"b-b":{"brokerAddrs":{0:"b:1"},"brokerName":"b-b","cluster":"c1","enableActingMaster":false}},"clusterAddrTable":{"c1":["b-a","b-b"]}}`},
		{"cluster info standard", encodeClusterInfo(ci, standardJSON),
			`{"brokerAddrTable":{"b-a":{"brokerAddrs":{"0":"a:1","2":"a2:1"},"brokerName":"b-a","cluster":"c1","enableActingMaster":false},` +
				`"b-b":{"brokerAddrs":{"0":"b:1"},"brokerName":"b-b","cluster":"c1","enableActingMaster":false}},"clusterAddrTable":{"c1":["b-a","b-b"]}}`},
		{"empty cluster info", encodeClusterInfo(&ClusterInfo{}, legacyJSON), `{"brokerAddrTable":{},"clusterAddrTable":{}}`},
		{"topic list", encodeTopicList([]string{"T1", "T2"}, ""), `{"topicList":["T1","T2"]}`},
		{"empty topic list", encodeTopicList(nil, ""), `{"topicList":[]}`},
		{"topic list with broker", encodeTopicList([]string{"c1"}, "a:1"), `{"brokerAddr":"a:1","topicList":["c1"]}`},
		{"kv table", encodeKVTable(map[string]string{"b": "2", "a": "x\"y"}), `{"table":{"a":"x\"y","b":"2"}}`},
		{"data version", encodeDataVersion(DataVersion{StateVersion: 3, Timestamp: 1700000000000, Counter: 42}),
			`{"counter":42,"stateVersion":3,"timestamp":1700000000000}`},
		{"member group", encodeBrokerMemberGroup("c1", "b-a", map[int64]string{1: "s:1", 0: "m:1"}, legacyJSON),
			`{"brokerAddrs":{0:"m:1",1:"s:1"},"brokerName":"b-a","cluster":"c1"}`},
	}
	for _, tc := range tests {
		if string(tc.got) != tc.want {
			t.Errorf("%s:\n have %s\n want %s", tc.name, tc.got, tc.want)
		}
	}
}

func TestJSONStringEscaping(t *testing.T) {
	tests := []struct {
		in       string
		legacy   string
		standard string
	}{
		{"plain", `"plain"`, `"plain"`},
		{"q\"b\\", `"q\"b\\"`, `"q\"b\\"`},
		{"\n\r\t\x01\x7f", `"\n\r\t\u0001\u007f"`, `"\n\r\t\u0001\u007f"`},
		{"é€", `"é€"`, `"\u00e9\u20ac"`},
		{"😀", `"😀"`, `"\ud83d\ude00"`},
		{"bad\xffutf8", "\"bad\uFFFDutf8\"", `"bad\ufffdutf8"`},
	}
	for _, tc := range tests {
		for _, f := range []struct {
			form jsonForm
			want string
		}{{legacyJSON, tc.legacy}, {standardJSON, tc.standard}} {
			w := &jsonWriter{form: f.form}
			w.str(tc.in)
			if string(w.buf) != f.want {
				t.Errorf("form %d, %q: have %s, want %s", f.form, tc.in, w.buf, f.want)
			}
			var back string
			if err := json.Unmarshal(w.buf, &back); err != nil {
				t.Errorf("form %d, %q: not valid JSON: %v", f.form, tc.in, err)
			} else if want := []rune(tc.in); string(want) != back {
				t.Errorf("form %d, %q: reads back as %q", f.form, tc.in, back)
			}
		}
	}
}
