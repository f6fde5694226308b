package clients

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// *remoting.Conn is what the broker passes in.
var _ Channel = (*remoting.Conn)(nil)

// fakeChannel records what is sent on it. When gate is non-nil, sends wait
// for it to be closed (a slow client).
type fakeChannel struct {
	addr net.Addr
	gate chan struct{}
	fail bool

	mu   sync.Mutex
	sent []*remoting.Command
}

func newFake(port int) *fakeChannel {
	return &fakeChannel{addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: port}}
}

func (f *fakeChannel) RemoteAddr() net.Addr { return f.addr }

func (f *fakeChannel) InvokeOneway(req *remoting.Command) error {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, req)
	if f.fail {
		return errors.New("connection closed")
	}
	return nil
}

// notifications returns the groups of the NOTIFY_CONSUMER_IDS_CHANGED
// requests received so far and forgets them.
func (f *fakeChannel) notifications(t *testing.T) []string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	var groups []string
	for _, req := range f.sent {
		if req.Code != remoting.RequestNotifyConsumerIDsChanged || req.Body != nil {
			t.Errorf("unexpected request %+v", req)
		}
		groups = append(groups, req.ExtFields["consumerGroup"])
	}
	f.sent = nil
	return groups
}

// clock is an injectable, manually advanced clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestManager() (*Manager, *clock) {
	c := &clock{now: time.Unix(1_700_000_000, 0)}
	return NewManager(ManagerConfig{Now: c.Now}, nil), c
}

var javaSDK = SDK{Language: remoting.LangJava, Version: 407}

func consumerHB(clientID string, groups ...string) *HeartbeatData {
	hb := &HeartbeatData{ClientID: clientID}
	for _, g := range groups {
		hb.ConsumerDataSet = append(hb.ConsumerDataSet, ConsumerData{
			GroupName: g, ConsumeType: ConsumePassively, MessageModel: Clustering,
			ConsumeFromWhere:    "CONSUME_FROM_LAST_OFFSET",
			SubscriptionDataSet: []SubscriptionData{*mustParse("T", "A||B", 1), *mustParse("%RETRY%"+g, "*", 1)},
		})
	}
	return hb
}

func mustParse(topic, expr string, version int64) *SubscriptionData {
	s, err := ParseSubscription(topic, expr, "")
	if err != nil {
		panic(err)
	}
	s.SubVersion = version
	return s
}

func TestJoinAndLeaveNotifications(t *testing.T) {
	m, _ := newTestManager()
	a, b := newFake(1), newFake(2)

	if got := m.Heartbeat(a, javaSDK, consumerHB("A", "cg"), nil); !reflect.DeepEqual(got, []string{"cg"}) {
		t.Errorf("first join changed %v", got)
	}
	m.WaitNotifications()
	if got := a.notifications(t); !reflect.DeepEqual(got, []string{"cg"}) {
		t.Errorf("A after own join: %v", got)
	}

	if got := m.Heartbeat(b, javaSDK, consumerHB("B", "cg"), nil); !reflect.DeepEqual(got, []string{"cg"}) {
		t.Errorf("second join changed %v", got)
	}
	m.WaitNotifications()
	if ga, gb := a.notifications(t), b.notifications(t); len(ga) != 1 || len(gb) != 1 {
		t.Errorf("after B joined: A got %v, B got %v; want one each", ga, gb)
	}
	if ids := m.ConsumerIDs("cg"); !reflect.DeepEqual(ids, []string{"A", "B"}) {
		t.Errorf("ConsumerIDs = %v", ids)
	}

	// Routine heartbeats change nothing and notify nobody.
	for range 3 {
		if got := m.Heartbeat(a, javaSDK, consumerHB("A", "cg"), nil); got != nil {
			t.Errorf("repeated heartbeat changed %v", got)
		}
	}
	m.WaitNotifications()
	if ga := a.notifications(t); ga != nil {
		t.Errorf("notified on a routine heartbeat: %v", ga)
	}

	m.ConnClosed(a)
	m.WaitNotifications()
	if ga, gb := a.notifications(t), b.notifications(t); ga != nil || !reflect.DeepEqual(gb, []string{"cg"}) {
		t.Errorf("after A closed: A got %v, B got %v", ga, gb)
	}
	if ids := m.ConsumerIDs("cg"); !reflect.DeepEqual(ids, []string{"B"}) {
		t.Errorf("ConsumerIDs = %v", ids)
	}

	m.ConnClosed(b)
	m.WaitNotifications()
	if ids := m.ConsumerIDs("cg"); ids != nil || m.Groups() != nil {
		t.Errorf("after everyone left: ids %v groups %v", ids, m.Groups())
	}
	if _, ok := m.Subscription("cg", "T"); ok {
		t.Error("subscription of an empty group kept")
	}
	m.ConnClosed(b) // unknown channel: no-op
}

func TestGroupNotifyDisabled(t *testing.T) {
	m, _ := newTestManager()
	a, b := newFake(1), newFake(2)
	asked := map[string]int{}
	off := func(g string) bool { asked[g]++; return false }
	m.Heartbeat(a, javaSDK, consumerHB("A", "quiet"), off)
	if got := m.Heartbeat(b, javaSDK, consumerHB("B", "quiet"), off); !reflect.DeepEqual(got, []string{"quiet"}) {
		t.Errorf("changed = %v", got)
	}
	m.ConnClosed(b) // uses the remembered flag
	m.WaitNotifications()
	if ga, gb := a.notifications(t), b.notifications(t); ga != nil || gb != nil {
		t.Errorf("notifications sent although disabled: %v %v", ga, gb)
	}
	if asked["quiet"] != 2 {
		t.Errorf("groupNotify asked %d times", asked["quiet"])
	}
}

func TestSameClientOnTwoConnections(t *testing.T) {
	m, _ := newTestManager()
	a1, a2, b := newFake(1), newFake(2), newFake(3)
	m.Heartbeat(a1, javaSDK, consumerHB("A", "cg"), nil)
	m.Heartbeat(b, javaSDK, consumerHB("B", "cg"), nil)
	m.WaitNotifications()
	a1.notifications(t)
	b.notifications(t)

	// The client reconnected before the old connection was noticed closed:
	// the set of ids is unchanged, so nobody is disturbed.
	if got := m.Heartbeat(a2, javaSDK, consumerHB("A", "cg"), nil); got != nil {
		t.Errorf("second connection of the same client changed %v", got)
	}
	m.ConnClosed(a1)
	m.WaitNotifications()
	if gb := b.notifications(t); gb != nil {
		t.Errorf("B notified although ids did not change: %v", gb)
	}
	if ids := m.ConsumerIDs("cg"); !reflect.DeepEqual(ids, []string{"A", "B"}) {
		t.Errorf("ConsumerIDs = %v", ids)
	}
	// A channel changing its client id is a change.
	if got := m.Heartbeat(a2, javaSDK, consumerHB("A2", "cg"), nil); !reflect.DeepEqual(got, []string{"cg"}) {
		t.Errorf("client id change: %v", got)
	}
}

func TestExpiryWithInjectedClock(t *testing.T) {
	m, clk := newTestManager()
	a, b := newFake(1), newFake(2)
	m.Heartbeat(a, javaSDK, &HeartbeatData{ClientID: "A", ProducerDataSet: []ProducerData{{GroupName: "pg"}},
		ConsumerDataSet: consumerHB("A", "cg").ConsumerDataSet}, nil)
	clk.Advance(100 * time.Second)
	m.Heartbeat(b, javaSDK, consumerHB("B", "cg"), nil)
	m.WaitNotifications()
	a.notifications(t)
	b.notifications(t)

	clk.Advance(20 * time.Second) // A: 120 s, not yet beyond the expiry
	if dropped := m.ScanExpired(); dropped != nil {
		t.Errorf("dropped %v at exactly the expiry", dropped)
	}
	clk.Advance(time.Second)
	dropped := m.ScanExpired()
	if len(dropped) != 1 || dropped[0] != Channel(a) {
		t.Fatalf("dropped %v, want A only", dropped)
	}
	m.WaitNotifications()
	if gb := b.notifications(t); !reflect.DeepEqual(gb, []string{"cg"}) {
		t.Errorf("B got %v after A expired", gb)
	}
	if ids := m.ConsumerIDs("cg"); !reflect.DeepEqual(ids, []string{"B"}) {
		t.Errorf("ConsumerIDs = %v", ids)
	}
	if _, ok := m.ProducerChannel("pg"); ok {
		t.Error("expired producer still registered")
	}

	clk.Advance(200 * time.Second)
	if dropped := m.ScanExpired(); len(dropped) != 1 || m.Groups() != nil {
		t.Errorf("dropped %v, groups left %v", dropped, m.Groups())
	}
}

func TestCustomExpiry(t *testing.T) {
	clk := &clock{now: time.Unix(0, 0)}
	m := NewManager(ManagerConfig{ChannelExpiry: 10 * time.Second, Now: clk.Now}, nil)
	m.Heartbeat(newFake(1), javaSDK, consumerHB("A", "cg"), nil)
	clk.Advance(11 * time.Second)
	if len(m.ScanExpired()) != 1 {
		t.Error("custom expiry not applied")
	}
}

func TestUnregister(t *testing.T) {
	m, _ := newTestManager()
	a, b := newFake(1), newFake(2)
	hb := consumerHB("A", "cg")
	hb.ProducerDataSet = []ProducerData{{GroupName: "pg"}}
	m.Heartbeat(a, javaSDK, hb, nil)
	m.Heartbeat(b, javaSDK, consumerHB("B", "cg"), nil)
	m.WaitNotifications()
	b.notifications(t)

	m.Unregister(a, "someone-else", "pg", "cg") // wrong client id: ignored
	if ids := m.ConsumerIDs("cg"); len(ids) != 2 {
		t.Errorf("unregister with a foreign client id removed: %v", ids)
	}
	m.Unregister(a, "A", "pg", "cg")
	m.WaitNotifications()
	if ids := m.ConsumerIDs("cg"); !reflect.DeepEqual(ids, []string{"B"}) {
		t.Errorf("ConsumerIDs = %v", ids)
	}
	if gb := b.notifications(t); !reflect.DeepEqual(gb, []string{"cg"}) {
		t.Errorf("B got %v", gb)
	}
	if m.ProducerGroups() != nil {
		t.Errorf("producer groups %v", m.ProducerGroups())
	}
	m.Unregister(a, "A", "", "") // nothing to do
}

func TestHeartbeatLeavesUnlistedGroups(t *testing.T) {
	m, _ := newTestManager()
	a, b := newFake(1), newFake(2)
	hb := consumerHB("A", "g1", "g2")
	hb.ProducerDataSet = []ProducerData{{GroupName: "p1"}, {GroupName: "p2"}}
	m.Heartbeat(a, javaSDK, hb, nil)
	m.Heartbeat(b, javaSDK, consumerHB("B", "g2"), nil)
	m.WaitNotifications()
	b.notifications(t)

	// A's g2 consumer shut down (the Go client sends no UNREGISTER_CLIENT).
	hb = consumerHB("A", "g1")
	hb.ProducerDataSet = []ProducerData{{GroupName: "p1"}}
	if got := m.Heartbeat(a, javaSDK, hb, nil); !reflect.DeepEqual(got, []string{"g2"}) {
		t.Errorf("changed = %v", got)
	}
	m.WaitNotifications()
	if gb := b.notifications(t); !reflect.DeepEqual(gb, []string{"g2"}) {
		t.Errorf("B got %v", gb)
	}
	if ids := m.ConsumerIDs("g2"); !reflect.DeepEqual(ids, []string{"B"}) {
		t.Errorf("g2 ids %v", ids)
	}
	if !reflect.DeepEqual(m.ProducerGroups(), []string{"p1"}) {
		t.Errorf("producer groups %v", m.ProducerGroups())
	}
	// A heartbeat under another client id on the same connection leaves
	// A's registrations alone.
	m.Heartbeat(a, javaSDK, &HeartbeatData{ClientID: "other"}, nil)
	if ids := m.ConsumerIDs("g1"); !reflect.DeepEqual(ids, []string{"A"}) {
		t.Errorf("g1 ids %v", ids)
	}
}

func TestSubscriptionUpdates(t *testing.T) {
	m, _ := newTestManager()
	a := newFake(1)
	hb := &HeartbeatData{ClientID: "A", ConsumerDataSet: []ConsumerData{{GroupName: "cg",
		SubscriptionDataSet: []SubscriptionData{*mustParse("T", "A", 5), *mustParse("U", "*", 5)}}}}
	m.Heartbeat(a, javaSDK, hb, nil)
	if s, ok := m.Subscription("cg", "T"); !ok || s.SubString != "A" {
		t.Fatalf("Subscription(T) = %+v %v", s, ok)
	}
	// The caller's data is copied: changing it does not reach the manager.
	hb.ConsumerDataSet[0].SubscriptionDataSet[0].CodeSet[0] = 0
	if s, _ := m.Subscription("cg", "T"); !s.MatchTagsCode(int64('A')) {
		t.Error("stored subscription shares the caller's slices")
	}

	older := &HeartbeatData{ClientID: "A", ConsumerDataSet: []ConsumerData{{GroupName: "cg",
		SubscriptionDataSet: []SubscriptionData{*mustParse("T", "B", 4)}}}}
	m.Heartbeat(a, javaSDK, older, nil)
	if s, _ := m.Subscription("cg", "T"); s.SubString != "A" {
		t.Errorf("older subVersion replaced the subscription: %+v", s)
	}
	if _, ok := m.Subscription("cg", "U"); ok {
		t.Error("topic missing from the heartbeat kept")
	}
	newer := &HeartbeatData{ClientID: "A", ConsumerDataSet: []ConsumerData{{GroupName: "cg",
		SubscriptionDataSet: []SubscriptionData{*mustParse("T", "B", 6)}}}}
	m.Heartbeat(a, javaSDK, newer, nil)
	if s, _ := m.Subscription("cg", "T"); s.SubString != "B" {
		t.Errorf("newer subVersion ignored: %+v", s)
	}
	if got := m.ConsumerGroupsOfTopic("T"); !reflect.DeepEqual(got, []string{"cg"}) {
		t.Errorf("ConsumerGroupsOfTopic = %v", got)
	}
	if got := m.ConsumerGroupsOfTopic("U"); got != nil {
		t.Errorf("ConsumerGroupsOfTopic(U) = %v", got)
	}

	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := m.Subscription("cg", "T"); !ok {
			t.Fatal("missing")
		}
	})
	if allocs != 0 {
		t.Errorf("Subscription allocates %.1f times", allocs)
	}
}

func TestConsumerGroupInfoAndProducers(t *testing.T) {
	m, _ := newTestManager()
	a, b := newFake(1), newFake(2)
	hbA := consumerHB("A", "cg")
	hbA.ProducerDataSet = []ProducerData{{GroupName: "pa"}}
	m.Heartbeat(a, javaSDK, hbA, nil)
	hbB, err := ParseHeartbeat([]byte(goHeartbeat))
	if err != nil {
		t.Fatal(err)
	}
	m.Heartbeat(b, SDK{Language: remoting.LangGo, Version: 317}, hbB, nil)

	info, ok := m.ConsumerGroup("cg")
	if !ok {
		t.Fatal("group missing")
	}
	wantConns := []ConnectionInfo{
		{ClientID: "10.0.0.7@4242", ClientAddr: "10.0.0.1:2", Language: remoting.LangGo, Version: 317},
		{ClientID: "A", ClientAddr: "10.0.0.1:1", Language: remoting.LangJava, Version: 407},
	}
	for i := range info.Connections {
		info.Connections[i].LastUpdate = time.Time{}
	}
	if !reflect.DeepEqual(info.Connections, wantConns) {
		t.Errorf("connections %+v", info.Connections)
	}
	if info.ConsumeType != ConsumePassively || info.MessageModel != Clustering || info.ConsumeFromWhere != "CONSUME_FROM_LAST_OFFSET" {
		t.Errorf("info %+v", info)
	}
	// B's heartbeat came last and lists only T: the group's table follows it.
	if len(info.Subscriptions) != 1 || info.Subscriptions[0].Topic != "T" {
		t.Errorf("subscriptions %+v", info.Subscriptions)
	}
	if _, ok := m.ConsumerGroup("nobody"); ok {
		t.Error("unknown group found")
	}

	var body struct {
		ConnectionSet []struct {
			ClientID   string `json:"clientId"`
			ClientAddr string `json:"clientAddr"`
			Language   string `json:"language"`
			Version    int32  `json:"version"`
		} `json:"connectionSet"`
		SubscriptionTable map[string]struct {
			CodeSet []int32  `json:"codeSet"`
			TagsSet []string `json:"tagsSet"`
		} `json:"subscriptionTable"`
		ConsumeType string `json:"consumeType"`
	}
	raw := info.ConnectionJSON()
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	if len(body.ConnectionSet) != 2 || body.ConnectionSet[0].Language != "GO" || body.ConnectionSet[1].Language != "JAVA" ||
		!reflect.DeepEqual(body.SubscriptionTable["T"].CodeSet, []int32{65, 66}) || body.ConsumeType != ConsumePassively {
		t.Errorf("ConnectionJSON = %s", raw)
	}

	if ch, ok := m.ProducerChannel("pa"); !ok || ch != Channel(a) {
		t.Errorf("ProducerChannel(pa) = %v %v", ch, ok)
	}
	if ch, ok := m.ProducerChannel("pg"); !ok || ch != Channel(b) {
		t.Errorf("ProducerChannel(pg) = %v %v", ch, ok)
	}
	if ch, ok := m.ProducerChannelByClientID("10.0.0.7@4242"); !ok || ch != Channel(b) {
		t.Errorf("ProducerChannelByClientID = %v %v", ch, ok)
	}
	if _, ok := m.ProducerChannelByClientID("none"); ok {
		t.Error("unknown client found")
	}
	if ch, ok := m.ConsumerChannel("cg", "A"); !ok || ch != Channel(a) {
		t.Errorf("ConsumerChannel = %v %v", ch, ok)
	}
	if chans := m.ConsumerChannels("cg"); len(chans) != 2 {
		t.Errorf("ConsumerChannels = %v", chans)
	}
	conns, ok := m.ProducerConnections("pa")
	if !ok || len(conns) != 1 || conns[0].ClientID != "A" {
		t.Errorf("ProducerConnections = %+v %v", conns, ok)
	}
	if got := string(ProducerConnectionJSON(conns)); got != `{"connectionSet":[{"clientAddr":"10.0.0.1:1","clientId":"A","language":"JAVA","version":407}]}` {
		t.Errorf("ProducerConnectionJSON = %s", got)
	}
	if !reflect.DeepEqual(m.Groups(), []string{"cg"}) || !reflect.DeepEqual(m.ProducerGroups(), []string{"pa", "pg"}) {
		t.Errorf("groups %v %v", m.Groups(), m.ProducerGroups())
	}
	if got := SDKOf(&remoting.Command{Language: remoting.LangGo, Version: 317}); got != (SDK{remoting.LangGo, 317}) {
		t.Errorf("SDKOf = %+v", got)
	}
}

// A client that does not read its socket must not hold up heartbeats of
// others, and notifications asked for meanwhile are coalesced, not lost.
func TestSlowClientDoesNotBlockHeartbeat(t *testing.T) {
	m, _ := newTestManager()
	slow := newFake(1)
	slow.gate = make(chan struct{})
	m.Heartbeat(slow, javaSDK, consumerHB("S", "cg"), nil) // its own join: a send now blocks

	others := make([]*fakeChannel, 5)
	for i := range others {
		others[i] = newFake(10 + i)
		// Returns although a notification to slow is stuck.
		m.Heartbeat(others[i], javaSDK, consumerHB(fmt.Sprintf("C%d", i), "cg"), nil)
	}
	if ids := m.ConsumerIDs("cg"); len(ids) != 6 {
		t.Fatalf("ids %v", ids)
	}
	close(slow.gate)
	m.WaitNotifications()
	n := len(slow.notifications(t))
	if n < 2 || n > 6 {
		t.Errorf("slow client got %d notifications, want 2 (coalesced) to 6", n)
	}
	if got := others[len(others)-1].notifications(t); len(got) != 1 {
		t.Errorf("last joiner got %v", got)
	}
}

func TestFailedSendIsTolerated(t *testing.T) {
	m, _ := newTestManager()
	a := newFake(1)
	a.fail = true
	m.Heartbeat(a, javaSDK, consumerHB("A", "cg"), nil)
	m.WaitNotifications()
	if got := a.notifications(t); len(got) != 1 {
		t.Errorf("sent %v", got)
	}
}

func TestManagerConcurrentUse(t *testing.T) {
	m, clk := newTestManager()
	const workers, rounds = 6, 200
	var wg sync.WaitGroup
	var sent atomic.Int64
	for w := range workers {
		wg.Go(func() {
			ch := newFake(w)
			for i := range rounds {
				group := fmt.Sprintf("g%d", i%3)
				m.Heartbeat(ch, javaSDK, consumerHB(fmt.Sprintf("c%d", w), group), func(string) bool { return true })
				m.Subscription(group, "T")
				m.ConsumerIDs(group)
				m.ConsumerGroup(group)
				m.ProducerChannel("pg")
				if i%17 == 0 {
					m.ConnClosed(ch)
				}
				if i%29 == 0 {
					m.Unregister(ch, fmt.Sprintf("c%d", w), "", group)
				}
				if w == 0 && i%50 == 0 {
					clk.Advance(time.Minute)
					m.ScanExpired()
				}
			}
			sent.Add(int64(len(ch.notifications(t))))
		})
	}
	wg.Wait()
	m.WaitNotifications()
	// Every index entry must match a membership, and vice versa.
	m.mu.RLock()
	defer m.mu.RUnlock()
	members := 0
	for name, g := range m.consumers {
		if len(g.members) == 0 {
			t.Errorf("empty group %s kept", name)
		}
		for ch := range g.members {
			members++
			if _, ok := m.byChan[ch].consumers[name]; !ok {
				t.Errorf("membership %s of %v not indexed", name, ch)
			}
		}
	}
	indexed := 0
	for _, idx := range m.byChan {
		indexed += len(idx.consumers)
	}
	if indexed != members {
		t.Errorf("%d index entries for %d memberships", indexed, members)
	}
	if slices.Contains(m.Groups(), "") {
		t.Error("empty group name registered")
	}
}

func BenchmarkSubscription(b *testing.B) {
	m, _ := newTestManager()
	m.Heartbeat(newFake(1), javaSDK, consumerHB("A", "cg"), nil)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Subscription("cg", "T")
		}
	})
}
