package broker

import (
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/saturnmq/saturn/remoting"
)

// TestColdPullLimits: a pull whose first message lies beyond the in-memory
// window gets upstream's on-disk limits, one whose first message is inside
// it the in-memory ones.
func TestColdPullLimits(t *testing.T) {
	tb := startBroker(t, t.TempDir(), func(c *Config) { c.MaxTransferBytesOnDisk = 4 << 10 })
	tb.createTopic("CP", 1, 6)
	body := strings.Repeat("x", 1000)
	var last *remoting.Command
	for range 40 {
		last = tb.send("CP", 0, body, nil)
	}
	tb.waitVisible(last)

	// In memory: the in-memory count cap (32) decides.
	tb.b.memWindow.Store(1 << 40)
	resp := tb.pull("cp", "CP", 0, 0, "*")
	if n := len(decode(t, resp.Body)); resp.Code != remoting.ResponseSuccess || n != 32 {
		t.Errorf("in memory: code %d %q, %d messages, want 32", resp.Code, resp.Remark, n)
	}
	// On disk: the 4 KiB cap decides (records of ~1.1 KiB: as many as fit).
	tb.b.memWindow.Store(0)
	resp = tb.pull("cp", "CP", 0, 0, "*")
	msgs := decode(t, resp.Body)
	if resp.Code != remoting.ResponseSuccess || len(msgs) == 0 {
		t.Fatalf("on disk: code %d %q, %d messages", resp.Code, resp.Remark, len(msgs))
	}
	rec := len(resp.Body) / len(msgs) // all records have the same size
	if len(resp.Body) > 4<<10 || len(resp.Body)+rec <= 4<<10 {
		t.Errorf("on disk: %d messages of %d bytes; want as many as fit in 4096 bytes", len(msgs), rec)
	}
	if next := resp.ExtFields["nextBeginOffset"]; next != strconv.Itoa(len(msgs)) {
		t.Errorf("on disk: nextBeginOffset %s, want %d", next, len(msgs))
	}

	// The count cap (maxTransferCountOnMessageInDisk, default 8).
	tb2 := startBroker(t, t.TempDir(), nil)
	tb2.createTopic("CP", 1, 6)
	for range 20 {
		last = tb2.send("CP", 0, "small", nil)
	}
	tb2.waitVisible(last)
	tb2.b.memWindow.Store(0)
	resp = tb2.pull("cp", "CP", 0, 0, "*")
	if n := len(decode(t, resp.Body)); resp.Code != remoting.ResponseSuccess || n != 8 {
		t.Errorf("on disk: code %d, %d messages, want 8", resp.Code, n)
	}
	// A message at the log's very end is in memory even with no window.
	resp = tb2.pull("cp", "CP", 0, 19, "*")
	if n := len(decode(t, resp.Body)); resp.Code != remoting.ResponseSuccess || n != 1 {
		t.Errorf("last message: code %d, %d messages, want 1", resp.Code, n)
	}
}

// TestColdPullLeavesReader: while a pull of messages on disk waits for a
// cold-read worker, the requests behind it on the same connection are
// answered; the cold pull is answered once a worker takes it.
func TestColdPullLeavesReader(t *testing.T) {
	tb := startBroker(t, t.TempDir(), func(c *Config) { c.PullWorkers = 1 })
	tb.createTopic("CR", 2, 6)
	var last *remoting.Command
	for i := range 10 {
		last = tb.send("CR", i%2, "m", nil)
	}
	tb.waitVisible(last)
	tb.b.memWindow.Store(0)

	// Occupy the only cold-read worker (freed at the latest before the
	// broker stops, which waits for its workers).
	hold := make(chan struct{})
	release := sync.OnceFunc(func() { close(hold) })
	t.Cleanup(release)
	taken := make(chan struct{})
	tb.b.coldPulls.push(func() {
		close(taken)
		<-hold
	})
	<-taken

	cold := tb.asyncPull(pullExt("cr", "CR", 0, 0, pullSubscription, "*", 0))
	waitFor(t, "the cold pull to be queued", func() bool { return tb.b.coldPending.Load() == 1 })

	// Same client, same connection: answered while the cold pull waits.
	resp := tb.call(remoting.RequestGetMaxOffset, map[string]string{"topic": "CR", "queueId": "1"}, nil)
	if resp.Code != remoting.ResponseSuccess || resp.ExtFields["offset"] != "5" {
		t.Fatalf("max offset behind a cold pull: code %d %v", resp.Code, resp.ExtFields)
	}
	select {
	case r := <-cold:
		t.Fatalf("cold pull answered while no worker was free: code %d", r.Code)
	default:
	}

	release()
	r := receive(t, cold)
	if n := len(decode(t, r.Body)); r.Code != remoting.ResponseSuccess || n != 5 {
		t.Errorf("cold pull: code %d %q, %d messages, want 5", r.Code, r.Remark, n)
	}
	waitFor(t, "the cold pull to be done", func() bool { return tb.b.coldPending.Load() == 0 })
}

// TestColdPullQueueFull: when the cold-read queue is full, a cold pull is
// read in place rather than queued.
func TestColdPullQueueFull(t *testing.T) {
	tb := startBroker(t, t.TempDir(), nil)
	tb.b.coldPending.Store(int64(tb.b.cfg.PullQueueCapacity))
	ran := false
	if tb.b.offloadColdPull(nil, func() *remoting.Command { ran = true; return nil }) {
		t.Fatal("offloaded with a full queue")
	}
	if ran || tb.b.coldPending.Load() != int64(tb.b.cfg.PullQueueCapacity) {
		t.Errorf("ran %v, pending %d", ran, tb.b.coldPending.Load())
	}
	tb.b.coldPending.Store(0)
}
