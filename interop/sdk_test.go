package interop

import (
	"context"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"github.com/saturnmq/saturn/client"
	"github.com/saturnmq/saturn/message"
)

// scenarioMsg is one message of the shared scenario, as the application
// sees it on either client.
type scenarioMsg struct {
	Key, Tag, Body string
	Props          map[string]string // user properties only
	MsgID          string            // the id the consumer was handed
}

// scenario is the list of messages both clients send: 30 messages, a third
// each by sync sends, async sends and one batch, with tags cycling through
// TagA, TagB, TagC and none.
func scenario(prefix string) []scenarioMsg {
	tags := []string{"TagA", "TagB", "TagC", ""}
	var out []scenarioMsg
	for i := range 30 {
		key := fmt.Sprintf("%s-%02d", prefix, i)
		out = append(out, scenarioMsg{
			Key: key, Tag: tags[i%len(tags)], Body: "body " + strconv.Itoa(i),
			Props: map[string]string{"n": strconv.Itoa(i), "origin": "scenario"},
		})
	}
	return out
}

// userProps keeps the properties the scenario set.
func userProps(get func(string) string) map[string]string {
	return map[string]string{"n": get("n"), "origin": get("origin")}
}

// sdkCollector records what a Saturn SDK consumer was handed.
type sdkCollector struct {
	mu   sync.Mutex
	msgs map[string]scenarioMsg
}

func (c *sdkCollector) handle(_ context.Context, msgs []*message.Ext) client.ConsumeResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range msgs {
		keys := m.Keys()
		key := ""
		if len(keys) > 0 {
			key = keys[0]
		}
		c.msgs[key] = scenarioMsg{Key: key, Tag: m.Tags(), Body: string(m.Body), Props: userProps(m.Property), MsgID: m.MsgID()}
	}
	return client.ConsumeSuccess
}

func (c *sdkCollector) snapshot() map[string]scenarioMsg {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.msgs)
}

// newSDKClient builds a Saturn SDK client for s, closed when the test ends.
func newSDKClient(t *testing.T, s *saturn) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{NameServers: []string{s.nsAddr}, InstanceName: instanceName("sdk")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// sdkProduce sends the scenario with the Saturn SDK and returns key -> MsgID.
func sdkProduce(t *testing.T, s *saturn, topic string, msgs []scenarioMsg) map[string]string {
	t.Helper()
	c := newSDKClient(t, s)
	p, err := client.NewProducer(c, client.ProducerConfig{Group: "sdk-producer"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Shutdown(context.Background()) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	build := func(m scenarioMsg) *message.Message {
		msg := &message.Message{Topic: topic, Body: []byte(m.Body)}
		msg.SetProperty(message.PropertyKeys, m.Key)
		if m.Tag != "" {
			msg.SetProperty(message.PropertyTags, m.Tag)
		}
		for k, v := range m.Props {
			msg.SetProperty(k, v)
		}
		return msg
	}
	ids := map[string]string{}
	for _, m := range msgs[:10] {
		res, err := p.SendSync(ctx, build(m))
		if err != nil {
			t.Fatalf("sdk SendSync: %v", err)
		}
		ids[m.Key] = res.MsgID
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, m := range msgs[10:20] {
		wg.Add(1)
		err := p.SendAsync(ctx, build(m), func(res *client.SendResult, err error) {
			defer wg.Done()
			if err != nil {
				t.Errorf("sdk SendAsync: %v", err)
				return
			}
			mu.Lock()
			ids[m.Key] = res.MsgID
			mu.Unlock()
		})
		if err != nil {
			t.Fatalf("sdk SendAsync: %v", err)
		}
	}
	wg.Wait()
	var batch []*message.Message
	for _, m := range msgs[20:] {
		batch = append(batch, build(m))
	}
	if _, err := p.SendBatch(ctx, batch); err != nil {
		t.Fatalf("sdk SendBatch: %v", err)
	}
	return ids
}

// sdkConsume consumes topic with the Saturn SDK.
func sdkConsume(t *testing.T, s *saturn, group, topic, expr string) *sdkCollector {
	t.Helper()
	c := newSDKClient(t, s)
	col := &sdkCollector{msgs: map[string]scenarioMsg{}}
	pc, err := client.NewPushConsumer(c, client.PushConsumerConfig{Group: group, ConsumeFrom: client.ConsumeFromFirstOffset}, col.handle)
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Subscribe(topic, expr); err != nil {
		t.Fatal(err)
	}
	if err := pc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Shutdown(context.Background()) })
	return col
}

// officialProduce sends the scenario with the official client.
func officialProduce(t *testing.T, s *saturn, topic string, msgs []scenarioMsg) map[string]string {
	t.Helper()
	p := s.newProducer()
	ctx := context.Background()
	build := func(m scenarioMsg) *primitive.Message {
		msg := primitive.NewMessage(topic, []byte(m.Body))
		msg.WithKeys([]string{m.Key})
		if m.Tag != "" {
			msg.WithTag(m.Tag)
		}
		for k, v := range m.Props {
			msg.WithProperty(k, v)
		}
		return msg
	}
	ids := map[string]string{}
	for _, m := range msgs[:10] {
		res, err := p.SendSync(ctx, build(m))
		if err != nil {
			t.Fatalf("official SendSync: %v", err)
		}
		ids[m.Key] = res.MsgID
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, m := range msgs[10:20] {
		wg.Add(1)
		err := p.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
			defer wg.Done()
			if err != nil {
				t.Errorf("official SendAsync: %v", err)
				return
			}
			mu.Lock()
			ids[m.Key] = res.MsgID
			mu.Unlock()
		}, build(m))
		if err != nil {
			t.Fatalf("official SendAsync: %v", err)
		}
	}
	wg.Wait()
	var batch []*primitive.Message
	for _, m := range msgs[20:] {
		batch = append(batch, build(m))
	}
	if _, err := p.SendSync(ctx, batch...); err != nil {
		t.Fatalf("official batch: %v", err)
	}
	return ids
}

// officialConsume consumes topic with the official client, as scenarioMsgs.
func officialConsume(s *saturn, group, topic, expr string) func() map[string]scenarioMsg {
	got := newReceived()
	s.consume(group, topic, expr, got)
	return func() map[string]scenarioMsg {
		got.mu.Lock()
		defer got.mu.Unlock()
		out := map[string]scenarioMsg{}
		for k, m := range got.msgs {
			out[k] = scenarioMsg{Key: k, Tag: m.GetTags(), Body: string(m.Body), Props: userProps(m.GetProperty), MsgID: m.MsgId}
		}
		return out
	}
}

// wantTagged returns the scenario messages a "TagA || TagB" subscriber gets.
func wantTagged(msgs []scenarioMsg) map[string]scenarioMsg {
	out := map[string]scenarioMsg{}
	for _, m := range msgs {
		if m.Tag == "TagA" || m.Tag == "TagB" {
			out[m.Key] = m
		}
	}
	return out
}

// compareReceived checks got against want, ignoring message ids.
func compareReceived(t *testing.T, who string, got, want map[string]scenarioMsg) {
	t.Helper()
	if len(got) != len(want) {
		var keys []string
		for k := range got {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		t.Errorf("%s: received %d messages, want %d (got %v)", who, len(got), len(want), keys)
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: %s missing", who, k)
			continue
		}
		if g.Tag != w.Tag || g.Body != w.Body || !maps.Equal(g.Props, w.Props) {
			t.Errorf("%s: %s arrived as %+v, want %+v", who, k, g, w)
		}
	}
}

// TestSDKSameScenarioAsOfficialClient runs one scenario (sync, async and
// batch sends with tags and properties, then a "TagA || TagB" push consumer)
// once with the official client and once with Saturn's SDK, and checks that
// both deliver the same messages with the same content.
func TestSDKSameScenarioAsOfficialClient(t *testing.T) {
	s := startSaturn(t)
	s.createTopic("ScenarioOfficial", 4)
	s.createTopic("ScenarioSDK", 4)

	msgs := scenario("m")
	want := wantTagged(msgs)
	officialProduce(t, s, "ScenarioOfficial", msgs)
	sdkProduce(t, s, "ScenarioSDK", msgs)
	official := officialConsume(s, "scenario-official", "ScenarioOfficial", "TagA || TagB")
	sdk := sdkConsume(t, s, "scenario-sdk", "ScenarioSDK", "TagA || TagB")

	done := func(get func() map[string]scenarioMsg) func() bool {
		return func() bool { return len(get()) >= len(want) }
	}
	eventually(t, 60*time.Second, "official consumer", done(official))
	eventually(t, 60*time.Second, "SDK consumer", done(sdk.snapshot))
	compareReceived(t, "official client", official(), want)
	compareReceived(t, "Saturn SDK", sdk.snapshot(), want)
}

// TestSDKAndOfficialClientInterwork sends with one client and consumes with
// the other, both ways, and checks content and message ids survive.
func TestSDKAndOfficialClientInterwork(t *testing.T) {
	s := startSaturn(t)
	s.createTopic("CrossFromSDK", 4)
	s.createTopic("CrossFromOfficial", 4)
	msgs := scenario("x")
	all := map[string]scenarioMsg{}
	for _, m := range msgs {
		all[m.Key] = m
	}

	sdkIDs := sdkProduce(t, s, "CrossFromSDK", msgs)
	officialIDs := officialProduce(t, s, "CrossFromOfficial", msgs)
	byOfficial := officialConsume(s, "cross-official", "CrossFromSDK", "*")
	bySDK := sdkConsume(t, s, "cross-sdk", "CrossFromOfficial", "*")
	eventually(t, 60*time.Second, "official consumer of SDK messages", func() bool { return len(byOfficial()) >= len(msgs) })
	eventually(t, 60*time.Second, "SDK consumer of official messages", func() bool { return len(bySDK.snapshot()) >= len(msgs) })
	compareReceived(t, "official consumer of SDK messages", byOfficial(), all)
	compareReceived(t, "SDK consumer of official messages", bySDK.snapshot(), all)

	// Message ids of single sends are the producer's UNIQ_KEY on both sides.
	for key, id := range sdkIDs {
		if got := byOfficial()[key].MsgID; got != id {
			t.Errorf("SDK-sent %s: official consumer saw id %q, producer got %q", key, got, id)
		}
	}
	for key, id := range officialIDs {
		if got := bySDK.snapshot()[key].MsgID; got != id {
			t.Errorf("official-sent %s: SDK consumer saw id %q, producer got %q", key, got, id)
		}
	}
}
