package broker

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/saturnmq/saturn/message"
	"github.com/saturnmq/saturn/remoting"
	"github.com/saturnmq/saturn/store"
)

// storedBodies reads a whole queue from the broker's store: offset → body.
func storedBodies(t testing.TB, st *store.Store, topic string, qid int32) map[int64]string {
	t.Helper()
	out := map[int64]string{}
	for off := st.MinOffset(topic, qid); off < st.MaxOffset(topic, qid); {
		r := st.Get(topic, qid, off, 32, 0, nil)
		if r.Status != store.Found {
			t.Fatalf("Get(%s,%d,%d): %v", topic, qid, off, r.Status)
		}
		for i, b := range r.Messages {
			m, _, err := message.DecodeStored(b)
			if err != nil {
				t.Fatal(err)
			}
			out[off+int64(i)] = string(m.Body)
		}
		off = r.NextOffset
	}
	return out
}

type ackedSend struct {
	queue  int32
	offset int64
	body   string
}

// sendMany sends from senders goroutines over each client's connection
// until each sent per messages or a send fails; it returns the sends
// answered SUCCESS, after checking their responses.
func sendMany(t *testing.T, tb *testBroker, clients []*remoting.Client, topic string, senders, per int) []ackedSend {
	var mu sync.Mutex
	var acked []ackedSend
	var wg sync.WaitGroup
	for c, cl := range clients {
		for g := range senders {
			wg.Go(func() {
				for i := range per {
					body := fmt.Sprintf("c%d-g%d-%d", c, g, i)
					code := remoting.RequestSendMessage
					ext := sendExt(topic, (c+g)%4, nil)
					if i%2 == 1 {
						code, ext = remoting.RequestSendMessageV2, sendV2Ext(topic, (c+g)%4, nil, false)
					}
					resp, err := cl.InvokeSync(context.Background(), tb.addr, remoting.NewRequest(code, ext, []byte(body)))
					if err != nil {
						return // the broker shuts down
					}
					if resp.Code != remoting.ResponseSuccess {
						if resp.Code == remoting.ResponseServiceNotAvailable {
							return
						}
						t.Errorf("send %s: code %d %q", body, resp.Code, resp.Remark)
						return
					}
					q, _ := strconv.Atoi(resp.ExtFields["queueId"])
					off, err := strconv.ParseInt(resp.ExtFields["queueOffset"], 10, 64)
					if err != nil || resp.ExtFields["msgId"] == "" {
						t.Errorf("send %s: response %v", body, resp.ExtFields)
						return
					}
					mu.Lock()
					acked = append(acked, ackedSend{int32(q), off, body})
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	return acked
}

func newClients(t *testing.T, n int) []*remoting.Client {
	var out []*remoting.Client
	for range n {
		c := remoting.NewClient(remoting.ClientConfig{Logger: testLogger()})
		t.Cleanup(func() { c.Close() })
		out = append(out, c)
	}
	return out
}

// TestSyncFlushConcurrentSends: many concurrent SYNC_FLUSH sends over a few
// connections, with more senders than send workers, are all answered, each
// with the queue offset that holds its message.
func TestSyncFlushConcurrentSends(t *testing.T) {
	tests := []struct {
		name    string
		pending int
	}{
		{"answered from the store callback", 10000},
		{"over the pending limit, answered by the worker", 2},
		{"no pending sends", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := startBroker(t, t.TempDir(), func(c *Config) {
				c.FlushDiskType = SyncFlush
				c.MaxPendingSyncSends = tt.pending
			})
			const topic = "SyncSends"
			tb.createTopic(topic, 4, 6)
			const conns, senders, per = 3, 8, 25
			acked := sendMany(t, tb, newClients(t, conns), topic, senders, per)
			if len(acked) != conns*senders*per {
				t.Fatalf("%d of %d sends answered SUCCESS", len(acked), conns*senders*per)
			}
			checkAcked(t, tb.b.store, topic, acked, true)
		})
	}
}

// checkAcked checks that every acknowledged send is stored at its offset;
// with exact, that the queues hold nothing else.
func checkAcked(t *testing.T, st *store.Store, topic string, acked []ackedSend, exact bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := st.WaitDispatched(ctx, st.MaxPhysicalOffset()); err != nil {
		t.Fatal(err)
	}
	stored := map[int32]map[int64]string{}
	n := 0
	for q := range int32(4) {
		stored[q] = storedBodies(t, st, topic, q)
		n += len(stored[q])
	}
	for _, a := range acked {
		if got := stored[a.queue][a.offset]; got != a.body {
			t.Fatalf("queue %d offset %d holds %q, acknowledged %q", a.queue, a.offset, got, a.body)
		}
	}
	if exact && n != len(acked) {
		t.Fatalf("queues hold %d messages, %d acknowledged", n, len(acked))
	}
}

// TestSyncFlushOnewaySends: oneway sends are stored and never answered.
func TestSyncFlushOnewaySends(t *testing.T) {
	tb := startBroker(t, t.TempDir(), func(c *Config) { c.FlushDiskType = SyncFlush })
	const topic = "Oneway"
	tb.createTopic(topic, 4, 6)
	for i := range 20 {
		req := remoting.NewRequest(remoting.RequestSendMessage, sendExt(topic, 0, nil), []byte(strconv.Itoa(i)))
		if err := tb.client.InvokeOneway(context.Background(), tb.addr, req); err != nil {
			t.Fatal(err)
		}
	}
	// A normal send after them on the same connection is answered with
	// its own offset.
	resp := tb.call(remoting.RequestSendMessage, sendExt(topic, 0, nil), []byte("last"))
	if resp.Code != remoting.ResponseSuccess {
		t.Fatalf("code %d %q", resp.Code, resp.Remark)
	}
	waitFor(t, "oneway sends stored", func() bool { return tb.b.store.MaxOffset(topic, 0) == 21 })
}

// TestSyncFlushShutdownDrainsSends: sends in flight when Shutdown starts are
// answered, and every send answered SUCCESS is found after a restart.
func TestSyncFlushShutdownDrainsSends(t *testing.T) {
	dir := t.TempDir()
	tb := startBroker(t, dir, func(c *Config) { c.FlushDiskType = SyncFlush })
	const topic = "Drain"
	tb.createTopic(topic, 4, 6)
	var acked []ackedSend
	done := make(chan struct{})
	go func() {
		defer close(done)
		acked = sendMany(t, tb, newClients(t, 2), topic, 8, 1000)
	}()
	waitFor(t, "sends under way", func() bool { return tb.b.store.MaxOffset(topic, 0) > 50 })
	tb.stop()
	<-done
	if len(acked) == 0 {
		t.Fatal("no send acknowledged")
	}
	tb2 := startBroker(t, dir, func(c *Config) { c.FlushDiskType = SyncFlush })
	checkAcked(t, tb2.b.store, topic, acked, false)
}
