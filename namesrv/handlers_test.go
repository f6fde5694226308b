package namesrv

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/saturnmq/saturn/remoting"
)

// Request versions as the clients send them.
const (
	versionGoClient = 317 // rocketmq-client-go v2.1.2
	versionJava497  = 407
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// handlerHarness calls the name server's handlers directly, without a
// network.
type handlerHarness struct {
	t   *testing.T
	n   *Server
	clk *fakeClock
}

func newHarness(t *testing.T, cfg Config) *handlerHarness {
	t.Helper()
	clk := newFakeClock()
	n, err := newServer(cfg, quietLogger(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	return &handlerHarness{t: t, n: n, clk: clk}
}

// call sends a request with the given code, version, header and body on
// connection conn.
func (h *handlerHarness) call(code int32, version int32, conn uint64, ext map[string]string, body []byte) *remoting.Command {
	h.t.Helper()
	hf, ok := h.n.handlers()[code]
	if !ok {
		h.t.Fatalf("no handler for code %d", code)
	}
	req := remoting.NewRequest(code, maps.Clone(ext), body)
	req.Version = version
	req.Opaque = 77
	resp := hf(context.Background(), conn, req)
	if resp == nil {
		h.t.Fatalf("code %d: nil response", code)
	}
	if resp.Opaque != 77 || !resp.IsResponse() {
		h.t.Errorf("code %d: response opaque %d flag %d", code, resp.Opaque, resp.Flag)
	}
	return resp
}

func (h *handlerHarness) expect(resp *remoting.Command, code int32, remark string) {
	h.t.Helper()
	if resp.Code != code || (remark != "" && resp.Remark != remark) {
		h.t.Fatalf("response %d %q, want %d %q", resp.Code, resp.Remark, code, remark)
	}
}

func registerExt(cluster, name, addr string, id int) map[string]string {
	return map[string]string{
		"clusterName": cluster, "brokerName": name, "brokerAddr": addr,
		"haServerAddr": addr + "-ha", "brokerId": strconv.Itoa(id),
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	m = maps.Clone(m)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestHandleRegisterBroker(t *testing.T) {
	master := registerExt("DefaultCluster", "broker-a", "10.0.0.1:10911", 0)
	tests := []struct {
		name     string
		ext      map[string]string
		body     []byte
		version  int32
		wantCode int32
		wantRem  string
		wantExt  map[string]string
		topic    string // topic whose route must exist afterwards
	}{
		{
			name: "4.9.7 master", ext: master, body: []byte(body497), version: versionJava497,
			wantExt: map[string]string{}, topic: "TopicA",
		},
		{
			name: "matching crc", ext: with(master, "bodyCrc32", strconv.FormatInt(bodyCRC32([]byte(body497)), 10)),
			body: []byte(body497), version: versionJava497, wantExt: map[string]string{}, topic: "TopicA",
		},
		{
			name: "crc mismatch", ext: with(master, "bodyCrc32", "12345"), body: []byte(body497), version: versionJava497,
			wantCode: remoting.ResponseSystemError, wantRem: "crc32 not match",
		},
		{
			name: "compressed", ext: with(master, "compressed", "true"), version: versionJava497,
			body:    compressBody(t, `{"counter":1,"timestamp":2}`, []string{"TopicZ 2 2 6 SINGLE_TAG", "TBW102 8 8 7 SINGLE_TAG"}, `[]`, nil),
			wantExt: map[string]string{}, topic: "TopicZ",
		},
		{
			name: "pre-3.0.11 broker sends the bare wrapper", ext: master, version: 10,
			body:    []byte(`{"dataVersion":{"counter":1,"timestamp":2},"topicConfigTable":{"Old":{"perm":6,"readQueueNums":1,"topicName":"Old","writeQueueNums":1},"Old2":{"perm":6,"readQueueNums":1,"topicName":"Old2","writeQueueNums":1}}}`),
			wantExt: map[string]string{}, topic: "Old",
		},
		{
			name: "missing brokerId", ext: with(registerExt("c", "b", "a:1", 0)), version: versionJava497,
			wantCode: remoting.ResponseSystemError,
		},
		{
			name: "bad brokerId", ext: with(master, "brokerId", "zero"), version: versionJava497,
			wantCode: remoting.ResponseSystemError, wantRem: `the custom field <brokerId> is not an integer: "zero"`,
		},
		{
			name: "bad body", ext: master, body: []byte("{oops"), version: versionJava497,
			wantCode: remoting.ResponseSystemError,
		},
		{
			name: "single topic from unknown broker", ext: master, version: versionJava497,
			body:     []byte(`{"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1},"topicConfigTable":{"T":{"perm":6,"readQueueNums":1,"topicName":"T","writeQueueNums":1}}}}`),
			wantCode: remoting.ResponseSystemError, wantRem: "register broker failed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, Config{})
			if tc.name == "missing brokerId" {
				delete(tc.ext, "brokerId")
				tc.wantRem = "the custom field <brokerId> is null"
			}
			resp := h.call(remoting.RequestRegisterBroker, tc.version, 1, tc.ext, tc.body)
			h.expect(resp, tc.wantCode, tc.wantRem)
			if tc.wantExt != nil && !maps.Equal(resp.ExtFields, tc.wantExt) {
				t.Errorf("ext %v, want %v", resp.ExtFields, tc.wantExt)
			}
			if resp.Body != nil {
				t.Errorf("body %q, want none (no ORDER_TOPIC_CONFIG)", resp.Body)
			}
			if tc.topic != "" {
				if _, ok := h.n.routes.RouteData(tc.topic); !ok {
					t.Errorf("no route for %s", tc.topic)
				}
			}
			if tc.wantCode != 0 && len(h.n.routes.LiveBrokers()) != 0 {
				t.Errorf("failed registration left live brokers %v", h.n.routes.LiveBrokers())
			}
		})
	}
}

func TestHandleRegisterSlaveAndOrderConfig(t *testing.T) {
	h := newHarness(t, Config{})
	h.expect(h.call(remoting.RequestPutKVConfig, versionJava497, 0,
		map[string]string{"namespace": NamespaceOrderTopicConfig, "key": "TopicA", "value": "broker-a:4"}, nil), 0, "")

	m := h.call(remoting.RequestRegisterBroker, versionJava497, 1, registerExt("c", "broker-a", "m:10911", 0), []byte(body497))
	h.expect(m, 0, "")
	if string(m.Body) != `{"table":{"TopicA":"broker-a:4"}}` {
		t.Errorf("register body %s", m.Body)
	}
	s := h.call(remoting.RequestRegisterBroker, versionJava497, 2, registerExt("c", "broker-a", "s:10911", 1), []byte(body497))
	h.expect(s, 0, "")
	if want := map[string]string{"haServerAddr": "m:10911-ha", "masterAddr": "m:10911"}; !maps.Equal(s.ExtFields, want) {
		t.Errorf("slave ext %v, want %v", s.ExtFields, want)
	}
}

// registerSample registers broker-a (master and slave) with TopicA and
// TBW102.
func (h *handlerHarness) registerSample() {
	h.t.Helper()
	h.expect(h.call(remoting.RequestRegisterBroker, versionJava497, 1, registerExt("DefaultCluster", "broker-a", "10.0.0.1:10911", 0), []byte(body497)), 0, "")
	h.expect(h.call(remoting.RequestRegisterBroker, versionJava497, 2, registerExt("DefaultCluster", "broker-a", "10.0.0.2:10911", 1), []byte(body497)), 0, "")
}

func TestHandleGetRouteInfo(t *testing.T) {
	const (
		legacy = `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],` +
			`"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":1,"writeQueueNums":2}]}`
		standard = `{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],` +
			`"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":1,"writeQueueNums":2}]}`
		withOrder = `{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],` +
			`"filterServerTable":{},"orderTopicConf":"broker-a:2","queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":1,"writeQueueNums":2}]}`
	)
	tests := []struct {
		name     string
		cfg      Config
		version  int32
		ext      map[string]string
		wantCode int32
		wantRem  string
		wantBody string
	}{
		{"go client gets bare keys", Config{}, versionGoClient, map[string]string{"topic": "TopicA"}, 0, "", legacy},
		{"4.9.3 gets bare keys", Config{}, 399, map[string]string{"topic": "TopicA"}, 0, "", legacy},
		{"4.9.4+ gets quoted keys", Config{}, 401, map[string]string{"topic": "TopicA"}, 0, "", standard},
		{"acceptStandardJsonOnly", Config{}, versionGoClient, map[string]string{"topic": "TopicA", "acceptStandardJsonOnly": "true"}, 0, "", standard},
		{"order conf disabled", Config{}, versionJava497, map[string]string{"topic": "TopicA"}, 0, "", standard},
		{"order conf enabled", Config{OrderMessageEnable: true}, versionJava497, map[string]string{"topic": "TopicA"}, 0, "", withOrder},
		{"unknown topic", Config{}, versionGoClient, map[string]string{"topic": "Nope"}, remoting.ResponseTopicNotExist,
			"No topic route info in name server for the topic: Nope", ""},
		{"missing topic header", Config{}, versionGoClient, map[string]string{}, remoting.ResponseSystemError,
			"the custom field <topic> is null", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg)
			h.registerSample()
			h.n.kv.Put(NamespaceOrderTopicConfig, "TopicA", "broker-a:2")
			resp := h.call(remoting.RequestGetRouteInfoByTopic, tc.version, 0, tc.ext, nil)
			h.expect(resp, tc.wantCode, tc.wantRem)
			if string(resp.Body) != tc.wantBody {
				t.Errorf("body\n have %s\n want %s", resp.Body, tc.wantBody)
			}
		})
	}
}

func TestHandleListings(t *testing.T) {
	h := newHarness(t, Config{})
	h.registerSample()
	h.expect(h.call(remoting.RequestRegisterBroker, versionJava497, 3, registerExt("Other", "broker-b", "10.0.0.3:10911", 0),
		[]byte(`{"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1},"topicConfigTable":{"TopicB":{"perm":6,"readQueueNums":1,"topicName":"TopicB","topicSysFlag":2,"writeQueueNums":1},"TopicA":{"perm":6,"readQueueNums":1,"topicName":"TopicA","writeQueueNums":1}}}}`)), 0, "")

	tests := []struct {
		name     string
		code     int32
		version  int32
		ext      map[string]string
		wantBody string
	}{
		{"cluster info for go", remoting.RequestGetBrokerClusterInfo, versionGoClient, nil,
			`{"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},` +
				`"broker-b":{"brokerAddrs":{0:"10.0.0.3:10911"},"brokerName":"broker-b","cluster":"Other","enableActingMaster":false}},` +
				`"clusterAddrTable":{"DefaultCluster":["broker-a"],"Other":["broker-b"]}}`},
		{"cluster info for java 4.9.7", remoting.RequestGetBrokerClusterInfo, versionJava497, nil,
			`{"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},` +
				`"broker-b":{"brokerAddrs":{"0":"10.0.0.3:10911"},"brokerName":"broker-b","cluster":"Other","enableActingMaster":false}},` +
				`"clusterAddrTable":{"DefaultCluster":["broker-a"],"Other":["broker-b"]}}`},
		{"all topics", remoting.RequestGetAllTopicListFromNameServer, versionGoClient, nil, `{"topicList":["TBW102","TopicA","TopicB"]}`},
		{"topics by cluster", remoting.RequestGetTopicsByCluster, versionJava497, map[string]string{"cluster": "Other"}, `{"topicList":["TopicA","TopicB"]}`},
		{"system topics", remoting.RequestGetSystemTopicListFromNS, versionJava497, nil,
			`{"brokerAddr":"10.0.0.1:10911","topicList":["DefaultCluster","Other","broker-a","broker-b"]}`},
		{"unit topics", remoting.RequestGetUnitTopicList, versionJava497, nil, `{"topicList":["TopicA"]}`},
		{"unit sub topics", remoting.RequestGetHasUnitSubTopicList, versionJava497, nil, `{"topicList":["TopicB"]}`},
		{"unit sub, not unit", remoting.RequestGetHasUnitSubUnunitTopicList, versionJava497, nil, `{"topicList":["TopicB"]}`},
		{"member group", remoting.RequestGetBrokerMemberGroup, 433, map[string]string{"clusterName": "DefaultCluster", "brokerName": "broker-a", "brokerId": "0"},
			`{"brokerMemberGroup":{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"brokerName":"broker-a","cluster":"DefaultCluster"}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.call(tc.code, tc.version, 0, tc.ext, nil)
			h.expect(resp, 0, "")
			if string(resp.Body) != tc.wantBody {
				t.Errorf("body\n have %s\n want %s", resp.Body, tc.wantBody)
			}
		})
	}

	// The Go admin client decodes the topic list with encoding/json into
	// this shape.
	var tl struct {
		TopicList  []string
		BrokerAddr string
	}
	resp := h.call(remoting.RequestGetAllTopicListFromNameServer, versionGoClient, 0, nil, nil)
	if err := json.Unmarshal(resp.Body, &tl); err != nil || len(tl.TopicList) != 3 {
		t.Errorf("Go admin decode: %+v, %v", tl, err)
	}
}

func TestHandleTopicAdmin(t *testing.T) {
	h := newHarness(t, Config{})
	h.registerSample()
	route := func() string {
		resp := h.call(remoting.RequestGetRouteInfoByTopic, versionJava497, 0, map[string]string{"topic": "TopicA"}, nil)
		if resp.Code != 0 {
			return "none"
		}
		var rd struct {
			QueueDatas []struct{ Perm int } `json:"queueDatas"`
		}
		json.Unmarshal(resp.Body, &rd)
		return "perm " + strconv.Itoa(rd.QueueDatas[0].Perm)
	}

	steps := []struct {
		name     string
		code     int32
		ext      map[string]string
		body     string
		wantExt  map[string]string
		wantCode int32
		route    string
	}{
		{"wipe", remoting.RequestWipeWritePermOfBroker, map[string]string{"brokerName": "broker-a"}, "", map[string]string{"wipeTopicCount": "2"}, 0, "perm 4"},
		{"wipe unknown", remoting.RequestWipeWritePermOfBroker, map[string]string{"brokerName": "x"}, "", map[string]string{"wipeTopicCount": "0"}, 0, "perm 4"},
		{"add", remoting.RequestAddWritePermOfBroker, map[string]string{"brokerName": "broker-a"}, "", map[string]string{"addTopicCount": "2"}, 0, "perm 6"},
		{"add without header", remoting.RequestAddWritePermOfBroker, nil, "", nil, remoting.ResponseSystemError, "perm 6"},
		{"delete in other cluster", remoting.RequestDeleteTopicInNamesrv, map[string]string{"topic": "TopicA", "clusterName": "Other"}, "", map[string]string{}, 0, "perm 6"},
		{"delete", remoting.RequestDeleteTopicInNamesrv, map[string]string{"topic": "TopicA"}, "", map[string]string{}, 0, "none"},
		{"register topic", remoting.RequestRegisterTopicInNamesrv, map[string]string{"topic": "TopicA"},
			`{"queueDatas":[{"brokerName":"broker-a","perm":4,"readQueueNums":3,"topicSysFlag":0,"writeQueueNums":3}]}`, map[string]string{}, 0, "perm 4"},
		{"register topic, 4.x field name and bare keys", remoting.RequestRegisterTopicInNamesrv, map[string]string{"topic": "TopicA"},
			`{"brokerDatas":[{"brokerAddrs":{0:"x"}}],"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":3,"topicSynFlag":0,"writeQueueNums":3}]}`, map[string]string{}, 0, "perm 6"},
		{"register topic, bad body", remoting.RequestRegisterTopicInNamesrv, map[string]string{"topic": "TopicA"}, `[`, nil, remoting.ResponseSystemError, "perm 6"},
	}
	for _, st := range steps {
		var body []byte
		if st.body != "" {
			body = []byte(st.body)
		}
		resp := h.call(st.code, versionJava497, 0, st.ext, body)
		if resp.Code != st.wantCode {
			t.Fatalf("%s: code %d %q, want %d", st.name, resp.Code, resp.Remark, st.wantCode)
		}
		if st.wantExt != nil && !maps.Equal(resp.ExtFields, st.wantExt) {
			t.Errorf("%s: ext %v, want %v", st.name, resp.ExtFields, st.wantExt)
		}
		if got := route(); got != st.route {
			t.Errorf("%s: route %s, want %s", st.name, got, st.route)
		}
	}
}

func TestHandleBrokerLiveness(t *testing.T) {
	h := newHarness(t, Config{})
	h.registerSample()
	master := map[string]string{"clusterName": "DefaultCluster", "brokerName": "broker-a", "brokerAddr": "10.0.0.1:10911", "brokerId": "0"}
	dv := []byte(`{"counter":3,"timestamp":1700000000000}`)

	// Unchanged version: changed=false, and the namesrv's version comes back.
	resp := h.call(remoting.RequestQueryDataVersion, versionJava497, 0, master, dv)
	h.expect(resp, 0, "")
	if resp.ExtFields["changed"] != "false" || string(resp.Body) != `{"counter":3,"stateVersion":0,"timestamp":1700000000000}` {
		t.Errorf("query data version: ext %v body %s", resp.ExtFields, resp.Body)
	}
	resp = h.call(remoting.RequestQueryDataVersion, versionJava497, 0, master, []byte(`{"counter":4,"timestamp":1700000000000}`))
	if resp.ExtFields["changed"] != "true" {
		t.Errorf("changed version reported %v", resp.ExtFields)
	}
	resp = h.call(remoting.RequestQueryDataVersion, versionJava497, 0, with(master, "brokerAddr", "unknown:1"), dv)
	if resp.ExtFields["changed"] != "true" || resp.Body != nil {
		t.Errorf("unknown broker: ext %v body %s", resp.ExtFields, resp.Body)
	}
	h.expect(h.call(remoting.RequestQueryDataVersion, versionJava497, 0, master, []byte("nope")), remoting.ResponseSystemError, "")

	// Heartbeats keep the master alive past the expiry; the slave expires.
	for range 3 {
		h.clk.Advance(100e9)
		h.expect(h.call(remoting.RequestBrokerHeartbeat, 433, 0, master, nil), 0, "")
		h.n.ScanNow()
	}
	if got := h.n.routes.LiveBrokers(); len(got) != 1 || got[0].Addr != "10.0.0.1:10911" {
		t.Errorf("live brokers %v, want the master only", got)
	}

	h.expect(h.call(remoting.RequestUnregisterBroker, versionJava497, 0, master, nil), 0, "")
	h.expect(h.call(remoting.RequestGetRouteInfoByTopic, versionJava497, 0, map[string]string{"topic": "TopicA"}, nil), remoting.ResponseTopicNotExist, "")
	h.expect(h.call(remoting.RequestUnregisterBroker, versionJava497, 0, map[string]string{"clusterName": "c"}, nil), remoting.ResponseSystemError, "")
}

func TestHandleKVConfig(t *testing.T) {
	h := newHarness(t, Config{})
	ns := map[string]string{"namespace": "NS"}
	steps := []struct {
		name     string
		code     int32
		ext      map[string]string
		wantCode int32
		wantRem  string
		wantExt  map[string]string
		wantBody string
	}{
		{"get missing", remoting.RequestGetKVConfig, with(ns, "key", "k"), remoting.ResponseQueryNotFound, "No config item, Namespace: NS Key: k", nil, ""},
		{"list missing", remoting.RequestGetKVListByNamespace, ns, remoting.ResponseQueryNotFound, "No config item, Namespace: NS", nil, ""},
		{"put", remoting.RequestPutKVConfig, with(ns, "key", "k", "value", "v1"), 0, "", map[string]string{}, ""},
		{"put 2", remoting.RequestPutKVConfig, with(ns, "key", "j", "value", "v\u0001"), 0, "", nil, ""},
		{"put without value", remoting.RequestPutKVConfig, with(ns, "key", "k"), remoting.ResponseSystemError, "the custom field <value> is null", nil, ""},
		{"get", remoting.RequestGetKVConfig, with(ns, "key", "k"), 0, "", map[string]string{"value": "v1"}, ""},
		{"list", remoting.RequestGetKVListByNamespace, ns, 0, "", nil, `{"table":{"j":"v\u0001","k":"v1"}}`},
		{"delete", remoting.RequestDeleteKVConfig, with(ns, "key", "k"), 0, "", nil, ""},
		{"get deleted", remoting.RequestGetKVConfig, with(ns, "key", "k"), remoting.ResponseQueryNotFound, "", nil, ""},
		{"delete missing", remoting.RequestDeleteKVConfig, with(ns, "key", "k"), 0, "", nil, ""},
	}
	for _, st := range steps {
		resp := h.call(st.code, versionJava497, 0, st.ext, nil)
		if resp.Code != st.wantCode || (st.wantRem != "" && resp.Remark != st.wantRem) {
			t.Fatalf("%s: %d %q, want %d %q", st.name, resp.Code, resp.Remark, st.wantCode, st.wantRem)
		}
		if st.wantExt != nil && !maps.Equal(resp.ExtFields, st.wantExt) {
			t.Errorf("%s: ext %v, want %v", st.name, resp.ExtFields, st.wantExt)
		}
		if string(resp.Body) != st.wantBody {
			t.Errorf("%s: body %s, want %s", st.name, resp.Body, st.wantBody)
		}
	}
}

func TestHandleGetNamesrvConfig(t *testing.T) {
	cfg := Config{ListenAddr: "127.0.0.1:9999", OrderMessageEnable: true, KVConfigPath: `C:\kv json`}
	h := newHarness(t, cfg)
	resp := h.call(remoting.RequestGetNamesrvConfig, versionJava497, 0, nil, nil)
	h.expect(resp, 0, "")
	if !strings.Contains(string(resp.Body), "listenPort=9999\n") {
		t.Errorf("body lacks listenPort:\n%s", resp.Body)
	}
	// The text reads back as the same configuration.
	back, err := ParseConfig(strings.NewReader(string(resp.Body)), "GET_NAMESRV_CONFIG")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := cfg.withDefaults()
	if back.Properties() != want.Properties() || back.KVConfigPath != cfg.KVConfigPath {
		t.Errorf("read back\n%s\nwant\n%s", back.Properties(), want.Properties())
	}
}
