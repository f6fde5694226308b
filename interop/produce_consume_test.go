package interop

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
)

// testMessage builds a message whose key identifies it in the received set.
func testMessage(topic, key, tag string) *primitive.Message {
	m := primitive.NewMessage(topic, []byte("body of "+key))
	m.WithKeys([]string{key})
	if tag != "" {
		m.WithTag(tag)
	}
	m.WithProperty("origin", "interop")
	m.WithProperty("key-copy", key)
	return m
}

// TestSendModesAndPushConsumer sends with SendSync, SendAsync, SendOneWay and
// a batch, and checks that a clustering push consumer receives every message
// with body, keys, tag and user properties intact.
func TestSendModesAndPushConsumer(t *testing.T) {
	s := startSaturn(t)
	const topic = "InteropSendModes"
	s.createTopic(topic, 4)
	p := s.newProducer()
	ctx := context.Background()

	want := map[string]string{} // key -> tag
	const n = 20
	for i := range n {
		key, tag := fmt.Sprintf("sync-%d", i), "TagSync"
		res, err := p.SendSync(ctx, testMessage(topic, key, tag))
		if err != nil {
			t.Fatalf("SendSync: %v", err)
		}
		if res.Status != primitive.SendOK || res.MsgID == "" || res.OffsetMsgID == "" {
			t.Fatalf("SendSync result: %+v", res)
		}
		want[key] = tag
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		key := fmt.Sprintf("async-%d", i)
		want[key] = "TagAsync"
		wg.Add(1)
		err := p.SendAsync(ctx, func(_ context.Context, res *primitive.SendResult, err error) {
			defer wg.Done()
			if err == nil && res.Status != primitive.SendOK {
				err = fmt.Errorf("status %v", res.Status)
			}
			if err != nil {
				errs <- err
			}
		}, testMessage(topic, key, "TagAsync"))
		if err != nil {
			t.Fatalf("SendAsync: %v", err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("async send: %v", err)
	}
	for i := range n {
		key := fmt.Sprintf("oneway-%d", i)
		want[key] = "TagOneway"
		if err := p.SendOneWay(ctx, testMessage(topic, key, "TagOneway")); err != nil {
			t.Fatalf("SendOneWay: %v", err)
		}
	}
	var batch []*primitive.Message
	for i := range n {
		key := fmt.Sprintf("batch-%d", i)
		want[key] = "TagBatch"
		batch = append(batch, testMessage(topic, key, "TagBatch"))
	}
	res, err := p.SendSync(ctx, batch...)
	if err != nil || res.Status != primitive.SendOK {
		t.Fatalf("batch send: %v %+v", err, res)
	}

	got := newReceived()
	s.consume("interop-modes", topic, "*", got)
	eventually(t, 60*time.Second, fmt.Sprintf("%d messages", len(want)), func() bool { return got.count() >= len(want) })

	for key, tag := range want {
		m, ok := got.get(key)
		if !ok {
			t.Errorf("message %s not received", key)
			continue
		}
		if m.Topic != topic || string(m.Body) != "body of "+key || m.GetTags() != tag ||
			m.GetProperty("origin") != "interop" || m.GetProperty("key-copy") != key {
			t.Errorf("message %s arrived changed: topic %q body %q tag %q props %v", key, m.Topic, m.Body, m.GetTags(), m.GetProperties())
		}
	}
	if extra := got.count() - len(want); extra != 0 {
		t.Errorf("%d unexpected messages", extra)
	}
}

// TestTagSubscription checks that "TagA || TagB" receives exactly those.
func TestTagSubscription(t *testing.T) {
	s := startSaturn(t)
	const topic = "InteropTags"
	s.createTopic(topic, 4)
	p := s.newProducer()
	want := map[string]bool{}
	for i, tag := range []string{"TagA", "TagB", "TagC", "", "TagA", "TagB", "TagD", "tagA"} {
		for j := range 5 {
			key := fmt.Sprintf("%d-%d-%s", i, j, tag)
			if _, err := p.SendSync(context.Background(), testMessage(topic, key, tag)); err != nil {
				t.Fatal(err)
			}
			if tag == "TagA" || tag == "TagB" {
				want[key] = true
			}
		}
	}
	got := newReceived()
	all := newReceived()
	s.consume("interop-tags", topic, "TagA || TagB", got)
	s.consume("interop-tags-all", topic, "*", all) // a second group sees everything: a marker that delivery is done
	eventually(t, 60*time.Second, "all 40 messages in the * group", func() bool { return all.count() >= 40 })
	eventually(t, 60*time.Second, fmt.Sprintf("%d tagged messages", len(want)), func() bool { return got.count() >= len(want) })
	for k := range got.keys() {
		if !want[k] {
			t.Errorf("received %s, which the subscription excludes", k)
		}
	}
	for k := range want {
		if _, ok := got.get(k); !ok {
			t.Errorf("missing %s", k)
		}
	}
}

// TestTwoConsumersSplitQueues runs two push consumers of one group: together
// they receive everything, each gets a share, and once the group has settled
// no queue is served to both.
func TestTwoConsumersSplitQueues(t *testing.T) {
	s := startSaturn(t)
	const topic, group = "InteropSplit", "interop-split"
	s.createTopic(topic, 4)
	p := s.newProducer()
	c1, c2 := newReceived(), newReceived()
	s.consume(group, topic, "*", c1)
	s.consume(group, topic, "*", c2)

	send := func(round string, n int) map[string]bool {
		keys := map[string]bool{}
		for i := range n {
			key := fmt.Sprintf("%s-%d", round, i)
			if _, err := p.SendSync(context.Background(), testMessage(topic, key, "")); err != nil {
				t.Fatal(err)
			}
			keys[key] = true
		}
		return keys
	}
	// Round 1 goes on until both members have received something: then both
	// have joined and rebalanced.
	sent := map[string]bool{}
	eventually(t, 90*time.Second, "both consumers receiving", func() bool {
		for k := range send("r1", 8) {
			sent[k] = true
		}
		return c1.count() > 0 && c2.count() > 0
	})
	round2 := send("r2", 40)
	for k := range round2 {
		sent[k] = true
	}
	eventually(t, 60*time.Second, "every message by one of the two", func() bool {
		k1, k2 := c1.keys(), c2.keys()
		for k := range sent {
			if !k1[k] && !k2[k] {
				return false
			}
		}
		return true
	})
	queuesOf := func(r *received) map[int]bool {
		q := map[int]bool{}
		r.mu.Lock()
		defer r.mu.Unlock()
		for k, m := range r.msgs {
			if round2[k] {
				q[m.Queue.QueueId] = true
			}
		}
		return q
	}
	q1, q2 := queuesOf(c1), queuesOf(c2)
	for q := range q1 {
		if q2[q] {
			t.Errorf("queue %d served to both consumers (c1 %v, c2 %v)", q, q1, q2)
		}
	}
	if len(q1) == 0 || len(q2) == 0 {
		t.Errorf("round 2 not shared: c1 queues %v, c2 queues %v", q1, q2)
	}
}

// TestConsumerResumesFromCommittedOffset stops a consumer after its offsets
// are committed, sends more, and checks that a restarted member of the same
// group gets only the new messages.
func TestConsumerResumesFromCommittedOffset(t *testing.T) {
	s := startSaturn(t)
	const topic, group = "InteropResume", "interop-resume"
	s.createTopic(topic, 2)
	p := s.newProducer()
	sendN := func(prefix string, n int) {
		for i := range n {
			if _, err := p.SendSync(context.Background(), testMessage(topic, fmt.Sprintf("%s-%d", prefix, i), "")); err != nil {
				t.Fatal(err)
			}
		}
	}
	sendN("first", 20)
	first := newReceived()
	c := s.consume(group, topic, "*", first)
	eventually(t, 60*time.Second, "first 20", func() bool { return first.count() >= 20 })
	// The client commits every 5 s; wait until the broker has it all.
	eventually(t, 60*time.Second, "committed offsets at the end of both queues", func() bool {
		return s.committedAtEnd(group, topic, 2)
	})
	if err := c.Shutdown(); err != nil {
		t.Fatal(err)
	}
	sendN("second", 20)
	second := newReceived()
	s.consume(group, topic, "*", second)
	eventually(t, 60*time.Second, "second 20", func() bool { return second.count() >= 20 })
	for k := range second.keys() {
		if strings.HasPrefix(k, "first-") {
			t.Errorf("%s delivered again after its offset was committed", k)
		}
	}
}

// TestLargeMessages sends a 3 MiB message, which the client compresses if it
// can (random bytes barely compress), and one over the 4 MiB limit, which must
// be refused while the broker keeps serving.
func TestLargeMessages(t *testing.T) {
	s := startSaturn(t)
	const topic = "InteropLarge"
	s.createTopic(topic, 1)
	p := s.newProducer()
	big := make([]byte, 3<<20)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	m := primitive.NewMessage(topic, big)
	m.WithKeys([]string{"big"})
	if _, err := p.SendSync(context.Background(), m); err != nil {
		t.Fatalf("3 MiB send: %v", err)
	}
	huge := make([]byte, 5<<20)
	if _, err := rand.Read(huge); err != nil {
		t.Fatal(err)
	}
	hm := primitive.NewMessage(topic, huge)
	hm.WithKeys([]string{"huge"})
	if res, err := p.SendSync(context.Background(), hm); err == nil {
		t.Fatalf("5 MiB send accepted: %+v", res)
	} else {
		t.Logf("5 MiB send refused as expected: %v", err)
	}
	if _, err := p.SendSync(context.Background(), testMessage(topic, "after", "")); err != nil {
		t.Fatalf("send after the refused one: %v", err)
	}
	got := newReceived()
	s.consume("interop-large", topic, "*", got)
	eventually(t, 60*time.Second, "big and after", func() bool { return got.count() >= 2 })
	if bm, ok := got.get("big"); !ok || !bytes.Equal(bm.Body, big) {
		t.Fatalf("3 MiB message did not round-trip intact")
	}
	if _, ok := got.get("huge"); ok {
		t.Fatal("the refused message was delivered")
	}
}

// TestBacklogOnDisk: with accessMessageInMemoryMaxRatio=0 every message
// behind the log's end counts as on disk, so each pull of the backlog is
// read off the connection's reader, answered later and capped at
// upstream's on-disk limits; the official consumer still gets every
// message once, with its body.
func TestBacklogOnDisk(t *testing.T) {
	s := startSaturn(t, "--broker-set", "accessMessageInMemoryMaxRatio=0")
	const topic, group, n = "InteropCold", "interop-cold", 100
	s.createTopic(topic, 2)
	p := s.newProducer()
	for i := range n {
		m := testMessage(topic, fmt.Sprintf("cold-%d", i), "")
		m.Body = []byte(fmt.Sprintf("body %d %s", i, strings.Repeat("x", 2000)))
		if _, err := p.SendSync(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	got := newReceived()
	s.consume(group, topic, "*", got)
	eventually(t, 60*time.Second, "the whole backlog", func() bool { return got.count() >= n })
	for i := range n {
		k := fmt.Sprintf("cold-%d", i)
		m, ok := got.get(k)
		if !ok {
			t.Errorf("%s not delivered", k)
			continue
		}
		if want := fmt.Sprintf("body %d %s", i, strings.Repeat("x", 2000)); string(m.Body) != want {
			t.Errorf("%s: body of %d bytes, want %d", k, len(m.Body), len(want))
		}
	}
	if got.dups != 0 {
		t.Errorf("%d duplicates", got.dups)
	}
}
