package broker

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/saturnmq/saturn/remoting"
)

// fakeClock is a settable clock for the broker's hold deadlines.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// asyncPull starts a pull and returns a channel with its response.
func (tb *testBroker) asyncPull(ext map[string]string) <-chan *remoting.Command {
	out := make(chan *remoting.Command, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*waitTimeout)
		defer cancel()
		resp, err := tb.client.InvokeSync(ctx, tb.addr, remoting.NewRequest(remoting.RequestPullMessage, ext, nil))
		if err != nil {
			tb.t.Errorf("held pull: %v", err)
			close(out)
			return
		}
		out <- resp
	}()
	return out
}

func receive(t *testing.T, ch <-chan *remoting.Command) *remoting.Command {
	t.Helper()
	select {
	case resp, ok := <-ch:
		if !ok {
			t.FailNow()
		}
		return resp
	case <-time.After(2 * waitTimeout):
		t.Fatal("no response to the held pull")
	}
	return nil
}

func TestLongPollingWakesOnArrival(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.createTopic("LP", 2, 6)
	tests := []struct {
		name  string
		sub   string
		sends []map[string]string // TAGS of each message sent while the pull waits
		want  []string            // tags pulled
	}{
		{"any message", "*", []map[string]string{{"TAGS": "x"}}, []string{"x"}},
		{"matching tag", "b", []map[string]string{{"TAGS": "a"}, {"TAGS": "b"}}, []string{"b"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			queue := i
			ext := pullExt("lp", "LP", queue, 0, pullSuspend|pullSubscription, tt.sub, 60000)
			ch := tb.asyncPull(ext)
			waitFor(t, "the pull to be held", func() bool { return tb.b.holds.len() == 1 })
			for _, props := range tt.sends {
				tb.send("LP", queue, "body", props)
			}
			resp := receive(t, ch)
			var got []string
			if resp.Code == remoting.ResponsePullRetryImmediately {
				// The non-matching message woke it first; pull again as a
				// client would.
				resp = tb.pull("lp", "LP", queue, mustInt64(t, resp.ExtFields["nextBeginOffset"]), tt.sub)
			}
			if resp.Code != remoting.ResponseSuccess {
				t.Fatalf("held pull answered %d %q", resp.Code, resp.Remark)
			}
			for _, m := range decode(t, resp.Body) {
				got = append(got, m.Tags())
			}
			if len(got) != len(tt.want) || got[0] != tt.want[0] {
				t.Errorf("pulled tags %v, want %v", got, tt.want)
			}
			if tb.b.holds.len() != 0 {
				t.Errorf("%d pulls still held", tb.b.holds.len())
			}
		})
	}
}

func TestLongPollingTimesOut(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	// Holds take their deadline from this clock, sweeps compare with it.
	tb := startBrokerWith(t, t.TempDir(), nil, func(b *Broker) { b.now = clock.Now })
	tb.createTopic("LPT", 1, 6)

	ch := tb.asyncPull(pullExt("lp", "LPT", 0, 0, pullSuspend|pullSubscription, "*", 15000))
	waitFor(t, "the pull to be held", func() bool { return tb.b.holds.len() == 1 })
	clock.Advance(10 * time.Second)
	tb.b.sweepHolds()
	if tb.b.holds.len() != 1 {
		t.Fatal("pull answered before its suspend timeout")
	}
	clock.Advance(6 * time.Second)
	tb.b.sweepHolds()
	resp := receive(t, ch)
	if resp.Code != remoting.ResponsePullNotFound || resp.ExtFields["nextBeginOffset"] != "0" {
		t.Fatalf("timed-out pull answered %d %v, want PULL_NOT_FOUND at offset 0", resp.Code, resp.ExtFields)
	}
}

func TestLongPollingDroppedOnClose(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.createTopic("LPC", 1, 6)
	other := remoting.NewClient(remoting.ClientConfig{Logger: testLogger()})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		_, _ = other.InvokeSync(ctx, tb.addr, remoting.NewRequest(remoting.RequestPullMessage,
			pullExt("lp", "LPC", 0, 0, pullSuspend|pullSubscription, "*", 60000), nil))
	}()
	waitFor(t, "the pull to be held", func() bool { return tb.b.holds.len() == 1 })
	other.Close()
	waitFor(t, "the hold to be dropped", func() bool { return tb.b.holds.len() == 0 })
	tb.send("LPC", 0, "after", nil) // nobody to wake; must not fail
}

func TestPullStatuses(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.createTopic("PS", 2, 6)
	for range 3 {
		tb.send("PS", 0, "m", map[string]string{"TAGS": "a"})
	}
	tests := []struct {
		name     string
		queue    int
		offset   int64
		sub      string
		code     int32
		next     string
		messages int
	}{
		{"found", 0, 1, "*", remoting.ResponseSuccess, "3", 2},
		{"caught up", 0, 3, "*", remoting.ResponsePullNotFound, "3", 0},
		{"beyond max (min 0: restart at 0, as upstream)", 0, 10, "*", remoting.ResponsePullOffsetMoved, "0", 0},
		{"tag filtered out", 0, 0, "b", remoting.ResponsePullRetryImmediately, "3", 0},
		{"empty queue from 0", 1, 0, "*", remoting.ResponsePullNotFound, "0", 0},
		{"empty queue from 5", 1, 5, "*", remoting.ResponsePullOffsetMoved, "0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := tb.pull("ps", "PS", tt.queue, tt.offset, tt.sub)
			if resp.Code != tt.code || resp.ExtFields["nextBeginOffset"] != tt.next {
				t.Fatalf("code %d next %s (%q), want %d next %s", resp.Code, resp.ExtFields["nextBeginOffset"], resp.Remark, tt.code, tt.next)
			}
			if n := len(decode(t, resp.Body)); n != tt.messages {
				t.Errorf("%d messages, want %d", n, tt.messages)
			}
		})
	}
}

func TestPullErrors(t *testing.T) {
	tb := startBroker(t, t.TempDir(), func(c *Config) { c.AutoCreateSubscriptionGroup = false })
	tb.createTopic("PE", 1, 6)
	tb.createTopic("WriteOnly", 1, 2)
	tests := []struct {
		name   string
		ext    map[string]string
		code   int32
		mutate func(map[string]string)
	}{
		{"unknown group", pullExt("nobody", "PE", 0, 0, pullSubscription, "*", 0), remoting.ResponseSubscriptionGroupNotExist, nil},
		{"unknown topic", pullExt("TOOLS_CONSUMER", "Nope", 0, 0, pullSubscription, "*", 0), remoting.ResponseTopicNotExist, nil},
		{"not readable", pullExt("TOOLS_CONSUMER", "WriteOnly", 0, 0, pullSubscription, "*", 0), remoting.ResponseNoPermission, nil},
		{"bad queue", pullExt("TOOLS_CONSUMER", "PE", 5, 0, pullSubscription, "*", 0), remoting.ResponseInvalidParameter, nil},
		{"no subscription registered", pullExt("TOOLS_CONSUMER", "PE", 0, 0, 0, "", 0), remoting.ResponseSubscriptionNotExist, nil},
		{"bad expression", pullExt("TOOLS_CONSUMER", "PE", 0, 0, pullSubscription, "||", 0), remoting.ResponseSubscriptionParseFailed, nil},
		{"sql92", pullExt("TOOLS_CONSUMER", "PE", 0, 0, pullSubscription, "a > 1", 0), remoting.ResponseSystemError,
			func(m map[string]string) { m["expressionType"] = "SQL92" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.mutate != nil {
				tt.mutate(tt.ext)
			}
			resp := tb.call(remoting.RequestPullMessage, tt.ext, nil)
			if resp.Code != tt.code {
				t.Errorf("code %d %q, want %d", resp.Code, resp.Remark, tt.code)
			}
		})
	}
}

func TestTagFilter(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.createTopic("TF", 1, 6)
	tags := []string{"a", "b", "a", "", "ü", "c"}
	for i, tag := range tags {
		props := map[string]string{}
		if tag != "" {
			props["TAGS"] = tag
		}
		tb.send("TF", 0, strconv.Itoa(i), props)
	}
	tests := []struct {
		sub  string
		want []string // bodies
	}{
		{"*", []string{"0", "1", "2", "3", "4", "5"}},
		{"", []string{"0", "1", "2", "3", "4", "5"}},
		{"a", []string{"0", "2"}},
		{"a || c", []string{"0", "2", "5"}},
		{"ü", []string{"4"}}, // Java hash of a non-ASCII tag
		{"zzz", nil},
	}
	for _, tt := range tests {
		resp := tb.pull("tf", "TF", 0, 0, tt.sub)
		var got []string
		if resp.Code == remoting.ResponseSuccess {
			for _, m := range decode(t, resp.Body) {
				got = append(got, string(m.Body))
			}
		} else if resp.Code != remoting.ResponsePullRetryImmediately {
			t.Errorf("sub %q: code %d %q", tt.sub, resp.Code, resp.Remark)
		}
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("sub %q pulled %v, want %v", tt.sub, got, tt.want)
		}
		if resp.ExtFields["nextBeginOffset"] != "6" {
			t.Errorf("sub %q: nextBeginOffset %s, want 6 (every entry scanned)", tt.sub, resp.ExtFields["nextBeginOffset"])
		}
	}
}
