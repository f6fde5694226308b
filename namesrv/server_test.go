package namesrv

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func startServer(t *testing.T, cfg Config, now func() time.Time) *Server {
	t.Helper()
	if cfg.ListenAddr == "" {
		cfg.ListenAddr = "127.0.0.1:0"
	}
	n, err := newListening(cfg, quietLogger(), now)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Shutdown(ctx)
	})
	return n
}

func newClient(t *testing.T, serialize remoting.SerializeType) *remoting.Client {
	t.Helper()
	c := remoting.NewClient(remoting.ClientConfig{Serialize: serialize, Logger: quietLogger()})
	t.Cleanup(func() { c.Close() })
	return c
}

func invoke(t *testing.T, c *remoting.Client, addr string, code, version int32, ext map[string]string, body []byte) *remoting.Command {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := remoting.NewRequest(code, ext, body)
	req.Version = version
	resp, err := c.InvokeSync(ctx, addr, req)
	if err != nil {
		t.Fatalf("code %d to %s: %v", code, addr, err)
	}
	return resp
}

func routeCode(t *testing.T, c *remoting.Client, addr, topic string) int32 {
	t.Helper()
	return invoke(t, c, addr, remoting.RequestGetRouteInfoByTopic, versionGoClient, map[string]string{"topic": topic}, nil).Code
}

func registerOver(t *testing.T, c *remoting.Client, addr string, name, brokerAddr string) {
	t.Helper()
	resp := invoke(t, c, addr, remoting.RequestRegisterBroker, versionJava497,
		registerExt("DefaultCluster", name, brokerAddr, 0), []byte(body497))
	if resp.Code != remoting.ResponseSuccess {
		t.Fatalf("register %s: %d %q", name, resp.Code, resp.Remark)
	}
}

// TestServersAreIndependent runs two name servers in one process: a broker
// registered with one is unknown to the other.
func TestServersAreIndependent(t *testing.T) {
	for _, ser := range []remoting.SerializeType{remoting.SerializeJSON, remoting.SerializeRocketMQ} {
		t.Run(ser.String(), func(t *testing.T) {
			a := startServer(t, Config{}, nil)
			b := startServer(t, Config{}, nil)
			c := newClient(t, ser)
			addrA, addrB := a.Addr().String(), b.Addr().String()

			registerOver(t, c, addrA, "broker-a", "10.0.0.1:10911")

			resp := invoke(t, c, addrA, remoting.RequestGetRouteInfoByTopic, versionGoClient, map[string]string{"topic": "TopicA"}, nil)
			want := `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],` +
				`"filterServerTable":{},"queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":1,"writeQueueNums":2}]}`
			if resp.Code != 0 || string(resp.Body) != want {
				t.Errorf("route from A: %d %q\n%s", resp.Code, resp.Remark, resp.Body)
			}
			if resp.Version != remoting.CurrentVersion {
				t.Errorf("response version %d", resp.Version)
			}
			if code := routeCode(t, c, addrB, "TopicA"); code != remoting.ResponseTopicNotExist {
				t.Errorf("route from B: code %d, want %d", code, remoting.ResponseTopicNotExist)
			}
			resp = invoke(t, c, addrB, 9999, versionJava497, nil, nil)
			if resp.Code != remoting.ResponseRequestCodeNotSupported {
				t.Errorf("unknown code answered %d", resp.Code)
			}
		})
	}
}

func TestServerDropsBrokerWhenConnectionCloses(t *testing.T) {
	n := startServer(t, Config{}, nil)
	addr := n.Addr().String()
	broker := newClient(t, remoting.SerializeJSON)
	admin := newClient(t, remoting.SerializeJSON)

	registerOver(t, broker, addr, "broker-a", "10.0.0.1:10911")
	if code := routeCode(t, admin, addr, "TopicA"); code != 0 {
		t.Fatalf("route after registration: code %d", code)
	}
	broker.Close()
	waitFor(t, "route to disappear after the broker's connection closed", func() bool {
		return routeCode(t, admin, addr, "TopicA") == remoting.ResponseTopicNotExist
	})
	if live := n.Routes().LiveBrokers(); len(live) != 0 {
		t.Errorf("live brokers left: %v", live)
	}
}

func TestServerExpiresSilentBroker(t *testing.T) {
	clk := newFakeClock()
	n := startServer(t, Config{ScanInterval: 5 * time.Millisecond}, clk.Now)
	addr := n.Addr().String()
	c := newClient(t, remoting.SerializeJSON)

	registerOver(t, c, addr, "broker-a", "10.0.0.1:10911")
	clk.Advance(DefaultBrokerExpiry)
	// Let several scans run at exactly the expiry: nothing may go.
	before := n.scans.Load()
	waitFor(t, "three scans", func() bool { return n.scans.Load() >= before+3 })
	if code := routeCode(t, c, addr, "TopicA"); code != 0 {
		t.Fatalf("route gone at exactly the expiry: code %d", code)
	}
	clk.Advance(time.Second)
	waitFor(t, "silent broker to expire", func() bool {
		return routeCode(t, c, addr, "TopicA") == remoting.ResponseTopicNotExist
	})
}

func TestServerKVConfigSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	n, err := New(Config{ListenAddr: "127.0.0.1:0", DataDir: dir}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, remoting.SerializeJSON)
	resp := invoke(t, c, n.Addr().String(), remoting.RequestPutKVConfig, versionJava497,
		map[string]string{"namespace": NamespaceOrderTopicConfig, "key": "TopicA", "value": "broker-a:4"}, nil)
	if resp.Code != 0 {
		t.Fatalf("put: %d %q", resp.Code, resp.Remark)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := n.Shutdown(ctx); err == nil {
		t.Error("second Shutdown succeeded")
	}

	n2 := startServer(t, Config{DataDir: dir, OrderMessageEnable: true}, nil)
	addr := n2.Addr().String()
	resp = invoke(t, c, addr, remoting.RequestGetKVConfig, versionJava497,
		map[string]string{"namespace": NamespaceOrderTopicConfig, "key": "TopicA"}, nil)
	if resp.Code != 0 || resp.ExtFields["value"] != "broker-a:4" {
		t.Errorf("get after restart: %d %q %v", resp.Code, resp.Remark, resp.ExtFields)
	}
	registerOver(t, c, addr, "broker-a", "10.0.0.1:10911")
	resp = invoke(t, c, addr, remoting.RequestGetRouteInfoByTopic, versionJava497, map[string]string{"topic": "TopicA"}, nil)
	if !strings.Contains(string(resp.Body), `"orderTopicConf":"broker-a:4"`) {
		t.Errorf("route lacks orderTopicConf: %s", resp.Body)
	}
}

func TestAttachToExistingServer(t *testing.T) {
	rs := remoting.NewServer(remoting.ServerConfig{Addr: "127.0.0.1:0", Logger: quietLogger()})
	n, err := Attach(rs, Config{}, quietLogger())
	if err != nil {
		t.Fatal(err)
	}
	// Another component's handler on the same server.
	rs.Register(12345, "other", remoting.HandlerFunc(func(_ context.Context, _ *remoting.Conn, req *remoting.Command) *remoting.Command {
		return remoting.NewResponse(req, remoting.ResponseSuccess, "other")
	}))
	if err := rs.Start(); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err == nil {
		t.Error("second Start succeeded")
	}
	if n.Addr().String() != rs.Addr().String() {
		t.Errorf("Addr %v, want %v", n.Addr(), rs.Addr())
	}
	c := newClient(t, remoting.SerializeJSON)
	addr := rs.Addr().String()
	registerOver(t, c, addr, "broker-a", "10.0.0.1:10911")
	if code := routeCode(t, c, addr, "TopicA"); code != 0 {
		t.Errorf("route via attached server: code %d", code)
	}
	if resp := invoke(t, c, addr, 12345, versionJava497, nil, nil); resp.Remark != "other" {
		t.Errorf("other handler answered %d %q", resp.Code, resp.Remark)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	// The remoting server is the caller's: still serving.
	if code := routeCode(t, c, addr, "TopicA"); code != 0 {
		t.Errorf("route after name server shutdown: code %d", code)
	}
	if err := rs.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	if _, err := New(Config{ScanInterval: -time.Second}, nil); err == nil {
		t.Error("negative scan interval accepted")
	}
	n, err := New(Config{ListenAddr: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Shutdown(context.Background()); err == nil {
		t.Error("Shutdown before Start succeeded")
	}
}
