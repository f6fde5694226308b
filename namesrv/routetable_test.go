package namesrv

import (
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

// fakeClock is an injectable clock that only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func topic(name string, rw int32) TopicConfig {
	return TopicConfig{Name: name, ReadQueueNums: rw, WriteQueueNums: rw, Perm: PermRead | PermWrite}
}

// reg builds a registration of broker name bn at addr with id and data
// version counter v, on connection conn.
func reg(cluster, bn, addr string, id int64, v int64, conn uint64, topics ...TopicConfig) BrokerRegistration {
	return BrokerRegistration{
		Cluster: cluster, BrokerName: bn, BrokerAddr: addr, BrokerID: id,
		HAServerAddr: addr + "-ha",
		DataVersion:  DataVersion{Timestamp: 1000, Counter: v},
		Topics:       topics,
		ConnID:       conn,
	}
}

func mustRegister(t *testing.T, rt *RouteTable, r BrokerRegistration) RegisterResult {
	t.Helper()
	res, err := rt.RegisterBroker(r)
	if err != nil {
		t.Fatalf("RegisterBroker(%s/%s id %d): %v", r.BrokerName, r.BrokerAddr, r.BrokerID, err)
	}
	return res
}

func qd(bn string, rw, perm int32) QueueData {
	return QueueData{BrokerName: bn, ReadQueueNums: rw, WriteQueueNums: rw, Perm: perm}
}

func bdata(cluster, bn string, addrs map[int64]string) BrokerData {
	return BrokerData{Cluster: cluster, BrokerName: bn, Addrs: addrs}
}

// route is the expected state of one topic: nil means "no route".
type route struct {
	queues  []QueueData
	brokers []BrokerData
}

func checkRoutes(t *testing.T, rt *RouteTable, want map[string]*route) {
	t.Helper()
	for tp, w := range want {
		rd, ok := rt.RouteData(tp)
		if w == nil {
			if ok {
				t.Errorf("topic %s: want no route, have %+v", tp, rd)
			}
			continue
		}
		if !ok {
			t.Errorf("topic %s: no route, want %+v", tp, w)
			continue
		}
		if !reflect.DeepEqual(rd.QueueDatas, w.queues) {
			t.Errorf("topic %s queues:\n have %+v\n want %+v", tp, rd.QueueDatas, w.queues)
		}
		if !reflect.DeepEqual(rd.BrokerDatas, w.brokers) {
			t.Errorf("topic %s brokers:\n have %+v\n want %+v", tp, rd.BrokerDatas, w.brokers)
		}
	}
}

const rw = PermRead | PermWrite

func TestRouteTable(t *testing.T) {
	tests := []struct {
		name     string
		run      func(t *testing.T, rt *RouteTable, clk *fakeClock)
		routes   map[string]*route
		live     []BrokerAddr // checked if non-nil
		noLive   bool         // want no live broker at all
		clusters map[string][]string
	}{
		{
			name: "register master",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				res := mustRegister(t, rt, reg("c1", "b-a", "10.0.0.1:10911", 0, 1, 1, topic("T1", 8), topic("T2", 4)))
				if res != (RegisterResult{}) {
					t.Errorf("master got result %+v, want empty", res)
				}
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "10.0.0.1:10911"})}},
				"T2": {[]QueueData{qd("b-a", 4, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "10.0.0.1:10911"})}},
				"T3": nil,
			},
			live:     []BrokerAddr{{"c1", "10.0.0.1:10911"}},
			clusters: map[string][]string{"c1": {"b-a"}},
		},
		{
			name: "same data version keeps old topic config",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 2), topic("T2", 2)))
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
			},
		},
		{
			name: "new data version updates topic config",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 2, 1, topic("T1", 2), topic("T3", 2)))
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 2, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
				// Topics a broker stops listing stay until deleted explicitly.
				"T2": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
				"T3": {[]QueueData{qd("b-a", 2, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
			},
		},
		{
			name: "slave joins master; slave topics are ignored",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "m:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				res := mustRegister(t, rt, reg("c1", "b-a", "s:1", 1, 7, 2, topic("T1", 3), topic("TS", 3)))
				want := RegisterResult{HAServerAddr: "m:1-ha", MasterAddr: "m:1"}
				if res != want {
					t.Errorf("slave result %+v, want %+v", res, want)
				}
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "m:1", 1: "s:1"})}},
				"TS": nil,
			},
			live: []BrokerAddr{{"c1", "m:1"}, {"c1", "s:1"}},
		},
		{
			name: "slave before master learns nothing",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				res := mustRegister(t, rt, reg("c1", "b-a", "s:1", 1, 1, 2, topic("T1", 8), topic("T2", 8)))
				if res != (RegisterResult{}) {
					t.Errorf("slave result %+v, want empty", res)
				}
			},
			routes:   map[string]*route{"T1": nil},
			live:     []BrokerAddr{{"c1", "s:1"}},
			clusters: map[string][]string{"c1": {"b-a"}},
		},
		{
			name: "unregister master keeps route through slave, then slave removes all",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "m:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				mustRegister(t, rt, reg("c1", "b-a", "s:1", 1, 1, 2, topic("T1", 8), topic("T2", 8)))
				rt.UnregisterBroker("c1", "m:1", "b-a")
				checkRoutes(t, rt, map[string]*route{
					"T1": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{1: "s:1"})}},
				})
				rt.UnregisterBroker("c1", "s:1", "b-a")
			},
			routes:   map[string]*route{"T1": nil, "T2": nil},
			noLive:   true,
			clusters: map[string][]string{},
		},
		{
			name: "unregister one of two broker names",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-b", "b:1", 0, 1, 2, topic("T1", 4), topic("TB", 4)))
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("TA", 8)))
				checkRoutes(t, rt, map[string]*route{
					"T1": {
						[]QueueData{qd("b-a", 8, rw), qd("b-b", 4, rw)},
						[]BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"}), bdata("c1", "b-b", map[int64]string{0: "b:1"})},
					},
				})
				rt.UnregisterBroker("c1", "a:1", "b-a")
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-b", 4, rw)}, []BrokerData{bdata("c1", "b-b", map[int64]string{0: "b:1"})}},
				"TA": nil,
				"TB": {[]QueueData{qd("b-b", 4, rw)}, []BrokerData{bdata("c1", "b-b", map[int64]string{0: "b:1"})}},
			},
			live:     []BrokerAddr{{"c1", "b:1"}},
			clusters: map[string][]string{"c1": {"b-b"}},
		},
		{
			name: "expiry drops silent broker only",
			run: func(t *testing.T, rt *RouteTable, clk *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("TA", 8)))
				clk.Advance(60 * time.Second)
				mustRegister(t, rt, reg("c1", "b-b", "b:1", 0, 1, 2, topic("T1", 4), topic("TB", 4)))
				clk.Advance(60 * time.Second) // a: exactly 120 s, not yet expired
				if got := rt.ScanExpired(); len(got) != 0 {
					t.Errorf("expired at 120 s: %v", got)
				}
				clk.Advance(time.Millisecond)
				if got, want := rt.ScanExpired(), []BrokerAddr{{"c1", "a:1"}}; !reflect.DeepEqual(got, want) {
					t.Errorf("expired %v, want %v", got, want)
				}
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-b", 4, rw)}, []BrokerData{bdata("c1", "b-b", map[int64]string{0: "b:1"})}},
				"TA": nil,
			},
			live: []BrokerAddr{{"c1", "b:1"}},
		},
		{
			name: "heartbeat and unchanged data version query keep broker alive",
			run: func(t *testing.T, rt *RouteTable, clk *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("TA", 8)))
				mustRegister(t, rt, reg("c1", "b-b", "b:1", 0, 1, 2, topic("T1", 4), topic("TB", 4)))
				clk.Advance(100 * time.Second)
				if !rt.Heartbeat("c1", "a:1") {
					t.Error("heartbeat of registered broker not accepted")
				}
				if rt.Heartbeat("c1", "nobody:1") {
					t.Error("heartbeat of unknown broker accepted")
				}
				changed, cur, known := rt.QueryDataVersion("c1", "b:1", DataVersion{Timestamp: 1000, Counter: 1})
				if changed || !known || cur != (DataVersion{Timestamp: 1000, Counter: 1}) {
					t.Errorf("QueryDataVersion = %v %+v %v, want false, v1, true", changed, cur, known)
				}
				clk.Advance(100 * time.Second)
				if got := rt.ScanExpired(); len(got) != 0 {
					t.Errorf("expired %v, want none", got)
				}
				rt.Heartbeat("c1", "a:1")
				// A changed version does not count as a sign of life.
				changed, _, _ = rt.QueryDataVersion("c1", "b:1", DataVersion{Timestamp: 1000, Counter: 2})
				if !changed {
					t.Error("QueryDataVersion with new version reported unchanged")
				}
				clk.Advance(21 * time.Second)
				if got, want := rt.ScanExpired(), []BrokerAddr{{"c1", "b:1"}}; !reflect.DeepEqual(got, want) {
					t.Errorf("expired %v, want %v", got, want)
				}
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
			},
			live: []BrokerAddr{{"c1", "a:1"}},
		},
		{
			name: "per-broker heartbeat timeout",
			run: func(t *testing.T, rt *RouteTable, clk *fakeClock) {
				r := reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("TA", 8))
				r.HeartbeatTimeout = 10 * time.Second
				mustRegister(t, rt, r)
				clk.Advance(11 * time.Second)
				rt.ScanExpired()
			},
			routes: map[string]*route{"T1": nil},
			noLive: true,
		},
		{
			name: "closed connection drops its brokers at once",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 7, topic("T1", 8), topic("TA", 8)))
				mustRegister(t, rt, reg("c1", "b-b", "b:1", 0, 1, 8, topic("T1", 4), topic("TB", 4)))
				if got := rt.ConnClosed(0); got != nil {
					t.Errorf("ConnClosed(0) dropped %v", got)
				}
				if got, want := rt.ConnClosed(7), []BrokerAddr{{"c1", "a:1"}}; !reflect.DeepEqual(got, want) {
					t.Errorf("ConnClosed(7) dropped %v, want %v", got, want)
				}
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-b", 4, rw)}, []BrokerData{bdata("c1", "b-b", map[int64]string{0: "b:1"})}},
				"TA": nil,
			},
			live: []BrokerAddr{{"c1", "b:1"}},
		},
		{
			name: "old connection closing after re-registration on a new one",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 7, topic("T1", 8), topic("TA", 8)))
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 9, topic("T1", 8), topic("TA", 8)))
				if got := rt.ConnClosed(7); len(got) != 0 {
					t.Errorf("ConnClosed(7) dropped %v", got)
				}
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
			},
			live: []BrokerAddr{{"c1", "a:1"}},
		},
		{
			name: "delete topic everywhere, then re-added by next registration",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				rt.DeleteTopic("T1", "")
				checkRoutes(t, rt, map[string]*route{"T1": nil})
				// Same data version: the topic is missing for this broker, so
				// it is read again (5.x behaviour).
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
			},
		},
		{
			name: "delete topic in one cluster",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				mustRegister(t, rt, reg("c2", "b-b", "b:1", 0, 1, 2, topic("T1", 4), topic("T2", 4)))
				rt.DeleteTopic("T1", "c1")
				rt.DeleteTopic("T2", "c1")
				rt.DeleteTopic("T2", "c2")
				rt.DeleteTopic("T2", "no-such-cluster")
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-b", 4, rw)}, []BrokerData{bdata("c2", "b-b", map[int64]string{0: "b:1"})}},
				"T2": nil,
			},
			clusters: map[string][]string{"c1": {"b-a"}, "c2": {"b-b"}},
		},
		{
			name: "wipe and add write permission",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				inherit := topic("TBW102", 8)
				inherit.Perm = PermRead | PermWrite | PermInherit
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), inherit))
				mustRegister(t, rt, reg("c1", "b-b", "b:1", 0, 1, 2, topic("T1", 4), topic("T2", 4)))
				if n := rt.WipeWritePerm("b-a"); n != 2 {
					t.Errorf("WipeWritePerm touched %d topics, want 2", n)
				}
				checkRoutes(t, rt, map[string]*route{
					"T1":     {[]QueueData{qd("b-a", 8, PermRead), qd("b-b", 4, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"}), bdata("c1", "b-b", map[int64]string{0: "b:1"})}},
					"TBW102": {[]QueueData{qd("b-a", 8, PermRead|PermInherit)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
				})
				if n := rt.WipeWritePerm("nobody"); n != 0 {
					t.Errorf("WipeWritePerm(nobody) touched %d topics", n)
				}
				if n := rt.AddWritePerm("b-a"); n != 2 {
					t.Errorf("AddWritePerm touched %d topics, want 2", n)
				}
			},
			routes: map[string]*route{
				"T1":     {[]QueueData{qd("b-a", 8, rw), qd("b-b", 4, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"}), bdata("c1", "b-b", map[int64]string{0: "b:1"})}},
				"TBW102": {[]QueueData{qd("b-a", 8, rw|PermInherit)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
			},
		},
		{
			name: "single-topic registration of unknown broker id is refused without trace",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				_, err := rt.RegisterBroker(reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8)))
				if !errors.Is(err, ErrRegisterRefused) {
					t.Errorf("err = %v, want ErrRegisterRefused", err)
				}
			},
			routes:   map[string]*route{"T1": nil},
			noLive:   true,
			clusters: map[string][]string{},
		},
		{
			name: "single-topic registration of known broker is accepted",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 2, 1, topic("T3", 2)))
			},
			routes: map[string]*route{
				"T3": {[]QueueData{qd("b-a", 2, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
			},
		},
		{
			name: "slave promoted to master moves its address to id 0",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "m:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				mustRegister(t, rt, reg("c1", "b-a", "s:1", 1, 1, 2, topic("T1", 8), topic("T2", 8)))
				rt.ConnClosed(1)
				mustRegister(t, rt, reg("c1", "b-a", "s:1", 0, 1, 2, topic("T1", 8), topic("T2", 8)))
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 8, rw)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "s:1"})}},
			},
			live: []BrokerAddr{{"c1", "s:1"}},
		},
		{
			name: "5.x acting master: prime slave registers read-only queues",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				yes := true
				r := reg("c1", "b-a", "s:1", 1, 1, 2, topic("T1", 8), topic("T2", 8))
				r.EnableActingMaster = &yes
				mustRegister(t, rt, r)
			},
			routes: map[string]*route{
				"T1": {[]QueueData{qd("b-a", 8, PermRead)}, []BrokerData{{Cluster: "c1", BrokerName: "b-a", Addrs: map[int64]string{1: "s:1"}, EnableActingMaster: true}}},
			},
		},
		{
			name: "register topic",
			run: func(t *testing.T, rt *RouteTable, _ *fakeClock) {
				mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 1, topic("T1", 8), topic("T2", 8)))
				if rt.RegisterTopic("TX", []QueueData{qd("b-a", 2, rw), qd("unknown", 2, rw)}) {
					t.Error("RegisterTopic with unknown broker succeeded")
				}
				if rt.RegisterTopic("TX", nil) {
					t.Error("RegisterTopic without queues succeeded")
				}
				if !rt.RegisterTopic("TN", []QueueData{qd("b-a", 3, PermRead)}) {
					t.Error("RegisterTopic failed")
				}
			},
			routes: map[string]*route{
				"TX": nil,
				"TN": {[]QueueData{qd("b-a", 3, PermRead)}, []BrokerData{bdata("c1", "b-a", map[int64]string{0: "a:1"})}},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newFakeClock()
			rt := NewRouteTable(0, clk.Now)
			tc.run(t, rt, clk)
			checkRoutes(t, rt, tc.routes)
			if tc.live != nil || tc.noLive {
				if got := rt.LiveBrokers(); !reflect.DeepEqual(got, tc.live) {
					t.Errorf("live brokers %v, want %v", got, tc.live)
				}
			}
			if tc.clusters != nil {
				if got := rt.ClusterInfo().Clusters; !reflect.DeepEqual(got, tc.clusters) {
					t.Errorf("clusters %v, want %v", got, tc.clusters)
				}
			}
		})
	}
}

func TestRouteTableListings(t *testing.T) {
	rt := NewRouteTable(0, newFakeClock().Now)
	unit := topic("TU", 1)
	unit.TopicSysFlag = TopicSysFlagUnit | TopicSysFlagUnitSub
	unitSub := topic("TS", 1)
	unitSub.TopicSysFlag = TopicSysFlagUnitSub
	mustRegister(t, rt, reg("c1", "b-b", "b:1", 0, 1, 1, topic("T1", 1), unit))
	mustRegister(t, rt, reg("c1", "b-b", "b2:1", 1, 1, 2))
	mustRegister(t, rt, reg("c1", "b-a", "a:1", 0, 1, 3, topic("T2", 1), unitSub))
	mustRegister(t, rt, reg("c2", "b-c", "c:1", 0, 1, 4, topic("T3", 1), topic("T1", 1)))

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"all topics", rt.AllTopics(), []string{"T1", "T2", "T3", "TS", "TU"}},
		{"cluster c1", rt.TopicsByCluster("c1"), []string{"T1", "T2", "TS", "TU"}},
		{"cluster c2", rt.TopicsByCluster("c2"), []string{"T1", "T3"}},
		{"unknown cluster", rt.TopicsByCluster("nope"), []string(nil)},
		{"unit", rt.TopicsBySysFlag(func(f int32) bool { return f&TopicSysFlagUnit != 0 }), []string{"TU"}},
		{"unit sub", rt.TopicsBySysFlag(func(f int32) bool { return f&TopicSysFlagUnitSub != 0 }), []string{"TS", "TU"}},
		{"members b-b", rt.BrokerMemberGroup("b-b"), map[int64]string{0: "b:1", 1: "b2:1"}},
		{"members unknown", rt.BrokerMemberGroup("zz"), map[int64]string(nil)},
	}
	for _, tc := range tests {
		if !reflect.DeepEqual(tc.got, tc.want) {
			t.Errorf("%s: have %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	topics, addr := rt.SystemTopics()
	if want := []string{"b-a", "b-b", "b-c", "c1", "c2"}; !reflect.DeepEqual(topics, want) || addr != "a:1" {
		t.Errorf("SystemTopics = %v %q, want %v %q", topics, addr, want, "a:1")
	}
}

// TestRouteTableConcurrent exercises the lock discipline under -race.
func TestRouteTableConcurrent(t *testing.T) {
	rt := NewRouteTable(0, newFakeClock().Now)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bn := string(rune('a' + i))
			for j := range 200 {
				mustRegister(t, rt, reg("c", bn, bn+":1", 0, int64(j), uint64(i+1), topic("T", 4), topic("T"+bn, 4)))
				rt.RouteData("T")
				rt.ClusterInfo()
				if j%50 == 0 {
					rt.ConnClosed(uint64(i + 1))
				}
			}
		}()
	}
	wg.Wait()
	rd, ok := rt.RouteData("T")
	if !ok || len(rd.QueueDatas) != 4 {
		t.Fatalf("route of T after concurrent registrations: %+v, %v", rd, ok)
	}
}
